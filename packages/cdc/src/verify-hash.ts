/**
 * The row hash `verifyReplica` sums per key range, computed by both engines
 * from the typed values (no text, except for text-like columns).
 *
 * PostgreSQL hashes each column with its own extended hash functions
 * (`hashint8extended`, `hashfloat8extended`, `timestamp_hash_extended`: Bob
 * Jenkins' lookup3, as in PostgreSQL's `hashfn.c`), seeded by the column's
 * position, and XORs them; ClickHouse computes the same 64-bit results with
 * the same lookup3 steps written as SQL on `UInt32` values. A value moved to
 * another column changes the row's hash (other seed); one moved to another
 * row changes the range's sum of row hashes.
 *
 * What each column contributes, as a 64-bit integer:
 * - integers and booleans: the value (`hashint8extended`);
 * - doubles: the IEEE-754 value (`hashfloat8extended`: `-0` hashes as `0`, every NaN alike);
 * - instants: microseconds since 2000-01-01 UTC, cut to the column's precision
 *   (`timestamp_hash_extended` of `date_trunc`);
 * - dates: days since 2000-01-01;
 * - money (`Decimal(P ≤ 18, S)`): the value in units of 10^-S;
 * - anything else (text, UUIDs): the first 8 bytes of the MD5 of the value's
 *   canonical text (see `sourceValueText` in `verify-plan.ts`).
 *
 * A NULL contributes a constant per lane (below).
 *
 * PostgreSQL's int8 hash folds a 64-bit value to 32 bits before hashing (low
 * half XOR high half, or XOR its complement when negative), so two values with
 * the same fold would hash alike. Every column whose 64-bit value can leave
 * the int32 range (64-bit integers, instants, money, the MD5 prefix of text)
 * therefore adds a second lane: the hash of its high half (`value >> 32`,
 * arithmetic), seeded `columns + index + 1`, past every column's seed. The
 * fold and the high half together determine the value, so a change is missed
 * only by a 64-bit hash collision: probability about 2^-64 per range. Columns whose values always
 * fit 32 bits (Int8/16/32, UInt8/16/32, Bool, Date) and doubles (hashed on all
 * 8 bytes) need no second lane.
 */
import { assertIdentifier, type ColumnDefinition, columnsOf, type TableDefinition } from '@bionicpro/models';

/** The ClickHouse type without `LowCardinality(…)` or `Nullable(…)`. */
export function storageType(column: ColumnDefinition): string {
  return column.ch.replace(/^LowCardinality\((.*)\)$/, '$1').replace(/^Nullable\((.*)\)$/, '$1');
}

type Kind =
  | { readonly kind: 'integer' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'float' }
  | { readonly kind: 'instant'; readonly precision: number }
  | { readonly kind: 'date' }
  | { readonly kind: 'decimal'; readonly scale: number }
  | { readonly kind: 'text' };

/** The kinds hashed as a 64-bit integer (every kind but doubles). */
type IntegerKind = Exclude<Kind, { readonly kind: 'float' }>;

const INTEGER = /^U?Int(8|16|32|64)$/;
const INTEGER_64 = /^U?Int64$/;

