/**
 * Debezium decimals. With `decimal.handling.mode=precise` (the default) a
 * NUMERIC column travels as `org.apache.kafka.connect.data.Decimal`: the
 * base64 of the big-endian two's-complement unscaled integer, its scale in the
 * schema's `parameters.scale`. Unconstrained NUMERIC travels as
 * `io.debezium.data.VariableScaleDecimal`, a struct `{ scale, value }`. Both
 * decode to exact decimal text, never a binary float.
 */

const BASE64_VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  BASE64_VALUES['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.charCodeAt(i)] = i;
}
// The URL-safe alphabet too: some converters emit it.
BASE64_VALUES['-'.charCodeAt(0)] = 62;
BASE64_VALUES['_'.charCodeAt(0)] = 63;

/**
 * Decodes base64 text into bytes, or `undefined` when the text is not base64.
 * Hand-written because the values are a few bytes long, where
 * `Buffer.from(text, 'base64')` costs more in allocation than in decoding and
 * silently skips invalid characters.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length - end > 2 || end % 4 === 1) return undefined;
  const out = new Uint8Array((end * 3) >> 2);
  let bits = 0;
  let buffered = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? BASE64_VALUES[code]! : -1;
    if (v < 0) return undefined;
    bits = (bits << 6) | v;
    buffered += 6;
    if (buffered >= 8) {
      buffered -= 8;
      out[o++] = (bits >> buffered) & 0xff;
    }
  }
  return out;
}

/**
 * Whether `text` is base64 (standard or URL-safe alphabet, padding optional) as Debezium writes
 * `bytes`: what {@link decodeBase64} accepts, without building the bytes.
 */
export function isBase64(text: string): boolean {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length - end > 2 || end % 4 === 1 || (end < text.length && text.length % 4 !== 0)) return false;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || BASE64_VALUES[code]! < 0) return false;
  }
  return true;
}

/** The signed integer of big-endian two's-complement bytes (`number` when it fits 48 bits, else `bigint`). */
export function bytesToSignedInteger(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  if (bytes.length <= 6) {
    let n = 0;
    for (let i = 0; i < bytes.length; i++) n = n * 256 + bytes[i]!;
    return bytes[0]! & 0x80 ? n - 2 ** (8 * bytes.length) : n;
  }
  let n = 0n;
  for (let i = 0; i < bytes.length; i++) n = (n << 8n) | BigInt(bytes[i]!);
  return bytes[0]! & 0x80 ? n - (1n << BigInt(8 * bytes.length)) : n;
}

/**
 * Decimal text of `unscaled × 10^-scale`, e.g. (299900, 2) → `"2999.00"`.
 * Keeps exactly `scale` fraction digits; a negative scale appends zeros.
 *
 * @example
 * ```ts
 * import { formatScaledDecimal } from '@bionicpro/cdc';
 * formatScaledDecimal(-5n, 3); // '-0.005'
 * ```
 */
export function formatScaledDecimal(unscaled: number | bigint, scale: number): string {
  const negative = unscaled < 0;
  let digits = (negative ? -unscaled : unscaled).toString();
  let text: string;
  if (scale <= 0) {
    text = digits === '0' ? '0' : digits + '0'.repeat(-scale);
  } else {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative ? `-${text}` : text;
}

/**
 * Decodes a Connect `Decimal` (base64 unscaled bytes + scale) into decimal text;
 * `undefined` when the text is not base64.
 *
 * @example
 * ```ts
 * import { decodeDecimal } from '@bionicpro/cdc';
 * decodeDecimal('BJN8', 2); // '2999.00' (unscaled 299900)
 * ```
 */
export function decodeDecimal(base64: string, scale: number): string | undefined {
  const bytes = decodeBase64(base64);
  if (bytes === undefined) return undefined;
  return formatScaledDecimal(bytesToSignedInteger(bytes), scale);
}

/** Normalises decimal text from `decimal.handling.mode=string` (or a double) without changing its value. */
export function normaliseDecimalText(value: string | number): string | undefined {
  const text =
    typeof value === 'number' ? (Number.isFinite(value) ? numberToPlainText(value) : undefined) : value;
  if (text === undefined || !/^[-+]?(\d+\.?\d*|\.\d+)$/.test(text)) return undefined;
  return text.startsWith('+') ? text.slice(1) : text;
}

/** Writes a double without exponent notation (the shortest text that round-trips). */
function numberToPlainText(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa, exponentText] = text.toLowerCase().split('e') as [string, string];
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const [intPart, fracPart = ''] = (negative ? mantissa.slice(1) : mantissa).split('.') as [string, string?];
  const digits = intPart + fracPart;
  const point = intPart.length + exponent;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}
