import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareInt64Text,
  INT64_MAX,
  INT64_MIN,
  isCanonicalIntegerText,
  tryParseInt64,
  tryParseIntegerText,
  tryParseUInt64,
  UINT64_MAX,
} from './int64.js';

/** Independent reference: BigInt's own parse, and canonical form by round trip. */
function reference(text: string, min: bigint, max: bigint): string | undefined {
  if (!/^-?\d+$/.test(text)) return undefined;
  const n = BigInt(text);
  if (n.toString() !== text) return undefined; // leading zeros, "-0"
  return n >= min && n <= max ? text : undefined;
}

describe('64-bit integer text', () => {
  it.each([
    ['9223372036854775807', '9223372036854775807'],
    ['-9223372036854775808', '-9223372036854775808'],
    ['9007199254740993', '9007199254740993'],
    ['0', '0'],
    [0, '0'],
    [-0, '0'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [-(2n ** 63n), '-9223372036854775808'],
  ])('reads %s as signed Int64 %s', (value, text) => {
    expect(tryParseInt64(value)).toEqual({ ok: true, text });
  });

  it.each([
    ['9223372036854775808', 'out_of_range'],
    ['-9223372036854775809', 'out_of_range'],
    ['10000000000000000000', 'out_of_range'],
    ['+1', 'not_canonical'],
    ['01', 'not_canonical'],
    ['-0', 'not_canonical'],
    ['1e3', 'not_canonical'],
    ['0x2', 'not_canonical'],
    [' 1', 'not_canonical'],
    ['1 ', 'not_canonical'],
    ['', 'not_canonical'],
    ['-', 'not_canonical'],
    ['1.0', 'not_canonical'],
    [2 ** 53, 'unsafe_number'],
    [1.5, 'unsafe_number'],
    [Number.NaN, 'unsafe_number'],
    [null, 'not_integer_type'],
    [{}, 'not_integer_type'],
  ])('refuses %s as Int64 (%s)', (value, reason) => {
    expect(tryParseInt64(value)).toEqual({ ok: false, reason });
  });

  it('reads the whole unsigned range and nothing beyond', () => {
    expect(tryParseUInt64('18446744073709551615')).toEqual({ ok: true, text: '18446744073709551615' });
    expect(tryParseUInt64('18446744073709551616')).toEqual({ ok: false, reason: 'out_of_range' });
    expect(tryParseUInt64('-1')).toEqual({ ok: false, reason: 'out_of_range' });
    expect(tryParseUInt64(-1)).toEqual({ ok: false, reason: 'out_of_range' });
    expect(tryParseUInt64(2n ** 64n - 1n)).toEqual({ ok: true, text: '18446744073709551615' });
  });

  const integerText = fc.oneof(
    fc.bigInt({ min: -(2n ** 65n), max: 2n ** 65n }).map(String),
    fc.bigInt({ min: INT64_MAX - 1000n, max: INT64_MAX + 1000n }).map(String),
    fc.bigInt({ min: INT64_MIN - 1000n, max: INT64_MIN + 1000n }).map(String),
    fc.bigInt({ min: UINT64_MAX - 1000n, max: UINT64_MAX + 1000n }).map(String),
    fc.stringMatching(/^[-+ 0]?[0-9xe. ]{0,22}$/),
  );

  it('agrees with BigInt on every text, signed and unsigned', () => {
    fc.assert(
      fc.property(integerText, (text) => {
        const signed = tryParseInt64(text);
        const unsigned = tryParseUInt64(text);
        expect(signed.ok ? signed.text : undefined).toBe(reference(text, INT64_MIN, INT64_MAX));
        expect(unsigned.ok ? unsigned.text : undefined).toBe(reference(text, 0n, UINT64_MAX));
        expect(isCanonicalIntegerText(text)).toBe(reference(text, -(2n ** 200n), 2n ** 200n) !== undefined);
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with BigInt for bigint and safe-number input in any range', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: -(2n ** 66n), max: 2n ** 66n }), fc.maxSafeInteger()),
        fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n }),
        (value, min, span) => {
          const max = min + span;
          const result = tryParseIntegerText(value, min, max);
          const n = BigInt(value);
          expect(result.ok ? result.text : undefined).toBe(n >= min && n <= max ? n.toString() : undefined);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('orders texts as BigInt does, telling 2^53+1 from 2^53', () => {
    expect(compareInt64Text('9007199254740993', '9007199254740992')).toBe(1);
    expect(compareInt64Text('-9007199254740993', '-9007199254740992')).toBe(-1);
    expect(compareInt64Text('0', '0')).toBe(0);
    fc.assert(
      fc.property(
        fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
        fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
        (a, b) => {
          expect(compareInt64Text(a.toString(), b.toString())).toBe(a < b ? -1 : a > b ? 1 : 0);
        },
      ),
      { numRuns: 5000 },
    );
  });
});
