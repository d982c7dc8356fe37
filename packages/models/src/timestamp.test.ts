import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Timestamp } from './scalars.js';
import {
  civilFromDays,
  daysFromCivil,
  formatMonth,
  isCalendarDate,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  monthOf,
  monthRange,
  monthsBetween,
  parseMonth,
  parseInstant,
  parseTimestamp,
  tryParseTimestampMs,
} from './timestamp.js';
import { validateRow } from './validate.js';
import { ModelValidationError } from './errors.js';
import { z } from 'zod';

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

/** ISO text with an expanded year (±YYYYYY), which Date.parse reads for every year exactly. */
function expandedIso(year: number, rest: string): string {
  return `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}${rest}`;
}

describe('instants (one reader for every path)', () => {
  it.each([
    ['0026-11-20T08:00:00Z', 26],
    ['0001-01-01T00:00:00Z', 1],
    ['0099-12-31T23:59:59Z', 99],
    ['0000-02-29T00:00:00Z', 0],
    ['1899-12-31T23:59:59.999Z', 1899],
    ['2300-01-01T00:00:00Z', 2300],
    ['9999-12-31T23:59:59Z', 9999],
    ['+10000-01-01T00:00:00Z', 10000],
    ['-0001-01-01T00:00:00Z', -1],
    ['+002300-01-01T00:00:00Z', 2300],
  ])('reads %s as the year written (%i) and refuses it as out of range, never shifted', (text, year) => {
    expect(parseInstant(text)).toEqual({ ok: false, reason: 'out_of_range' });
    expect(tryParseTimestampMs(text)).toBeUndefined();
    // The reader's own arithmetic, seen through a looser bound: the year as written.
    const ms = Date.parse(expandedIso(year, text.slice(text.indexOf('-', 1))));
    expect(new Date(ms).getUTCFullYear()).toBe(year);
  });

  it('names the field and the range with the code timestamp_out_of_range', () => {
    const Row = z.object({ event_timestamp: Timestamp });
    try {
      validateRow(Row, { event_timestamp: '0026-11-20T08:00:00Z' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ModelValidationError);
      const issue = (error as ModelValidationError).issues[0];
      expect(issue?.path).toEqual(['event_timestamp']);
      expect(issue?.code).toBe('timestamp_out_of_range');
      expect(issue?.message).toMatch(/1900-01-01T00:00:00.000Z to 2299-12-31T23:59:59.999Z/);
    }
    expect(Timestamp.safeParse('not a time').error?.issues[0]).toMatchObject({
      params: { code: 'invalid_timestamp' },
    });
  });

  it('reads an expanded year with its sign, and refuses five digits without one', () => {
    expect(parseInstant('+02024-01-15T08:00:00Z')).toEqual({ ok: true, ms: Date.UTC(2024, 0, 15, 8) });
    expect(parseInstant('10000-01-01T00:00:00Z')).toEqual({ ok: false, reason: 'not_timestamp' });
  });

  it('accepts both ends of the range and nothing beyond', () => {
    expect(parseInstant('1900-01-01T00:00:00.000Z')).toEqual({ ok: true, ms: MIN_TIMESTAMP_MS });
    expect(parseInstant('2299-12-31T23:59:59.999Z')).toEqual({ ok: true, ms: MAX_TIMESTAMP_MS });
    expect(parseInstant('2300-01-01T00:59:59.999+01:00')).toEqual({ ok: true, ms: MAX_TIMESTAMP_MS });
    expect(MIN_TIMESTAMP_MS).toBe(Date.UTC(1900, 0, 1));
    expect(MAX_TIMESTAMP_MS).toBe(Date.UTC(2299, 11, 31, 23, 59, 59, 999));
    expect(parseInstant(MIN_TIMESTAMP_MS - 1)).toEqual({ ok: false, reason: 'out_of_range' });
  });

  it('reads epoch counts in ms, µs and ns exactly, flooring to the millisecond', () => {
    expect(parseInstant(1_706_733_000_123)).toEqual({ ok: true, ms: 1_706_733_000_123 });
    expect(parseInstant(1_706_733_000_123_999n, { unit: 'us' })).toEqual({ ok: true, ms: 1_706_733_000_123 });
    expect(parseInstant(1_706_733_000_123_999_999n, { unit: 'ns' })).toEqual({
      ok: true,
      ms: 1_706_733_000_123,
    });
    expect(parseInstant(-1, { unit: 'us' })).toEqual({ ok: true, ms: -1 });
    expect(parseInstant(-1n, { unit: 'ns' })).toEqual({ ok: true, ms: -1 });
    expect(parseInstant(1.5)).toEqual({ ok: false, reason: 'not_timestamp' });
    expect(parseInstant(10n ** 30n, { unit: 'ns' })).toEqual({ ok: false, reason: 'out_of_range' });
    expect(parseInstant(null)).toEqual({ ok: false, reason: 'not_timestamp' });
    expect(parseInstant(new Date(Number.NaN))).toEqual({ ok: false, reason: 'not_timestamp' });
  });

  it('agrees with Date.parse of the expanded-year form for every year 0000-9999 and offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 86_399_999 }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.integer({ min: 0, max: 3 }),
        (year, month, day, msOfDay, offsetMinutes, form) => {
          const pad = (n: number, w = 2) => String(n).padStart(w, '0');
          const time = `${pad(Math.floor(msOfDay / 3_600_000))}:${pad(Math.floor(msOfDay / 60_000) % 60)}:${pad(Math.floor(msOfDay / 1000) % 60)}.${pad(msOfDay % 1000, 3)}`;
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = form === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
          const date = `-${pad(month)}-${pad(day)}`;
          const text = `${pad(year, 4)}${date}${form === 2 ? ' ' : 'T'}${time}${zone}`;
          const reference = Date.parse(expandedIso(year, `${date}T${time}${zone}`));
          // V8's Date.parse rolls 09-31 over to 10-01: a real date reads back as its own day.
          const realDay = new Date(Date.parse(expandedIso(year, `${date}T00:00:00Z`))).getUTCDate() === day;
          const result = parseInstant(text);
          if (Number.isNaN(reference) || !realDay) {
            expect(result).toEqual({ ok: false, reason: 'not_timestamp' });
          } else if (reference < MIN_TIMESTAMP_MS || reference > MAX_TIMESTAMP_MS) {
            expect(result).toEqual({ ok: false, reason: 'out_of_range' });
          } else {
            expect(result).toEqual({ ok: true, ms: reference });
            expect(tryParseTimestampMs(text)).toBe(reference);
          }
        },
      ),
      { numRuns: 20_000 },
    );
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

describe('civilFromDays and daysFromCivil', () => {
  it('agree with Date in its range and invert each other over the whole int32 day range', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000_000, max: 100_000_000 }), (days) => {
        const date = civilFromDays(days);
        expect(daysFromCivil(date.year, date.month, date.day)).toBe(days);
        const reference = new Date(days * 86_400_000);
        expect([date.year, date.month, date.day]).toEqual([
          reference.getUTCFullYear(),
          reference.getUTCMonth() + 1,
          reference.getUTCDate(),
        ]);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), (days) => {
        const date = civilFromDays(days);
        expect(daysFromCivil(date.year, date.month, date.day)).toBe(days);
      }),
      { numRuns: 20_000 },
    );
  });

  it('puts the years 0001 and 0026 where they are, not in the 1900s', () => {
    expect(civilFromDays(daysFromCivil(1, 1, 1))).toEqual({ year: 1, month: 1, day: 1 });
    expect(civilFromDays(daysFromCivil(26, 11, 20))).toEqual({ year: 26, month: 11, day: 20 });
  });
});
