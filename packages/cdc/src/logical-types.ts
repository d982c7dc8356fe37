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
import { uuidText } from '@bionicpro/models/internal';
import { DecodeError, type CdcPath } from './errors.js';
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

const decodeUuid: ValueDecoder = (value, column, ctx) => {
  const text = typeof value === 'string' ? uuidText(value) : undefined;
  if (text !== undefined) return text;
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
    const accepts = acceptedInline(decoders[i]!, v);
    decoded.push(`${v} === null ? null : ${accepts === undefined ? call : `${accepts} ? ${v} : ${call}`}`);
  });
  return { columns, decoders, prelude, decoded, bindings };
}

/**
 * Compiles `function (value, ctx, out) { <body> }` with `bindings` in scope; null where code
 * generation is not allowed (e.g. a Content-Security-Policy without 'unsafe-eval'), and the
 * general path is used instead.
 *
 * @internal
 */
export function generateShapeDecoder(
  bindings: ReadonlyMap<string, unknown>,
  body: readonly string[],
): ShapeDecoder | null {
  const source = [
    'return function decodeRowFast(value, ctx, out) {',
    ...body.map((line) => `  ${line}`),
    '};',
  ];
  try {
    const factory = new Function(...bindings.keys(), source.join('\n'));
    return factory(...bindings.values()) as ShapeDecoder;
  } catch {
    return null;
  }
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
      return `(typeof ${v} !== 'number' || Number.isSafeInteger(${v}) || !Number.isInteger(${v}))`;
    case decodeInteger:
      return `Number.isInteger(${v})`;
    case decodeInt64:
      return `Number.isSafeInteger(${v})`;
    case decodeFloat:
      return `typeof ${v} === 'number'`;
    case decodeBoolean:
      return `typeof ${v} === 'boolean'`;
    case decodeString:
    case decodeBytes:
      return `typeof ${v} === 'string'`;
    default:
      return undefined;
  }
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
