/**
 * @bionicpro/reports/redis — a {@link ReportStore} in Redis, shared by every
 * instance of a reports service. Needs the optional peer dependency `redis`.
 */
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import type { ReportDataset } from './report-data-versions.js';
import { assertReportScope } from './report-scope.js';
import { type ReportStore, type ReportStoreKey, reportStoreId, type StoredReport } from './report-store.js';

/**
 * The part of a node-redis client the store uses; `createClient()` from
 * `redis` satisfies it (a cluster client does not: a read spans a version key
 * and a report key, which a cluster may place on different nodes).
 */
export interface RedisStoreClient {
  mGet(keys: string[]): Promise<unknown>;
  set(key: string, value: string, options?: { expiration?: { type: 'PX'; value: number } }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** Options of {@link createRedisReportStore}. */
export interface RedisReportStoreOptions {
  readonly client: RedisStoreClient;
  /** Prepended to every key, e.g. `bionicpro:reports:`; tests use a unique one per run. */
  readonly prefix?: string;
  /** How long a stored report lives (a reload makes it stale before that). Default 7 days. */
  readonly reportTtlMs?: number;
}

/** A stored value is the data version, a newline, then the report's JSON text (versions hold no newline). */
const SEPARATOR = '\n';

/** Sets each KEYS[i] to ARGV[i] when it is missing or ARGV[i] is greater; returns the indexes (1-based) set. */
const PUBLISH_SCRIPT = `local moved = {}
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if (not current) or ARGV[i] > current then
    redis.call('SET', key, ARGV[i])
    table.insert(moved, i)
  end
end
return moved`;

/** Deletes the lock only when it still holds this holder's token (it may have expired and been retaken). */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * A report store in Redis. A read is one `MGET` of the dataset's version key
 * and the report key (so one round trip serves a request); versions move only
 * forward (a Lua script compares before it sets); locks are `SET NX PX` with a
 * random token, released by a script that checks the token.
 *
 * Keys: `<prefix>v:<dataset>` (data versions, no expiry),
 * `<prefix>r:u/<user id>/<report>/<from>/<to>` (reports),
 * `<prefix>l:<report key>@<version>` (render locks).
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * import { createRedisReportStore } from '@bionicpro/reports/redis';
 * const client = createClient({ url: 'redis://127.0.0.1:6379', disableOfflineQueue: true });
 * await client.connect();
 * const store = createRedisReportStore({ client, prefix: 'bionicpro:reports:' });
 * ```
 */
export function createRedisReportStore(options: RedisReportStoreOptions): ReportStore {
  const { client } = options;
  const prefix = options.prefix ?? 'bionicpro:reports:';
  const reportTtlMs = options.reportTtlMs ?? 7 * 86_400_000;
  if (!Number.isSafeInteger(reportTtlMs) || reportTtlMs < 1)
    throw new TypeError('reportTtlMs must be a positive integer');
  const versionKey = (dataset: ReportDataset) => `${prefix}v:${dataset}`;
  const reportKey = (key: ReportStoreKey) => `${prefix}r:${reportStoreId(key)}`;

  return {
    async read(key, dataset) {
      assertReportScope(key.scope);
      const replies = await client.mGet([versionKey(dataset), reportKey(key)]);
      if (!Array.isArray(replies) || replies.length !== 2) throw new TypeError('unexpected MGET reply');
      const [version, value] = replies as [unknown, unknown];
      let report: StoredReport | undefined;
      if (typeof value === 'string') {
        const cut = value.indexOf(SEPARATOR);
        if (cut > 0) report = { version: value.slice(0, cut), body: value.slice(cut + 1) };
      }
      return { dataVersion: typeof version === 'string' ? version : undefined, report };
    },
    async write(key, report) {
      if (report.version.includes(SEPARATOR) || report.version === '')
        throw new TypeError('a data version must be non-empty text without a newline');
      await client.set(reportKey(key), `${report.version}${SEPARATOR}${report.body}`, {
        expiration: { type: 'PX', value: reportTtlMs },
      });
    },
    async publishDataVersions(versions) {
      const entries = [...versions];
      if (entries.length === 0) return [];
      const reply = await client.eval(PUBLISH_SCRIPT, {
        keys: entries.map(([dataset]) => versionKey(dataset)),
        arguments: entries.map(([, version]) => version),
      });
      if (!Array.isArray(reply)) throw new TypeError('unexpected reply of the version script');
      return reply.map((i) => (entries[Number(i) - 1] as readonly [ReportDataset, string])[0]);
    },
    async tryLock(name, ttlMs) {
      const key = `${prefix}l:${name}`;
      const token = randomUUID();
      const reply = await client.set(key, token, {
        expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) },
        condition: 'NX',
      } as never);
      if (reply !== 'OK') return undefined;
      return async () => {
        await client.eval(RELEASE_SCRIPT, { keys: [key], arguments: [token] });
      };
    },
  };
}

/** Options of {@link connectRedisReportStore}. */
export interface ConnectRedisReportStoreOptions extends Omit<RedisReportStoreOptions, 'client'> {
  /** `redis://[user:password@]host:port[/db]`. */
  readonly url: string;
  /** A command not answered within this is failed, so a stalled Redis degrades the service instead of stalling it. Default 500 ms. */
  readonly commandTimeoutMs?: number;
  /** Longest pause between reconnection attempts. Default 2 s. */
  readonly maxReconnectDelayMs?: number;
  /** Connection errors (the client keeps reconnecting on its own). */
  readonly onError?: (error: unknown) => void;
}

/** A Redis report store and its connection. */
export interface ConnectedRedisReportStore extends ReportStore {
  /** True while the client has a live connection. */
  readonly connected: boolean;
  close(): Promise<void>;
}

/**
 * Creates a node-redis client set up for serving reports and wraps it in a
 * {@link createRedisReportStore}: commands fail at once while disconnected
 * (no offline queue) and after `commandTimeoutMs` when Redis stalls, and the
 * client reconnects forever with a capped backoff. Resolves without waiting
 * for Redis, so a service starts (degraded) when Redis is down.
 *
 * @example
 * ```ts
 * const store = await connectRedisReportStore({ url: process.env.REDIS_URL!, onError: (e) => log.warn('redis', { e }) });
 * const stored = createStoredReports({ store });
 * ```
 */
export async function connectRedisReportStore(
  options: ConnectRedisReportStoreOptions,
): Promise<ConnectedRedisReportStore> {
  const maxDelay = options.maxReconnectDelayMs ?? 2_000;
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs ?? 500, rejectInFlight: true } as never,
    socket: {
      connectTimeout: 2_000,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), maxDelay),
    },
  });
  client.on('error', (error: unknown) => options.onError?.(error));
  // connect() settles on the first attempt; later attempts follow reconnectStrategy.
  const first = client.connect().then(
    () => undefined,
    (error: unknown) => options.onError?.(error),
  );
  await Promise.race([first, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
  const store = createRedisReportStore({ ...options, client: client as unknown as RedisStoreClient });
  return {
    ...store,
    get connected() {
      return client.isReady;
    },
    async close() {
      if (client.isOpen) await client.close();
      else client.destroy();
    },
  };
}
