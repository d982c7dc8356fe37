/**
 * Kafka Connect schemas (as the JSON converter writes them with
 * `schemas.enable=true`) and the decoders of Debezium's logical types. A
 * schema compiles once into a list of per-column decoders; decoding a row is
 * then a loop over plain functions.
 */
import {
  isBase64,
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
  isDateText,
  isTimeText,
  isZonedTimeText,
  type TimeUnit,
} from './decode-time.js';
import { tryParseInt64 } from '@bionicpro/models';
import { generateFunction, uuidText } from '@bionicpro/models/internal';
import { DecodeError, EnvelopeError, type CdcPath, describeValue as describe } from './errors.js';
import { parseJsonLossless } from './lossless-json.js';
import { placeholderTextsOf, type UnavailableMatcher } from './unavailable-value.js';

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
  | { readonly kind: 'zoned-time' }
  | { readonly kind: 'enum'; readonly allowed: readonly string[] | undefined }
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
  'io.debezium.time.ZonedTime': { kind: 'zoned-time' },
  'io.debezium.data.Bits': { kind: 'bytes' },
  'io.debezium.data.Xml': { kind: 'string' },
  'io.debezium.data.Ltree': { kind: 'string' },
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
export function valueTypeOfSchema(schema: ConnectSchema, path: CdcPath = ['schema']): ValueType {
  if (path.length > 3 * MAX_SCHEMA_DEPTH) {
    throw new EnvelopeError(`schema nested deeper than ${MAX_SCHEMA_DEPTH} levels`, path.slice(0, 4));
  }
  if (
    schema === null ||
    typeof schema !== 'object' ||
    Array.isArray(schema) ||
    typeof schema.type !== 'string'
  ) {
    throw new EnvelopeError(`expected a Connect schema {type, ...}, got ${describe(schema)}`, path);
  }
  if (schema.name !== undefined && typeof schema.name !== 'string') {
    throw new EnvelopeError(`expected a schema name, got ${describe(schema.name)}`, [...path, 'name']);
  }
  if (schema.name === 'org.apache.kafka.connect.data.Decimal') {
    const scale = parameterOf(schema, 'scale', path);
    if (scale === undefined || !/^(?:0|[1-9]\d{0,2})$/.test(scale)) {
      throw new EnvelopeError(`expected the decimal scale as digits, got ${describe(scale)}`, [
        ...path,
        'parameters',
        'scale',
      ]);
    }
    return { kind: 'decimal', scale: Number(scale) };
  }
  if (schema.name === 'io.debezium.data.Enum') {
    const allowed = parameterOf(schema, 'allowed', path);
    return { kind: 'enum', allowed: allowed === undefined ? undefined : allowed.split(',') };
  }
  if (schema.name !== undefined) {
    const named = NAME_TO_TYPE[schema.name];
    if (named) return named;
  }
  // Debezium's documentation prints the Connect types upper-case (`"INT32"`).
  switch (schema.type.toLowerCase()) {
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
      return {
        kind: 'array',
        items:
          schema.items === undefined ? { kind: 'any' } : valueTypeOfSchema(schema.items, [...path, 'items']),
      };
    case 'map':
      return {
        kind: 'map',
        values:
          schema.values === undefined
            ? { kind: 'any' }
            : valueTypeOfSchema(schema.values, [...path, 'values']),
      };
    case 'struct': {
      const fields: Record<string, ValueType> = Object.create(null);
      const list = schema.fields ?? [];
      if (!Array.isArray(list)) {
        throw new EnvelopeError(`expected an array of fields, got ${describe(list)}`, [...path, 'fields']);
      }
      list.forEach((entry: unknown, i) => {
        const field = connectField(entry, [...path, 'fields', i]);
        if (field !== undefined) fields[field.name] = valueTypeOfSchema(field.schema, [...path, 'fields', i]);
      });
      return { kind: 'struct', fields };
    }
    default:
      return { kind: 'any' };
  }
}

/** Nesting of struct/array/map schemas a row schema may have. */
const MAX_SCHEMA_DEPTH = 64;

