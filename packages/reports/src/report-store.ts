import { createHash, randomUUID } from 'node:crypto';
import type { ReportPeriod } from './report-cache.js';
import type { ReportDataset } from './report-data-versions.js';
import { assertReportScope, type ReportScope } from './report-scope.js';

/**
 * What a stored report is filed under: the user (a scope, so no key can be
 * made for an unchecked user), the report and its period. The data version is
 * kept beside the report ({@link StoredReport}) and compared with the
 * dataset's current version on every read, so a reload makes every stored
 * report of its period stale at once, for every instance.
 */
export interface ReportStoreKey {
  readonly scope: ReportScope;
  /** Report name, e.g. `user_monthly`, `daily`, `overview`. */
  readonly report: string;
  readonly period: ReportPeriod;
}

/** A rendered report (its JSON text, sent as is) and the data version it was rendered from. */
export interface StoredReport {
  readonly version: string;
  readonly body: string;
}

/** What {@link ReportStore.read} returns: the dataset's current data version and the stored report, each if any. */
export interface ReportStoreRead {
  readonly dataVersion: string | undefined;
  readonly report: StoredReport | undefined;
}

/**
 * Storage for rendered reports and the data versions they depend on, shared
 * by every instance of a service (Redis: `@bionicpro/reports/redis`) or kept
 * in the process ({@link createMemoryReportStore}). An implementation never
 * returns a report stored for another user.
 */
export interface ReportStore {
  /** The current version of `dataset` and the report stored under `key`, in one round trip. */
  read(key: ReportStoreKey, dataset: ReportDataset): Promise<ReportStoreRead>;
  write(key: ReportStoreKey, report: StoredReport): Promise<void>;
  /**
   * Records data versions. A version replaces the stored one only when it is
   * greater (versions are load timestamps), so an instance that read the
   * marts before a reload cannot move a dataset back. Returns the datasets
   * whose version moved.
   */
  publishDataVersions(versions: Iterable<readonly [ReportDataset, string]>): Promise<ReportDataset[]>;
  /**
   * Takes a short lock named `name` for `ttlMs` if nobody holds it: the
   * holder renders a report while other instances wait for it in the store.
   * Returns the release, or undefined when someone else holds the lock.
   */
  tryLock(name: string, ttlMs: number): Promise<(() => Promise<void>) | undefined>;
}

/**
 * The text id of a store key: `u/<user id>/<report>/<from>/<to>`, each
 * segment percent-encoded so no value can imitate a separator.
 *
 * @example
 * ```ts
 * reportStoreId({ scope, report: 'user_monthly', period: monthPeriod('2024-01') });
 * // 'u/1/user_monthly/2024-01-01T00%3A00%3A00.000Z/2024-02-01T00%3A00%3A00.000Z'
 * ```
 */
export function reportStoreId(key: ReportStoreKey): string {
  const userId = assertReportScope(key.scope);
  if (typeof key.report !== 'string' || key.report === '')
    throw new TypeError('store key needs a report name');
  const edge = (d: Date | null) => (d === null ? '-' : d.toISOString());
  return ['u', String(userId), key.report, edge(key.period.from), edge(key.period.to)]
    .map(encodeURIComponent)
    .join('/');
}

/**
 * The HTTP entity tag of a report: a hash of the user, the report, its period
 * and the data version, so it changes exactly when the data behind it
 * changes, and two users never share one.
 *
 * @example
 * ```ts
 * reportETag({ scope, report: 'user_monthly', period: monthPeriod('2024-01') }, 'm2024-02-01 02:00:00p-');
 * // '"3q2-7w…"'
 * ```
 */
export function reportETag(key: ReportStoreKey, version: string): string {
  const digest = createHash('sha256')
    .update(`${reportStoreId(key)}\n${version}`)
    .digest('base64url');
  return `"${digest.slice(0, 27)}"`;
}

