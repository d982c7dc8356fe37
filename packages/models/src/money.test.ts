import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  minorToMoney,
  moneyRatio,
  moneyToMinor,
  multiplyMoney,
  parseMoney,
  sumMoney,
  tryParseMoneyMinor,
} from './money.js';
import { Money, MoneyTotal } from './scalars.js';

describe('money', () => {
  it('normalises decimal text to two decimals', () => {
    expect(parseMoney('2999')).toBe('2999.00');
    expect(parseMoney('2999.5')).toBe('2999.50');
    expect(parseMoney('-0.05')).toBe('-0.05');
    expect(parseMoney('99999999.99')).toBe('99999999.99');
  });

  it('refuses binary floats, extra decimals and values beyond numeric(10,2)', () => {
    expect(tryParseMoneyMinor(12.5)).toEqual({ ok: false, reason: 'binary_float' });
    expect(tryParseMoneyMinor('12.345')).toEqual({ ok: false, reason: 'too_many_decimals' });
    expect(tryParseMoneyMinor('100000000.00')).toEqual({ ok: false, reason: 'out_of_range' });
    expect(tryParseMoneyMinor('1e3')).toEqual({ ok: false, reason: 'not_decimal_text' });
    expect(tryParseMoneyMinor('')).toEqual({ ok: false, reason: 'not_decimal_text' });
  });

  it('accepts bigint kopecks', () => {
    expect(Money.parse(299900n)).toBe('2999.00');
  });

  it('names the field and the reason in a model error', () => {
    const result = Money.safeParse(0.1);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/not a binary floating-point number/);
  });

  it('sums exactly where floats drift (0.1 + 0.2)', () => {
    expect(sumMoney(['0.10', '0.20'])).toBe('0.30');
    expect(sumMoney(Array.from({ length: 1000 }, () => '0.01'))).toBe('10.00');
  });

  it('computes ARR and ratios', () => {
    expect(multiplyMoney('2999.00', 12)).toBe('35988.00');
    expect(moneyRatio('5998.00', '8997.00')).toBeCloseTo(2 / 3, 12);
    expect(moneyRatio('1.00', '0.00')).toBeNull();
  });

  it('round-trips every kopeck amount in range through text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -9_999_999_999n, max: 9_999_999_999n }), (minor) => {
        const text = minorToMoney(minor);
        expect(text).toMatch(/^-?\d+\.\d{2}$/);
        expect(moneyToMinor(text)).toBe(minor);
        expect(Money.parse(text)).toBe(text);
      }),
    );
  });

  it('sums like integer arithmetic on kopecks (independent reference)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -9_999_999, max: 9_999_999 })), (cents) => {
        const reference = cents.reduce((a, b) => a + b, 0);
        const text = sumMoney(cents.map((c) => minorToMoney(BigInt(c))));
        expect(Math.round(Number(text) * 100)).toBe(reference);
      }),
    );
  });

  it('MoneyTotal holds sums beyond numeric(10,2)', () => {
    expect(MoneyTotal.parse('123456789012.34')).toBe('123456789012.34');
    expect(Money.safeParse('123456789012.34').success).toBe(false);
  });
});