function parameterOf(schema: ConnectSchema, name: string, path: CdcPath): string | undefined {
  const parameters: unknown = schema.parameters;
  if (parameters === undefined || parameters === null) return undefined;
  if (typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw new EnvelopeError(`expected schema parameters as an object, got ${describe(parameters)}`, [
      ...path,
      'parameters',
    ]);
  }
  const value = (parameters as Record<string, unknown>)[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new EnvelopeError(`expected a string, got ${describe(value)}`, [...path, 'parameters', name]);
  }
  return value;
}

/**
 * A struct field of a Connect schema: the JSON converter's form (`{field, type, ...}`) or the
 * form Debezium's documentation prints for keys (`{name, index, schema: {type, optional}}`).
 */
function connectField(entry: unknown, path: CdcPath): { name: string; schema: ConnectSchema } | undefined {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new EnvelopeError(`expected a schema field, got ${describe(entry)}`, path);
  }
  const field = entry as Record<string, unknown>;
  if (typeof field['field'] === 'string')
    return { name: field['field'], schema: field as unknown as ConnectSchema };
  const inner = field['schema'];
  if (
    typeof field['name'] === 'string' &&
    inner !== null &&
    typeof inner === 'object' &&
    !Array.isArray(inner)
  ) {
    return { name: field['name'], schema: inner as ConnectSchema };
  }
  throw new EnvelopeError(
    `expected a schema field {field, type} or {name, schema}, got ${describe(entry)}`,
    path,
  );
}

function fail(ctx: DecodeContext, column: string | number, type: string, message: string): never {
  throw new DecodeError(message, [...ctx.path, column], type);
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

/**
 * Nesting of arrays and objects a value may have. Deeper values (which no PostgreSQL row needs)
 * would overflow the stack of every recursive reader after the decoder (`JSON.stringify` in the
 * sink, the CLI's output), so they are refused here, with the column named.
 */
export const MAX_VALUE_DEPTH = 256;

/** Whether `value` nests arrays/objects deeper than {@link MAX_VALUE_DEPTH} (iterative: no recursion). */
function tooDeep(value: unknown): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > MAX_VALUE_DEPTH) return true;
    const next: unknown[] = [];
    for (const item of level) {
      if (item === null || typeof item !== 'object') continue;
      for (const child of Array.isArray(item) ? item : Object.values(item)) {
        if (child !== null && typeof child === 'object') next.push(child);
      }
    }
    level = next;
  }
  return false;
}

function checkDepth(value: unknown, column: string | number, ctx: DecodeContext, type: string): unknown {
  if (tooDeep(value)) fail(ctx, column, type, `nested deeper than ${MAX_VALUE_DEPTH} levels`);
  return value;
}

const decodeAny: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) ctx.unsafe = true;
  // An integer beyond 2^53 (from the lossless re-parse): exact decimal text, like an int64 column.
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'object' && value !== null) return checkDepth(value, column, ctx, 'any');
  return value;
};

const decodeInteger: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'number' && (value | 0) === value) return value;
  return fail(ctx, column, 'int32', `expected a 32-bit integer, got ${describe(value)}`);
};

/**
 * Connect `int64` (PostgreSQL `bigint`): exact canonical decimal text (`Int64Text` of
 * `@bionicpro/models`) over the whole range −2^63 … 2^63−1, whatever its size, so a column has
 * one type. A rounded number asks for the lossless re-parse; decimal text is accepted as well.
 */
const decodeInt64: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value === 0 ? '0' : String(value);
    if (Number.isInteger(value)) {
      ctx.unsafe = true;
      return String(value);
    }
  } else {
    const result = tryParseInt64(value);
    if (result.ok) return result.text;
    if (result.reason === 'out_of_range') {
      return fail(ctx, column, 'int64', `expected a 64-bit integer, got ${describe(value)}`);
    }
  }
  return fail(ctx, column, 'int64', `expected an integer, got ${describe(value)}`);
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
  if (typeof value === 'string' && isBase64(value)) return value;
  return fail(ctx, column, 'bytes', `expected base64 text, got ${describe(value)}`);
};

