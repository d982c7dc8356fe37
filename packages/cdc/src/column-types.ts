/**
 * Column types for topics without schemas (`schemas.enable=false`), written by a person: a JSON
 * object `table → column → type`, where a type is a PostgreSQL type (`numeric(10,2)`,
 * `timestamptz`, `bigint`, `uuid`, `text[]`, ...), a Debezium logical type name
 * (`io.debezium.time.MicroTimestamp`, ...), a Connect schema object (`{"type":"bytes","name":
 * "org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}}`) or a {@link ValueType}
 * (`{"kind":"decimal","scale":2}`). What `createChangeDecoder({ columns })` and
 * `bionicpro-cdc decode --columns FILE` take.
 */
import { ColumnTypeError, EnvelopeError } from './errors.js';
import { type ConnectSchema, type ValueType, valueTypeOfSchema } from './logical-types.js';

/** Column types per table, then column. */
export type ColumnTypes = Readonly<Record<string, Readonly<Record<string, ValueType>>>>;

const SCALARS: Readonly<Record<string, ValueType>> = {
  smallint: { kind: 'integer' },
  int2: { kind: 'integer' },
  integer: { kind: 'integer' },
  int: { kind: 'integer' },
  int4: { kind: 'integer' },
  serial: { kind: 'integer' },
  bigint: { kind: 'int64' },
  int8: { kind: 'int64' },
  bigserial: { kind: 'int64' },
  real: { kind: 'float' },
  float4: { kind: 'float' },
  'double precision': { kind: 'float' },
  float8: { kind: 'float' },
  boolean: { kind: 'boolean' },
  bool: { kind: 'boolean' },
  text: { kind: 'string' },
  varchar: { kind: 'string' },
  'character varying': { kind: 'string' },
  char: { kind: 'string' },
  character: { kind: 'string' },
  citext: { kind: 'string' },
  bytea: { kind: 'bytes' },
  numeric: { kind: 'variable-decimal' },
  decimal: { kind: 'variable-decimal' },
  money: { kind: 'decimal', scale: 2 },
  date: { kind: 'date' },
  time: { kind: 'time', unit: 'us' },
  'time without time zone': { kind: 'time', unit: 'us' },
  timetz: { kind: 'zoned-time' },
  'time with time zone': { kind: 'zoned-time' },
  timestamp: { kind: 'timestamp', unit: 'us' },
  'timestamp without time zone': { kind: 'timestamp', unit: 'us' },
  timestamptz: { kind: 'zoned-timestamp' },
  'timestamp with time zone': { kind: 'zoned-timestamp' },
  interval: { kind: 'duration' },
  uuid: { kind: 'uuid' },
  json: { kind: 'json' },
  jsonb: { kind: 'json' },
};

const KINDS = new Set<ValueType['kind']>([
  'any',
  'integer',
  'int64',
  'float',
  'boolean',
  'string',
  'bytes',
  'decimal',
  'variable-decimal',
  'decimal-text',
  'date',
  'time',
  'timestamp',
  'zoned-timestamp',
  'zoned-time',
  'enum',
  'duration',
  'uuid',
  'json',
  'array',
  'map',
  'struct',
]);

/**
 * The {@link ValueType} of one PostgreSQL or Debezium type name; undefined when unknown.
 *
 * @example
 * ```ts
 * import { valueTypeOfTypeName } from '@bionicpro/cdc';
 * valueTypeOfTypeName('numeric(10,2)'); // { kind: 'decimal', scale: 2 }
 * valueTypeOfTypeName('timestamp(3)'); // { kind: 'timestamp', unit: 'ms' }
 * ```
 */
