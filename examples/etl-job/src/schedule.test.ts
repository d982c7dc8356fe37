import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { monthRangeList, monthToCompute, nextRun, ScheduleError } from './schedule.js';

describe('monthly schedule', () => {
  it('runs on the configured day and time, in this month or the next', () => {
    const at = { day: 1, hour: 2, minute: 0 };
    expect(nextRun(new Date('2024-01-15T00:00:00Z'), at).toISOString()).toBe('2024-02-01T02:00:00.000Z');
    expect(nextRun(new Date('2024-02-01T01:59:59Z'), at).toISOString()).toBe('2024-02-01T02:00:00.000Z');
    expect(nextRun(new Date('2024-02-01T02:00:00Z'), at).toISOString()).toBe('2024-03-01T02:00:00.000Z');
    expect(nextRun(new Date('2024-12-31T23:00:00Z'), at).toISOString()).toBe('2025-01-01T02:00:00.000Z');
  });

  it('is always strictly after now, within 32 days, on the slot', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        (now, day, hour, minute) => {
          const next = nextRun(now, { day, hour, minute });
          expect(next.getTime()).toBeGreaterThan(now.getTime());
          expect(next.getTime() - now.getTime()).toBeLessThanOrEqual(32 * 86_400_000);
          expect([next.getUTCDate(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([day, hour, minute]);
        },
      ),
    );
  });

  it('computes the last complete month', () => {
    expect(monthToCompute(new Date('2024-02-01T02:00:00Z'))).toBe('2024-01');
    expect(monthToCompute(new Date('2024-01-01T02:00:00Z'))).toBe('2023-12');
  });

  it('refuses days a month may not have and out-of-range times', () => {
    expect(() => nextRun(new Date(), { day: 31, hour: 2, minute: 0 })).toThrow(ScheduleError);
    expect(() => nextRun(new Date(), { day: 1, hour: 24, minute: 0 })).toThrow(/hour/);
  });

  it('expands month ranges across years and refuses malformed ones', () => {
    expect(monthRangeList('2023-11..2024-02')).toEqual(['2023-11', '2023-12', '2024-01', '2024-02']);
    expect(monthRangeList('2024-05')).toEqual(['2024-05']);
    expect(() => monthRangeList('2024-03..2024-01')).toThrow(/ends before/);
    expect(() => monthRangeList('march')).toThrow(ScheduleError);
  });
});
