/**
 * 64-bit integers (docs/models.md, "Rules every path uses"): PostgreSQL `bigint`,
 * ClickHouse `Int64`/`UInt64`, Debezium `int64` (ids, `lsn`, `txId`, `ts_ns`).
 *
 * A JS number holds integers exactly only up to 2^53−1, so a 64-bit value is carried
 * in TypeScript as its canonical decimal text ({@link Int64Text}): an optional `-`,
 * then digits without leading zeros (`"0"` for zero). Text compares and round-trips
 * exactly, `JSON.stringify` writes it as a string (which is how ClickHouse's JSON
 * formats write 64-bit integers by default), and ClickHouse and PostgreSQL both
 * accept the quoted form on input. Use {@link compareInt64Text} to order values and
 * `BigInt(text)` for arithmetic.
 */

/**
 * Canonical decimal text of a 64-bit integer: `-?(0|[1-9][0-9]*)`, never `-0`.
 * A plain string alias, so values from `pg`, ClickHouse or lossless JSON need no cast.
 */
export type Int64Text = string;

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
export const UINT64_MAX = 2n ** 64n - 1n;

/** Why a value is not a 64-bit integer in range. */
export type Int64ParseFailure =
  /** Not a number, bigint or string. */
  | 'not_integer_type'
  /** A number that is not an integer, or one beyond ±(2^53−1), which may already be rounded. */
  | 'unsafe_number'
  /** Text that is not canonical decimal digits (sign `+`, leading zero, `-0`, exponent, hex, spaces). */
  | 'not_canonical'
  /** An integer outside the accepted range. */
  | 'out_of_range';

/** Result of the `tryParse…` functions: canonical text, or why the value was refused. */
export type Int64ParseResult = { ok: true; text: Int64Text } | { ok: false; reason: Int64ParseFailure };

const INT64_MAX_TEXT = '9223372036854775807';
const INT64_MIN_ABS_TEXT = '9223372036854775808';
const UINT64_MAX_TEXT = '18446744073709551615';

/**
 * Canonical text of a 64-bit integer between `min` and `max` inclusive, given as a
 * safe-integer number, a bigint or decimal text.
 *
 * @example
 * ```ts
 * import { tryParseIntegerText } from '@bionicpro/models';
 * tryParseIntegerText('9007199254740993', 1n, 2n ** 63n - 1n); // { ok: true, text: '9007199254740993' }
 * ```
 */
export function tryParseIntegerText(value: unknown, min: bigint, max: bigint): Int64ParseResult {
  let text: string;
  if (typeof value === 'string') {
    if (!isCanonicalIntegerText(value)) return { ok: false, reason: 'not_canonical' };
    text = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return { ok: false, reason: 'unsafe_number' };
    // A bound beyond 2^53 rounds in Number(), but never across a safe integer.
    return value >= Number(min) && value <= Number(max)
      ? { ok: true, text: value === 0 ? '0' : String(value) }
      : { ok: false, reason: 'out_of_range' };
  } else if (typeof value === 'bigint') {
    text = value.toString();
  } else {
    return { ok: false, reason: 'not_integer_type' };
  }
  // Safe integers need no bigint: compare as numbers (the hot path: ids from pg and JSON).
  if (text.length < 16) {
    const n = Number(text);
    return n >= Number(min) && n <= Number(max) ? { ok: true, text } : { ok: false, reason: 'out_of_range' };
  }
  const n = BigInt(text);
  return n >= min && n <= max ? { ok: true, text } : { ok: false, reason: 'out_of_range' };
}

/**
 * A signed 64-bit integer (−2^63 … 2^63−1) as canonical text.
 *
 * @example
 * ```ts
 * import { tryParseInt64 } from '@bionicpro/models';
 * tryParseInt64('-9223372036854775808'); // { ok: true, text: '-9223372036854775808' }
 * tryParseInt64('1e3'); // { ok: false, reason: 'not_canonical' }
 * ```
 */