function kindOf(column: ColumnDefinition): Kind {
  const ch = storageType(column);
  if (INTEGER.test(ch)) return { kind: 'integer' };
  if (ch === 'Bool') return { kind: 'boolean' };
  if (/^Float(32|64)$/.test(ch)) return { kind: 'float' };
  const dt64 = /^DateTime64\((\d)/.exec(ch);
  if (dt64) return { kind: 'instant', precision: Number(dt64[1]) };
  if (ch.startsWith('DateTime')) return { kind: 'instant', precision: 0 };
  if (ch === 'Date' || ch === 'Date32') return { kind: 'date' };
  const decimal = /^Decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(ch);
  if (decimal && Number(decimal[1]) <= 18) return { kind: 'decimal', scale: Number(decimal[2]) };
  return { kind: 'text' };
}

/** Whether the column's 64-bit value can leave the int32 range, so that its int8 hash folds distinct values alike. */
function isWide(column: ColumnDefinition): boolean {
  const kind = kindOf(column).kind;
  if (kind === 'integer') return INTEGER_64.test(storageType(column));
  return kind === 'instant' || kind === 'decimal' || kind === 'text';
}

/**
 * One hashed contribution to the row hash: a column's value (at the column's
 * index), or the high half of a wide column's value (at `columns + index`).
 * `index` gives the lane's seed, its NULL constant and its ClickHouse words.
 */
interface Lane {
  readonly column: ColumnDefinition;
  readonly index: number;
  readonly part: 'value' | 'high';
}

function lanesOf(table: TableDefinition): Lane[] {
  const columns = columnsOf(table);
  return [
    ...columns.map((column, index): Lane => ({ column, index, part: 'value' })),
    ...columns.flatMap((column, index): Lane[] =>
      isWide(column) ? [{ column, index: columns.length + index, part: 'high' }] : [],
    ),
  ];
}

/** `date_trunc` unit of an instant column in PostgreSQL (µs columns need none). */
function truncUnit(precision: number): string | undefined {
  if (precision === 0) return 'second';
  if (precision <= 3) return 'milliseconds';
  return undefined;
}

/** Microseconds from 1970-01-01 to 2000-01-01, PostgreSQL's timestamp origin. */
const PG_EPOCH_US = 946_684_800_000_000n;
/** Days from 1970-01-01 to 2000-01-01. */
const PG_EPOCH_DAYS = 10_957;

/** PostgreSQL: the column's canonical text, as ClickHouse prints the same value (keys, text-like columns). */
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

/** ClickHouse: the column's canonical text, as PostgreSQL prints the same value. */
export function replicaValueText(column: ColumnDefinition): string {
  const c = `\`${assertIdentifier('column', column.name)}\``;
  const ch = storageType(column);
  const decimal = /^Decimal\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(ch);
  if (decimal) return `toDecimalString(${c}, ${decimal[1]})`;
  if (ch.startsWith('DateTime')) return `toString(${c}, 'UTC')`;
  if (/^Float(32|64)$/.test(ch)) return `leftPad(lower(hex(reinterpretAsUInt64(toFloat64(${c})))), 16, '0')`;
  return `toString(${c})`;
}

/** The seed of the column at `index` (model order): distinct per column, so moved values change the hash. */
const seedOf = (index: number) => index + 1;
/** What a NULL contributes in the column at `index`: a constant no value's hash is expected to equal. */
const nullHashOf = (index: number) => -(index + 2);

/** PostgreSQL: an instant column in UTC, cut to its precision. */
function sourceInstant(c: string, precision: number): string {
  const unit = truncUnit(precision);
  const utc = `(${c} AT TIME ZONE 'UTC')`;
  return unit ? `date_trunc('${unit}', ${utc})` : utc;
}

/** PostgreSQL: the 64-bit value `hashint8extended` hashes for a column (not a double). */
function sourceInt64(column: ColumnDefinition, kind: IntegerKind, c: string): string {
  switch (kind.kind) {
    case 'integer':
      return `${c}::bigint`;
    case 'boolean':
      return `${c}::int::bigint`;
    case 'instant':
      // What timestamp_hash_extended hashes: the stored microseconds since 2000-01-01, which
      // timestamp_send writes big-endian (exact, and cheaper than `extract(epoch …)`'s numeric).
      return `('x' || encode(timestamp_send(${sourceInstant(c, kind.precision)}), 'hex'))::bit(64)::bigint`;
    case 'date':
      return `(${c} - date '2000-01-01')::bigint`;
    case 'decimal':
      return `(round(${c}, ${kind.scale}) * 1e${kind.scale})::bigint`;
    case 'text':
      return `('x' || substr(md5(${sourceValueText(column)}), 1, 16))::bit(64)::bigint`;
  }
}

/** PostgreSQL: one lane's hash, seeded by its index. */
function sourceLaneHash({ column, index, part }: Lane): string {
  const c = `"${assertIdentifier('column', column.name)}"`;
  const kind = kindOf(column);
  const seed = seedOf(index);
  const hash = ((): string => {
    // Doubles have no high lane: hashfloat8extended hashes all 8 bytes.
    if (kind.kind === 'float') return `hashfloat8extended(${c}::float8, ${seed})`;
    if (part === 'high') return `hashint8extended(${sourceInt64(column, kind, c)} >> 32, ${seed})`;
    if (kind.kind === 'instant')
      return `timestamp_hash_extended(${sourceInstant(c, kind.precision)}, ${seed})`;
    return `hashint8extended(${sourceInt64(column, kind, c)}, ${seed})`;
  })();
  return column.nullable ? `coalesce(${hash}, ${nullHashOf(index)})` : hash;
}

/**
 * PostgreSQL: the row hash (signed 64-bit): the XOR of every lane's hash
 * (each column's value, and the high half of each wide column's value), each
 * seeded by the lane's index.
 */
export function sourceRowHash(table: TableDefinition): string {
  return lanesOf(table).map(sourceLaneHash).join(' # ');
}

/** lookup3's initial word for a 4- and an 8-byte key: `0x9e3779b9 + length + 3923095`. */
const START = { 4: 2_658_358_868, 8: 2_658_358_872 } as const;

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The rounds of lookup3 `mix(a, b, c)`: `x -= y; x ^= rot(y, k); y += z`. */
const MIX_ROUNDS: readonly ['a' | 'b' | 'c', 'a' | 'b' | 'c', 'a' | 'b' | 'c', number][] = [
  ['a', 'c', 'b', 4],
  ['b', 'a', 'c', 6],
  ['c', 'b', 'a', 8],
  ['a', 'c', 'b', 16],
  ['b', 'a', 'c', 19],
  ['c', 'b', 'a', 4],
];

/**
 * The lookup3 state after `hash_bytes*_extended` perturbed it with a
 * non-zero `seed` (small and positive here, so its high word is 0): the same
 * for every row, so computed here rather than in SQL.
 */
export function seededState(length: 4 | 8, seed: number): [number, number, number] {
  const start: number = START[length];
  const v: Record<'a' | 'b' | 'c', number> = { a: start, b: (start + seed) >>> 0, c: start };
  // mix(a, b, c), as PostgreSQL's hashfn.c defines it: x -= y; x ^= rot(y, k); y += z.
  for (const [x, y, z, k] of MIX_ROUNDS) {
    v[x] = ((v[x] - v[y]) ^ rotl(v[y], k)) >>> 0;
    v[y] = (v[y] + v[z]) >>> 0;
  }
  return [v.a, v.b, v.c];
}

const u32 = (expr: string) => `toUInt32(${expr})`;

/** The rounds of lookup3 `final(a, b, c)`: `x ^= y; x -= rot(y, k)`. */
const FINAL_ROUNDS: readonly ['a' | 'b' | 'c', 'a' | 'b' | 'c', number][] = [
  ['c', 'b', 14],
  ['a', 'c', 11],
  ['b', 'a', 25],
  ['c', 'b', 16],
  ['a', 'c', 4],
  ['b', 'a', 14],
  ['c', 'b', 24],
];

/** The words of lane `index` (UInt32 columns of the layered query), and its special-case columns. */
const word = (w: 'a' | 'b' | 'c' | 'f' | 'v', index: number) => `__h${w}${index}`;

/** The initial words of `hash_uint32_extended(key, seed)` for a UInt32 key expression. */
function uint32Words(key: string, seed: number, index: number): string[] {
  const [a, b, c] = seededState(4, seed);
  return [
    `${u32(`${a} + ${key}`)} AS ${word('a', index)}`,
    `toUInt32(${b}) AS ${word('b', index)}`,
    `toUInt32(${c}) AS ${word('c', index)}`,
  ];
}

/** The initial words of `hashint8extended(value, seed)` for an Int64 expression: its key is the 32-bit fold. */
function int8Words(value: string, seed: number, index: number): string[] {
  const v = `toInt64(${value})`;
  const hi = `toUInt32(bitShiftRight(reinterpretAsUInt64(${v}), 32))`;
  return uint32Words(`bitXor(toUInt32(${v}), if(${v} >= 0, ${hi}, bitNot(${hi})))`, seed, index);
}

/**
 * The initial words of `hashint8extended(value >> 32, seed)` for an Int64 expression: a value in
 * int32's range folds to its own low 32 bits, so the key is the high half's bits as they are.
 */
function highHalfWords(value: string, seed: number, index: number): string[] {
  return uint32Words(`toUInt32(bitShiftRight(reinterpretAsUInt64(toInt64(${value})), 32))`, seed, index);
}

/** The initial words of `hashfloat8extended(value, seed)` for a Float64 expression (NaNs as PostgreSQL's one NaN). */
function float8Words(value: string, seed: number, index: number): string[] {
  const x = `toFloat64(${value})`;
  const bits = `if(isNaN(${x}), toUInt64(9221120237041090560), reinterpretAsUInt64(${x}))`;
  const [a, b, c] = seededState(8, seed);
  return [
    `${u32(`${a} + toUInt32(${bits})`)} AS ${word('a', index)}`,
    `${u32(`${b} + toUInt32(bitShiftRight(${bits}, 32))`)} AS ${word('b', index)}`,
    `toUInt32(${c}) AS ${word('c', index)}`,
  ];
}

/** ClickHouse: the 64-bit value `hashint8extended` hashes for a column (not a double), as {@link sourceInt64}. */
function replicaInt64(column: ColumnDefinition, kind: IntegerKind, c: string): string {
  switch (kind.kind) {
    case 'integer':
    case 'boolean':
      return `toInt64(${c})`;
    case 'instant': {
      const micros =
        kind.precision === 0 ? `toInt64(toUnixTimestamp(${c})) * 1000000` : `toUnixTimestamp64Micro(${c})`;
      return `${micros} - ${PG_EPOCH_US}`;
    }
    case 'date':
      return `toInt64(${c}) - ${PG_EPOCH_DAYS}`;
    case 'decimal':
      return `toInt64(toDecimal128(${c}, ${kind.scale}) * ${10n ** BigInt(kind.scale)})`;
    case 'text':
      return `reinterpretAsInt64(reverse(substring(MD5(${replicaValueText(column)}), 1, 8)))`;
  }
}

/**
 * ClickHouse: the first layer's columns for one lane of the table: the
 * three lookup3 words ready for `final`, and, where a value does not go
 * through the hash (NULL; a zero double hashes as its seed), a flag and the
 * value to use instead.
 */
function replicaLaneWords({ column, index, part }: Lane): string[] {
  const c = `\`${assertIdentifier('column', column.name)}\``;
  const kind = kindOf(column);
  const seed = seedOf(index);
  const value = (expr: string) => (column.nullable ? `ifNull(${expr}, 0)` : expr);
  const special = (flag: string, instead: string) => [
    `toUInt8(${flag}) AS ${word('f', index)}`,
    `toInt64(${instead}) AS ${word('v', index)}`,
  ];
  if (kind.kind === 'float') {
    const x = value(`toFloat64(${c})`);
    // hashfloat8extended answers the seed for 0 and -0.
    const flag = column.nullable ? `isNull(${c}) OR ${x} = 0` : `${x} = 0`;
    const instead = column.nullable ? `if(isNull(${c}), ${nullHashOf(index)}, ${seed})` : String(seed);
    return [...float8Words(x, seed, index), ...special(flag, instead)];
  }
  const nullCase = column.nullable ? special(`isNull(${c})`, String(nullHashOf(index))) : [];
  const int64 = value(replicaInt64(column, kind, c));
  return [...(part === 'high' ? highHalfWords : int8Words)(int64, seed, index), ...nullCase];
}

/**
 * The ClickHouse row hash as layers of one query: `first` goes into the
 * innermost SELECT (next to the caller's columns), each of `rounds` is a
 * `SELECT * REPLACE (…)` around the previous layer, and `hash` (Int64) is
 * computed from the last one. One layer per round of lookup3's `final` keeps
 * the query small: an expression that names a word several times would be
 * expanded at every use.
 */
export interface ReplicaRowHash {
  readonly first: readonly string[];
  readonly rounds: readonly (readonly string[])[];
  readonly hash: string;
}

/** ClickHouse: the row hash {@link sourceRowHash} computes, as {@link ReplicaRowHash} layers. */
export function replicaRowHash(table: TableDefinition): ReplicaRowHash {
  const lanes = lanesOf(table);
  const first = lanes.flatMap(replicaLaneWords);
  const rounds = FINAL_ROUNDS.map(([x, y, k]) =>
    lanes.map(({ index }) => {
      const [wx, wy] = [word(x, index), word(y, index)];
      return `${u32(`toInt64(bitXor(${wx}, ${wy})) - toInt64(bitRotateLeft(${wy}, ${k}))`)} AS ${wx}`;
    }),
  );
  const hashes = lanes.map(({ column, index: i }) => {
    const hashed = `reinterpretAsInt64(bitOr(bitShiftLeft(toUInt64(${word('b', i)}), 32), toUInt64(${word('c', i)})))`;
    const special = column.nullable || kindOf(column).kind === 'float';
    return special ? `if(${word('f', i)} = 1, ${word('v', i)}, ${hashed})` : hashed;
  });
  return { first, rounds, hash: hashes.reduce((acc, h) => `bitXor(${acc}, ${h})`) };
}
