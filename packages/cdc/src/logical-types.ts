/**
 * Kafka Connect schemas (as the JSON converter writes them with
 * `schemas.enable=true`) and the decoders of Debezium's logical types. A
 * schema compiles once into a list of per-column decoders; decoding a row is
 * then a loop over plain functions.
 */
import {
  decodeBase64,
  decodeDecimal,
  formatScaledDecimal,
  bytesToSignedInteger,
  normaliseDecimalText,
} from './decode-decimal.js';
import {
  decodeEpochDay,
  decodeEpochTimestamp,
  decodeMicroDuration,
  decodeTimeOfDay,
  decodeZonedTimestamp,
  type TimeUnit,
} from './decode-time.js';
import { DecodeError, type CdcPath } from './errors.js';
import { parseJsonLossless } from './lossless-json.js';
import type { UnavailableMatcher } from './unavailable-value.js';

/** A Kafka Connect schema in the JSON converter's form. */
export interface ConnectSchema {
  readonly type: string;
  readonly optional?: boolean;
  readonly name?: string;
  readonly version?: number;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly field?: string;
  readonly fields?: readonly ConnectSchema[];
  readonly items?: ConnectSchema;
  readonly keys?: ConnectSchema;
  readonly values?: ConnectSchema;
  readonly default?: unknown;
}

/**
 * How one column's JSON value decodes. Derived from the Connect schema, or
 * given by the caller (or the target model) when messages carry no schema.
 */
export type ValueType =
  | { readonly kind: 'any' }
  | { readonly kind: 'integer' }
  | { readonly kind: 'int64' }
  | { readonly kind: 'float' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'string' }
  | { readonly kind: 'bytes' }
  | { readonly kind: 'decimal'; readonly scale: number }
  | { readonly kind: 'variable-decimal' }
  | { readonly kind: 'decimal-text' }
  | { readonly kind: 'date' }
  | { readonly kind: 'time'; readonly unit: TimeUnit }
  | { readonly kind: 'timestamp'; readonly unit: TimeUnit }
  | { readonly kind: 'zoned-timestamp' }
  | { readonly kind: 'duration' }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'json' }
  | { readonly kind: 'array'; readonly items: ValueType }
  | { readonly kind: 'map'; readonly values: ValueType }
  | { readonly kind: 'struct'; readonly fields: Readonly<Record<string, ValueType>> };

/** Mutable state of one decode: where we are, and whether a lossless re-parse is needed. */
export interface DecodeContext {
  readonly path: CdcPath;
  /** Set when an integer beyond 2^53 was met as a rounded `number`. */
  unsafe: boolean;
}

/** Decodes one column value. Throws {@link DecodeError}. */
export type ValueDecoder = (value: unknown, column: string | number, ctx: DecodeContext) => unknown;

const NAME_TO_TYPE: Record<string, ValueType> = {
  'io.debezium.data.VariableScaleDecimal': { kind: 'variable-decimal' },
  'io.debezium.time.Date': { kind: 'date' },
  'org.apache.kafka.connect.data.Date': { kind: 'date' },
  'io.debezium.time.Time': { kind: 'time', unit: 'ms' },
  'org.apache.kafka.connect.data.Time': { kind: 'time', unit: 'ms' },
  'io.debezium.time.MicroTime': { kind: 'time', unit: 'us' },
  'io.debezium.time.NanoTime': { kind: 'time', unit: 'ns' },
  'io.debezium.time.Timestamp': { kind: 'timestamp', unit: 'ms' },
  'org.apache.kafka.connect.data.Timestamp': { kind: 'timestamp', unit: 'ms' },
  'io.debezium.time.MicroTimestamp': { kind: 'timestamp', unit: 'us' },
  'io.debezium.time.NanoTimestamp': { kind: 'timestamp', unit: 'ns' },
  'io.debezium.time.ZonedTimestamp': { kind: 'zoned-timestamp' },
  'io.debezium.time.MicroDuration': { kind: 'duration' },
  'io.debezium.data.Uuid': { kind: 'uuid' },
  'io.debezium.data.Json': { kind: 'json' },
};

/**
 * The {@link ValueType} of a Connect schema.
 *
 * @example
 * ```ts
 * import { valueTypeOfSchema } from '@bionicpro/cdc';
 * valueTypeOfSchema({ type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } });
 * // { kind: 'decimal', scale: 2 }
 * ```
 */