export function tryParseInt64(value: unknown): Int64ParseResult {
  // Fast path for the bounds without bigint: text of at most 18 digits is always in range.
  if (typeof value === 'string' && isCanonicalIntegerText(value)) {
    const digits = value.charCodeAt(0) === 45 ? value.length - 1 : value.length;
    if (digits < 19) return { ok: true, text: value };
    if (digits > 19) return { ok: false, reason: 'out_of_range' };
    const limit = value.charCodeAt(0) === 45 ? INT64_MIN_ABS_TEXT : INT64_MAX_TEXT;
    const abs = value.charCodeAt(0) === 45 ? value.slice(1) : value;
    return abs <= limit ? { ok: true, text: value } : { ok: false, reason: 'out_of_range' };
  }
  return tryParseIntegerText(value, INT64_MIN, INT64_MAX);
}

/**
 * An unsigned 64-bit integer (0 … 2^64−1) as canonical text.
 *
 * @example
 * ```ts
 * import { tryParseUInt64 } from '@bionicpro/models';
 * tryParseUInt64('18446744073709551615'); // { ok: true, text: '18446744073709551615' }
 * ```
 */
export function tryParseUInt64(value: unknown): Int64ParseResult {
  if (typeof value === 'string' && isCanonicalIntegerText(value)) {
    if (value.charCodeAt(0) === 45) return { ok: false, reason: 'out_of_range' };
    if (value.length < 20) return { ok: true, text: value };
    return value.length === 20 && value <= UINT64_MAX_TEXT
      ? { ok: true, text: value }
      : { ok: false, reason: 'out_of_range' };
  }
  return tryParseIntegerText(value, 0n, UINT64_MAX);
}

/**
 * True for canonical decimal integer text: an optional `-`, then `0` alone or digits
 * not starting with `0`; `-0` is not canonical. No `+`, exponent, hex, spaces or
 * fraction. Length is not checked (see the range functions).
 */
export function isCanonicalIntegerText(text: string): boolean {
  const n = text.length;
  let i = text.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  const first = text.charCodeAt(i);
  if (first === 48) return n === 1; // "0" only; "-0", "01" are not canonical
  if (first < 49 || first > 57) return false;
  for (i += 1; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Total order of canonical 64-bit integer texts (−1, 0 or 1), without going through
 * `Number` (which would equate `"9007199254740993"` and `"9007199254740992"`).
 *
 * @example
 * ```ts
 * import { compareInt64Text } from '@bionicpro/models';
 * ['10', '-3', '9007199254740993', '9007199254740992'].sort(compareInt64Text);
 * // ['-3', '10', '9007199254740992', '9007199254740993']
 * ```
 */
export function compareInt64Text(a: Int64Text, b: Int64Text): -1 | 0 | 1 {
  const aNegative = a.charCodeAt(0) === 45;
  const bNegative = b.charCodeAt(0) === 45;
  if (aNegative !== bNegative) return aNegative ? -1 : 1;
  let order: -1 | 0 | 1;
  if (a.length !== b.length) order = a.length < b.length ? -1 : 1;
  else order = a < b ? -1 : a > b ? 1 : 0;
  return aNegative ? ((-order || 0) as -1 | 0 | 1) : order;
}

/** A sentence explaining an {@link Int64ParseFailure}, naming the accepted range. */
export function describeInt64Failure(reason: Int64ParseFailure, min: bigint, max: bigint): string {
  switch (reason) {
    case 'not_integer_type':
      return `expected an integer from ${min} to ${max} (a number, bigint or decimal string)`;
    case 'unsafe_number':
      return `expected an integer from ${min} to ${max}; a JS number beyond 2^53-1 or with a fraction cannot carry it exactly, pass decimal text or a bigint`;
    case 'not_canonical':
      return `expected canonical decimal digits (no sign '+', leading zero, exponent, hex or spaces) for an integer from ${min} to ${max}`;
    default:
      return `integer out of range: expected ${min} to ${max}`;
  }
}
