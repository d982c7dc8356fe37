import { regexes } from 'zod';

/** Per char code below 128: 0 not a hex digit, 1 a digit or a-f, 2 A-F. */
const HEX_CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c += 1) HEX_CLASS[c] = 1;
for (let c = 97; c <= 102; c += 1) HEX_CLASS[c] = 1;
for (let c = 65; c <= 70; c += 1) HEX_CLASS[c] = 2;

/** 0 if any of text[from, to) is not a hex digit, else 1, or 3 when one is upper-case. */
function hexRun(text: string, from: number, to: number): number {
  let kinds = 1;
  for (let i = from; i < to; i += 1) {
    const c = text.charCodeAt(i);
    const kind = c < 128 ? HEX_CLASS[c]! : 0;
    if (kind === 0) return 0;
    kinds |= kind;
  }
  return kinds;
}

/**
 * `8-4-4-4-12` hex digits, lower-cased; undefined otherwise. No version or variant rule (that is
 * {@link modelUuid}'s); `@bionicpro/cdc` checks Debezium's `io.debezium.data.Uuid` values with it.
 * A table scan rather than a branch per character class: random hex digits defeat the branch
 * predictor, and this runs for every UUID of every row.
 *
 * @internal
 */
export function uuidText(value: string): string | undefined {
  if (
    value.length !== 36 ||
    value.charCodeAt(8) !== 45 ||
    value.charCodeAt(13) !== 45 ||
    value.charCodeAt(18) !== 45 ||
    value.charCodeAt(23) !== 45
  ) {
    return undefined;
  }
  const a = hexRun(value, 0, 8);
  const b = hexRun(value, 9, 13);
  const c = hexRun(value, 14, 18);
  const d = hexRun(value, 19, 23);
  const e = hexRun(value, 24, 36);
  if ((a & b & c & d & e) === 0) return undefined;
  return ((a | b | c | d | e) & 2) === 0 ? value : value.toLowerCase();
}

const UUID_PATTERN = regexes.uuid();

/**
 * zod's UUID rule for text that has the `8-4-4-4-12` hex form: RFC 9562 version 1–8 and variant
 * 10xx, else zod's own pattern (the nil and max UUIDs), matched against the text as given.
 */
export function isStandardUuid(text: string): boolean {
  const version = text.charCodeAt(14);
  const variant = text.charCodeAt(19) | 0x20;
  return (
    (version >= 49 &&
      version <= 56 &&
      (variant === 56 || variant === 57 || variant === 97 || variant === 98)) ||
    UUID_PATTERN.test(text)
  );
}

/** The model's `Uuid` of any value (zod's rule, without a regular expression): the lower-cased UUID, or undefined. */
export function modelUuid(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = uuidText(value);
  return text !== undefined && isStandardUuid(value) ? text : undefined;
}