export function valueTypeOfSchema(schema: ConnectSchema): ValueType {
  if (schema.name === 'org.apache.kafka.connect.data.Decimal') {
    const scale = Number(schema.parameters?.['scale'] ?? 0);
    return { kind: 'decimal', scale: Number.isInteger(scale) ? scale : 0 };
  }
  if (schema.name !== undefined) {
    const named = NAME_TO_TYPE[schema.name];
    if (named) return named;
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
      return { kind: 'integer' };
    case 'int64':
      return { kind: 'int64' };
    // The JSON converter writes Connect's FLOAT32/FLOAT64 as "float"/"double".
    case 'float':
    case 'double':
    case 'float32':
    case 'float64':
      return { kind: 'float' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'string':
      return { kind: 'string' };
    case 'bytes':
      return { kind: 'bytes' };
    case 'array':
      return { kind: 'array', items: schema.items ? valueTypeOfSchema(schema.items) : { kind: 'any' } };
    case 'map':
      return { kind: 'map', values: schema.values ? valueTypeOfSchema(schema.values) : { kind: 'any' } };
    case 'struct': {
      const fields: Record<string, ValueType> = {};
      for (const field of schema.fields ?? []) {
        if (field.field !== undefined) fields[field.field] = valueTypeOfSchema(field);
      }
      return { kind: 'struct', fields };
    }
    default:
      return { kind: 'any' };
  }
}

function fail(ctx: DecodeContext, column: string | number, type: string, message: string): never {
  throw new DecodeError(message, [...ctx.path, column], type);
}

function describe(value: unknown): string {
  if (typeof value === 'bigint') return `${value}`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function integerOf(
  value: unknown,
  column: string | number,
  ctx: DecodeContext,
  type: string,
): number | bigint {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(ctx, column, type, `expected an integer, got ${describe(value)}`);
    if (!Number.isSafeInteger(value)) ctx.unsafe = true;
    return value;
  }
  if (typeof value === 'bigint') return value;
  return fail(ctx, column, type, `expected an integer, got ${describe(value)}`);
}

const decodeAny: ValueDecoder = (value, _column, ctx) => {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) ctx.unsafe = true;
  return value;
};

const decodeInteger: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  return fail(ctx, column, 'int32', `expected an integer, got ${describe(value)}`);
};

const decodeInt64: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  const n = integerOf(value, column, ctx, 'int64');
  return typeof n === 'bigint' && n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
};

const decodeFloat: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'number') return value;
  // Jackson writes non-finite doubles as strings.
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value === 'bigint') return Number(value);
  return fail(ctx, column, 'float64', `expected a number, got ${describe(value)}`);
};

const decodeBoolean: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'boolean') return value;
  return fail(ctx, column, 'boolean', `expected true or false, got ${describe(value)}`);
};

const decodeString: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'string') return value;
  return fail(ctx, column, 'string', `expected a string, got ${describe(value)}`);
};

const decodeBytes: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'string') return value;
  return fail(ctx, column, 'bytes', `expected base64 text, got ${describe(value)}`);
};

function decimalDecoder(scale: number): ValueDecoder {
  const type = 'org.apache.kafka.connect.data.Decimal';
  return (value, column, ctx) => {
    if (typeof value === 'string') {
      const decoded = decodeDecimal(value, scale);
      if (decoded !== undefined) return decoded;
      // decimal.handling.mode=string written where precise was expected still carries its digits.
      const text = normaliseDecimalText(value);
      if (text !== undefined) return text;
      return fail(ctx, column, type, `expected base64 of the unscaled value, got ${describe(value)}`);
    }
    if (typeof value === 'number') {
      const text = normaliseDecimalText(value);
      if (text !== undefined) return text;
    }
    return fail(ctx, column, type, `expected base64 of the unscaled value, got ${describe(value)}`);
  };
}

const decodeVariableDecimal: ValueDecoder = (value, column, ctx) => {
  const type = 'io.debezium.data.VariableScaleDecimal';
  if (value === null || typeof value !== 'object') {
    return fail(ctx, column, type, `expected a struct {scale, value}, got ${describe(value)}`);
  }
  const { scale, value: bytes } = value as { scale?: unknown; value?: unknown };
  if (typeof scale !== 'number' || !Number.isInteger(scale) || typeof bytes !== 'string') {
    return fail(ctx, column, type, `expected a struct {scale: int, value: base64}, got ${describe(value)}`);
  }
  const raw = decodeBase64(bytes);
  if (raw === undefined) return fail(ctx, column, type, `value is not base64: ${describe(bytes)}`);
  return formatScaledDecimal(bytesToSignedInteger(raw), scale);
};

const decodeDecimalText: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'string' || typeof value === 'number') {
    const text = normaliseDecimalText(value);
    if (text !== undefined) return text;
  }
  return fail(ctx, column, 'decimal', `expected decimal text or a number, got ${describe(value)}`);
};

