import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Timestamp } from './scalars.js';
import {
  formatMonth,
  isCalendarDate,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  monthOf,
  monthRange,
  monthsBetween,
  parseMonth,
  parseTimestamp,
  tryParseTimestampMs,
} from './timestamp.js';

describe('timestamps', () => {
  it.each([
    ['2024-01-31T23:30:00Z', '2024-01-31T23:30:00.000Z'],
    ['2024-01-31T23:30:00+03:00', '2024-01-31T20:30:00.000Z'],
    ['2024-01-31T23:30:00-0130', '2024-02-01T01:00:00.000Z'],
    ['2024-01-31 23:30:00', '2024-01-31T23:30:00.000Z'],
    ['2024-01-31 23:30:00.123456', '2024-01-31T23:30:00.123Z'],
    ['2024-01-31T23:30', '2024-01-31T23:30:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as UTC %s', (input, expected) => {
    expect(parseTimestamp(input).toISOString()).toBe(expected);
  });

  it.each([
    '01/02/2024',
    'Jan 2 2024',
    '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '2024-01-01T10:60:00Z',
    '2024-01-01T10:00:00+25:00',
    '2024-01-01T10:00:00 EST',
    '2024-01-01T10:00:00.Z',
    '',
    '1850-01-01T00:00:00Z',
  ])('rejects %s', (input) => {
    expect(tryParseTimestampMs(input)).toBeUndefined();
    expect(Timestamp.safeParse(input).success).toBe(false);
  });

  it('rejects invalid Dates and non-strings', () => {
    expect(tryParseTimestampMs(new Date(Number.NaN))).toBeUndefined();
    expect(tryParseTimestampMs(1_700_000_000_000)).toBeUndefined();
  });

  it('agrees with Date.parse on every ISO instant with any offset (independent reference)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MIN_TIMESTAMP_MS + 86_400_000, max: MAX_TIMESTAMP_MS - 86_400_000 }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (ms, offsetMinutes) => {
          const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const text = `${local}${zone}`;
          expect(tryParseTimestampMs(text)).toBe(Date.parse(text));
          expect(tryParseTimestampMs(text)).toBe(ms);
        },
      ),
    );
  });

  it('validates calendar dates', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2024-2-1')).toBe(false);
  });
});

describe('months', () => {
  it('gives the UTC range and last day of a month', () => {
    const feb = monthRange(parseMonth('2024-02'));
    expect(feb.start.toISOString()).toBe('2024-02-01T00:00:00.000Z');
    expect(feb.end.toISOString()).toBe('2024-03-01T00:00:00.000Z');
    expect(feb.lastDay).toBe('2024-02-29');
    expect(feb.days).toBe(29);
  });

  it('rejects malformed months', () => {
    expect(() => parseMonth('2024-13')).toThrow(/YYYY-MM/);
    expect(() => parseMonth('2024-1')).toThrow(/YYYY-MM/);
  });

  it('lists months across a year boundary', () => {
    expect(monthsBetween(parseMonth('2023-11'), parseMonth('2024-02')).map(formatMonth)).toEqual([
      '2023-11',
      '2023-12',
      '2024-01',
      '2024-02',
    ]);
    expect(formatMonth(monthOf(new Date('2024-12-31T23:59:59.999Z')))).toBe('2024-12');
  });
});
