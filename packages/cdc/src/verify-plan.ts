/**
 * The pure part of `verifyReplica`: the canonical text of a row in both
 * engines, the range-checksum and leaf queries (compiled, not run), the
 * splitting of a key range into buckets and the comparison of what the two
 * sides answered.
 *
 * Both engines compute, for every current row, the same canonical text
 * (columns separated by U+001F, text as `<byte length>:<text>`, `-` for
 * NULL; money with the
 * column's scale, instants in UTC to the column's precision, UUIDs in lower
 * case, 64-bit integers in decimal, doubles as the hex of their IEEE-754
 * bits), hash it with MD5, read the first 8 bytes as an unsigned big-endian
 * integer and sum those modulo 2^64 per key range. The sum does not depend on
 * row order, so only a count and a checksum per range cross the wire.
 */
import { assertIdentifier, type ColumnDefinition, columnsOf, type TableDefinition } from '@bionicpro/models';
import { DELETED_COLUMN } from './clickhouse-target.js';

const TWO_64 = 1n << 64n;

/** An inclusive range of the first primary-key column. */
export interface KeyRange {
  readonly lo: bigint;
  readonly hi: bigint;
}

/** Count and checksum (sum of row hashes modulo 2^64) of one bucket on one side. */
export interface BucketSummary {
  readonly count: bigint;
  readonly checksum: bigint;
}

/** One row of a leaf range: its key (canonical text per key column) and hash. */
export interface LeafRow {
  readonly key: readonly string[];
  readonly hash: string;
}

/** What a leaf comparison found, keys as canonical text per key column. */
export interface LeafDifferences {
  /** In PostgreSQL, absent from ClickHouse. */
  readonly missing: string[][];
  /** In ClickHouse, absent from PostgreSQL. */
  readonly extra: string[][];
  /** In both, with different values. */
  readonly different: string[][];
}

const INTEGER = /^U?Int(8|16|32|64)$/;

/** The ClickHouse type without `LowCardinality(…)`. */
function storageType(column: ColumnDefinition): string {
  return column.ch.replace(/^LowCardinality\((.*)\)$/, '$1');
}