const decodeDate: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'number' && Number.isInteger(value)) return decodeEpochDay(value);
  // Schema-less input may already be text (time.precision.mode=isostring, or a replayed decoded row).
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return fail(ctx, column, 'io.debezium.time.Date', `expected days since 1970-01-01, got ${describe(value)}`);
};

function timeDecoder(unit: TimeUnit): ValueDecoder {
  const type =
    unit === 'ms'
      ? 'io.debezium.time.Time'
      : unit === 'us'
        ? 'io.debezium.time.MicroTime'
        : 'io.debezium.time.NanoTime';
  return (value, column, ctx) => {
    if (typeof value === 'string' && /^\d{2}:\d{2}:\d{2}/.test(value)) return value;
    return decodeTimeOfDay(integerOf(value, column, ctx, type), unit);
  };
}

function timestampDecoder(unit: TimeUnit): ValueDecoder {
  const type =
    unit === 'ms'
      ? 'io.debezium.time.Timestamp'
      : unit === 'us'
        ? 'io.debezium.time.MicroTimestamp'
        : 'io.debezium.time.NanoTimestamp';
  return (value, column, ctx) => {
    if (typeof value === 'string') {
      const text = decodeZonedTimestamp(value);
      if (text !== undefined) return text;
      return fail(ctx, column, type, `expected an epoch ${unit} integer, got ${describe(value)}`);
    }
    const n = integerOf(value, column, ctx, type);
    // A rounded value is still a valid sentinel; anything else waits for the lossless re-parse.
    return decodeEpochTimestamp(n, unit);
  };
}

const decodeZoned: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'string') {
    const text = decodeZonedTimestamp(value);
    if (text !== undefined) return text;
  }
  // Schema-less input where the model wants an instant: a number is µs (PostgreSQL's precision).
  if (typeof value === 'number' || typeof value === 'bigint') {
    return decodeEpochTimestamp(integerOf(value, column, ctx, 'io.debezium.time.ZonedTimestamp'), 'us');
  }
  return fail(
    ctx,
    column,
    'io.debezium.time.ZonedTimestamp',
    `expected ISO-8601 text, got ${describe(value)}`,
  );
};

const decodeDuration: ValueDecoder = (value, column, ctx) =>
  decodeMicroDuration(integerOf(value, column, ctx, 'io.debezium.time.MicroDuration'));

const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const decodeUuid: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'string' && UUID_TEXT.test(value)) return value.toLowerCase();
  return fail(ctx, column, 'io.debezium.data.Uuid', `expected a UUID, got ${describe(value)}`);
};

const decodeJson: ValueDecoder = (value, column, ctx) => {
  if (typeof value !== 'string') {
    // Schema-less replays may carry the parsed value already.
    return value;
  }
  try {
    return parseJsonLossless(value);
  } catch (cause) {
    throw new DecodeError(
      `not valid JSON: ${(cause as Error).message}`,
      [...ctx.path, column],
      'io.debezium.data.Json',
      {
        cause,
      },
    );
  }
};

/**
 * A decoder for a {@link ValueType}. Decoders check the JSON type and throw
 * {@link DecodeError} naming the column and the logical type.
 */
export function decoderFor(type: ValueType, isUnavailable?: UnavailableMatcher): ValueDecoder {
  switch (type.kind) {
    case 'any':
      return decodeAny;
    case 'integer':
      return decodeInteger;
    case 'int64':
      return decodeInt64;
    case 'float':
      return decodeFloat;
    case 'boolean':
      return decodeBoolean;
    case 'string':
      return decodeString;
    case 'bytes':
      return decodeBytes;
    case 'decimal':
      return decimalDecoder(type.scale);
    case 'variable-decimal':
      return decodeVariableDecimal;
    case 'decimal-text':
      return decodeDecimalText;
    case 'date':
      return decodeDate;
    case 'time':
      return timeDecoder(type.unit);
    case 'timestamp':
      return timestampDecoder(type.unit);
    case 'zoned-timestamp':
      return decodeZoned;
    case 'duration':
      return decodeDuration;
    case 'uuid':
      return decodeUuid;
    case 'json':
      return decodeJson;
    case 'array': {
      const item = decoderFor(type.items, isUnavailable);
      return (value, column, ctx) => {
        if (!Array.isArray(value))
          return fail(ctx, column, 'array', `expected an array, got ${describe(value)}`);
        const inner: DecodeContext = { path: [...ctx.path, column], unsafe: false };
        const out = value.map((element, i) => (element === null ? null : item(element, i, inner)));
        if (inner.unsafe) ctx.unsafe = true;
        return out;
      };
    }
    case 'map': {
      const valueDecoder = decoderFor(type.values, isUnavailable);
      return (value, column, ctx) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          return fail(ctx, column, 'map', `expected an object, got ${describe(value)}`);
        }
        const inner: DecodeContext = { path: [...ctx.path, column], unsafe: false };
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = v === null ? null : valueDecoder(v, k, inner);
        if (inner.unsafe) ctx.unsafe = true;
        return out;
      };
    }
    case 'struct': {
      const row = compileRowType(type.fields, isUnavailable);
      return (value, column, ctx) => {
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          return fail(ctx, column, 'struct', `expected an object, got ${describe(value)}`);
        }
        const inner: DecodeContext = { path: [...ctx.path, column], unsafe: false };
        const out = decodeRow(row, value as Record<string, unknown>, inner).row;
        if (inner.unsafe) ctx.unsafe = true;
        return out;
      };
    }
  }
}

