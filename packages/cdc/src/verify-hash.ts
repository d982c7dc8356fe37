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
 * A NULL contributes a constant per column. 64-bit integers are folded to 32
 * bits before hashing (PostgreSQL's int8 hash: high half XOR low half), so a
 * change that keeps that fold is not seen; any other change is missed with a
 * probability of about 2^-64 per range (2^-32 for a 64-bit value).
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

const INTEGER = /^U?Int(8|16|32|64)$/;

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

/** PostgreSQL: one column's hash, seeded by its position. */
function sourceColumnHash(column: ColumnDefinition, index: number): string {
  const c = `"${assertIdentifier('column', column.name)}"`;
  const kind = kindOf(column);
  const seed = seedOf(index);
  const hash = ((): string => {
    switch (kind.kind) {
      case 'integer':
        return `hashint8extended(${c}::bigint, ${seed})`;
      case 'boolean':
        return `hashint8extended(${c}::int::bigint, ${seed})`;
      case 'float':
        return `hashfloat8extended(${c}::float8, ${seed})`;
      case 'instant': {
        const unit = truncUnit(kind.precision);
        const utc = `(${c} AT TIME ZONE 'UTC')`;
        return `timestamp_hash_extended(${unit ? `date_trunc('${unit}', ${utc})` : utc}, ${seed})`;
      }
      case 'date':
        return `hashint8extended((${c} - date '2000-01-01')::bigint, ${seed})`;
      case 'decimal':
        return `hashint8extended((round(${c}, ${kind.scale}) * 1e${kind.scale})::bigint, ${seed})`;
      case 'text':
        return `hashint8extended(('x' || substr(md5(${sourceValueText(column)}), 1, 16))::bit(64)::bigint, ${seed})`;
    }
  })();
  return column.nullable ? `coalesce(${hash}, ${nullHashOf(index)})` : hash;
}

/**
 * PostgreSQL: the row hash (signed 64-bit): the XOR of every column's hash,
 * each seeded by the column's position.
 */
export function sourceRowHash(table: TableDefinition): string {
  return columnsOf(table)
    .map((column, index) => sourceColumnHash(column, index))
    .join(' # ');
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

/** The words of column `index` (UInt32 columns of the layered query), and its special-case columns. */
const word = (w: 'a' | 'b' | 'c' | 'f' | 'v', index: number) => `__h${w}${index}`;

/** The initial words of `hashint8extended(value, seed)` for an Int64 expression. */
function int8Words(value: string, seed: number, index: number): string[] {
  const v = `toInt64(${value})`;
  const hi = `toUInt32(bitShiftRight(reinterpretAsUInt64(${v}), 32))`;
  const key = `bitXor(toUInt32(${v}), if(${v} >= 0, ${hi}, bitNot(${hi})))`;
  const [a, b, c] = seededState(4, seed);
  return [
    `${u32(`${a} + ${key}`)} AS ${word('a', index)}`,
    `toUInt32(${b}) AS ${word('b', index)}`,
    `toUInt32(${c}) AS ${word('c', index)}`,
  ];
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

/**
 * ClickHouse: the first layer's columns for one column of the table: the
 * three lookup3 words ready for `final`, and, where a value does not go
 * through the hash (NULL; a zero double hashes as its seed), a flag and the
 * value to use instead.
 */
function replicaColumnWords(column: ColumnDefinition, index: number): string[] {
  const c = `\`${assertIdentifier('column', column.name)}\``;
  const kind = kindOf(column);
  const seed = seedOf(index);
  const value = (expr: string) => (column.nullable ? `ifNull(${expr}, 0)` : expr);
  const special = (flag: string, instead: string) => [
    `toUInt8(${flag}) AS ${word('f', index)}`,
    `toInt64(${instead}) AS ${word('v', index)}`,
  ];
  const nullCase = column.nullable ? special(`isNull(${c})`, String(nullHashOf(index))) : [];
  switch (kind.kind) {
    case 'integer':
    case 'boolean':
      return [...int8Words(value(`toInt64(${c})`), seed, index), ...nullCase];
    case 'float': {
      const x = value(`toFloat64(${c})`);
      // hashfloat8extended answers the seed for 0 and -0.
      const flag = column.nullable ? `isNull(${c}) OR ${x} = 0` : `${x} = 0`;
      const instead = column.nullable ? `if(isNull(${c}), ${nullHashOf(index)}, ${seed})` : String(seed);
      return [...float8Words(x, seed, index), ...special(flag, instead)];
    }
    case 'instant': {
      const micros =
        kind.precision === 0 ? `toInt64(toUnixTimestamp(${c})) * 1000000` : `toUnixTimestamp64Micro(${c})`;
      return [...int8Words(value(`${micros} - ${PG_EPOCH_US}`), seed, index), ...nullCase];
    }
    case 'date':
      return [...int8Words(value(`toInt64(${c}) - ${PG_EPOCH_DAYS}`), seed, index), ...nullCase];
    case 'decimal':
      return [
        ...int8Words(
          value(`toInt64(toDecimal128(${c}, ${kind.scale}) * ${10n ** BigInt(kind.scale)})`),
          seed,
          index,
        ),
        ...nullCase,
      ];
    case 'text':
      return [
        ...int8Words(
          value(`reinterpretAsInt64(reverse(substring(MD5(${replicaValueText(column)}), 1, 8)))`),
          seed,
          index,
        ),
        ...nullCase,
      ];
  }
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
  const columns = columnsOf(table);
  const first = columns.flatMap((column, index) => replicaColumnWords(column, index));
  const rounds = FINAL_ROUNDS.map(([x, y, k]) =>
    columns.map((_, i) => {
      const [wx, wy] = [word(x, i), word(y, i)];
      return `${u32(`toInt64(bitXor(${wx}, ${wy})) - toInt64(bitRotateLeft(${wy}, ${k}))`)} AS ${wx}`;
    }),
  );
  const hashes = columns.map((column, i) => {
    const hashed = `reinterpretAsInt64(bitOr(bitShiftLeft(toUInt64(${word('b', i)}), 32), toUInt64(${word('c', i)})))`;
    const special = column.nullable || kindOf(column).kind === 'float';
    return special ? `if(${word('f', i)} = 1, ${word('v', i)}, ${hashed})` : hashed;
  });
  return { first, rounds, hash: hashes.reduce((acc, h) => `bitXor(${acc}, ${h})`) };
}