const decodeZonedTime: ValueDecoder = (value, column, ctx) => {
  if (typeof value === 'string' && isZonedTimeText(value)) return value;
  return fail(
    ctx,
    column,
    'io.debezium.time.ZonedTime',
    `expected HH:MM:SS[.fraction] with a UTC offset (e.g. 23:02:00Z), got ${describe(value)}`,
  );
};

function enumDecoder(allowed: readonly string[] | undefined): ValueDecoder {
  const values = allowed === undefined ? undefined : new Set(allowed);
  return (value, column, ctx) => {
    if (typeof value === 'string' && (values === undefined || values.has(value))) return value;
    return fail(
      ctx,
      column,
      'io.debezium.data.Enum',
      values === undefined
        ? `expected a string, got ${describe(value)}`
        : `expected one of ${[...values].join(', ')}, got ${describe(value)}`,
    );
  };
}

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
  if (typeof value === 'number' && Number.isInteger(value)) {
    return checkedInstant(decodeEpochDay(value), value, column, ctx, 'io.debezium.time.Date');
  }
  // Schema-less input may already be text (time.precision.mode=isostring, or a replayed decoded row).
  if (typeof value === 'string' && isDateText(value)) {
    return checkedInstant(value, value, column, ctx, 'io.debezium.time.Date');
  }
  return fail(ctx, column, 'io.debezium.time.Date', `expected days since 1970-01-01, got ${describe(value)}`);
};

function timeDecoder(unit: TimeUnit): ValueDecoder {
  const type =
    unit === 'ms'
      ? 'io.debezium.time.Time'
      : unit === 'us'
        ? 'io.debezium.time.MicroTime'
        : 'io.debezium.time.NanoTime';
  const dayEnd = unit === 'ms' ? 86_400_000 : unit === 'us' ? 86_400_000_000 : 86_400_000_000_000n;
  return (value, column, ctx) => {
    if (typeof value === 'string') {
      if (isTimeText(value)) return value;
      return fail(ctx, column, type, `expected HH:MM:SS[.fraction] or an integer, got ${describe(value)}`);
    }
    const n = integerOf(value, column, ctx, type);
    // PostgreSQL's time runs from 00:00:00 to 24:00:00 inclusive.
    if (n < 0 || n > dayEnd) {
      return fail(
        ctx,
        column,
        type,
        `expected a time of day (0 to 24:00:00 in ${unit}), got ${describe(value)}`,
      );
    }
    return decodeTimeOfDay(n, unit);
  };
}

/**
 * Whether decoded date or instant text has a year of 0001–9999 (or is `infinity`/`-infinity`):
 * what ISO-8601 writes without the expanded form and what any ClickHouse date type can be asked
 * to hold. Years beyond (`+10000-…`, `-000001-…`, `0000-…`) are refused, never passed on as text;
 * a model's instant column narrows this to DateTime64(3)'s range (`@bionicpro/models`).
 */
function inYearRange(text: string): boolean {
  const first = text.charCodeAt(0);
  if (first < 48 || first > 57) return text === 'infinity' || text === '-infinity';
  return !text.startsWith('0000');
}

const YEAR_RANGE = 'outside the years 0001–9999';

function checkedInstant(
  text: string,
  value: unknown,
  column: string | number,
  ctx: DecodeContext,
  type: string,
): string {
  if (inYearRange(text)) return text;
  return fail(ctx, column, type, `${describe(value)} is ${YEAR_RANGE} (${text})`);
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
      if (text !== undefined) return checkedInstant(text, value, column, ctx, type);
      return fail(ctx, column, type, `expected an epoch ${unit} integer, got ${describe(value)}`);
    }
    const n = integerOf(value, column, ctx, type);
    // A rounded value is still a valid sentinel; anything else waits for the lossless re-parse.
    return checkedInstant(decodeEpochTimestamp(n, unit), value, column, ctx, type);
  };
}

