import { regexes, z } from 'zod';
import { ModelValidationError } from './errors.js';
import { minorToMoney, tryParseMoneyMinor, NUMERIC_10_2_MAX_MINOR, DECIMAL_18_2_MAX_MINOR } from './money.js';
import {
  BigId,
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
    return (v) => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Number.NaN;
      return Number.isSafeInteger(n) && n >= 1 ? n : FAIL;
    };
  }
  if (schema === Uuid) return (v) => (typeof v === 'string' && UUID_PATTERN.test(v) ? v.toLowerCase() : FAIL);
  if (schema === Text) return (v) => (typeof v === 'string' ? v : FAIL);
  if (schema === RequiredText) {
    return (v) => {
      if (typeof v !== 'string') return FAIL;
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

function isKnownNumberCheck(check: unknown): boolean {
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

const compiled = new WeakMap<z.ZodType, ObjectParser | null>();

function fastParserOf(schema: z.ZodType): ObjectParser | undefined {
  let parser = compiled.get(schema);
  if (parser === undefined) {
    parser = schema instanceof z.ZodObject ? (compileObject(schema) ?? null) : null;
    compiled.set(schema, parser);
  }
  return parser ?? undefined;
}

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
