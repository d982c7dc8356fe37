import { regexes, z } from 'zod';
import { ModelValidationError } from './errors.js';
import { minorToMoney, tryParseMoneyMinor, NUMERIC_10_2_MAX_MINOR, DECIMAL_18_2_MAX_MINOR } from './money.js';
import {
  bigIdValue,
  BigId,
  isStorableText,
  Bool,
  CalendarDate,
  Money,
  MoneyTotal,
  RequiredText,
  Text,
  Timestamp,
  Uuid,
} from './scalars.js';
import { isCalendarDate, tryParseTimestampMs } from './timestamp.js';
import { toModelIssues } from './validate-issues.js';

/**
 * Fast row parsing for hot paths (ETL extract, CDC decode, batch validation).
 *
 * zod's general parser costs several times a `JSON.parse` of the same row.
 * Models here are flat objects of a few known scalars, so each field compiles
 * to a direct check. The fast path is only ever trusted to ACCEPT: any row it
 * refuses is parsed again by zod itself, which either accepts it (the fast
 * path was merely conservative) or produces zod's own issues. Property tests
 * (`row-parser.test.ts`) check that the fast path never accepts what zod
 * rejects and returns the same value when both accept.
 */

const FAIL: unique symbol = Symbol('fail');
type FieldParser = (value: unknown) => unknown;

const UUID_PATTERN = regexes.uuid();

function compileField(schema: z.ZodType): FieldParser {
  if (schema === Timestamp) {
    return (v) => {
      const ms = tryParseTimestampMs(v);
      return ms === undefined ? FAIL : new Date(ms);
    };
  }
  if (schema === Money || schema === MoneyTotal) {
    const max = schema === Money ? NUMERIC_10_2_MAX_MINOR : DECIMAL_18_2_MAX_MINOR;
    return (v) => {
      const result = tryParseMoneyMinor(v, max);
      return result.ok ? minorToMoney(result.minor) : FAIL;
    };
  }
  if (schema === BigId) {
    return (v) => bigIdValue(v) ?? FAIL;
  }
  if (schema === Uuid) return parseUuid;
  if (schema === Text) return (v) => (typeof v === 'string' && isStorableText(v) ? v : FAIL);
  if (schema === RequiredText) {
    return (v) => {
      if (typeof v !== 'string' || !isStorableText(v)) return FAIL;
      const trimmed = v.trim();
      return trimmed.length > 0 ? trimmed : FAIL;
    };
  }
  if (schema === CalendarDate) return (v) => (typeof v === 'string' && isCalendarDate(v) ? v : FAIL);
  if (schema === Bool || schema instanceof z.ZodBoolean) return (v) => (typeof v === 'boolean' ? v : FAIL);
  if (schema instanceof z.ZodDefault) {
    const inner = compileField(schema.unwrap() as z.ZodType);
    const fallback = schema.def.defaultValue;
    if (fallback !== null && typeof fallback === 'object') return fallbackParser(schema);
    return (v) => (v === undefined ? fallback : inner(v));
  }
  if (schema instanceof z.ZodNullable) {
    const inner = compileField(schema.unwrap() as z.ZodType);
    return (v) => (v === null ? null : inner(v));
  }
  if (schema instanceof z.ZodOptional) {
    const inner = compileField(schema.unwrap() as z.ZodType);
    return (v) => (v === undefined ? undefined : inner(v));
  }
  if (schema instanceof z.ZodEnum) {
    const values = new Set<unknown>(schema.options);
    return (v) => (values.has(v) ? v : FAIL);
  }
  if (schema instanceof z.ZodNumber && (schema.def.checks ?? []).every(isKnownNumberCheck)) {
    const min = schema.minValue ?? Number.NEGATIVE_INFINITY;
    const max = schema.maxValue ?? Number.POSITIVE_INFINITY;
    const integer = schema.isInt;
    return (v) =>
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (!integer || Number.isSafeInteger(v)) &&
      v >= min &&
      v <= max
        ? v
        : FAIL;
  }
  return fallbackParser(schema);
}

/**
 * A zod number check the generated row parsers implement themselves (inclusive bounds,
 * safe-integer and int32 formats); any other check leaves the field to zod. Shared with
 * `@bionicpro/cdc`'s decode-and-validate path so both read a model the same way.
 *
 * @internal
 */
export function isKnownNumberCheck(check: unknown): boolean {
  const def = (check as { _zod?: { def?: { check?: string; inclusive?: boolean; format?: string } } })._zod
    ?.def;
  if (!def) return false;
  if (def.check === 'greater_than' || def.check === 'less_than') return def.inclusive === true;
  return def.check === 'number_format' && (def.format === 'safeint' || def.format === 'int32');
}

function fallbackParser(schema: z.ZodType): FieldParser {
  return (v) => {
    const result = schema.safeParse(v);
    return result.success ? result.data : FAIL;
  };
}

type ObjectParser = (value: unknown) => unknown;

/** Per char code below 128: 0 not a hex digit, 1 a digit or a-f, 2 A-F. */
const HEX_CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c += 1) HEX_CLASS[c] = 1;
for (let c = 97; c <= 102; c += 1) HEX_CLASS[c] = 1;
for (let c = 65; c <= 70; c += 1) HEX_CLASS[c] = 2;

