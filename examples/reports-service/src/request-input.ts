import { describeInt64Failure, toModelIssues, tryParseIntegerText, validateRow } from '@bionicpro/models';
import { z } from 'zod';
import { MAX_LISTED_ISSUES, type RequestIssue, RequestValidationError } from './http-errors.js';
import { readJsonBody } from './request-body.js';

/**
 * Validates the query string (plus any path parameters merged in) with a
 * model. Unknown parameters and repeated parameters are problems too; every
 * problem is reported in one 400.
 *
 * @example
 * ```ts
 * const { user_id, month } = parseQuery(UserMonthlyReportQuery, url, { user_id: params.user_id });
 * ```
 */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  url: URL,
  pathParams: Readonly<Record<string, string>> = {},
): z.output<S> {
  const input: Record<string, unknown> = {};
  const repeated: string[] = [];
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(input, key)) repeated.push(key);
    input[key] = value;
  }
  Object.assign(input, pathParams);
  const result = schema.safeParse(input);
  const issues = [
    ...repeated.map((key) => ({
      path: ['query', key],
      code: 'repeated_parameter',
      message: 'given more than once',
    })),
    ...(result.success
      ? []
      : toModelIssues(result.error).map((issue) => {
          const first = issue.path[0];
          const part = typeof first === 'string' && Object.hasOwn(pathParams, first) ? 'path' : 'query';
          return { path: [part, ...issue.path], code: issue.code, message: issue.message };
        })),
  ];
  if (issues.length > 0 || !result.success) throw new RequestValidationError(issues);
  return result.data;
}

/**
 * Reads a JSON body (size-limited) and validates it with a model; a failure
 * is a 400 listing every issue under `body`.
 *
 * @example
 * ```ts
 * const user = await parseJsonBody(request, IncomingUser, config.limits.maxBodyBytes);
 * ```
 */
export async function parseJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  limitBytes: number,
): Promise<z.output<S>> {
  const body = await readJsonBody(request, limitBytes);
  // Every problem in one answer: the model's, and text the database cannot store.
  const nul = nulIssues(body, ['body'], MAX_LISTED_ISSUES);
  let parsed: z.output<S>;
  try {
    parsed = validateRow(schema, body);
  } catch (error) {
    const issues = (
      error as { issues?: readonly { path: readonly (string | number)[]; code: string; message: string }[] }
    ).issues;
    if (issues) {
      const model = RequestValidationError.fromModel('body', issues).issues;
      throw new RequestValidationError([...model, ...notYetNamed(nul, model)]);
    }
    throw error;
  }
  if (nul.length > 0) throw new RequestValidationError(nul);
  return parsed;
}

/** Largest value of an `integer` id column (PostgreSQL `integer`, ClickHouse `Int32`). */
export const MAX_INT32_ID = 2_147_483_647;
const MAX_ID = BigInt(MAX_INT32_ID);

/**
 * An id in a path or query string, read by the models' integer rule
 * (`tryParseIntegerText`): canonical decimal digits only (no sign, exponent,
 * hex, blanks or leading zeros: `1e0`, `%201`, `0x2`, `01` are refused)
 * within the `integer` id column's range, so an id the database cannot hold
 * is a 400 naming the parameter, never a failed query.
 *
 * @example
 * ```ts
 * const Query = z.strictObject({ user_id: IdParameter });
 * ```
 */
export const IdParameter = z.string().transform((text, ctx): number => {
  const parsed = tryParseIntegerText(text, 1n, MAX_ID);
  if (parsed.ok) return Number(parsed.text);
  ctx.addIssue({
    code: 'custom',
    message: describeInt64Failure(parsed.reason, 1n, MAX_ID).replace('an integer', 'an id'),
    params: { code: 'invalid_id' },
  });
  return z.NEVER;
});

/**
 * Problems of a parsed JSON body whose strings hold U+0000: PostgreSQL text
 * cannot store it (error 22021), so the request is refused with the field
 * named. Keys are checked too. Stops after `limit` problems.
 *
 * @example
 * ```ts
 * nulIssues({ name: 'a\u0000b' }); // [{ path: ['body', 'name'], code: 'nul_character', … }]
 * ```
 */
export function nulIssues(
  value: unknown,
  path: readonly (string | number)[] = ['body'],
  limit = Number.POSITIVE_INFINITY,
): RequestIssue[] {
  // Iterative with parent links: a 1 MiB body can nest 500,000 levels deep,
  // more than a recursive walk's stack and than copying a path per level allows.
  interface Frame {
    readonly node: unknown;
    readonly key: string | number | undefined;
    readonly parent: Frame | undefined;
  }
  const pathOf = (frame: Frame): (string | number)[] => {
    const keys: (string | number)[] = [];
    for (let at: Frame | undefined = frame; at?.key !== undefined; at = at.parent) keys.push(at.key);
    return [...path, ...keys.reverse()];
  };
  const issues: RequestIssue[] = [];
  const stack: Frame[] = [{ node: value, key: undefined, parent: undefined }];
  while (stack.length > 0 && issues.length < limit) {
    const frame = stack.pop() as Frame;
    const { node } = frame;
    if (node === NUL_KEY || (typeof node === 'string' && node.includes('\u0000'))) {
      issues.push(nulIssue(pathOf(frame)));
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i -= 1) stack.push({ node: node[i], key: i, parent: frame });
    } else if (typeof node === 'object' && node !== null) {
      const entries = Object.entries(node);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, child] = entries[i] as [string, unknown];
        // A key holding NUL is reported where it stands, in document order.
        stack.push({ node: key.includes('\u0000') ? NUL_KEY : child, key, parent: frame });
      }
    }
  }
  return issues.slice(0, limit);
}

const NUL_KEY = Symbol('key holding U+0000');

/**
 * The NUL issues at places the model's issues do not already name: the models
 * refuse U+0000 in every text field themselves (`invalid_text`), so this walk
 * only adds what they cannot see (keys, values of fields they refuse anyway).
 */
export function notYetNamed(nul: readonly RequestIssue[], named: readonly RequestIssue[]): RequestIssue[] {
  const seen = new Set(named.map((issue) => JSON.stringify(issue.path)));
  return nul.filter((issue) => !seen.has(JSON.stringify(issue.path)));
}

/** The issue of one text value holding U+0000. */
export function nulIssue(path: readonly (string | number)[]): RequestIssue {
  return {
    path,
    code: 'nul_character',
    message: 'contains U+0000 (NUL), which text columns cannot store',
  };
}
