import type { z } from 'zod';
import { ModelValidationError } from './errors.js';
import { generateFunction, isJitless } from './generated-function.js';
import { fieldChecker, fieldCode, type ModelRule, modelRuleOf, REFUSED } from './model-checker.js';
import { modelUuid } from './uuid-text.js';
import { toModelIssues } from './validate-issues.js';

/**
 * Fast row parsing for hot paths (ETL extract, CDC decode, batch validation).
 *
 * zod's general parser costs several times a `JSON.parse` of the same row.
 * Models here are flat objects of a few known scalars, so each model compiles
 * once (`model-checker.ts`, the compiler `@bionicpro/cdc` uses too) into a
 * direct check per field, written out in one generated function per model. The
 * fast path is only ever trusted to ACCEPT: any row it refuses is parsed again by
 * zod itself, which either accepts it (the fast path was merely conservative) or
 * produces zod's own issues. Property tests (`row-parser.test.ts`) check that the
 * fast path never accepts what zod rejects and returns the same value when both
 * accept, and that the path without generated code returns what the generated one does.
 */

const FAIL = REFUSED;

/**
 * zod's UUID rule (RFC 9562 version 1–8 and variant 10xx, or the nil/max UUIDs)
 * without a regular expression; lower-cases like the model does. Returns
 * {@link ROW_REFUSED} for a value it does not accept.
 *
 * @internal
 */
export function parseUuid(v: unknown): unknown {
  return modelUuid(v) ?? FAIL;
}

type ObjectParser = (value: unknown) => unknown;

/** Keys a generated parser reads and writes as plain properties. */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The parser of one model rule; `jitless` (else the process-wide setting, see
 * `generated-function.ts`) leaves out the generated function.
 *
 * @internal
 */
export function compileObjectParser(rule: ModelRule, jitless?: boolean): ObjectParser {
  const checkers = rule.fields.map(fieldChecker);
  const optional = rule.fields.map((field) => field.kind === 'optional');
  const allowed = rule.strict ? new Set(rule.keys) : undefined;
  const loop = () => loopParser(rule.keys, checkers, optional, allowed);
  if (!rule.keys.every((key) => PLAIN_KEY.test(key))) return loop();
  return generateFunction({
    generated: 'models.row-parser',
    ...objectParserCode(rule, allowed),
    fallback: loop,
    ...(jitless === undefined ? {} : { jitless }),
  });
}

/** The row parser without generated code: a loop over the fields' checkers. */
function loopParser(
  keys: readonly string[],
  checkers: readonly ((value: unknown) => unknown)[],
  optional: readonly boolean[],
  allowed: ReadonlySet<string> | undefined,
): ObjectParser {
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return FAIL;
    const input = value as Record<string, unknown>;
    if (allowed) {
      for (const key in input) if (!allowed.has(key)) return FAIL;
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      const raw = input[key];
      const parsed = checkers[i]!(raw);
      if (parsed === FAIL) return FAIL;
      if (parsed === undefined && optional[i] && !(key in input)) continue;
      out[key] = parsed;
    }
    return out;
  };
}

/**
 * A straight-line parser for one object shape: each field's check written out
 * (so V8 need not inline a call per field) and the output built as one object
 * literal (one hidden class).
 */
function objectParserCode(
  rule: ModelRule,
  allowed: ReadonlySet<string> | undefined,
): { bindings: ReadonlyMap<string, unknown>; body: string[] } {
  const bindings = new Map<string, unknown>([
    ['FAIL', FAIL],
    ['allowed', allowed],
  ]);
  const bind = (value: unknown) => {
    const name = `b${bindings.size}`;
    bindings.set(name, value);
    return name;
  };
  const scope = { bind, refuse: 'return FAIL;' };
  const { keys } = rule;
  const lines = [
    'return function parseRow(input) {',
    "  if (typeof input !== 'object' || input === null || Array.isArray(input)) return FAIL;",
  ];
  if (allowed) lines.push('  for (const key in input) if (!allowed.has(key)) return FAIL;');
  keys.forEach((key, i) => {
    const code = fieldCode(rule.fields[i]!, scope);
    lines.push(
      `  const i${i} = input.${key};`,
      `  let v${i};`,
      ...code(`i${i}`, `v${i}`).map((line) => `  ${line}`),
    );
  });
  lines.push(`  const out = { ${keys.map((key, i) => `${key}: v${i}`).join(', ')} };`);
  rule.fields.forEach((field, i) => {
    if (field.kind === 'optional')
      lines.push(`  if (v${i} === undefined && !('${keys[i]}' in input)) delete out.${keys[i]};`);
  });
  lines.push('  return out;', '};');
  return { bindings, body: lines };
}

// Per schema, compiled with generated code and without (when it is turned off, see generated-function.ts).
const compiled = new WeakMap<z.ZodType, ObjectParser | null>();
const compiledJitless = new WeakMap<z.ZodType, ObjectParser | null>();

function fastParserOf(schema: z.ZodType): ObjectParser | undefined {
  const cache = isJitless() ? compiledJitless : compiled;
  let parser = cache.get(schema);
  if (parser === undefined) {
    const rule = modelRuleOf(schema);
    parser = rule === undefined ? null : compileObjectParser(rule);
    cache.set(schema, parser);
  }
  return parser ?? undefined;
}

/**
 * The generated parser of a schema for loops over many rows (`validateBatch`):
 * returns the parsed row, or {@link ROW_REFUSED} where the caller must ask zod
 * itself (as {@link safeParseRow} does). Undefined when the schema has no fast
 * parser. Saves a result object per row.
 *
 * @internal
 */
export function fastRowParserOf(schema: z.ZodType): ((value: unknown) => unknown) | undefined {
  return fastParserOf(schema);
}

/** What {@link fastRowParserOf}'s parser returns for a row it does not accept. @internal */
export const ROW_REFUSED: unknown = FAIL;

/** Result of {@link safeParseRow}. */
export type RowParseResult<T> = { success: true; data: T } | { success: false; error: z.ZodError };

/**
 * Parses a row like `schema.safeParse`, several times faster for the flat
 * models of this package, with identical results.
 */
export function safeParseRow<S extends z.ZodType>(schema: S, value: unknown): RowParseResult<z.output<S>> {
  const fast = fastParserOf(schema);
  if (fast) {
    const parsed = fast(value);
    if (parsed !== FAIL) return { success: true, data: parsed as z.output<S> };
  }
  const result = schema.safeParse(value);
  return result.success ? { success: true, data: result.data } : { success: false, error: result.error };
}

/**
 * A reusable parser for one model that throws {@link ModelValidationError}
 * naming every bad field.
 *
 * @example
 * ```ts
 * import { createRowParser, TelemetryEvent } from '@bionicpro/models';
 * const parseEvent = createRowParser(TelemetryEvent, 'telemetry_events');
 * const event = parseEvent(JSON.parse(line));
 * ```
 */
export function createRowParser<S extends z.ZodType>(
  schema: S,
  model?: string,
): (value: unknown) => z.output<S> {
  fastParserOf(schema);
  return (value) => {
    const result = safeParseRow(schema, value);
    if (result.success) return result.data;
    throw new ModelValidationError(toModelIssues(result.error), model === undefined ? {} : { model });
  };
}
