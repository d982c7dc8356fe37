import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBionicProError } from './errors.js';
import {
  dayWindow,
  InvalidPeriodError,
  monthPeriod,
  monthWindow,
  resolvePeriod,
  timeWindow,
  windowFromInclusive,
} from './utc-period.js';

const utc = (text: string) => new Date(text).getTime();

function periodError(run: () => unknown): InvalidPeriodError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPeriodError);
    expect(isBionicProError(error)).toBe(true);
    return error as InvalidPeriodError;
  }
  throw new Error('expected an InvalidPeriodError');
}

describe('monthPeriod: a UTC calendar month as the half-open [startMs, endMs)', () => {
  it('starts at the first instant of the month and ends at the first instant of the next', () => {
    const january = monthPeriod('2024-01');
    expect(january).toEqual({
      month: { year: 2024, month: 1 },
      label: '2024-01',
      startMs: utc('2024-01-01T00:00:00Z'),
      endMs: utc('2024-02-01T00:00:00Z'),
      firstDay: '2024-01-01',
      lastDay: '2024-01-31',
      days: 31,
      partition: 202401,
    });
  });

  it('rolls December over into January of the next year', () => {
    const december = monthPeriod('2024-12');
    expect(december.endMs).toBe(utc('2025-01-01T00:00:00Z'));
    expect(december.lastDay).toBe('2024-12-31');
    expect(december.partition).toBe(202412);
    expect(monthWindow(december).end.getTime()).toBe(monthPeriod('2025-01').startMs);
  });

  it('counts February by the Gregorian leap rule (every 4th year, not centuries, but every 400th)', () => {
    expect(monthPeriod('2024-02')).toMatchObject({ days: 29, lastDay: '2024-02-29' });
    expect(monthPeriod('2023-02')).toMatchObject({ days: 28, lastDay: '2023-02-28' });
    expect(monthPeriod('2000-02')).toMatchObject({ days: 29, lastDay: '2000-02-29' });
    expect(monthPeriod('1900-02')).toMatchObject({ days: 28, lastDay: '1900-02-28' });
    expect(monthPeriod('2100-02')).toMatchObject({ days: 28, lastDay: '2100-02-28' });
    expect(monthPeriod('2024-02').endMs).toBe(utc('2024-03-01T00:00:00Z'));
  });

  it('takes a Month as well as its text', () => {
    expect(monthPeriod({ year: 2024, month: 3 })).toEqual(monthPeriod('2024-03'));
  });

  it('accepts 1900-01 … 2299-12 (what DateTime64(3) stores) and rejects the months around them', () => {
    expect(monthPeriod('1900-01').startMs).toBe(utc('1900-01-01T00:00:00Z'));
    expect(monthPeriod('2299-12').endMs).toBe(utc('2300-01-01T00:00:00Z'));
    for (const month of ['1899-12', '2300-01', '0026-01']) {
      const error = periodError(() => monthPeriod(month));
      expect(error.code).toBe('invalid_period');
      expect(error.reason).toBe('month outside 1900-01 … 2299-12');
    }
  });

  it('rejects text that is not YYYY-MM with a typed error naming the value', () => {
    for (const bad of ['2024-13', '2024-00', '2024-1', '2024-01-01', '', 'January']) {
      const error = periodError(() => monthPeriod(bad));
      expect(error.code).toBe('invalid_period');
      expect(error.value).toBe(bad);
      expect(error.path).toEqual(['period']);
      expect(error.message).toContain(JSON.stringify(bad));
    }
  });

  it('rejects a value that is neither text nor a Month with the same typed error', () => {
    for (const bad of [undefined, null, 202401]) {
      expect(periodError(() => monthPeriod(bad as never)).reason).toBe('expected a month YYYY-MM');
    }
  });

  it('tiles time: consecutive months meet with no gap and no overlap, and a year has 365 or 366 days', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2298 }), fc.integer({ min: 1, max: 12 }), (year, month) => {
        const here = monthPeriod({ year, month });
        const next = monthPeriod(month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 });
        expect(here.endMs).toBe(next.startMs);
        expect(here.endMs - here.startMs).toBe(here.days * 86_400_000);
        const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
        const yearDays = Array.from({ length: 12 }, (_, i) => monthPeriod({ year, month: i + 1 }).days);
        expect(yearDays.reduce((a, b) => a + b, 0)).toBe(leap ? 366 : 365);
      }),
      { numRuns: 200 },
    );
  });
});

