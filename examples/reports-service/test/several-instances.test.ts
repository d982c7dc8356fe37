/**
 * Several service instances against one Redis (docs: examples/README.md,
 * "Running several instances"): two instances share the stack's Redis (keys
 * under a unique prefix per run), a third uses a redis-server of this test's
 * own that is stopped and started again. The marts are in one embedded chDB,
 * loaded by the ETL from PGlite; a reload is the ETL job followed by its
 * prewarm step, as the etl-job example runs it.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExtractPool, runMonthlyJob } from '@bionicpro/etl';
import { prewarmReports } from '@bionicpro/reports';
import { connectRedisReportStore } from '@bionicpro/reports/redis';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OwnRedis, startOwnRedis } from '../../../packages/reports/test/own-redis.js';
import { requireService } from '../../../test/services.js';
import type { ServiceConfig } from '../src/config.js';
import { type EmbeddedStack, monthsAgo, startEmbeddedStack } from '../src/embedded/embedded-stack.js';
import { silentLogger } from '../src/logger.js';
import { type RunningService, serviceReportTables, startService } from '../src/service.js';

const redisUrl = requireService('redis').url;
const prefix = `bionicpro:test:instances:${randomUUID()}:`;
// The hourly mart keeps 365 days, so the dataset is the two months before this one.
const MONTH = monthsAgo(2);

let dir: string;
let stack: EmbeddedStack;
let a: RunningService;
let b: RunningService;
const started: RunningService[] = [];

/** An instance on its own port sharing the stack's chDB; data versions are not polled (only the store tells it of a reload). */
async function instance(redis: string, keyPrefix = prefix): Promise<RunningService> {
  const config: ServiceConfig = {
    ...stack.config,
    port: 0,
    cache: {
      ...stack.config.cache,
      redisUrl: redis,
      redisKeyPrefix: keyPrefix,
      versionPollMs: 3_600_000,
    },
  };
  const service = await startService(config, { logger: silentLogger, clickhouse: stack.clickhouse });
  started.push(service);
  return service;
}

async function get(
  service: RunningService,
  path: string,
  token: string,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${service.url}${path}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text };
}

/** A user with a counted payment in MONTH, so a changed amount changes their report. */
function userWithPayment(): number {
  const payment = stack.data.payments.find(
    (p) =>
      new Date(p.payment_date).toISOString().startsWith(MONTH) &&
      (p.status === 'success' || p.status === 'failed'),
  );
  if (!payment) throw new Error(`the dataset has no counted payment in ${MONTH}`);
  return payment.user_id;
}

/** The ETL reload of MONTH and its prewarm step, as the etl-job example runs them. */
async function reloadMonth(): Promise<void> {
  const crm = await createExtractPool(stack.crmUrl, { max: 1 });
  const telemetry = await createExtractPool(stack.telemetryUrl, { max: 1 });
  try {
    await runMonthlyJob({ month: MONTH, crm, telemetry, clickhouse: stack.clickhouse, engine: 'sql' });
  } finally {
    await Promise.all([crm.end(), telemetry.end()]);
  }
  const store = await connectRedisReportStore({ url: redisUrl, prefix });
  try {
    await prewarmReports({
      client: stack.clickhouse,
      store,
      month: MONTH,
      tables: serviceReportTables(stack.config),
    });
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-instances-'));
  stack = await startEmbeddedStack({
    dir,
    dataset: {
      seed: 13,
      users: 4,
      start: MONTH,
      months: 1,
      eventsPerDay: 10,
      deviceEventsPerDay: 4,
      batterySamplesPerDay: 6,
    },
    logger: silentLogger,
  });
  a = await instance(redisUrl);
  b = await instance(redisUrl);
});