const decodeZoned: ValueDecoder = (value, column, ctx) => {
  const type = 'io.debezium.time.ZonedTimestamp';
  if (typeof value === 'string') {
    const text = decodeZonedTimestamp(value);
    if (text !== undefined) return checkedInstant(text, value, column, ctx, type);
  }
  // Schema-less input where the model wants an instant: a number is µs (PostgreSQL's precision).
  if (typeof value === 'number' || typeof value === 'bigint') {
    return checkedInstant(
      decodeEpochTimestamp(integerOf(value, column, ctx, type), 'us'),
      value,
      column,
      ctx,
      type,
    );
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

const decodeUuid: ValueDecoder = (value, column, ctx) => {
  const text = typeof value === 'string' ? uuidText(value) : undefined;
  if (text !== undefined) return text;
  return fail(ctx, column, 'io.debezium.data.Uuid', `expected a UUID, got ${describe(value)}`);
};

const decodeJson: ValueDecoder = (value, column, ctx) => {
  if (typeof value !== 'string') {
    // Schema-less replays may carry the parsed value already.
    return checkDepth(value, column, ctx, 'io.debezium.data.Json');
  }
  try {
    return checkDepth(parseJsonLossless(value), column, ctx, 'io.debezium.data.Json');
  } catch (cause) {
    if (cause instanceof DecodeError) throw cause;
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
    case 'zoned-time':
      return decodeZonedTime;
    case 'enum':
      return enumDecoder(type.allowed);
    case 'duration':
      return decodeDuration;
    case 'uuid':
      return decodeUuid;
    case 'json':
      return decodeJson;
    case 'array': {
      const item = decoderFor(type.items, isUnavailable);
      return nestedDecoder('array', 'an array', Array.isArray, (value, inner) =>
        (value as unknown[]).map((element, i) => (element === null ? null : item(element, i, inner))),
      );
    }
    case 'map': {
      const valueDecoder = decoderFor(type.values, isUnavailable);
      return nestedDecoder('map', 'an object', isPlainObject, (value, inner) => {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as object))
          setColumn(out, k, v === null ? null : valueDecoder(v, k, inner));
        return out;
      });
    }
    case 'struct': {
      const row = compileRowType(type.fields, isUnavailable);
      return nestedDecoder(
        'struct',
        'an object',
        isPlainObject,
        (value, inner) => decodeRow(row, value as Record<string, unknown>, inner).row,
      );
    }
  }
}

function isPlainObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The decoder of an array, map or struct column: checks the JSON type, decodes the elements under
 * the column's path, and passes a rounded integer met inside on to the row's context.
 */
