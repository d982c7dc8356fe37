import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cachedReport,
  createMemoryReportCache,
  dayPeriod,
  dayReportPeriod,
  monthPeriod,
  monthReportPeriod,
  periodsOverlap,
  type ReportCacheKey,
  reportCacheKey,
} from './report-cache.js';
import { ReportParameterError } from './errors.js';
import { trustedReportScope } from './report-scope.js';

const key = (
  userId: number,
  report = 'user_monthly',
  month = '2024-01',
  dataVersion = 'v1',
): ReportCacheKey => ({
  scope: trustedReportScope(userId),
  report,
  period: monthPeriod(month),
  dataVersion,
});

describe('report cache', () => {
  it('never serves a report stored for one user to another (any users, reports, periods, versions)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.string({ minLength: 1 }),
        fc.string(),
        async (a, b, report, version) => {
          fc.pre(a !== b);
          const cache = createMemoryReportCache<{ owner: number }>();
          await cache.set(key(a, report, '2024-01', version), { owner: a });
          expect(await cache.get(key(b, report, '2024-01', version))).toBeUndefined();
          expect(await cache.get(key(a, report, '2024-01', version))).toEqual({ owner: a });
          expect(reportCacheKey(key(a, report, '2024-01', version))).not.toBe(
            reportCacheKey(key(b, report, '2024-01', version)),
          );
        },
      ),
    );
  });

  it('builds injective text keys: no report name or version can imitate another user', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (r1, v1, r2, v2) => {
        fc.pre(r1 !== '' && r2 !== '' && (r1 !== r2 || v1 !== v2));
        expect(reportCacheKey(key(1, r1, '2024-01', v1))).not.toBe(reportCacheKey(key(1, r2, '2024-01', v2)));
      }),
    );
    expect(reportCacheKey(key(1, 'x/u/2', '2024-01', 'a/b'))).toBe(
      'u/1/x%2Fu%2F2/2024-01-01T00%3A00%3A00.000Z/2024-02-01T00%3A00%3A00.000Z/a%2Fb',
    );
  });

  it('misses when the data version changed', async () => {
    const cache = createMemoryReportCache<string>();
    await cache.set(key(1, 'daily', '2024-01', 'v1'), 'old');
    expect(await cache.get(key(1, 'daily', '2024-01', 'v2'))).toBeUndefined();
  });

  it('evicts the least recently used entry', async () => {
    const cache = createMemoryReportCache<number>({ maxEntries: 2 });
    await cache.set(key(1), 1);
    await cache.set(key(2), 2);
    await cache.get(key(1));
    await cache.set(key(3), 3);
    expect(await cache.get(key(2))).toBeUndefined();
    expect(await cache.get(key(1))).toBe(1);
    expect(await cache.get(key(3))).toBe(3);
    expect(cache.stats.evictions).toBe(1);
  });

  it('invalidates every report overlapping a reloaded period, for every user', async () => {
    const cache = createMemoryReportCache<string>();
    await cache.set(key(1, 'user_monthly', '2024-01'), 'jan-1');
    await cache.set(key(2, 'user_monthly', '2024-01'), 'jan-2');
    await cache.set(key(1, 'user_monthly', '2024-02'), 'feb-1');
    await cache.set({ ...key(1, 'daily'), period: dayPeriod('2024-01-31') }, 'day');
    await cache.set({ ...key(1, 'telemetry'), period: { from: null, to: null } }, 'all-time');
    expect(await cache.invalidatePeriod(monthPeriod('2024-01'))).toBe(4);
    expect(await cache.get(key(1, 'user_monthly', '2024-02'))).toBe('feb-1');
    expect(cache.size).toBe(1);
    expect(await cache.invalidatePeriod(monthPeriod('2024-02'), { reports: ['daily'] })).toBe(0);
  });

  it('expires entries after ttlMs', async () => {
    let now = 0;
    const cache = createMemoryReportCache<string>({ ttlMs: 1000, now: () => now });
    await cache.set(key(1), 'x');
    now = 1001;
    expect(await cache.get(key(1))).toBeUndefined();
  });

  it('computes once and then serves from the cache', async () => {
    const cache = createMemoryReportCache<number>();
    let calls = 0;
    const compute = async () => ++calls;
    expect(await cachedReport(cache, key(1), compute)).toBe(1);
    expect(await cachedReport(cache, key(1), compute)).toBe(1);
    expect(await cachedReport(cache, key(2), compute)).toBe(2);
    expect(cache.stats).toMatchObject({ hits: 1, misses: 2 });
  });

  it('treats half-open periods as touching, not overlapping', () => {
    expect(periodsOverlap(monthPeriod('2024-01'), monthPeriod('2024-02'))).toBe(false);
    expect(periodsOverlap(dayPeriod('2024-01-31'), monthPeriod('2024-01'))).toBe(true);
    expect(periodsOverlap({ from: null, to: null }, dayPeriod('2030-01-01'))).toBe(true);
  });
});

describe("report periods are the models' half-open windows", () => {
  it('a month from its first instant to the first instant of the next, December into January', () => {
    expect(monthReportPeriod('2024-12')).toEqual({
      from: new Date('2024-12-01T00:00:00.000Z'),
      to: new Date('2025-01-01T00:00:00.000Z'),
    });
    expect(monthReportPeriod('2024-02').to).toEqual(new Date('2024-03-01T00:00:00.000Z'));
  });

  it('a day from midnight to the next midnight, the leap day included', () => {
    expect(dayReportPeriod('2024-02-29')).toEqual({
      from: new Date('2024-02-29T00:00:00.000Z'),
      to: new Date('2024-03-01T00:00:00.000Z'),
    });
  });

  it("bad input is a ReportParameterError naming the parameter, with the models' error as cause", () => {
    for (const [run, parameter] of [
      [() => monthReportPeriod('2024-13'), 'month'],
      [() => monthReportPeriod('1899-12'), 'month'],
      [() => dayReportPeriod('2023-02-29'), 'date'],
    ] as const) {
      let caught: unknown;
      try {
        run();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ReportParameterError);
      expect((caught as ReportParameterError).parameter).toBe(parameter);
      expect((caught as Error).cause).toMatchObject({ code: 'invalid_period' });
    }
  });

  it('the deprecated names are the same functions', () => {
    expect(monthPeriod).toBe(monthReportPeriod);
    expect(dayPeriod).toBe(dayReportPeriod);
  });
});