/** 0 if any of text[from, to) is not a hex digit, else 1, or 3 when one is upper-case. */
function hexRun(text: string, from: number, to: number): number {
  let kinds = 1;
  for (let i = from; i < to; i += 1) {
    const c = text.charCodeAt(i);
    const kind = c < 128 ? HEX_CLASS[c]! : 0;
    if (kind === 0) return 0;
    kinds |= kind;
  }
  return kinds;
}

/**
 * zod's UUID rule (RFC 9562 version 1–8 and variant 10xx, or the nil/max
 * UUIDs) without a regular expression; lower-cases like the model does. A table
 * scan rather than a branch per character class: random hex digits defeat the
 * branch predictor, and this runs for every UUID of every row. Returns
 * {@link ROW_REFUSED} for a value it does not accept.
 *
 * @internal
 */
export function parseUuid(v: unknown): unknown {
  const text = typeof v === 'string' ? uuidText(v) : undefined;
  if (text === undefined) return FAIL;
  const version = text.charCodeAt(14);
  const variant = text.charCodeAt(19);
  const standard =
    version >= 49 && version <= 56 && (variant === 56 || variant === 57 || variant === 97 || variant === 98);
  // zod's pattern (nil and max UUIDs) is matched against the input as given, as the model does.
  return standard || UUID_PATTERN.test(v as string) ? text : FAIL;
}

/**
 * `8-4-4-4-12` hex digits, lower-cased; undefined otherwise. No version or variant rule (that is
 * {@link parseUuid}'s); `@bionicpro/cdc` checks Debezium's `io.debezium.data.Uuid` values with it.
 *
 * @internal
 */
export function uuidText(value: string): string | undefined {
  if (
    value.length !== 36 ||
    value.charCodeAt(8) !== 45 ||
    value.charCodeAt(13) !== 45 ||
    value.charCodeAt(18) !== 45 ||
    value.charCodeAt(23) !== 45
  ) {
    return undefined;
  }
  const a = hexRun(value, 0, 8);
  const b = hexRun(value, 9, 13);
  const c = hexRun(value, 14, 18);
  const d = hexRun(value, 19, 23);
  const e = hexRun(value, 24, 36);
  if ((a & b & c & d & e) === 0) return undefined;
  return ((a | b | c | d | e) & 2) === 0 ? value : value.toLowerCase();
}

function compileObject(schema: z.ZodObject): ObjectParser | undefined {
  if ((schema.def.checks ?? []).length > 0) return undefined;
  const catchall = schema.def.catchall as z.ZodType | undefined;
  const strict = catchall instanceof z.ZodNever;
  if (catchall && !strict) return undefined;
  const shape = schema.shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  const parsers = keys.map((key) => compileField(shape[key]!));
  const optional = keys.map((key) => shape[key] instanceof z.ZodOptional);
  const keySet = new Set(keys);
  const generated = generateObjectParser(keys, parsers, optional, strict ? keySet : undefined);
  if (generated) return generated;
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return FAIL;
    const input = value as Record<string, unknown>;
    if (strict) {
      for (const key in input) if (!keySet.has(key)) return FAIL;
    }
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      const raw = input[key];
      const parsed = parsers[i]!(raw);
      if (parsed === FAIL) return FAIL;
      if (parsed === undefined && optional[i] && !(key in input)) continue;
      out[key] = parsed;
    }
    return out;
  };
}

/**
 * Generates a straight-line parser for one object shape: each field gets its
 * own call site (so V8 can inline the field parser) and the output is one
 * object literal (one hidden class). Returns undefined where code generation is
 * not allowed (e.g. a CSP without 'unsafe-eval'); the loop above is used then.
 */
function generateObjectParser(
  keys: readonly string[],
  parsers: readonly FieldParser[],
  optional: readonly boolean[],
  allowed: ReadonlySet<string> | undefined,
): ObjectParser | undefined {
  if (!keys.every((key) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(key))) return undefined;
  const lines = [
    'return function parseRow(input) {',
    "  if (typeof input !== 'object' || input === null || Array.isArray(input)) return FAIL;",
  ];
  if (allowed) lines.push('  for (const key in input) if (!allowed.has(key)) return FAIL;');
  keys.forEach((key, i) => {
    lines.push(`  const v${i} = p${i}(input.${key});`, `  if (v${i} === FAIL) return FAIL;`);
  });
  lines.push(`  const out = { ${keys.map((key, i) => `${key}: v${i}`).join(', ')} };`);
  keys.forEach((key, i) => {
    if (optional[i]) lines.push(`  if (v${i} === undefined && !('${key}' in input)) delete out.${key};`);
  });
  lines.push('  return out;', '};');
  try {
    const factory = new Function('FAIL', 'allowed', ...parsers.map((_, i) => `p${i}`), lines.join('\n'));
    return factory(FAIL, allowed, ...parsers) as ObjectParser;
  } catch {
    return undefined;
  }
}

const compiled = new WeakMap<z.ZodType, ObjectParser | null>();

function fastParserOf(schema: z.ZodType): ObjectParser | undefined {
  let parser = compiled.get(schema);
  if (parser === undefined) {
    parser = schema instanceof z.ZodObject ? (compileObject(schema) ?? null) : null;
    compiled.set(schema, parser);
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