function nestedDecoder(
  type: 'array' | 'map' | 'struct',
  expected: string,
  accepts: (value: unknown) => boolean,
  decodeElements: (value: unknown, inner: DecodeContext) => unknown,
): ValueDecoder {
  return (value, column, ctx) => {
    if (!accepts(value)) return fail(ctx, column, type, `expected ${expected}, got ${describe(value)}`);
    const inner: DecodeContext = { path: [...ctx.path, column], unsafe: false };
    const out = decodeElements(value, inner);
    if (inner.unsafe) ctx.unsafe = true;
    return out;
  };
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

/**
 * Sets column `column` of a decoded row as an own, enumerable property, whatever its name: a
 * column named `__proto__` is data (PostgreSQL allows the name), never the object's prototype.
 * Rows stay ordinary objects (a null-prototype object literal made the generated decoders about
 * 20× slower in V8, measured), so read them with `Object.hasOwn` / `Object.entries`, not `in`.
 */
export function setColumn(row: Record<string, unknown>, column: string, value: unknown): void {
  if (column === '__proto__') {
    Object.defineProperty(row, column, { value, enumerable: true, writable: true, configurable: true });
  } else {
    row[column] = value;
  }
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
  let shapes = rowShapes.get(decoder);
  if (shapes === undefined) {
    shapes = new RowShapes(decoder, (columns, exact) => compileFastRow(decoder, columns, exact));
    rowShapes.set(decoder, shapes);
  }
  const fast = shapes.decode(value, ctx, undefined);
  if (fast !== undefined) return { row: fast, unavailable: NO_COLUMNS };
  return decodeRowLoop(decoder, value, ctx);
}

/**
 * {@link decodeRow} without the generated decoders: the general loop, which every row the
 * generated ones decline takes, and the reference they are tested against.
 *
 * @internal
 */
export function decodeRowLoop(
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
        setColumn(row, column, null);
        continue;
      }
      if (isUnavailable?.(raw)) {
        unavailable = unavailable ?? [];
        unavailable.push(column);
        continue;
      }
      const decode = byColumn.get(column);
      setColumn(row, column, decode ? decode(raw, column, ctx) : decodeAny(raw, column, ctx));
    }
    return { row, unavailable: unavailable ?? NO_COLUMNS };
  }
  const { columns, decoders } = decoder;
  for (let i = 0; i < columns.length; i++) {
    const column = columns[i]!;
    const raw = value[column];
    if (raw === undefined) continue;
    if (raw === null) {
      setColumn(row, column, null);
      continue;
    }
    if (isUnavailable?.(raw)) {
      unavailable = unavailable ?? [];
      unavailable.push(column);
      continue;
    }
    setColumn(row, column, decoders[i]!(raw, column, ctx));
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

/*
 * Straight-line row decoding. The general loop of `decodeRow` stores each column into a fresh
 * object under a name only known at run time (a keyed store per column that V8 cannot
 * specialise) and, for schema-less rows, looks each decoder up in a Map. Rows of one table
 * nearly always have one shape, so for that shape a generated function reads every column by
 * name, decodes it at its own call site and builds the row as one object literal.
 *
 * The generated function only ever takes the common case: every column present and no
 * unchanged-TOAST placeholder (and, for schema-less rows, exactly the columns it was compiled
 * for, in the same order, so the row has the same columns in the same order). Anything else
 * declines before a single value is decoded and goes through the general loop. Where it does
 * decode, it calls the same decoders on the same values in the same order with the same
 * arguments (or, for the scalar decoders, tests inline the case where the decoder returns the
 * value itself), so results, `ctx.unsafe` and errors are those of the general loop.
 *
 * `validated-row.ts` builds on the same code to validate the row against its model in the
 * same generated function.
 */

/**
 * Returned by a generated decoder when the row's columns are not the ones it was compiled for.
 *
 * @internal
 */
export const OTHER_SHAPE: unique symbol = Symbol('other shape');

/**
 * A generated decoder: the decoded row, undefined when the general path must decode this row,
 * or {@link OTHER_SHAPE}. `out` receives what a decoder computes besides the row (the
 * validated row, for `validated-row.ts`).
 *
 * @internal
 */
export type ShapeDecoder = (
  value: Record<string, unknown>,
  ctx: DecodeContext,
  out: { row: unknown } | undefined,
) => Record<string, unknown> | undefined | typeof OTHER_SHAPE;

/** Schema-less rows of another shape this many times in a row: compile for the new shape. */
const RECOMPILE_AFTER_MISSES = 64;
/** Shapes compiled per schema-less decoder before it stays on the general path. */
const MAX_COMPILES = 8;
/** Column names a generated decoder reads and writes as plain properties. */
const PLAIN_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Whether generated code may use `name` as a property name (`value.name`, `{ name: ... }`). */
export function isPlainName(name: string): boolean {
  return PLAIN_NAME.test(name) && name !== '__proto__';
}

const otherShape: ShapeDecoder = () => OTHER_SHAPE;

/**
 * The generated decoder of one {@link RowDecoder}'s rows. Struct-schema decoders compile once
 * for their columns. Schema-less ones compile for the columns of the first row (in its order)
 * and again when rows of another shape keep coming, up to {@link MAX_COMPILES} times.
 *
 * @internal
 */
export class RowShapes {
  #decode: ShapeDecoder | null | undefined;
  #misses = 0;
  #compiles = 0;
  readonly #decoder: RowDecoder;
  readonly #compile: (columns: readonly string[], exact: boolean) => ShapeDecoder | null;

  constructor(
    decoder: RowDecoder,
    compile: (columns: readonly string[], exact: boolean) => ShapeDecoder | null,
  ) {
    this.#decoder = decoder;
    this.#compile = compile;
  }

  /** The generated decoder's row, or undefined when the general path must decode `value`. */
  decode(
    value: Record<string, unknown>,
    ctx: DecodeContext,
    out: { row: unknown } | undefined,
  ): Record<string, unknown> | undefined {
    let decode = this.#decode;
    if (decode === undefined) {
      decode = this.#decoder.passThroughUnknown
        ? this.#compileShape(value)
        : this.#compile(this.#decoder.columns, false);
      this.#decode = decode;
    }
    if (decode === null) return undefined;
    const row = decode(value, ctx, out);
    if (row !== OTHER_SHAPE) {
      this.#misses = 0;
      return row;
    }
    if (++this.#misses >= RECOMPILE_AFTER_MISSES) {
      this.#misses = 0;
      this.#decode = this.#compiles < MAX_COMPILES ? this.#compileShape(value) : null;
    }
    return undefined;
  }

  /** A generated decoder for schema-less rows with the columns of `value`, in its order. */
  #compileShape(value: Record<string, unknown>): ShapeDecoder {
    this.#compiles++;
    const columns: string[] = [];
    for (const column in value) columns.push(column);
    // A shape that cannot be compiled counts as a miss: the next shape seen may compile.
    return this.#compile(columns, true) ?? otherShape;
  }
}

