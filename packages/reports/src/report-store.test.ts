import { describe, expect, it } from 'vitest';
import { monthPeriod } from './report-cache.js';
import { dataVersionsFromRows, monthDataset } from './report-data-versions.js';
import { trustedReportScope } from './report-scope.js';
import {
  createMemoryReportStore,
  createStoredReports,
  etagMatches,
  type ReportStore,
  reportCacheHeaders,
  reportETag,
  type StoredReportsEvent,
} from './report-store.js';

const alice = trustedReportScope(1);
const bob = trustedReportScope(2);
const key = (scope = alice) => ({ scope, report: 'user_monthly', period: monthPeriod('2024-01') });
const dataset = monthDataset('2024-01');

/** A render that counts its calls and resolves when released, so concurrent requests overlap. */
function gatedRender(value: unknown) {
  let calls = 0;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    render: async () => {
      calls += 1;
      await gate;
      return value;
    },
    open: () => open(),
    get calls() {
      return calls;
    },
  };
}

/** A store whose every operation fails while `down` is true, like an unreachable Redis. */
function flakyStore(inner: ReportStore) {
  const state = { down: false };
  const guard =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (state.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6390');
      return fn(...args);
    };
  const store: ReportStore = {
    read: guard(inner.read),
    write: guard(inner.write),
    publishDataVersions: guard(inner.publishDataVersions),
    tryLock: guard(inner.tryLock),
  };
  return { store, state };
}

describe('memory report store', () => {
  it('never returns a report stored for another user', async () => {
    const store = createMemoryReportStore();
    await store.write(key(alice), { version: 'v1', body: '{"user_id":1}' });
    expect((await store.read(key(bob), dataset)).report).toBeUndefined();
    expect((await store.read(key(alice), dataset)).report).toEqual({ version: 'v1', body: '{"user_id":1}' });
  });

  it('moves a data version only forward', async () => {
    const store = createMemoryReportStore();
    expect(await store.publishDataVersions([[dataset, 'm2024-02-01 02:00:00p-']])).toEqual([dataset]);
    expect(await store.publishDataVersions([[dataset, 'm2024-01-01 02:00:00p-']])).toEqual([]);
    expect((await store.read(key(), dataset)).dataVersion).toBe('m2024-02-01 02:00:00p-');
  });

  it('gives a lock to one holder until it is released or expires', async () => {
    let now = 0;
    const store = createMemoryReportStore({ now: () => now });
    const release = await store.tryLock('r', 100);
    expect(release).toBeDefined();
    expect(await store.tryLock('r', 100)).toBeUndefined();
    now = 101;
    const again = await store.tryLock('r', 100);
    expect(again).toBeDefined();
    await release?.(); // the expired holder's release must not free the new holder's lock
    expect(await store.tryLock('r', 100)).toBeUndefined();
    await again?.();
    expect(await store.tryLock('r', 100)).toBeDefined();
  });
});