/** A row decoder: the columns it knows, in order, and how each decodes. */
export interface RowDecoder {
  readonly columns: readonly string[];
  readonly decoders: readonly ValueDecoder[];
  readonly isUnavailable: UnavailableMatcher | undefined;
  /** Columns not in `columns` pass through (schema-less rows); struct schemas decode only their fields. */
  readonly passThroughUnknown: boolean;
}

/** Compiles a map of column → {@link ValueType} into a {@link RowDecoder}. */
export function compileRowType(
  fields: Readonly<Record<string, ValueType>>,
  isUnavailable?: UnavailableMatcher,
  passThroughUnknown = false,
): RowDecoder {
  const columns = Object.keys(fields);
  return {
    columns,
    decoders: columns.map((column) => decoderFor(fields[column]!, isUnavailable)),
    isUnavailable,
    passThroughUnknown,
  };
}

/** Compiles the struct schema of a row (a `before`/`after`/key struct) into a {@link RowDecoder}. */
export function compileRowSchema(schema: ConnectSchema, isUnavailable?: UnavailableMatcher): RowDecoder {
  const type = valueTypeOfSchema(schema);
  if (type.kind !== 'struct') {
    throw new DecodeError(
      `expected a struct schema, got type ${schema.type}`,
      [],
      schema.name ?? schema.type,
    );
  }
  return compileRowType(type.fields, isUnavailable);
}

/** A decoded row and the columns whose value was the unchanged-TOAST placeholder (absent from `row`). */
export interface DecodedRow {
  readonly row: Record<string, unknown>;
  readonly unavailable: readonly string[];
}

const NO_COLUMNS: readonly string[] = Object.freeze([]);

/**
 * Decodes one row with a compiled decoder. Placeholder columns are left out of
 * `row` and listed in `unavailable`.
 */
export function decodeRow(
  decoder: RowDecoder,
  value: Record<string, unknown>,
  ctx: DecodeContext,
): DecodedRow {
  const row: Record<string, unknown> = {};
  let unavailable: string[] | undefined;
  const { isUnavailable } = decoder;
  if (decoder.passThroughUnknown) {
    // Schema-less rows: one pass over the row's own columns, typed ones by their decoder.
    const byColumn = decoderIndex(decoder);
    for (const column in value) {
      const raw = value[column];
      if (raw === undefined) continue;
      if (raw === null) {
        row[column] = null;
        continue;
      }
      if (isUnavailable?.(raw)) {
        unavailable = unavailable ?? [];
        unavailable.push(column);
        continue;
      }
      const decode = byColumn.get(column);
      row[column] = decode ? decode(raw, column, ctx) : decodeAny(raw, column, ctx);
    }
    return { row, unavailable: unavailable ?? NO_COLUMNS };
  }
  const { columns, decoders } = decoder;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const raw = value[column];
    if (raw === undefined) continue;
    if (raw === null) {
      row[column] = null;
      continue;
    }
    if (isUnavailable?.(raw)) {
      unavailable = unavailable ?? [];
      unavailable.push(column);
      continue;
    }
    row[column] = decoders[i]!(raw, column, ctx);
  }
  return { row, unavailable: unavailable ?? NO_COLUMNS };
}

const decoderIndexes = new WeakMap<RowDecoder, Map<string, ValueDecoder>>();

function decoderIndex(decoder: RowDecoder): Map<string, ValueDecoder> {
  let index = decoderIndexes.get(decoder);
  if (!index) {
    index = new Map(decoder.columns.map((column, i) => [column, decoder.decoders[i]!]));
    decoderIndexes.set(decoder, index);
  }
  return index;
}