/** PostgreSQL text of a column value, as ClickHouse prints the same value. */
export function sourceValueText(column: ColumnDefinition): string {
  const c = `"${assertIdentifier('column', column.name)}"`;
  const ch = storageType(column);
  const decimal = /^Decimal\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(ch);
  if (decimal) return `round(${c}, ${decimal[1]})::text`;
  if (ch.startsWith('DateTime64')) {
    const precision = Number(/^DateTime64\((\d)/.exec(ch)?.[1] ?? 3);
    const fraction = precision === 0 ? '' : precision <= 3 ? '.MS' : '.US';
    return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS${fraction}')`;
  }
  if (ch.startsWith('DateTime')) return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')`;
  if (ch === 'Date' || ch === 'Date32') return `to_char(${c}, 'YYYY-MM-DD')`;
  if (/^Float(32|64)$/.test(ch)) return `encode(float8send(${c}::float8), 'hex')`;
  return `${c}::text`;
}

/** ClickHouse text of a column value, as PostgreSQL prints the same value. */
export function replicaValueText(column: ColumnDefinition): string {
  const c = `\`${assertIdentifier('column', column.name)}\``;
  const ch = storageType(column);
  const decimal = /^Decimal\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(ch);
  if (decimal) return `toDecimalString(${c}, ${decimal[1]})`;
  if (ch.startsWith('DateTime')) return `toString(${c}, 'UTC')`;
  if (/^Float(32|64)$/.test(ch)) return `leftPad(lower(hex(reinterpretAsUInt64(toFloat64(${c})))), 16, '0')`;
  return `toString(${c})`;
}

/** Columns whose text may hold any character: length-prefixed so the row text stays unambiguous. */
const isText = (column: ColumnDefinition) => storageType(column) === 'String';

/**
 * The canonical row text in PostgreSQL: fields separated by U+001F, NULL as
 * `-`, text as `<byte length>:<text>` (other types never print `-` alone
 * nor U+001F, and each field's text is computed once).
 */
export function sourceRowText(table: TableDefinition): string {
  const fields = columnsOf(table).map((column) => {
    const text = sourceValueText(column);
    return isText(column)
      ? `coalesce(octet_length(${text})::text || ':' || ${text}, '-')`
      : `coalesce(${text}, '-')`;
  });
  return `concat_ws(chr(31), ${fields.join(', ')})`;
}

/** The canonical row text in ClickHouse (see {@link sourceRowText}). */
export function replicaRowText(table: TableDefinition): string {
  const fields = columnsOf(table).map((column) => {
    const text = replicaValueText(column);
    return isText(column)
      ? `ifNull(concat(toString(length(${text})), ':', ${text}), '-')`
      : `ifNull(${text}, '-')`;
  });
  return `concatWithSeparator(char(31), ${fields.join(', ')})`;
}

/** The first 8 bytes of MD5 as a signed bigint (PostgreSQL has no unsigned 64-bit type). */
const sourceHash = (text: string) => `('x' || substr(md5(${text}), 1, 16))::bit(64)::bigint`;
/** The same 8 bytes as UInt64; `sum` of UInt64 wraps modulo 2^64. */
const replicaHash = (text: string) => `reinterpretAsUInt64(reverse(substring(MD5(${text}), 1, 8)))`;

/** The range column: the first primary-key column, which must be an integer. */
export function rangeColumn(table: TableDefinition): ColumnDefinition {
  const name = table.primaryKey[0];
  const column = columnsOf(table).find((c) => c.name === name);
  if (!column || !INTEGER.test(storageType(column))) {
    throw new TypeError(
      `${table.name}: verify splits ranges on the first primary-key column, which must be an integer (got ${column?.ch ?? 'no primary key'})`,
    );
  }
  return column;
}

function keyColumns(table: TableDefinition): ColumnDefinition[] {
  const columns = columnsOf(table);
  return table.primaryKey.map((name) => columns.find((c) => c.name === name)!);
}

/** A PostgreSQL query with positional parameters. */
export interface SourceQuery {
  readonly text: string;
  readonly values: unknown[];
}

/** A ClickHouse query with `{name:Type}` parameters. */
export interface ReplicaQuery {
  readonly query: string;
  readonly query_params: Record<string, unknown>;
}

/** Where the two sides live. */
export interface VerifyTables {
  readonly table: TableDefinition;
  /** PostgreSQL relation, optionally `schema.table` (default: the model's table name). */
  readonly source: string;
  /** ClickHouse relation, optionally `database.table`. */
  readonly replica: string;
}

function relation(name: string, quoteChar: string): string {
  return name
    .split('.')
    .map((part) => `${quoteChar}${assertIdentifier('table', part)}${quoteChar}`)
    .join('.');
}

/** The bucket width that splits `range` into at most `fanout` buckets. */
export function bucketWidth(range: KeyRange, fanout: number): bigint {
  const size = range.hi - range.lo + 1n;
  const f = BigInt(Math.max(2, Math.trunc(fanout)));
  return (size + f - 1n) / f;
}

/** The inclusive bounds of bucket `index` of `range` split by `width`. */
export function bucketRange(range: KeyRange, width: bigint, index: bigint): KeyRange {
  const lo = range.lo + index * width;
  const hi = lo + width - 1n;
  return { lo, hi: hi < range.hi ? hi : range.hi };
}

/** Bucket arithmetic fits 64 bits when the range is narrower than 2^63. */
const fitsInt64 = (range: KeyRange) => range.hi - range.lo < 1n << 63n;

function replicaBounds(k: string, range: KeyRange): string {
  return fitsInt64(range)
    ? `${k} BETWEEN {lo:Int64} AND {hi:Int64}`
    : `toInt128(${k}) BETWEEN toInt128({lo:String}) AND toInt128({hi:String})`;
}

/** PostgreSQL: count and checksum per bucket of `range`. */
export function sourceBucketsQuery(tables: VerifyTables, range: KeyRange, width: bigint): SourceQuery {
  const k = `"${rangeColumn(tables.table).name}"`;
  const bucket = fitsInt64(range)
    ? `(${k}::bigint - $1::bigint) / $3::bigint`
    : `floor((${k}::numeric - $1::numeric) / $3::numeric)`;
  return {
    text:
      `SELECT (${bucket})::text AS bucket, count(*)::text AS count, sum(h)::text AS checksum ` +
      `FROM (SELECT ${k}, ${sourceHash(sourceRowText(tables.table))} AS h FROM ${relation(tables.source, '"')} ` +
      `WHERE ${k} BETWEEN $1 AND $2) AS rows GROUP BY 1`,
    values: [range.lo.toString(), range.hi.toString(), width.toString()],
  };
}

/** ClickHouse: count and checksum per bucket of `range`, current rows only (`FINAL`, not deleted). */
export function replicaBucketsQuery(tables: VerifyTables, range: KeyRange, width: bigint): ReplicaQuery {
  const k = `\`${rangeColumn(tables.table).name}\``;
  const bucket = fitsInt64(range)
    ? `intDiv(toInt64(${k}) - {lo:Int64}, {width:Int64})`
    : `intDiv(toInt128(${k}) - toInt128({lo:String}), toInt128({width:String}))`;
  const bounds = replicaBounds(k, range);
  return {
    query:
      `SELECT toString(${bucket}) AS bucket, toString(count()) AS count, toString(sum(${replicaHash(replicaRowText(tables.table))})) AS checksum ` +
      `FROM ${relation(tables.replica, '`')} FINAL WHERE ${DELETED_COLUMN} = 0 AND ${bounds} GROUP BY bucket`,
    query_params: { lo: range.lo.toString(), hi: range.hi.toString(), width: width.toString() },
  };
}

/** PostgreSQL: each row of a leaf range, key as text and hash. */
export function sourceLeafQuery(tables: VerifyTables, range: KeyRange): SourceQuery {
  const k = `"${rangeColumn(tables.table).name}"`;
  const keys = keyColumns(tables.table);
  return {
    text:
      `SELECT ${keys.map((c, i) => `${sourceValueText(c)} AS k${i}`).join(', ')}, ` +
      `md5(${sourceRowText(tables.table)}) AS hash FROM ${relation(tables.source, '"')} ` +
      `WHERE ${k} BETWEEN $1 AND $2`,
    values: [range.lo.toString(), range.hi.toString()],
  };
}

/** ClickHouse: each current row of a leaf range, key as text and hash. */
export function replicaLeafQuery(tables: VerifyTables, range: KeyRange): ReplicaQuery {
  const k = `\`${rangeColumn(tables.table).name}\``;
  const keys = keyColumns(tables.table);
  return {
    query:
      `SELECT ${keys.map((c, i) => `${replicaValueText(c)} AS k${i}`).join(', ')}, ` +
      `lower(hex(MD5(${replicaRowText(tables.table)}))) AS hash FROM ${relation(tables.replica, '`')} FINAL ` +
      `WHERE ${DELETED_COLUMN} = 0 AND ${replicaBounds(k, range)}`,
    query_params: { lo: range.lo.toString(), hi: range.hi.toString() },
  };
}

/** PostgreSQL: smallest and largest value of the range column (NULLs when empty). */
export function sourceBoundsQuery(tables: VerifyTables): SourceQuery {
  const k = `"${rangeColumn(tables.table).name}"`;
  return {
    text: `SELECT min(${k})::text AS lo, max(${k})::text AS hi FROM ${relation(tables.source, '"')}`,
    values: [],
  };
}

/** ClickHouse: smallest and largest value of the range column among current rows. */
export function replicaBoundsQuery(tables: VerifyTables): ReplicaQuery {
  const k = `\`${rangeColumn(tables.table).name}\``;
  return {
    query: `SELECT toString(min(${k})) AS lo, toString(max(${k})) AS hi, toString(count()) AS n FROM ${relation(tables.replica, '`')} FINAL WHERE ${DELETED_COLUMN} = 0`,
    query_params: {},
  };
}

/** A checksum as both engines mean it: the sum modulo 2^64, in [0, 2^64). */
export function normalizeChecksum(sum: bigint): bigint {
  return ((sum % TWO_64) + TWO_64) % TWO_64;
}

/** Bucket index → summary, from the rows a bucket query answered. */
export function bucketSummaries(
  rows: readonly { bucket: unknown; count: unknown; checksum: unknown }[],
): Map<bigint, BucketSummary> {
  const out = new Map<bigint, BucketSummary>();
  for (const row of rows) {
    out.set(BigInt(String(row.bucket)), {
      count: BigInt(String(row.count)),
      checksum: normalizeChecksum(BigInt(String(row.checksum ?? 0))),
    });
  }
  return out;
}

/** The buckets whose count or checksum differ, in key order, with both sides' counts. */
export function differingBuckets(
  source: ReadonlyMap<bigint, BucketSummary>,
  replica: ReadonlyMap<bigint, BucketSummary>,
): { index: bigint; source: bigint; replica: bigint }[] {
  const indexes = [...new Set([...source.keys(), ...replica.keys()])].sort((a, b) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const out: { index: bigint; source: bigint; replica: bigint }[] = [];
  for (const index of indexes) {
    const s = source.get(index);
    const r = replica.get(index);
    if (s?.count === r?.count && s?.checksum === r?.checksum) continue;
    out.push({ index, source: s?.count ?? 0n, replica: r?.count ?? 0n });
  }
  return out;
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    // Integer keys compare as numbers; others as text.
    if (/^-?\d+$/.test(x) && /^-?\d+$/.test(y)) return BigInt(x) < BigInt(y) ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** The keys missing, extra and different between the rows of one leaf range on each side. */
export function compareLeaf(source: readonly LeafRow[], replica: readonly LeafRow[]): LeafDifferences {
  const id = (key: readonly string[]) => JSON.stringify(key);
  const replicaByKey = new Map(replica.map((row) => [id(row.key), row]));
  const sourceKeys = new Set<string>();
  const missing: string[][] = [];
  const different: string[][] = [];
  for (const row of source) {
    const key = id(row.key);
    sourceKeys.add(key);
    const other = replicaByKey.get(key);
    if (!other) missing.push([...row.key]);
    else if (other.hash !== row.hash) different.push([...row.key]);
  }
  const extra = replica.filter((row) => !sourceKeys.has(id(row.key))).map((row) => [...row.key]);
  return {
    missing: missing.sort(compareKeys),
    extra: extra.sort(compareKeys),
    different: different.sort(compareKeys),
  };
}
