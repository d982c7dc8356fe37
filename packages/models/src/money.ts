import { InvalidArgumentError, InvalidMoneyError } from './errors.js';

/**
 * Exact money (docs/data-contract.md): numeric(10,2) travels as a decimal string or integer
 * minor units (kopecks), never as a binary float. Arithmetic is done on bigint
 * kopecks; the canonical text form has exactly two decimals.
 */

/** Largest absolute value of numeric(10,2): 99 999 999.99. */
export const NUMERIC_10_2_MAX_MINOR = 9_999_999_999n;
/** Largest absolute value of the marts' Decimal(18,2) totals. */
export const DECIMAL_18_2_MAX_MINOR = 999_999_999_999_999_999n;

const MONEY_TEXT = /^(-)?(\d+)(?:\.(\d{1,2}))?$/;

export type MoneyParseFailure = 'not_decimal_text' | 'too_many_decimals' | 'out_of_range' | 'binary_float';

/** Result of {@link tryParseMoneyMinor}: kopecks, or why the value is not money. */
export type MoneyParseResult = { ok: true; minor: bigint } | { ok: false; reason: MoneyParseFailure };

/**
 * Parses a decimal string (`"2999"`, `"2999.5"`, `"-12.34"`) or bigint kopecks
 * into kopecks. JS numbers are refused: a binary float cannot carry money exactly.
 */
export function tryParseMoneyMinor(value: unknown, maxMinor = NUMERIC_10_2_MAX_MINOR): MoneyParseResult {
  if (typeof value === 'bigint') {
    return value > maxMinor || value < -maxMinor
      ? { ok: false, reason: 'out_of_range' }
      : { ok: true, minor: value };
  }
  if (typeof value === 'number') return { ok: false, reason: 'binary_float' };
  if (typeof value !== 'string') return { ok: false, reason: 'not_decimal_text' };
  const match = MONEY_TEXT.exec(value.trim());
  if (!match) {
    return /^-?\d+\.\d{3,}$/.test(value.trim())
      ? { ok: false, reason: 'too_many_decimals' }
      : { ok: false, reason: 'not_decimal_text' };
  }
  const [, sign, whole = '0', fraction = ''] = match;
  const minor = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
  if (minor > maxMinor) return { ok: false, reason: 'out_of_range' };
  return { ok: true, minor: sign ? -minor : minor };
}

/** Human explanation of a {@link MoneyParseFailure}. */
export function describeMoneyFailure(reason: MoneyParseFailure, maxMinor = NUMERIC_10_2_MAX_MINOR): string {
  switch (reason) {
    case 'binary_float':
      return 'money must be a decimal string such as "2999.00" (or bigint kopecks), not a binary floating-point number';
    case 'too_many_decimals':
      return 'money has more than two decimal places';
    case 'out_of_range':
      return `money is out of range: at most ${minorToMoney(maxMinor)} in absolute value`;
    default:
      return 'money must be a decimal string such as "2999.00"';
  }
}

/**
 * Kopecks of a money value; throws {@link InvalidMoneyError} (code `invalid_money`) naming the problem.
 *
 * @example
 * ```ts
 * import { moneyToMinor } from '@bionicpro/models';
 * moneyToMinor('2999.00'); // 299900n
 * ```
 */
export function moneyToMinor(value: string | bigint, maxMinor = DECIMAL_18_2_MAX_MINOR): bigint {
  const result = tryParseMoneyMinor(value, maxMinor);
  if (!result.ok) {
    throw new InvalidMoneyError(
      `${describeMoneyFailure(result.reason, maxMinor)}: ${describeMoneyInput(value)}`,
      value,
    );
  }
  return result.minor;
}

/**
 * Canonical two-decimal text of kopecks.
 *
 * @example
 * ```ts
 * import { minorToMoney } from '@bionicpro/models';
 * minorToMoney(899700n); // '8997.00'
 * ```
 */
export function minorToMoney(minor: bigint): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const whole = abs / 100n;
  const cents = abs % 100n;
  return `${negative ? '-' : ''}${whole}.${cents < 10n ? '0' : ''}${cents}`;
}

/** Normalises money text to its canonical form (`"5"` → `"5.00"`). */
export function parseMoney(value: string | bigint, maxMinor = NUMERIC_10_2_MAX_MINOR): string {
  return minorToMoney(moneyToMinor(value, maxMinor));
}

/**
 * Exact sum of money values.
 *
 * @example
 * ```ts
 * import { sumMoney } from '@bionicpro/models';
 * sumMoney(['2999.00', '2999.00', '0.10']); // '5998.10'
 * ```
 */
export function sumMoney(values: Iterable<string | bigint>): string {
  let total = 0n;
  for (const value of values) total += moneyToMinor(value);
  return minorToMoney(total);
}

/** Exact product of money and an integer factor (e.g. ARR = monthly × 12). */
export function multiplyMoney(value: string | bigint, factor: number): string {
  if (!Number.isSafeInteger(factor)) {
    throw new InvalidArgumentError('factor', `money factor must be an integer, got ${factor}`);
  }
  return minorToMoney(moneyToMinor(value) * BigInt(factor));
}

/** Ratio of two money values as a float (for rates such as payment_success_rate); null when the divisor is 0. */
export function moneyRatio(numerator: string | bigint, denominator: string | bigint): number | null {
  const d = moneyToMinor(denominator);
  if (d === 0n) return null;
  return Number(moneyToMinor(numerator)) / Number(d);
}

function describeMoneyInput(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return String(value);
}
