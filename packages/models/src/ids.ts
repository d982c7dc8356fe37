import { InvalidIdError } from './errors.js';
import { INT64_MAX, type Int64Text, isCanonicalIntegerText } from './int64.js';

/** Largest id of an `integer` (Int32) key column: 2^31−1. */
export const ID_MAX = 2_147_483_647;
/** Largest id of a `bigint` (Int64) key column: 2^63−1. */
export const BIG_ID_MAX = INT64_MAX;

/** Options of {@link parseIdText}. */
export interface ParseIdOptions<Max extends number | bigint> {
  /** Largest id of the column: {@link ID_MAX} (default, Int32 keys) or {@link BIG_ID_MAX} (bigint keys). */
  readonly max?: Max;
  /** Name of the parameter or field, for the error's `path` and message (e.g. `user_id`). */
  readonly name?: string;
}

/**
 * The one parser of ids given as text in paths, queries and bodies: canonical decimal
 * digits only (no sign, no leading zero, no exponent `1e0`, no spaces or `%20`, no hex
 * `0x2`), from 1 to `max`. With a number `max` (Int32 keys, the default) it returns a
 * number; with a bigint `max` ({@link BIG_ID_MAX}) it returns canonical decimal text
 * (`Int64Text`), exact beyond 2^53. Anything else throws {@link InvalidIdError}
 * (code `invalid_id`) naming the parameter.
 *
 * @example
 * ```ts
 * import { BIG_ID_MAX, InvalidIdError, parseIdText } from '@bionicpro/models';
 * parseIdText('42'); // 42
 * parseIdText('9223372036854775807', { max: BIG_ID_MAX }); // '9223372036854775807'
 * try {
 *   parseIdText('1e0', { name: 'user_id' });
 * } catch (error) {
 *   if (error instanceof InvalidIdError) console.log(error.code); // 'invalid_id', naming user_id
 * }
 * ```
 */
export function parseIdText(text: string, options?: ParseIdOptions<number>): number;
export function parseIdText(text: string, options: ParseIdOptions<bigint> & { max: bigint }): Int64Text;
export function parseIdText(text: string, options: ParseIdOptions<number | bigint> = {}): number | Int64Text {
  const max = options.max ?? ID_MAX;
  const fail = (why: string): never => {
    const name = options.name;
    throw new InvalidIdError(
      `${name === undefined ? '' : `${name}: `}${why}, got ${describeIdInput(text)}`,
      text,
      name === undefined ? {} : { path: [name] },
    );
  };
  if (
    typeof text !== 'string' ||
    !isCanonicalIntegerText(text) ||
    text.charCodeAt(0) === 45 ||
    text === '0'
  ) {
    return fail(
      `expected an id of decimal digits from 1 to ${max} (no sign, leading zero, exponent, hex or spaces)`,
    );
  }
  if (typeof max === 'bigint') {
    if (text.length > 19 || BigInt(text) > max) return fail(`id out of range: expected 1 to ${max}`);
    return text;
  }
  const n = text.length > 16 ? Number.POSITIVE_INFINITY : Number(text);
  if (n > max) return fail(`id out of range: expected 1 to ${max}`);
  return n;
}

function describeIdInput(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  const shown = value.length > 30 ? `${value.slice(0, 27)}...` : value;
  return JSON.stringify(shown);
}
