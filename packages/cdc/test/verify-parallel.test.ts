/**
 * `verifyReplica` splits each level's PostgreSQL checksum query by key range into
 * `source.parallelism` parts run at once: whatever the number of parts, PostgreSQL
 * answers the same buckets and verify the same report, also for differing keys on
 * either side of a part boundary (real PostgreSQL, embedded ClickHouse).
 */
import { tables } from '@bionicpro/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../test/services.js';
import { createTables, dropDatabase, freshDatabase } from '../../../test/e2e/support/source-database.js';
import { replicaBatteryRows, sourceBatteryRows } from '../bench/battery-rows.js';
import { cdcTargetDdl, type VerifyReport, verifyReplica } from '../src/index.js';
import { bucketWidth, rangeParts } from '../src/verify-plan.js';
import { sourceBuckets } from '../src/verify-replica.js';
import { createChdbClient } from './chdb-client.js';

const postgres = requireService('postgres');
const database = `cdc_verify_parallel_${process.pid}`;
const replica = 'verify_parallel.battery_metrics';
const ROWS = 4096;
const place = { table: tables.battery_metrics, source: 'battery_metrics', replica };
const whole = { lo: 1n, hi: BigInt(ROWS) };

let pool: Awaited<ReturnType<typeof freshDatabase>>;
const ch = createChdbClient();

beforeAll(async () => {
  pool = await freshDatabase(postgres, database);
  await createTables(pool, ['battery_metrics']);
  const insert = sourceBatteryRows(ROWS);
  await pool.query(insert.text, insert.values);
  await ch.command({ query: 'CREATE DATABASE verify_parallel' });
  await ch.command({ query: cdcTargetDdl(tables.battery_metrics, { database: 'verify_parallel' }) });
  await ch.command({ query: replicaBatteryRows(replica, ROWS) });
});

afterAll(async () => {
  await ch.close();
  await pool?.end();
  await dropDatabase(postgres, database);
});

const verify = (parallelism: number) =>
  verifyReplica({
    table: tables.battery_metrics,
    source: { client: pool, parallelism },
    replica: { client: ch, table: replica },
    leafRows: 10,
  });
const withoutTime = ({ elapsedMs: _, ...report }: VerifyReport) => report;
const PARTS = [1, 2, 3, 5, 16, 40];

describe('verify with the PostgreSQL side split into parts', () => {
  it('answers the same buckets for any number of parts, the parts covering the level', async () => {
    const width = bucketWidth(whole, 16);
    const one = await sourceBuckets(pool, place, whole, width, 1);
    expect([...one.keys()].sort((a, b) => (a < b ? -1 : 1))).toEqual(
      Array.from({ length: 16 }, (_, i) => BigInt(i)),
    );
    expect([...one.values()].reduce((n, b) => n + b.count, 0n)).toBe(BigInt(ROWS));
    for (const parts of PARTS) {
      const split = await sourceBuckets(pool, place, whole, width, parts);
      expect(split).toEqual(one);
    }
  });

  it('gives the same report for any number of parts, differing keys on both sides of part boundaries', async () => {
    const equal = withoutTime(await verify(1));
    expect(equal).toMatchObject({ equal: true, rows: { source: ROWS, replica: ROWS } });
    for (const parts of PARTS) expect(withoutTime(await verify(parts))).toEqual(equal);

    // The boundaries of 2 parts (2048 | 2049) and 3 parts (1536 | 1537) of the first level.
    const width = bucketWidth(whole, 16);
    expect(rangeParts(whole, width, 2).map((p) => p.range.lo)).toEqual([1n, 2049n]);
    expect(rangeParts(whole, width, 3).map((p) => p.range.lo)).toEqual([1n, 1537n, 3073n]);
    await ch.command({
      query: `INSERT INTO ${replica} SELECT * REPLACE (charge_level + 1 AS charge_level, _version + 1 AS _version) FROM ${replica} FINAL WHERE id = 2048`,
    });
    await ch.command({
      query: `INSERT INTO ${replica} SELECT * REPLACE (_version + 1 AS _version, 1 AS _is_deleted) FROM ${replica} FINAL WHERE id = 2049`,
    });
    await pool.query('delete from battery_metrics where id in (1536, 1537)');
    const different = withoutTime(await verify(1));
    expect(different).toMatchObject({
      equal: false,
      rows: { source: ROWS - 2, replica: ROWS - 1 },
      missing: [{ id: 2049 }],
      extra: [{ id: 1536 }, { id: 1537 }],
      different: [{ id: 2048 }],
      truncated: false,
    });
    for (const parts of PARTS) expect(withoutTime(await verify(parts))).toEqual(different);
  });
});