/**
 * Whether an `If-None-Match` header names `etag` (weak comparison, as
 * RFC 9110 asks for this header; `*` matches anything).
 *
 * @example
 * ```ts
 * etagMatches('W/"abc", "def"', '"def"'); // true
 * ```
 */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (ifNoneMatch === null || ifNoneMatch === undefined) return false;
  const wanted = etag.replace(/^W\//, '');
  for (const part of ifNoneMatch.split(',')) {
    const tag = part.trim();
    if (tag === '*' || tag.replace(/^W\//, '') === wanted) return true;
  }
  return false;
}

/**
 * Response headers of a per-user report: revalidate on every use
 * (`no-cache`), never store in a shared cache (`private`), and vary by the
 * caller (`Vary: Authorization`, plus `Cookie` when the token may come from one).
 *
 * @example
 * ```ts
 * new Response(body, { headers: { ...reportCacheHeaders(etag), 'content-type': 'application/json' } });
 * ```
 */
export function reportCacheHeaders(etag: string, options: { readonly varyCookie?: boolean } = {}) {
  return {
    etag,
    'cache-control': 'private, no-cache',
    vary: options.varyCookie ? 'Authorization, Cookie' : 'Authorization',
  } as const;
}

/** Options of {@link createMemoryReportStore}. */
export interface MemoryReportStoreOptions {
  /** Reports kept; the least recently used is dropped first. Default 10,000. */
  readonly maxEntries?: number;
  /** Reports older than this are not served. Default: no expiry (data versions decide). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** An in-process {@link ReportStore} with its size, for tests and metrics. */
export interface MemoryReportStore extends ReportStore {
  readonly size: number;
}

interface MemoryEntry {
  readonly userId: number;
  readonly report: StoredReport;
  readonly storedAt: number;
}

/**
 * The default store: reports in an LRU map of this process. Each entry
 * remembers its user and a read compares it with the key's scope, on top of
 * the key itself holding the user id. With several instances use the Redis
 * store instead, or each instance renders and invalidates on its own.
 *
 * @example
 * ```ts
 * const reports = createStoredReports({ store: createMemoryReportStore({ maxEntries: 5000 }) });
 * ```
 */
export function createMemoryReportStore(options: MemoryReportStoreOptions = {}): MemoryReportStore {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new TypeError('maxEntries must be a positive integer');
  const now = options.now ?? Date.now;
  const ttlMs = options.ttlMs;
  const entries = new Map<string, MemoryEntry>();
  const versions = new Map<ReportDataset, string>();
  const locks = new Map<string, { token: string; until: number }>();
  return {
    async read(key, dataset) {
      const id = reportStoreId(key);
      const entry = entries.get(id);
      let report: StoredReport | undefined;
      if (entry !== undefined && entry.userId === assertReportScope(key.scope)) {
        entries.delete(id);
        if (ttlMs === undefined || now() - entry.storedAt <= ttlMs) {
          entries.set(id, entry);
          report = entry.report;
        }
      }
      return { dataVersion: versions.get(dataset), report };
    },
    async write(key, report) {
      const id = reportStoreId(key);
      entries.delete(id);
      entries.set(id, {
        userId: assertReportScope(key.scope),
        report: { version: report.version, body: report.body },
        storedAt: now(),
      });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    async publishDataVersions(next) {
      const moved: ReportDataset[] = [];
      for (const [dataset, version] of next) {
        const current = versions.get(dataset);
        if (current === undefined || version > current) {
          versions.set(dataset, version);
          moved.push(dataset);
        }
      }
      return moved;
    },
    async tryLock(name, ttlMs) {
      const held = locks.get(name);
      if (held !== undefined && held.until > now()) return undefined;
      const token = randomUUID();
      locks.set(name, { token, until: now() + ttlMs });
      return async () => {
        if (locks.get(name)?.token === token) locks.delete(name);
      };
    },
    get size() {
      return entries.size;
    },
  };
}

/** What happened to one request or to the store, for metrics and logs. */
export type StoredReportsEvent =
  | { readonly type: 'hit' | 'miss' | 'render' | 'lock_wait'; readonly report: string }
  | { readonly type: 'store_error'; readonly operation: string; readonly error: unknown }
  | { readonly type: 'degraded'; readonly error: unknown }
  | { readonly type: 'recovered'; readonly degradedMs: number };

/** Counters of {@link StoredReports}, since it was created. */
export interface StoredReportsStats {
  /** Reports served from the store. */
  readonly hits: number;
  /** Reads that found no report of the current version. */
  readonly misses: number;
  /** Reports rendered (engine queries run) by this instance. */
  readonly renders: number;
  /** Requests that waited for another instance's render and got it from the store. */
  readonly lockWaits: number;
  /** Store operations that failed (each one answered from the engine instead). */
  readonly storeErrors: number;
  /** True while the store is unreachable. */
  readonly degraded: boolean;
  /** When the store became unreachable (ms since the epoch), while degraded. */
  readonly degradedSince: number | undefined;
}

/** One report request to {@link StoredReports.serve}. */
export interface ServeReportRequest {
  readonly key: ReportStoreKey;
  readonly dataset: ReportDataset;
  /**
   * The version this instance read from the marts itself (a poll), used when
   * it is newer than the store's, or when the store is unreachable.
   */
  readonly localVersion?: string | undefined;
  /** The request's `If-None-Match`; when it names the current version no report is read or rendered. */
  readonly ifNoneMatch?: string | null | undefined;
  /** Computes the report (runs the engine queries); its JSON text is what is stored and sent. */
  readonly render: () => Promise<unknown>;
}

/** What {@link StoredReports.serve} answers. */
export type ServedReport =
  | {
      readonly status: 'ok';
      readonly body: string;
      readonly version: string;
      readonly etag: string;
      /** `store`: read from the store; `rendered`: computed by this request (or one it joined). */
      readonly source: 'store' | 'rendered';
    }
  | { readonly status: 'not_modified'; readonly version: string; readonly etag: string };

/** Read-through report serving over a {@link ReportStore}; see {@link createStoredReports}. */
export interface StoredReports {
  serve(request: ServeReportRequest): Promise<ServedReport>;
  /** Publishes data versions to the store; on a store failure returns `[]` and marks the store degraded. */
  publishDataVersions(versions: Iterable<readonly [ReportDataset, string]>): Promise<ReportDataset[]>;
  /** Writes a report rendered elsewhere (prewarm) under its version. */
  write(key: ReportStoreKey, report: StoredReport): Promise<void>;
  stats(): StoredReportsStats;
  readonly store: ReportStore;
}

/** Options of {@link createStoredReports}. */
export interface StoredReportsOptions {
  readonly store: ReportStore;
  /**
   * How long a render may hold the cross-instance lock, and so the longest
   * another instance waits for it before rendering itself. Default 5 s.
   */
  readonly lockMs?: number;
  /** How often a waiting request looks for the other instance's result. Default 20 ms. */
  readonly waitPollMs?: number;
  readonly onEvent?: (event: StoredReportsEvent) => void;
  readonly now?: () => number;
}

const newer = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined ? a : a >= b ? a : b;

/**
 * The store's reachability as the served requests see it: every failed store
 * call is counted and starts the degraded state (once), the next call that
 * succeeds ends it.
 */
function storeHealth(emit: (event: StoredReportsEvent) => void, now: () => number) {
  let errors = 0;
  let degradedSince: number | undefined;
  const succeeded = () => {
    if (degradedSince === undefined) return;
    const degradedMs = now() - degradedSince;
    degradedSince = undefined;
    emit({ type: 'recovered', degradedMs });
  };
  const failed = (operation: string, error: unknown) => {
    errors += 1;
    emit({ type: 'store_error', operation, error });
    if (degradedSince === undefined) {
      degradedSince = now();
      emit({ type: 'degraded', error });
    }
  };
  return {
    /** Runs a store operation; a failure is recorded and turned into `undefined`. */
    async attempt<T>(operation: string, run: () => Promise<T>): Promise<{ value: T } | undefined> {
      try {
        const value = await run();
        succeeded();
        return { value };
      } catch (error) {
        failed(operation, error);
        return undefined;
      }
    },
    errors: () => errors,
    degradedSince: () => degradedSince,
  };
}

/**
 * Serves reports through a store: one round trip reads the dataset's current
 * data version and the stored report; a report of that version is sent as
 * stored, otherwise it is rendered once and written back. Renders are
 * single-flight per report and version inside the process, and across
 * instances a short lock (`SET NX PX` in Redis) lets one instance render while
 * the others wait for its result in the store, so a reload under load runs
 * each report's queries once. When the store fails the report is rendered
 * from the engine, the instance reports itself degraded (stats, `onEvent`),
 * and the next store call that succeeds ends the degraded state: no request
 * fails because of the store.
 *
 * @example
 * ```ts
 * const stored = createStoredReports({ store: createMemoryReportStore() });
 * const served = await stored.serve({
 *   key: { scope, report: 'user_monthly', period: monthPeriod('2024-01') },
 *   dataset: monthDataset('2024-01'),
 *   render: () => reports.userMonthly(scope, '2024-01'),
 * });
 * if (served.status === 'ok') console.log(served.etag, served.body);
 * ```
 */
export function createStoredReports(options: StoredReportsOptions): StoredReports {
  const { store } = options;
  const lockMs = options.lockMs ?? 5_000;
  const waitPollMs = options.waitPollMs ?? 20;
  const now = options.now ?? Date.now;
  const emit = options.onEvent ?? (() => {});
  const inFlight = new Map<string, Promise<{ body: string; source: 'store' | 'rendered' }>>();
  let hits = 0;
  let misses = 0;
  let renders = 0;
  let lockWaits = 0;
  const health = storeHealth(emit, now);
  const attempt = health.attempt;
  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  const renderOnce = async (
    request: ServeReportRequest,
    version: string,
    storeReachable: boolean,
  ): Promise<{ body: string; source: 'store' | 'rendered' }> => {
    const id = reportStoreId(request.key);
    let release: (() => Promise<void>) | undefined;
    if (storeReachable) {
      const lock = await attempt('lock', () => store.tryLock(`${id}@${version}`, lockMs));
      if (lock !== undefined && lock.value === undefined) {
        // Another instance renders this report: wait for it in the store, then render if it never comes.
        const deadline = now() + lockMs;
        while (now() < deadline) {
          await sleep(waitPollMs);
          const again = await attempt('read', () => store.read(request.key, request.dataset));
          if (again === undefined) break;
          if (again.value.report?.version === version) {
            lockWaits += 1;
            emit({ type: 'lock_wait', report: request.key.report });
            return { body: again.value.report.body, source: 'store' };
          }
        }
      }
      release = lock?.value;
    }
    try {
      const body = JSON.stringify(await request.render());
      renders += 1;
      emit({ type: 'render', report: request.key.report });
      if (storeReachable) await attempt('write', () => store.write(request.key, { version, body }));
      return { body, source: 'rendered' };
    } finally {
      if (release) await attempt('unlock', release);
    }
  };

  return {
    store,
    async serve(request) {
      const shared = await attempt('read', () => store.read(request.key, request.dataset));
      const storeVersion = shared?.value.dataVersion;
      const version = newer(storeVersion, request.localVersion) ?? '-';
      if (shared !== undefined && request.localVersion !== undefined && version !== storeVersion) {
        // This instance saw newer data than the store knows of (its poll ran first): tell the others.
        await attempt('publish', () =>
          store.publishDataVersions([[request.dataset, request.localVersion as string]]),
        );
      }
      const etag = reportETag(request.key, version);
      if (etagMatches(request.ifNoneMatch, etag)) return { status: 'not_modified', version, etag };
      const stored = shared?.value.report;
      if (stored !== undefined && stored.version === version) {
        hits += 1;
        emit({ type: 'hit', report: request.key.report });
        return { status: 'ok', body: stored.body, version, etag, source: 'store' };
      }
      misses += 1;
      emit({ type: 'miss', report: request.key.report });
      const flight = `${reportStoreId(request.key)}@${version}`;
      let pending = inFlight.get(flight);
      if (pending === undefined) {
        pending = renderOnce(request, version, shared !== undefined).finally(() => inFlight.delete(flight));
        inFlight.set(flight, pending);
      }
      const { body, source } = await pending;
      return { status: 'ok', body, version, etag, source };
    },
    async publishDataVersions(versions) {
      const moved = await attempt('publish', () => store.publishDataVersions(versions));
      return moved?.value ?? [];
    },
    async write(key, report) {
      await store.write(key, report);
    },
    stats() {
      return {
        hits,
        misses,
        renders,
        lockWaits,
        storeErrors: health.errors(),
        degraded: health.degradedSince() !== undefined,
        degradedSince: health.degradedSince(),
      };
    },
  };
}