export function valueTypeOfTypeName(name: string): ValueType | undefined {
  const text = name.trim().replace(/\s+/g, ' ');
  if (text.startsWith('io.debezium.') || text.startsWith('org.apache.kafka.connect.')) {
    const type = valueTypeOfSchema({ type: 'string', name: text });
    return type.kind === 'string' && !text.endsWith('.Xml') && !text.endsWith('.Ltree') ? undefined : type;
  }
  const lower = text.toLowerCase();
  if (lower.endsWith('[]')) {
    const items = valueTypeOfTypeName(lower.slice(0, -2));
    return items === undefined ? undefined : { kind: 'array', items };
  }
  const numeric = /^(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(lower);
  if (numeric) return { kind: 'decimal', scale: Number(numeric[2] ?? 0) };
  // time(p) / timestamp(p): Debezium's adaptive mode sends ms up to p = 3, µs above.
  const precise = /^(time|timestamp)\s*\(\s*(\d)\s*\)(.*)$/.exec(lower);
  if (precise) {
    const rest = precise[3]!.trim();
    const zoned = rest === 'with time zone' || rest === 'tz';
    if (zoned) return precise[1] === 'time' ? { kind: 'zoned-time' } : { kind: 'zoned-timestamp' };
    if (rest !== '' && rest !== 'without time zone') return undefined;
    const unit = Number(precise[2]) <= 3 ? 'ms' : 'us';
    return precise[1] === 'time' ? { kind: 'time', unit } : { kind: 'timestamp', unit };
  }
  const sized = /^(varchar|character varying|char|character|bit|varbit)\s*\(\s*\d+\s*\)$/.exec(lower);
  if (sized) return sized[1]!.includes('bit') ? { kind: 'bytes' } : { kind: 'string' };
  return Object.hasOwn(SCALARS, lower) ? SCALARS[lower] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A {@link ValueType} written as an object, checked. */
function checkedValueType(value: Record<string, unknown>, path: readonly string[]): ValueType {
  const kind = value['kind'];
  if (typeof kind !== 'string' || !KINDS.has(kind as ValueType['kind'])) {
    throw new ColumnTypeError(
      `unknown kind ${JSON.stringify(kind)} (expected one of ${[...KINDS].join(', ')})`,
      [...path, 'kind'],
    );
  }
  if (kind === 'decimal' && !(Number.isInteger(value['scale']) && (value['scale'] as number) >= 0)) {
    throw new ColumnTypeError('a decimal needs an integer scale ≥ 0', [...path, 'scale']);
  }
  if ((kind === 'time' || kind === 'timestamp') && !['ms', 'us', 'ns'].includes(value['unit'] as string)) {
    throw new ColumnTypeError('expected unit ms, us or ns', [...path, 'unit']);
  }
  if (kind === 'array') return { kind, items: typeOf(value['items'], [...path, 'items']) };
  if (kind === 'map') return { kind, values: typeOf(value['values'], [...path, 'values']) };
  if (kind === 'struct') {
    const fields = value['fields'];
    if (!isObject(fields))
      throw new ColumnTypeError('a struct needs fields {name: type}', [...path, 'fields']);
    const out: Record<string, ValueType> = Object.create(null);
    for (const [name, type] of Object.entries(fields)) out[name] = typeOf(type, [...path, 'fields', name]);
    return { kind, fields: out };
  }
  if (kind === 'enum') {
    const allowed = value['allowed'];
    if (allowed !== undefined && !(Array.isArray(allowed) && allowed.every((v) => typeof v === 'string'))) {
      throw new ColumnTypeError('allowed must be an array of strings', [...path, 'allowed']);
    }
    return { kind, allowed: allowed as string[] | undefined };
  }
  return value as unknown as ValueType;
}

function typeOf(value: unknown, path: readonly string[]): ValueType {
  if (typeof value === 'string') {
    let type: ValueType | undefined;
    try {
      type = valueTypeOfTypeName(value);
    } catch (cause) {
      // A Debezium name whose parameters a name alone cannot give (Decimal's scale).
      if (cause instanceof EnvelopeError) {
        throw new ColumnTypeError(
          `${JSON.stringify(value)} needs parameters: give a Connect schema object or numeric(p,s)`,
          path,
          { cause },
        );
      }
      throw cause;
    }
    if (type === undefined) {
      throw new ColumnTypeError(
        `unknown type ${JSON.stringify(value)} (a PostgreSQL type or a Debezium logical type name)`,
        path,
      );
    }
    return type;
  }
  if (isObject(value)) {
    if ('kind' in value) return checkedValueType(value, path);
    if (typeof value['type'] === 'string') {
      try {
        return valueTypeOfSchema(value as unknown as ConnectSchema, [...path]);
      } catch (cause) {
        if (cause instanceof EnvelopeError) throw new ColumnTypeError(cause.message, path, { cause });
        throw cause;
      }
    }
  }
  throw new ColumnTypeError(
    `expected a type name, a Connect schema {type, name?, parameters?} or {kind, ...}, got ${JSON.stringify(value)}`,
    path,
  );
}

/**
 * Checks and compiles column types given as JSON (see the module comment). Throws
 * {@link ColumnTypeError} naming the table and column of the first bad entry.
 *
 * @example
 * ```ts
 * import { createChangeDecoder, parseColumnTypes } from '@bionicpro/cdc';
 * const columns = parseColumnTypes({ invoices: { total: 'numeric(12,3)', issued_at: 'timestamptz' } });
 * const decoder = createChangeDecoder({ columns });
 * ```
 */
export function parseColumnTypes(value: unknown): ColumnTypes {
  if (!isObject(value)) throw new ColumnTypeError('expected an object {table: {column: type}}', []);
  const out: Record<string, Record<string, ValueType>> = Object.create(null);
  for (const [table, columns] of Object.entries(value)) {
    if (!isObject(columns)) throw new ColumnTypeError('expected an object {column: type}', [table]);
    const types: Record<string, ValueType> = Object.create(null);
    for (const [column, type] of Object.entries(columns)) types[column] = typeOf(type, [table, column]);
    out[table] = types;
  }
  return out;
}
