import type { ModelIssue } from './errors.js';
import { NUL_TEXT_MESSAGE } from './scalars.js';

/**
 * The `invalid_text` rule over a whole value, not only the model's text fields: PostgreSQL
 * text cannot store U+0000 (error 22021), and a key or a field the model strips never reaches a
 * text column's check. `validateRow` and `validateBatch` apply it, so every path that validates
 * input (the service's bodies, CSV uploads, the CLIs) refuses NUL the same way.
 *
 * Only plain objects and arrays are walked (a `Date`, a `Uint8Array` or a class instance holds no
 * text a reader wrote). The walks are iterative: a 1 MiB JSON body nests 500,000 levels deep.
 */

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** True when a string, key or nested string of `value` holds U+0000 (the fast check of valid rows). */
export function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (typeof value !== 'object' || value === null) return false;
  const stack: object[] = [value];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const node = stack.pop() as object;
    if (Array.isArray(node)) {
      for (const item of node) {
        if (typeof item === 'string') {
          if (item.includes('\u0000')) return true;
        } else if (typeof item === 'object' && item !== null && !seen.has(item)) {
          seen.add(item);
          stack.push(item);
        }
      }
    } else if (isPlainObject(node)) {
      for (const key in node) {
        if (key.includes('\u0000')) return true;
        const child = node[key];
        if (typeof child === 'string') {
          if (child.includes('\u0000')) return true;
        } else if (typeof child === 'object' && child !== null && !seen.has(child)) {
          seen.add(child);
          stack.push(child);
        }
      }
    }
  }
  return false;
}

/**
 * One `invalid_text` issue per string or object key of `value` that holds U+0000, in document
 * order, with its path from `value` (a key's issue names the key itself). Stops after `limit`.
 */
export function nulTextIssues(value: unknown, limit = Number.POSITIVE_INFINITY): ModelIssue[] {
  interface Frame {
    readonly node: unknown;
    readonly key: string | number | undefined;
    readonly parent: Frame | undefined;
  }
  // Parent links instead of a path per level: copying paths would be quadratic in the depth.
  const pathOf = (frame: Frame): (string | number)[] => {
    const keys: (string | number)[] = [];
    for (let at: Frame | undefined = frame; at?.key !== undefined; at = at.parent) keys.push(at.key);
    return keys.reverse();
  };
  const issues: ModelIssue[] = [];
  const seen = new Set<object>();
  const stack: Frame[] = [{ node: value, key: undefined, parent: undefined }];
  while (stack.length > 0 && issues.length < limit) {
    const frame = stack.pop() as Frame;
    const { node } = frame;
    if (node === NUL_KEY || (typeof node === 'string' && node.includes('\u0000'))) {
      issues.push({ path: pathOf(frame), code: 'invalid_text', message: NUL_TEXT_MESSAGE });
    } else if (typeof node === 'object' && node !== null && !seen.has(node)) {
      seen.add(node);
      if (Array.isArray(node)) {
        for (let i = node.length - 1; i >= 0; i -= 1) stack.push({ node: node[i], key: i, parent: frame });
      } else if (isPlainObject(node)) {
        const keys = Object.keys(node);
        for (let i = keys.length - 1; i >= 0; i -= 1) {
          const key = keys[i] as string;
          // A key holding NUL is reported where it stands (its value is not walked).
          stack.push({ node: key.includes('\u0000') ? NUL_KEY : node[key], key, parent: frame });
        }
      }
    }
  }
  return issues;
}

const NUL_KEY = Symbol('key holding U+0000');

/**
 * The model's issues plus the NUL issues at paths they do not name already (keys, fields the
 * model strips or refuses for another reason).
 */
export function withNulTextIssues(issues: readonly ModelIssue[], value: unknown): ModelIssue[] {
  if (!holdsNul(value)) return [...issues];
  const named = new Set(issues.map((issue) => JSON.stringify(issue.path)));
  return [...issues, ...nulTextIssues(value).filter((issue) => !named.has(JSON.stringify(issue.path)))];
}
