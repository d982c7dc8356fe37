import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimestamp, utcDateTimeText } from './sink-rows.js';

/** Every instant a `Date` can hold (±8.64e15 ms), biased towards the edges of days and of DateTime64's range. */
const anyInstant = fc.oneof(
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.integer({ min: -2_208_988_800_010, max: -2_208_988_799_990 }),
  fc.integer({ min: 10_413_791_999_990, max: 10_413_792_000_010 }),
  fc.integer({ min: -3, max: 3 }).chain((d) => fc.constant(d * 86_400_000 + (d % 2 === 0 ? 0 : -1))),
);

describe('sink timestamp text', () => {
  it('isoTimestamp equals Date.prototype.toISOString for every instant', () => {
    fc.assert(
      fc.property(anyInstant, (ms) => {
        const date = new Date(ms);
        expect(isoTimestamp(date)).toBe(date.toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('isoTimestamp throws like toISOString on an invalid Date', () => {
    expect(() => isoTimestamp(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('utcDateTimeText is the ISO text as YYYY-MM-DD hh:mm:ss.sss inside DateTime64 range, undefined outside', () => {
    fc.assert(
      fc.property(anyInstant, (ms) => {
        const date = new Date(ms);
        const inRange = ms >= -2_208_988_800_000 && ms < 10_413_792_000_000;
        const iso = date.toISOString();
        expect(utcDateTimeText(date)).toBe(inRange ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : undefined);
      }),
      { numRuns: 20_000 },
    );
    expect(utcDateTimeText(new Date(Number.NaN))).toBeUndefined();
    expect(utcDateTimeText(new Date('1900-01-01T00:00:00.000Z'))).toBe('1900-01-01 00:00:00.000');
    expect(utcDateTimeText(new Date('2299-12-31T23:59:59.999Z'))).toBe('2299-12-31 23:59:59.999');
  });
});