const rowShapes = new WeakMap<RowDecoder, RowShapes>();

/**
 * Generated code that reads and decodes rows with `columns`, for {@link generateShapeDecoder}.
 * `exact`: schema-less rows, which must have exactly these columns in this order (unknown ones
 * pass through `decodeAny`); otherwise the row's other properties are ignored, as the general
 * loop does for struct schemas. Null when a column name cannot be a plain property name.
 *
 * @internal
 */
export interface RowCode {
  readonly columns: readonly string[];
  /** The decoder of each column (`decodeAny` for unknown schema-less columns). */
  readonly decoders: readonly ValueDecoder[];
  /**
   * Statements that check the shape (`return OTHER_SHAPE`), read column i into `v<i>` and
   * decline (`return undefined`) a missing column or a placeholder.
   */
  readonly prelude: readonly string[];
  /** Per column, an expression of its decoded value (`v<i>` decoded; may throw or set `ctx.unsafe`). */
  readonly decoded: readonly string[];
  /** Names the code refers to, and their values. */
  readonly bindings: ReadonlyMap<string, unknown>;
}

/**
 * Calls cost more than the checks of most columns, and V8 stops inlining long before the end of
 * a wide row, so the common cases are written out inline: the placeholder test of a scalar (when
 * the matcher is a known one) and the accepting branch of the scalar decoders (which return the
 * value itself). A value those inline tests do not settle goes to the matcher or decoder itself.
 *
 * @internal
 */
export function rowCode(decoder: RowDecoder, columns: readonly string[], exact: boolean): RowCode | null {
  if (columns.length === 0 || !columns.every(isPlainName)) return null;
  const byColumn = exact ? decoderIndex(decoder) : undefined;
  const decoders = columns.map((column, i) =>
    exact ? (byColumn!.get(column) ?? decodeAny) : decoder.decoders[i]!,
  );
  const { isUnavailable } = decoder;
  const texts = isUnavailable ? placeholderTextsOf(isUnavailable) : undefined;
  const bindings = new Map<string, unknown>([
    ['OTHER_SHAPE', OTHER_SHAPE],
    ['columns', columns],
    ['isUnavailable', isUnavailable],
    ['p0', texts?.[0]],
    ['p1', texts?.[1]],
    ['p2', texts?.[2]],
  ]);
  const prelude: string[] = [];
  if (exact) {
    prelude.push(
      'let n = 0;',
      'for (const column in value) {',
      '  if (column !== columns[n]) return OTHER_SHAPE;',
      '  n++;',
      '}',
      `if (n !== ${columns.length}) return OTHER_SHAPE;`,
    );
  }
  const decoded: string[] = [];
  columns.forEach((column, i) => {
    const v = `v${i}`;
    prelude.push(`const ${v} = value.${column};`);
    if (!isUnavailable) {
      prelude.push(`if (${v} === undefined) return undefined;`);
    } else if (texts) {
      prelude.push(
        `if (${v} === undefined || (typeof ${v} === 'string' ? ${v} === p0 || ${v} === p1 || ${v} === p2 : typeof ${v} === 'object' && ${v} !== null && isUnavailable(${v}))) return undefined;`,
      );
    } else {
      prelude.push(`if (${v} === undefined || (${v} !== null && isUnavailable(${v}))) return undefined;`);
    }
    bindings.set(`d${i}`, decoders[i]);
    const call = `d${i}(${v}, ${JSON.stringify(column)}, ctx)`;
    if (decoders[i] === decodeInt64) {
      // The int64 decoder's common case written out: a safe integer's decimal text.
      decoded.push(
        `${v} === null ? null : typeof ${v} === 'number' && Number.isSafeInteger(${v}) ? String(${v}) : ${call}`,
      );
      return;
    }
    const accepts = acceptedInline(decoders[i]!, v);
    decoded.push(`${v} === null ? null : ${accepts === undefined ? call : `${accepts} ? ${v} : ${call}`}`);
  });
  return { columns, decoders, prelude, decoded, bindings };
}