afterAll(async () => {
  for (const service of started) await service.stop().catch(() => {});
  await stack?.stop();
  const client = createClient({ url: redisUrl });
  await client.connect();
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('two instances, one Redis', () => {
  it('serves a report cached by one instance from the other, with revalidation headers', async () => {
    const userId = userWithPayment();
    const token = await stack.tokenFor(userId);
    const path = `/reports/user/${userId}?month=${MONTH}`;
    const fromA = await get(a, path, token);
    expect(fromA.status).toBe(200);
    expect(fromA.headers.get('cache-control')).toBe('private, no-cache');
    expect(fromA.headers.get('vary')).toBe('Authorization');
    const etag = fromA.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);

    const rendersOfB = b.stored?.stats().renders;
    const fromB = await get(b, path, token);
    expect(fromB.status).toBe(200);
    expect(fromB.text).toBe(fromA.text);
    expect(fromB.headers.get('etag')).toBe(etag);
    expect(b.stored?.stats().renders).toBe(rendersOfB);
    expect(b.stored?.stats().hits).toBeGreaterThan(0);

    const notModified = await get(b, path, token, { 'if-none-match': etag as string });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers.get('etag')).toBe(etag);

    // Another user's token never gets this user's report, whatever ETag it sends.
    const other = stack.data.users.find((u) => u.id !== userId)?.id as number;
    const denied = await get(b, path, await stack.tokenFor(other), { 'if-none-match': etag as string });
    expect(denied.status).toBe(403);
  });

  it('revalidates the HTML report page the same way', async () => {
    const userId = userWithPayment();
    const token = await stack.tokenFor(userId);
    const path = `/reports/user/${userId}/page?month=${MONTH}`;
    const page = await get(a, path, token);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('private, no-cache');
    const etag = page.headers.get('etag') as string;
    expect(etag).toBeTruthy();
    expect((await get(b, path, token, { 'if-none-match': etag })).status).toBe(304);
  });

  it('shows a reload to both instances as soon as it finished, each report rendered once (prewarmed)', async () => {
    const userId = userWithPayment();
    const token = await stack.tokenFor(userId);
    const path = `/reports/user/${userId}?month=${MONTH}`;
    const before = JSON.parse((await get(a, path, token)).text) as { financial: { total_payments: string } };
    const etagBefore = (await get(b, path, token)).headers.get('etag');

    const crm = new pg.Pool({ connectionString: stack.crmUrl, max: 1 });
    try {
      await crm.query(
        `UPDATE payments SET amount = amount + 100
          WHERE user_id = $1 AND payment_date >= $2::date AND payment_date < ($2::date + interval '1 month')
            AND status IN ('success', 'failed')`,
        [userId, `${MONTH}-01`],
      );
    } finally {
      await crm.end();
    }
    await reloadMonth();

    const renders = (a.stored?.stats().renders ?? 0) + (b.stored?.stats().renders ?? 0);
    const [afterA, afterB] = await Promise.all([get(a, path, token), get(b, path, token)]);
    const total = (r: { text: string }) =>
      Number((JSON.parse(r.text) as { financial: { total_payments: string } }).financial.total_payments);
    expect(total(afterA)).toBeGreaterThanOrEqual(Number(before.financial.total_payments) + 100);
    expect(afterB.text).toBe(afterA.text);
    expect(afterA.headers.get('etag')).not.toBe(etagBefore);
    // Both answers came from the store, where the prewarm step put them.
    expect((a.stored?.stats().renders ?? 0) + (b.stored?.stats().renders ?? 0)).toBe(renders);
  });

  it('renders a report once across both instances when a reload invalidates it under load', async () => {
    const userId = userWithPayment();
    const token = await stack.tokenFor(userId);
    const path = `/reports/user/${userId}?month=${MONTH}`;
    // A newer version published by a reload that did not prewarm.
    const store = await connectRedisReportStore({ url: redisUrl, prefix });
    try {
      await store.publishDataVersions([[`month:${MONTH}`, `m9999-12-31 00:00:00p${randomUUID()}`]]);
    } finally {
      await store.close();
    }
    const renders = () => (a.stored?.stats().renders ?? 0) + (b.stored?.stats().renders ?? 0);
    const before = renders();
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(i % 2 === 0 ? a : b, path, token)),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(new Set(responses.map((r) => r.headers.get('etag'))).size).toBe(1);
    expect(renders() - before).toBe(1);
  });
});

describe('an instance whose Redis goes away and comes back', () => {
  let own: OwnRedis;
  let c: RunningService;
  beforeAll(async () => {
    own = await startOwnRedis();
    c = await instance(own.url, `${prefix}own:`);
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('keeps answering from ClickHouse while degraded and recovers without a failed request', async () => {
    const userId = userWithPayment();
    const token = await stack.tokenFor(userId);
    const path = `/reports/user/${userId}?month=${MONTH}`;
    const statuses: number[] = [];
    const ask = async () => {
      const r = await get(c, path, token);
      statuses.push(r.status);
      return r;
    };
    const first = await ask();
    await ask();
    expect(c.stored?.stats().hits).toBeGreaterThan(0);
    const ready = async () =>
      (await fetch(`${c.url}/health/ready`)).json() as Promise<{
        status: string;
        checks: Record<string, { status: string }>;
      }>;
    expect((await ready()).checks['report_store']?.status).toBe('up');

    await own.stop();
    for (let i = 0; i < 10; i += 1) expect((await ask()).text).toBe(first.text);
    expect(c.stored?.stats().degraded).toBe(true);
    const degraded = await ready();
    expect(degraded.status).toBe('ready');
    expect(degraded.checks['report_store']?.status).toBe('degraded');

    await own.start();
    // Recovery needs no request: the readiness check itself finds Redis back.
    const deadline = Date.now() + 15_000;
    let status = (await ready()).checks['report_store']?.status;
    while (status !== 'up' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await ready()).checks['report_store']?.status;
    }
    expect(status).toBe('up');
    expect(c.stored?.stats().degraded).toBe(false);
    // The restarted Redis is empty: one render fills it again, the next request is a store hit.
    const hits = c.stored?.stats().hits ?? 0;
    await ask();
    await ask();
    expect(c.stored?.stats().hits).toBe(hits + 1);
    expect(statuses.every((s) => s === 200)).toBe(true);
  });
});
