/**
 * The prewarm CLI as an operator runs it: a chDB directory with one month of
 * marts (seeded by another process: chDB opens a directory in one process at
 * a time), the stack's Redis under a unique key prefix, then
 * `tsx src/prewarm-main.ts --months …` — its summary on stdout, its progress
 * on stderr, and the reports in Redis exactly as the service would read them.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ProgressLine } from '@bionicpro/models';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requireService } from '../../../test/services.js';

const redisUrl = requireService('redis').url;
const prefix = `bionicpro:test:prewarm-cli:${randomUUID()}:`;
const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/prewarm-main.ts', import.meta.url));
const seed = fileURLToPath(new URL('./fixtures/seed-marts.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-prewarm-cli-'));
  await run(process.execPath, ['--import', 'tsx', seed, join(dir, 'chdb'), '2024-03', '5']);
});

afterAll(async () => {
  const client = createClient({ url: redisUrl });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('renders every user of the month into Redis and prints a summary line', async () => {
  const { stdout, stderr } = await run(
    process.execPath,
    ['--import', 'tsx', cli, '--months', '2024-03', '--batch-size', '2'],
    {
      env: {
        ...process.env,
        CLICKHOUSE_PATH: join(dir, 'chdb'),
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: prefix,
      },
      encoding: 'utf8',
    },
  );
  const summary = JSON.parse(stdout.trim()) as Record<string, unknown>;
  expect(summary).toMatchObject({ month: '2024-03', users: 5, reportsWritten: 5, batches: 3 });
  expect(stderr).toContain('prewarm 2024-03: 5/5 users');
  // Off a terminal, progress is JSON lines (the shared ProgressDisplay): monotonic, ending at the total.
  const progress = stderr
    .split('\n')
    .filter((line) => line.startsWith('{"type":"progress"'))
    .map((line) => JSON.parse(line) as ProgressLine);
  expect(progress.length).toBeGreaterThanOrEqual(2);
  const fractions = progress.map((p) => p.fraction ?? -1);
  expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
  expect(progress.map((p) => p.rows)).toEqual([...progress.map((p) => p.rows)].sort((a, b) => a - b));
  expect(progress.at(-1)).toMatchObject({
    unit: 'reports',
    fraction: 1,
    done: true,
    rows: 5,
    label: 'prewarm 2024-03: 5/5 users',
  });
  const client = createClient({ url: redisUrl });
  await client.connect();
  try {
    const version = await client.get(`${prefix}v:month:2024-03`);
    expect(version).toMatch(/^m\d{4}-\d{2}-\d{2} .+p-$/);
    const stored = await client.get(
      `${prefix}r:u/3/user_monthly/${encodeURIComponent('2024-03-01T00:00:00.000Z')}/${encodeURIComponent('2024-04-01T00:00:00.000Z')}`,
    );
    const cut = (stored ?? '').indexOf('\n');
    expect(stored?.slice(0, cut)).toBe(version);
    expect(JSON.parse((stored ?? '').slice(cut + 1))).toMatchObject({
      period: '2024-03',
      user_id: 3,
      financial: { total_payments: '300.00' },
      devices: [],
    });
  } finally {
    await client.close();
  }
});

it('exits 2 naming the missing setting when no Redis is configured', async () => {
  const failure = await run(process.execPath, ['--import', 'tsx', cli, '--months', '2024-03'], {
    env: { PATH: process.env['PATH'] ?? '', CLICKHOUSE_PATH: join(dir, 'chdb') },
    encoding: 'utf8',
  }).catch((error: { code: number; stderr: string }) => error);
  expect((failure as { code: number }).code).toBe(2);
  expect((failure as { stderr: string }).stderr).toContain('REDIS_URL');
});
