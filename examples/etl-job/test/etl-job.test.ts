/**
 * The etl-job process end to end: `main.ts --once --months …` against two
 * embedded PostgreSQL databases seeded by the models' generator and an
 * embedded chDB directory, then the marts are read back and compared with the
 * ETL package's pure transform.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { userMonthlyMetrics } from '@bionicpro/etl';
import { generateDataset } from '@bionicpro/models/testing';
import { createChdbConnection } from 'chdb/connection';
import pg from 'pg';
import { createClient as createRedisClient } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../reports-service/src/embedded/embedded-postgres.js';
import { seedOltp } from '../../reports-service/src/embedded/seed-oltp.js';
import { ensureOltpSchema } from '../../reports-service/src/engines.js';
import { requireService } from '../../../test/services.js';

const redisUrl = requireService('redis').url;
const redisPrefix = `bionicpro:test:etl-job:${randomUUID()}:`;

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
let crm: EmbeddedPostgres;
let telemetry: EmbeddedPostgres;
let dir: string;
const data = generateDataset({ seed: 21, users: 3, start: '2024-01', months: 2, eventsPerDay: 10 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-etl-job-'));
  [crm, telemetry] = await Promise.all([startEmbeddedPostgres(), startEmbeddedPostgres()]);
  const pools = {
    crm: new pg.Pool({ connectionString: crm.url }),
    telemetry: new pg.Pool({ connectionString: telemetry.url }),
  };
  await ensureOltpSchema(pools.crm, 'crm');
  await ensureOltpSchema(pools.telemetry, 'telemetry');
  await seedOltp(pools, data);
  await Promise.all([pools.crm.end(), pools.telemetry.end()]);
});

afterAll(async () => {
  await crm?.stop();
  await telemetry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('runs the requested months once, logs JSON lines, and fills the marts', async () => {
  const chdbPath = join(dir, 'chdb');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', main, '--once', '--months', '2024-01..2024-02'],
    {
      env: {
        ...process.env,
        CRM_DATABASE_URL: crm.url,
        TELEMETRY_DATABASE_URL: telemetry.url,
        CLICKHOUSE_PATH: chdbPath,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: redisPrefix,
        // A backfill of 2024: outside the hourly mart's default 365 days, so it keeps every row.
        ETL_RETENTION_DAYS: 'none',
      },
      encoding: 'utf8',
    },
  );
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { msg: string; month?: string });
  expect(lines.filter((l) => l.msg === 'etl month finished').map((l) => l.month)).toEqual([
    '2024-01',
    '2024-02',
  ]);
  // The prewarm step after each month: versions published and every user's month report stored.
  const prewarmed = lines.filter((l) => l.msg === 'prewarm finished') as unknown as {
    month: string;
    users: number;
    reports: number;
  }[];
  expect(prewarmed.map((l) => [l.month, l.users])).toEqual([
    ['2024-01', 3],
    ['2024-02', 3],
  ]);
  const redis = createRedisClient({ url: redisUrl });
  await redis.connect();
  try {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${redisPrefix}*`, COUNT: 500 }))
      keys.push(...batch);
    expect(keys).toContain(`${redisPrefix}v:month:2024-01`);
    expect(keys.filter((k) => k.includes('/user_monthly/'))).toHaveLength(6);
    const stored = await redis.get(
      `${redisPrefix}r:u/1/user_monthly/${encodeURIComponent('2024-01-01T00:00:00.000Z')}/${encodeURIComponent('2024-02-01T00:00:00.000Z')}`,
    );
    expect(stored?.slice(0, stored.indexOf('\n'))).toBe(await redis.get(`${redisPrefix}v:month:2024-01`));
    if (keys.length > 0) await redis.del(keys);
  } finally {
    await redis.close();
  }

  const client = createClient({ connection: createChdbConnection({ path: chdbPath }) as never });
  try {
    const rows = (await (
      await client.query({
        query:
          'SELECT user_id, total_payments, failed_payments_count FROM bionicpro_reports.report_user_monthly_metrics WHERE report_date = {d:Date} ORDER BY user_id',
        query_params: { d: '2024-01-01' },
        clickhouse_settings: {
          output_format_json_quote_decimals: 1,
          output_format_decimal_trailing_zeros: 1,
        },
        format: 'JSONEachRow',
      })
    ).json()) as { user_id: number; total_payments: string; failed_payments_count: string | number }[];
    const expected = userMonthlyMetrics(
      { users: data.users, subscriptions: data.subscriptions, payments: data.payments },
      { month: '2024-01', lastUpdated: new Date('2024-02-01T00:00:00Z') },
    ).sort((a, b) => a.user_id - b.user_id);
    expect(rows.map((r) => [r.user_id, r.total_payments, Number(r.failed_payments_count)])).toEqual(
      expected.map((r) => [r.user_id, r.total_payments, r.failed_payments_count]),
    );
  } finally {
    await client.close();
  }
});

it('exits 2 naming every missing setting', async () => {
  const failure = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, '--once'], {
    env: { PATH: process.env['PATH'] ?? '' },
    encoding: 'utf8',
  }).catch((e: { code: number; stderr: string }) => e);
  expect((failure as { code: number }).code).toBe(2);
  for (const setting of ['CRM_DATABASE_URL', 'TELEMETRY_DATABASE_URL', 'CLICKHOUSE_URL']) {
    expect((failure as { stderr: string }).stderr).toContain(setting);
  }
});
