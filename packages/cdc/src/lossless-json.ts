/**
 * JSON without precision loss. Debezium writes int64 values (BIGINT ids,
 * `ts_ns`, NanoTimestamp, infinity sentinels) as JSON numbers, and
 * `JSON.parse` rounds every integer beyond 2^53. Integers that do not fit a
 * double exactly come back as `bigint`; everything else is what `JSON.parse`
 * gives.
 *
 * The reviver that recovers the source digits makes `JSON.parse` about seven
 * times slower, so the decoders parse fast first and re-parse losslessly only
 * when they meet an unsafe integer (see `decode-change.ts`).
 */

interface ReviverContext {
  readonly source?: string;
}

type JsonWithRaw = typeof JSON & {
  rawJSON?: (text: string) => unknown;
};

const INTEGER_TEXT = /^-?\d+$/;
/** Any run of 16 digits: the only texts that can hold an integer beyond 2^53. */
const LONG_DIGIT_RUN = /\d{16}/;

function reviveUnsafeInteger(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source !== undefined &&
    INTEGER_TEXT.test(context.source)
  ) {
    return BigInt(context.source);
  }
  return value;
}

/**
 * Parses JSON text; integers beyond ±(2^53−1) come back as `bigint`.
 * Throws `SyntaxError` like `JSON.parse`.
 *
 * @example
 * ```ts
 * import { parseJsonLossless } from '@bionicpro/cdc';
 * parseJsonLossless('{"ts_ns":1705312800123456789}'); // { ts_ns: 1705312800123456789n }
 * ```
 */
export function parseJsonLossless(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return JSON.parse(text, reviveUnsafeInteger as (this: unknown, key: string, value: unknown) => unknown);
}

/** True when an integer-valued number lost precision in `JSON.parse`. */
export function isUnsafeInteger(value: number): boolean {
  return Number.isInteger(value) && !Number.isSafeInteger(value);
}

const rawJSON = (JSON as JsonWithRaw).rawJSON;

function replaceForJson(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return rawJSON ? rawJSON(value.toString()) : value.toString();
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/**
 * `JSON.stringify` that writes `bigint` as exact JSON integers and NaN/±Infinity
 * as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (how Debezium's JSON
 * converter writes them).
 *
 * @example
 * ```ts
 * import { stringifyJsonLossless } from '@bionicpro/cdc';
 * stringifyJsonLossless({ id: 9007199254740993n }); // '{"id":9007199254740993}'
 * ```
 */
export function stringifyJsonLossless(value: unknown): string {
  return JSON.stringify(value, replaceForJson);
}

/**
 * The exact digits of the `nth` (from the end, 0 = last) `"key":<integer>`
 * in JSON text, trusted only if they round to `rounded` (the value
 * `JSON.parse` gave); `undefined` otherwise. `"key":` can only occur in JSON
 * text as a real key: a quote inside a string is escaped.
 */
export function integerDigitsFromEnd(
  text: string,
  key: string,
  rounded: number,
  nth: number,
): bigint | undefined {
  const needle = `"${key}":`;
  let at = text.length;
  for (let i = 0; i <= nth; i++) {
    at = text.lastIndexOf(needle, at - 1);
    if (at < 0) return undefined;
  }
  let end = at + needle.length;
  while (text.charCodeAt(end) === 32) end++;
  const start = end;
  if (text.charCodeAt(end) === 45) end++;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  const digits = text.slice(start, end);
  if (digits === '' || digits === '-' || Number(digits) !== rounded) return undefined;
  return BigInt(digits);
}
