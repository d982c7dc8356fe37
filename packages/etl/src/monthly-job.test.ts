import { InvalidRetentionError, monthPeriod } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import { OutsideRetentionError } from './errors.js';
import { type ClickHouseLike, checkRetention, type PgPoolLike, runMonthlyJob } from './index.js';

describe('checkRetention (the hourly mart keeps a row while date + N days > now)', () => {
  const now = new Date('2026-12-06T12:00:00Z');

  it('refuses a month whose last day is already past the retention, naming month, retention and first kept day', () => {
    expect(() => checkRetention(monthPeriod('2024-01'), 365, now)).toThrow(OutsideRetentionError);
    try {
      checkRetention(monthPeriod('2025-11'), 365, now);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({
        code: 'outside_retention',
        month: '2025-11',
        retentionDays: 365,
        keptFrom: '2025-12-07',
      });
      expect((error as Error).message).toMatch(/month 2025-11 lies outside the 365-day retention/);
    }
  });

  it('warns about a month partly outside, and says nothing about one wholly inside', () => {
    // 2025-12-06 + 365 days = 2026-12-06 <= now: the 1st to the 6th go; the 7th on stays.
    expect(checkRetention(monthPeriod('2025-12'), 365, now)).toEqual([
      "user_prosthesis_stats keeps 2025-12 only from 2025-12-07 (retention 365 days): ClickHouse's TTL deletes the earlier days",
    ]);
    expect(checkRetention(monthPeriod('2026-01'), 365, now)).toEqual([]);
    expect(checkRetention(monthPeriod('2024-01'), 3650, now)).toEqual([]);
    expect(checkRetention(monthPeriod('1999-01'), null, now)).toEqual([]);
  });

  it('keeps the last day of a month until date + N days is reached (TTL compares the date at 00:00 with now)', () => {
    // 2025-12-31 + 30 days = 2026-01-30 00:00.
    const lastMoment = new Date('2026-01-29T23:59:59.999Z');
    expect(checkRetention(monthPeriod('2025-12'), 30, lastMoment)).toHaveLength(1);
    expect(() => checkRetention(monthPeriod('2025-12'), 30, new Date('2026-01-30T00:00:00Z'))).toThrow(
      OutsideRetentionError,
    );
  });
});

describe('runMonthlyJob settings are checked before any work', () => {
  const touched: string[] = [];
  const untouchable = (name: string) =>
    new Proxy(
      {},
      {
        get: (_target, key) => {
          touched.push(`${name}.${String(key)}`);
          return () => Promise.reject(new Error(`${name} must not be used`));
        },
      },
    );
  const base = {
    crm: untouchable('crm') as PgPoolLike,
    telemetry: untouchable('telemetry') as PgPoolLike,
    clickhouse: untouchable('clickhouse') as ClickHouseLike,
    now: () => new Date('2026-12-06T12:00:00Z'),
  };

  it('refuses a month outside the default retention without touching PostgreSQL or ClickHouse', async () => {
    await expect(runMonthlyJob({ ...base, month: '2024-01' })).rejects.toBeInstanceOf(OutsideRetentionError);
    await expect(runMonthlyJob({ ...base, month: '2024-01', retentionDays: 700 })).rejects.toThrow(
      /2024-01 lies outside the 700-day retention/,
    );
    expect(touched).toEqual([]);
  });

  it('rejects a retention that is not a whole number of days, and an unknown extract mode', async () => {
    for (const retentionDays of [0, -3, 2.5]) {
      await expect(runMonthlyJob({ ...base, month: '2026-11', retentionDays })).rejects.toBeInstanceOf(
        InvalidRetentionError,
      );
    }
    await expect(runMonthlyJob({ ...base, month: '2026-11', extract: 'rsync' as never })).rejects.toThrow(
      /extract must be copy, cursor, keyset or clickhouse/,
    );
    expect(touched).toEqual([]);
  });
});
