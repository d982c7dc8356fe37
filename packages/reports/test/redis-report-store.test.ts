/**
 * The Redis report store against real Redis servers: the stack's shared one
 * (keys under a unique prefix per run) and, for stopping and starting, one of
 * this test's own on another port.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireService } from '../../../test/services.js';
import {
  createStoredReports,
  monthDataset,
  monthPeriod,
  type StoredReportsEvent,
  trustedReportScope,
} from '../src/index.js';
import { connectRedisReportStore, createRedisReportStore, type RedisStoreClient } from '../src/redis.js';
import { type OwnRedis, startOwnRedis } from './own-redis.js';

const redisUrl = requireService('redis').url;
const prefix = `bionicpro:test:${randomUUID()}:`;
const client = createClient({ url: redisUrl });
const dataset = monthDataset('2024-01');
const key = (userId: number) => ({
  scope: trustedReportScope(userId),
  report: 'user_monthly',
  period: monthPeriod('2024-01'),
});

beforeAll(async () => {
  await client.connect();
});

afterAll(async () => {
  // Only this run's keys.
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
    if (keys.length > 0) await client.del(keys);
  }
  await client.close();
});

describe('Redis report store', () => {
  it('reads the data version and the report in one MGET, never another user’s', async () => {
    const store = createRedisReportStore({ client: client as unknown as RedisStoreClient, prefix });
    await store.write(key(1), { version: 'v1', body: '{"user_id":1,"note":"a\\nb"}' });
    await store.publishDataVersions([[dataset, 'v1']]);
    expect(await store.read(key(1), dataset)).toEqual({
      dataVersion: 'v1',
      report: { version: 'v1', body: '{"user_id":1,"note":"a\\nb"}' },
    });
    expect((await store.read(key(2), dataset)).report).toBeUndefined();
    expect(
      await client.pTTL(
        `${prefix}r:u/1/user_monthly/${encodeURIComponent('2024-01-01T00:00:00.000Z')}/${encodeURIComponent('2024-02-01T00:00:00.000Z')}`,
      ),
    ).toBeGreaterThan(0);
  });

  it('moves versions only forward, atomically for several datasets', async () => {
    const store = createRedisReportStore({ client: client as unknown as RedisStoreClient, prefix });
    const other = monthDataset('2024-02');
    expect(await store.publishDataVersions([[other, 'b']])).toEqual([other]);
    expect(
      await store.publishDataVersions([
        [other, 'a'],
        [monthDataset('2024-03'), 'x'],
      ]),
    ).toEqual([monthDataset('2024-03')]);
    expect((await store.read(key(1), other)).dataVersion).toBe('b');
  });

  it('gives a render lock to one holder; a stale holder cannot release the next one', async () => {
    const store = createRedisReportStore({ client: client as unknown as RedisStoreClient, prefix });
    const first = await store.tryLock('render-1', 50);
    expect(first).toBeDefined();
    expect(await store.tryLock('render-1', 50)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 80));
    const second = await store.tryLock('render-1', 5_000);
    expect(second).toBeDefined();
    await first?.();
    expect(await store.tryLock('render-1', 5_000)).toBeUndefined();
    await second?.();
    expect(await store.tryLock('render-1', 5_000)).toBeDefined();
  });

  it('renders a report once for two instances under concurrent load', async () => {
    const one = createStoredReports({
      store: createRedisReportStore({
        client: client as unknown as RedisStoreClient,
        prefix: `${prefix}sf:`,
      }),
      waitPollMs: 5,
    });
    const otherClient = createClient({ url: redisUrl });
    await otherClient.connect();
    try {
      const two = createStoredReports({
        store: createRedisReportStore({
          client: otherClient as unknown as RedisStoreClient,
          prefix: `${prefix}sf:`,
        }),
        waitPollMs: 5,
      });
      let renders = 0;
      const render = async () => {
        renders += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
        return { rendered: renders };
      };
      const served = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (i % 2 === 0 ? one : two).serve({ key: key(7), dataset, localVersion: 'v9', render }),
        ),
      );
      expect(renders).toBe(1);
      expect(new Set(served.map((s) => (s.status === 'ok' ? s.body : s.status)))).toEqual(
        new Set(['{"rendered":1}']),
      );
    } finally {
      await otherClient.close();
    }
  });
});

describe('Redis going away and coming back', () => {
  let own: OwnRedis;
  beforeAll(async () => {
    own = await startOwnRedis();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('keeps answering while Redis is down, reports degraded, and recovers without a failed request', async () => {
    const events: StoredReportsEvent[] = [];
    const store = await connectRedisReportStore({ url: own.url, prefix, maxReconnectDelayMs: 200 });
    const stored = createStoredReports({ store, onEvent: (e) => events.push(e) });
    let renders = 0;
    const request = () =>
      stored.serve({
        key: key(3),
        dataset,
        localVersion: 'v1',
        render: async () => ({ renders: ++renders }),
      });
    try {
      expect(await request()).toMatchObject({ status: 'ok', source: 'rendered' });
      expect(await request()).toMatchObject({ status: 'ok', source: 'store' });
      expect(store.connected).toBe(true);

      await own.stop();
      const during = [];
      for (let i = 0; i < 5; i += 1) during.push(await request());
      expect(during.every((s) => s.status === 'ok')).toBe(true);
      expect(stored.stats().degraded).toBe(true);
      expect(events.some((e) => e.type === 'degraded')).toBe(true);

      await own.start();
      const deadline = Date.now() + 10_000;
      let last = await request();
      while (stored.stats().degraded && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = await request();
      }
      expect(last.status).toBe('ok');
      expect(stored.stats().degraded).toBe(false);
      expect(events.some((e) => e.type === 'recovered')).toBe(true);
      // The restarted Redis is empty: the next request renders and stores, the one after is a hit.
      await request();
      expect(await request()).toMatchObject({ status: 'ok', source: 'store' });
    } finally {
      await store.close();
    }
  });

  it('starts degraded when Redis is down and recovers once it is up', async () => {
    await own.stop();
    const store = await connectRedisReportStore({ url: own.url, prefix, maxReconnectDelayMs: 200 });
    const stored = createStoredReports({ store });
    const request = () =>
      stored.serve({ key: key(4), dataset, localVersion: 'v1', render: async () => ({ ok: true }) });
    try {
      expect(await request()).toMatchObject({ status: 'ok' });
      expect(stored.stats().degraded).toBe(true);
      await own.start();
      const deadline = Date.now() + 10_000;
      while (stored.stats().degraded && Date.now() < deadline) {
        expect((await request()).status).toBe('ok');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(stored.stats().degraded).toBe(false);
    } finally {
      await store.close();
    }
  });
});