describe('stored reports', () => {
  it('renders a report once for concurrent requests, then serves it from the store', async () => {
    const stored = createStoredReports({ store: createMemoryReportStore() });
    const gated = gatedRender({ period: '2024-01' });
    const requests = Array.from({ length: 20 }, () =>
      stored.serve({ key: key(), dataset, localVersion: 'v1', render: gated.render }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    gated.open();
    const served = await Promise.all(requests);
    expect(gated.calls).toBe(1);
    expect(new Set(served.map((s) => (s.status === 'ok' ? s.body : '')))).toEqual(
      new Set(['{"period":"2024-01"}']),
    );
    const again = await stored.serve({ key: key(), dataset, localVersion: 'v1', render: gated.render });
    expect(again).toMatchObject({ status: 'ok', source: 'store' });
    expect(stored.stats()).toMatchObject({ renders: 1, hits: 1, misses: 20, degraded: false });
  });

  it('renders once across two instances sharing a store: the second waits for the first', async () => {
    const store = createMemoryReportStore();
    const one = createStoredReports({ store, waitPollMs: 2 });
    const two = createStoredReports({ store, waitPollMs: 2 });
    const gated = gatedRender({ n: 1 });
    const a = one.serve({ key: key(), dataset, localVersion: 'v1', render: gated.render });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = two.serve({ key: key(), dataset, localVersion: 'v1', render: gated.render });
    await new Promise((resolve) => setTimeout(resolve, 10));
    gated.open();
    const [first, second] = await Promise.all([a, b]);
    expect(gated.calls).toBe(1);
    expect(first).toMatchObject({ status: 'ok', source: 'rendered', body: '{"n":1}' });
    expect(second).toMatchObject({ status: 'ok', source: 'store', body: '{"n":1}' });
    expect(two.stats().lockWaits).toBe(1);
  });

  it('serves nothing older than the version another instance published', async () => {
    const store = createMemoryReportStore();
    const one = createStoredReports({ store });
    const two = createStoredReports({ store });
    let data = 'old';
    const render = async () => ({ data });
    await one.serve({ key: key(), dataset, localVersion: 'v1', render });
    // The reload finished and was published; instance two has not polled the marts yet (still v1).
    data = 'new';
    await store.publishDataVersions([[dataset, 'v2']]);
    const served = await two.serve({ key: key(), dataset, localVersion: 'v1', render });
    expect(served).toMatchObject({ status: 'ok', version: 'v2', body: '{"data":"new"}' });
  });

  it('publishes a newer version it read from the marts itself', async () => {
    const store = createMemoryReportStore();
    const stored = createStoredReports({ store });
    await store.publishDataVersions([[dataset, 'v1']]);
    await stored.serve({ key: key(), dataset, localVersion: 'v2', render: async () => ({}) });
    expect((await store.read(key(), dataset)).dataVersion).toBe('v2');
  });

  it('answers 304 for a matching If-None-Match without rendering', async () => {
    const stored = createStoredReports({ store: createMemoryReportStore() });
    const etag = reportETag(key(), 'v1');
    let renders = 0;
    const served = await stored.serve({
      key: key(),
      dataset,
      localVersion: 'v1',
      ifNoneMatch: `W/${etag}`,
      render: async () => {
        renders += 1;
        return {};
      },
    });
    expect(served).toEqual({ status: 'not_modified', version: 'v1', etag });
    expect(renders).toBe(0);
  });

  it('keeps answering from the engine while the store is down, degraded, and recovers by itself', async () => {
    const events: StoredReportsEvent[] = [];
    const { store, state } = flakyStore(createMemoryReportStore());
    const stored = createStoredReports({ store, onEvent: (e) => events.push(e) });
    let renders = 0;
    const render = async () => ({ renders: ++renders });
    state.down = true;
    const during = await Promise.all(
      [1, 2, 3].map(() => stored.serve({ key: key(), dataset, localVersion: 'v1', render })),
    );
    expect(during.every((s) => s.status === 'ok')).toBe(true);
    expect(stored.stats()).toMatchObject({ degraded: true });
    expect(stored.stats().storeErrors).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'degraded')).toHaveLength(1);
    state.down = false;
    const after = await stored.serve({ key: key(), dataset, localVersion: 'v1', render });
    expect(after.status).toBe('ok');
    expect(stored.stats().degraded).toBe(false);
    expect(events.some((e) => e.type === 'recovered')).toBe(true);
    // Once recovered, the report rendered after recovery is in the store again.
    expect(await stored.serve({ key: key(), dataset, localVersion: 'v1', render })).toMatchObject({
      source: 'store',
    });
  });

  it('propagates a render failure to the request and lets the next request retry', async () => {
    const stored = createStoredReports({ store: createMemoryReportStore() });
    await expect(
      stored.serve({
        key: key(),
        dataset,
        localVersion: 'v1',
        render: async () => {
          throw new Error('engine down');
        },
      }),
    ).rejects.toThrow('engine down');
    const served = await stored.serve({ key: key(), dataset, localVersion: 'v1', render: async () => 1 });
    expect(served).toMatchObject({ status: 'ok', body: '1' });
  });
});

describe('HTTP revalidation helpers', () => {
  it('gives each user and each data version its own ETag', () => {
    expect(reportETag(key(alice), 'v1')).not.toBe(reportETag(key(bob), 'v1'));
    expect(reportETag(key(alice), 'v1')).not.toBe(reportETag(key(alice), 'v2'));
    expect(reportETag(key(alice), 'v1')).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });

  it('matches If-None-Match lists, weak tags and *', () => {
    expect(etagMatches('"a", W/"b"', '"b"')).toBe(true);
    expect(etagMatches('*', '"b"')).toBe(true);
    expect(etagMatches('"a"', '"b"')).toBe(false);
    expect(etagMatches(null, '"b"')).toBe(false);
  });

  it('marks reports private, revalidated on every use, and varying by the caller', () => {
    expect(reportCacheHeaders('"x"')).toEqual({
      etag: '"x"',
      'cache-control': 'private, no-cache',
      vary: 'Authorization',
    });
  });
});

describe('data versions', () => {
  it('composes a month from both monthly marts whatever the row order', () => {
    const rows = [
      { kind: 'p', period: '2024-01-01', version: '2024-02-01 02:00:01' },
      { kind: 'm', period: '2024-01-01', version: '2024-02-01 02:00:00' },
      { kind: 'h', period: '2024-01-02', version: '2024-02-01 02:00:03' },
      { kind: 'h', period: '2024-01-01', version: '2024-02-01 02:00:02' },
    ];
    const a = dataVersionsFromRows(rows);
    const b = dataVersionsFromRows([...rows].reverse());
    expect([...a]).toEqual([...b]);
    expect(a.get('month:2024-01')).toBe('m2024-02-01 02:00:00p2024-02-01 02:00:01');
    expect(a.get('day:2024-01-01')).toBe('2024-02-01 02:00:02');
    expect(a.get('hourly')).toBe('2024-02-01 02:00:03#2');
  });
});

describe('memory report store expiry', () => {
  it('does not serve a report older than ttlMs', async () => {
    let now = 0;
    const store = createMemoryReportStore({ ttlMs: 100, now: () => now });
    await store.write(key(), { version: 'v1', body: '1' });
    now = 100;
    expect((await store.read(key(), dataset)).report).toBeDefined();
    now = 201;
    expect((await store.read(key(), dataset)).report).toBeUndefined();
    expect(store.size).toBe(0);
  });
});
