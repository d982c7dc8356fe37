import { InvalidArgumentError } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import { prostheticMonthlyMetricsSql } from './kpi-sql.js';

const lastUpdated = new Date('2024-02-01T00:00:00Z');

describe('prostheticMonthlyMetricsSql shard', () => {
  it('limits every read of device and battery rows and the prostheses to the shard, as bound parameters', () => {
    const whole = prostheticMonthlyMetricsSql('2024-01', { rawDatabase: 'raw', lastUpdated });
    expect(whole.query).not.toContain('shard_count');
    expect(whole.query_params).not.toHaveProperty('shard_count');

    const { query, query_params } = prostheticMonthlyMetricsSql('2024-01', {
      rawDatabase: 'raw',
      lastUpdated,
      shard: { count: 4, index: 3 },
    });
    expect(query_params).toMatchObject({ shard_count: 4, shard_index: 3 });
    // dev_month, dev_before, dev_after, bat_month, bat_before and the prostheses
    const reads =
      query.match(/FROM raw\.(device_events|battery_metrics|prosthetics) FINAL WHERE [^\n]*/g) ?? [];
    expect(reads).toHaveLength(6);
    for (const read of reads) {
      expect(read).toMatch(/\b(prosthetic_id|id) % \{shard_count:UInt64\} = \{shard_index:UInt64\}/);
    }
  });

  it.each([
    [{ count: 0, index: 0 }, /shard\.count must be an integer >= 1, got 0/],
    [{ count: 2.5, index: 0 }, /shard\.count must be an integer >= 1, got 2\.5/],
    [{ count: 3, index: 3 }, /shard\.index must be an integer in \[0, 2\], got 3/],
    [{ count: 3, index: -1 }, /shard\.index must be an integer in \[0, 2\], got -1/],
  ])('rejects shard %j', (shard, message) => {
    expect(() => prostheticMonthlyMetricsSql('2024-01', { shard, lastUpdated })).toThrow(
      InvalidArgumentError,
    );
    expect(() => prostheticMonthlyMetricsSql('2024-01', { shard, lastUpdated })).toThrow(message);
  });
});