describe('resolvePeriod', () => {
  it('resolves text and Months, and returns a resolved period as is', () => {
    const march = monthPeriod('2024-03');
    expect(resolvePeriod(march)).toBe(march);
    expect(resolvePeriod('2024-03')).toEqual(march);
    expect(resolvePeriod({ year: 2024, month: 3 })).toEqual(march);
    expect(() => resolvePeriod('2024-3')).toThrow(InvalidPeriodError);
  });
});

describe('time windows are half-open [start, end)', () => {
  it('timeWindow keeps valid ends with start before end', () => {
    const start = new Date('2024-01-31T23:00:00Z');
    const end = new Date('2024-02-01T00:00:00Z');
    expect(timeWindow(start, end)).toEqual({ start, end });
  });

  it('timeWindow rejects an empty or reversed window and invalid dates', () => {
    const t = new Date('2024-01-01T00:00:00Z');
    expect(periodError(() => timeWindow(t, t)).reason).toBe('window start must be before its end');
    expect(periodError(() => timeWindow(new Date('2024-02-01'), t)).reason).toBe(
      'window start must be before its end',
    );
    expect(periodError(() => timeWindow(new Date(Number.NaN), t)).reason).toBe(
      'window ends must be valid instants',
    );
  });

  it("monthWindow is the month's [first instant, first instant of the next month)", () => {
    const window = monthWindow(monthPeriod('2023-12'));
    expect(window.start.toISOString()).toBe('2023-12-01T00:00:00.000Z');
    expect(window.end.toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it("dayWindow is one UTC day, including the leap day and the year's last day", () => {
    expect(dayWindow('2024-02-29').start.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(dayWindow('2024-02-29').end.toISOString()).toBe('2024-03-01T00:00:00.000Z');
    expect(dayWindow('2024-12-31').end.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    for (const bad of ['2023-02-29', '2024-13-01', '2024-1-01', '1899-12-31', '2300-01-01']) {
      expect(periodError(() => dayWindow(bad)).reason).toBe('expected a date YYYY-MM-DD');
    }
  });
});

describe('windowFromInclusive: an inclusive API window converted to half-open at the edge', () => {
  it('moves the inclusive last instant one millisecond on, so the last instant stays inside', () => {
    const window = windowFromInclusive(
      new Date('2024-01-01T00:00:00Z'),
      new Date('2024-01-31T23:59:59.999Z'),
    );
    expect(window.start?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(window.end?.toISOString()).toBe('2024-02-01T00:00:00.000Z');
    // The inclusive window of a whole month is exactly the month's half-open window.
    expect(window.end?.getTime()).toBe(monthPeriod('2024-01').endMs);
  });

  it('keeps absent ends absent (unbounded) and accepts a one-instant window', () => {
    expect(windowFromInclusive(undefined, undefined)).toEqual({ start: undefined, end: undefined });
    const t = new Date('2024-02-29T12:00:00.000Z');
    expect(windowFromInclusive(t, undefined)).toEqual({ start: t, end: undefined });
    expect(windowFromInclusive(undefined, t).end?.toISOString()).toBe('2024-02-29T12:00:00.001Z');
    expect(windowFromInclusive(t, t).end?.getTime()).toBe(t.getTime() + 1);
  });

  it('rejects a start after the last instant, and invalid dates', () => {
    const t = new Date('2024-01-02T00:00:00Z');
    expect(periodError(() => windowFromInclusive(t, new Date(t.getTime() - 1))).reason).toBe(
      'window start must not follow its last instant',
    );
    expect(periodError(() => windowFromInclusive(new Date(Number.NaN), t)).reason).toBe(
      'window ends must be valid instants',
    );
  });

  it('holds exactly the instants the inclusive window holds (millisecond instants)', () => {
    const ms = fc.integer({ min: utc('1970-01-01T00:00:00Z'), max: utc('2100-01-01T00:00:00Z') });
    fc.assert(
      fc.property(
        ms,
        fc.nat({ max: 5_000 }),
        fc.integer({ min: -3, max: 5_003 }),
        (start, length, offset) => {
          const last = start + length;
          const t = start + offset;
          const window = windowFromInclusive(new Date(start), new Date(last));
          const inInclusive = start <= t && t <= last;
          const inHalfOpen =
            (window.start?.getTime() ?? -Infinity) <= t && t < (window.end?.getTime() ?? Infinity);
          expect(inHalfOpen).toBe(inInclusive);
        },
      ),
      { numRuns: 500 },
    );
  });
});