/**
 * Compiles `function (value, ctx, out) { <body> }` with `bindings` in scope (by the one
 * code-generation helper of `@bionicpro/models/internal`); null where code is not generated
 * (turned off, or refused by the runtime: counted and reported there), and the general path is
 * used instead.
 *
 * @internal
 */
export function generateShapeDecoder(
  bindings: ReadonlyMap<string, unknown>,
  body: readonly string[],
): ShapeDecoder | null {
  return generateFunction<ShapeDecoder | null>({
    generated: 'cdc.row-decoder',
    bindings,
    body: ['return function decodeRowFast(value, ctx, out) {', ...body.map((line) => `  ${line}`), '};'],
    fallback: () => null,
  });
}

/** The generated decoder of rows with `columns` (see {@link rowCode}). */
function compileFastRow(
  decoder: RowDecoder,
  columns: readonly string[],
  exact: boolean,
): ShapeDecoder | null {
  const code = rowCode(decoder, columns, exact);
  if (code === null) return null;
  return generateShapeDecoder(code.bindings, [
    ...code.prelude,
    'return {',
    ...code.columns.map((column, i) => `  ${column}: ${code.decoded[i]},`),
    '};',
  ]);
}

/**
 * An expression over `v` (neither undefined nor null) true only for values `decoder` returns
 * unchanged without touching the context, so `v` can stand for the call; undefined when there is
 * none for this decoder.
 */
function acceptedInline(decoder: ValueDecoder, v: string): string | undefined {
  switch (decoder) {
    case decodeAny:
      return `(typeof ${v} === 'number' ? Number.isSafeInteger(${v}) || !Number.isInteger(${v}) : typeof ${v} === 'string' || typeof ${v} === 'boolean')`;
    case decodeInteger:
      return `(typeof ${v} === 'number' && (${v} | 0) === ${v})`;
    case decodeFloat:
      return `typeof ${v} === 'number'`;
    case decodeBoolean:
      return `typeof ${v} === 'boolean'`;
    case decodeString:
      return `typeof ${v} === 'string'`;
    default:
      return undefined;
  }
}

/**
 * Whether `column` of `decoder` decodes integers (Connect int8–int64).
 *
 * @internal
 */
export function isIntegerColumn(decoder: RowDecoder, column: string): boolean {
  const decode = decoderIndex(decoder).get(column);
  return decode === decodeInteger || decode === decodeInt64;
}

/**
 * Whether `decoder` is the int64 decoder: its values are canonical decimal text within a Java long.
 *
 * @internal
 */
export function isInt64Decoder(decoder: ValueDecoder): boolean {
  return decoder === decodeInt64;
}

/**
 * Whether `decoder` is the `io.debezium.data.Uuid` decoder: its values are 36-character
 * `8-4-4-4-12` lower-case hex text.
 *
 * @internal
 */
export function isUuidDecoder(decoder: ValueDecoder): boolean {
  return decoder === decodeUuid;
}

/**
 * Whether `decoder` is the `io.debezium.time.ZonedTimestamp` decoder, which returns text of the
 * form `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with valid fields unchanged.
 *
 * @internal
 */
export function isZonedTimestampDecoder(decoder: ValueDecoder): boolean {
  return decoder === decodeZoned;
}
