import type { ReportCache, ReportPeriod, ReportQueryClient } from '@bionicpro/reports';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { createDataVersions } from './data-versions.js';

type Row = { kind: string; period: string; version: string };

function fixture() {
  let rows: Row[] = [];
  const client: ReportQueryClient = {
    async query() {
      return { json: async () => rows };
    },
  };
  const invalidated: ReportPeriod[] = [];
  const cache = {
    async invalidatePeriod(period: ReportPeriod) {
      invalidated.push(period);
      return 0;
    },
  } as unknown as ReportCache<unknown>;
  const versions = createDataVersions({
    client,
    database: 'reports',
    pollMs: 60_000,
    caches: [cache],
    logger: silentLogger,
  });
  return { versions, invalidated, setRows: (next: Row[]) => (rows = next) };
}

const m = { kind: 'm', period: '2026-01-01', version: '2026-02-01 02:00:00.000' };
const p = { kind: 'p', period: '2026-01-01', version: '2026-02-01 02:00:01.000' };
const h = { kind: 'h', period: '2026-01-05', version: '2026-02-01 02:00:02.000' };

describe('data versions', () => {
  it('reads the same data in another row order as unchanged: no cache entry is dropped', async () => {
    const { versions, invalidated, setRows } = fixture();
    setRows([m, p, h]);
    expect(await versions.refresh()).toBe(2); // first read: the month and the day are new
    const month = versions.month('2026-01');
    invalidated.length = 0;
    // UNION ALL gives its parts in no fixed order: the hourly and device rows may come first.
    setRows([h, p, m]);
    expect(await versions.refresh()).toBe(0);
    expect(versions.month('2026-01')).toBe(month);
    expect(invalidated).toEqual([]);
  });

  it('sees a reload of one mart of a month and drops that month only', async () => {
    const { versions, invalidated, setRows } = fixture();
    const other = { ...m, period: '2026-02-01' };
    setRows([m, p, other, h]);
    await versions.refresh();
    const before = versions.month('2026-01');
    invalidated.length = 0;
    setRows([other, { ...p, version: '2026-02-02 02:00:00.000' }, h, m]);
    expect(await versions.refresh()).toBe(1);
    expect(versions.month('2026-01')).not.toBe(before);
    expect(invalidated).toHaveLength(1);
    expect(invalidated[0]?.from?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});
