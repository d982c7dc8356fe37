import {
  dayWindow,
  InvalidArgumentError,
  InvalidPeriodError,
  monthPeriod as monthPeriodOf,
  monthWindow,
  type TimeWindow,
} from '@bionicpro/models';
import { ReportParameterError } from './errors.js';
import { assertReportScope, type ReportScope } from './report-scope.js';

/**
 * The time a cached report covers, as a half-open UTC interval. `null` ends
 * are open (a EMG report without `start_ts` reaches back to the first event).
 */
export interface ReportPeriod {
  readonly from: Date | null;
  readonly to: Date | null;
}

/** What a cached report is keyed by (docs/reports.md): subject, report, period and data version. */
export interface ReportCacheKey {
  /** The user the report is about; a scope, so a key cannot be made for an unchecked user. */
  readonly scope: ReportScope;
  /** Report name, e.g. `user_monthly`, `daily`, `telemetry`. */
  readonly report: string;
  readonly period: ReportPeriod;
  /** Changes whenever the data behind the period is reloaded (e.g. `max(last_updated)`). */
  readonly dataVersion: string;
}

/**
 * Storage for assembled reports. Implementations may be in memory
 * ({@link createMemoryReportCache}) or object storage keyed by
 * {@link reportCacheKey}; all must never return an entry stored for another user.
 */
export interface ReportCache<V> {
  get(key: ReportCacheKey): Promise<V | undefined>;
  set(key: ReportCacheKey, value: V): Promise<void>;
  /**
   * Drops every entry whose period overlaps `period` (for every user, or only
   * the named reports). Call it when the ETL reloads a period. Returns how many were dropped.
   */
  invalidatePeriod(period: ReportPeriod, options?: { readonly reports?: readonly string[] }): Promise<number>;
}

/**
 * A stable, injective text key: `u/<user id>/<report>/<from>/<to>/<version>`,
 * each segment percent-encoded so no value can imitate a separator. Suitable
 * as an object-storage path.
 *
 * @example
 * ```ts
 * reportCacheKey({ scope, report: 'user_monthly', period: monthReportPeriod('2024-01'), dataVersion: '2024-02-01 02:00:00' });
 * // 'u/1/user_monthly/2024-01-01T00%3A00%3A00.000Z/2024-02-01T00%3A00%3A00.000Z/2024-02-01%2002%3A00%3A00'
 * ```
 */
export function reportCacheKey(key: ReportCacheKey): string {
  const userId = assertReportScope(key.scope);
  if (typeof key.report !== 'string' || key.report === '')
    throw new InvalidArgumentError('key', 'cache key needs a report name');
  if (typeof key.dataVersion !== 'string')
    throw new InvalidArgumentError('key', 'cache key needs a data version');
  const edge = (d: Date | null) => (d === null ? '-' : d.toISOString());
  return ['u', String(userId), key.report, edge(key.period.from), edge(key.period.to), key.dataVersion]
    .map(encodeURIComponent)
    .join('/');
}

/**
 * The period of a monthly report: the month's half-open window (`monthPeriod`
 * and `monthWindow` of `@bionicpro/models`) as a cache key's period.
 *
 * @throws {@link ReportParameterError} (`month`) for text that is not a month in 1900-01 … 2299-12.
 * @example
 * ```ts
 * monthReportPeriod('2024-01'); // { from: 2024-01-01T00:00Z, to: 2024-02-01T00:00Z }
 * ```
 */
export function monthReportPeriod(month: string): ReportPeriod {
  let window: TimeWindow;
  try {
    window = monthWindow(monthPeriodOf(month));
  } catch (cause) {
    if (!(cause instanceof InvalidPeriodError)) throw cause;
    throw new ReportParameterError('month', 'expected a month YYYY-MM', month, { cause });
  }
  return { from: window.start, to: window.end };
}

/**
 * The period of a daily report (`YYYY-MM-DD`, UTC): the day's half-open window
 * (`dayWindow` of `@bionicpro/models`).
 *
 * @throws {@link ReportParameterError} (`date`) for text that is not a calendar date in 1900 … 2299.
 * @example
 * ```ts
 * dayReportPeriod('2024-01-15'); // { from: 2024-01-15T00:00Z, to: 2024-01-16T00:00Z }
 * ```
 */
export function dayReportPeriod(date: string): ReportPeriod {
  let window: TimeWindow;
  try {
    window = dayWindow(date);
  } catch (cause) {
    if (!(cause instanceof InvalidPeriodError)) throw cause;
    throw new ReportParameterError('date', 'expected a date YYYY-MM-DD', date, { cause });
  }
  return { from: window.start, to: window.end };
}

/**
 * The former name of {@link monthReportPeriod}.
 *
 * @deprecated Use {@link monthReportPeriod}; `monthPeriod` of `@bionicpro/models` and
 * `@bionicpro/etl` is another function (it returns a `MonthPeriod`). Removed in the next minor.
 */
export const monthPeriod: (month: string) => ReportPeriod = monthReportPeriod;

/**
 * The former name of {@link dayReportPeriod}.
 *
 * @deprecated Use {@link dayReportPeriod}. Removed in the next minor.
 */
export const dayPeriod: (date: string) => ReportPeriod = dayReportPeriod;

/** True when two periods share at least one instant. */
export function periodsOverlap(a: ReportPeriod, b: ReportPeriod): boolean {
  const aFrom = a.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const aTo = a.to?.getTime() ?? Number.POSITIVE_INFINITY;
  const bFrom = b.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const bTo = b.to?.getTime() ?? Number.POSITIVE_INFINITY;
  return aFrom < bTo && bFrom < aTo;
}

interface Entry<V> {
  readonly userId: number;
  readonly report: string;
  readonly period: ReportPeriod;
  readonly value: V;
  readonly storedAt: number;
}

/** Options of {@link createMemoryReportCache}. */
export interface MemoryReportCacheOptions {
  /** Entries kept; the least recently used is evicted first. Default 10,000. */
  readonly maxEntries?: number;
  /** Entries older than this are not served. Default: no expiry (data version and invalidation decide). */
  readonly ttlMs?: number;
  readonly now?: () => number;
}

/** An in-memory LRU {@link ReportCache} with counters for hit-rate metrics. */
export interface MemoryReportCache<V> extends ReportCache<V> {
  readonly size: number;
  readonly stats: { readonly hits: number; readonly misses: number; readonly evictions: number };
}

/**
 * An in-memory LRU report cache. Each entry remembers the user it was stored
 * for and `get` compares it with the key's scope, on top of the key itself
 * containing the user id, so an entry is never served to another user.
 *
 * @example
 * ```ts
 * const cache = createMemoryReportCache<UserMonthlyReport>({ maxEntries: 5000 });
 * const report = await cachedReport(cache, key, () => reports.userMonthly(scope, '2024-01'));
 * await cache.invalidatePeriod(monthReportPeriod('2024-01')); // the ETL reloaded January
 * ```
 */
export function createMemoryReportCache<V>(options: MemoryReportCacheOptions = {}): MemoryReportCache<V> {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
    throw new InvalidArgumentError('maxEntries', 'maxEntries must be a positive integer');
  const ttlMs = options.ttlMs;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry<V>>();
  let hits = 0;
  let misses = 0;
  let evictions = 0;

  return {
    async get(key) {
      const id = reportCacheKey(key);
      const entry = entries.get(id);
      const userId = assertReportScope(key.scope);
      if (
        entry === undefined ||
        entry.userId !== userId ||
        entry.report !== key.report ||
        (ttlMs !== undefined && now() - entry.storedAt > ttlMs)
      ) {
        if (entry !== undefined && entry.userId === userId) entries.delete(id);
        misses += 1;
        return undefined;
      }
      entries.delete(id);
      entries.set(id, entry);
      hits += 1;
      return entry.value;
    },
    async set(key, value) {
      const id = reportCacheKey(key);
      entries.delete(id);
      entries.set(id, {
        userId: assertReportScope(key.scope),
        report: key.report,
        period: { from: key.period.from, to: key.period.to },
        value,
        storedAt: now(),
      });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
        evictions += 1;
      }
    },
    async invalidatePeriod(period, opts = {}) {
      let dropped = 0;
      for (const [id, entry] of entries) {
        if (opts.reports && !opts.reports.includes(entry.report)) continue;
        if (periodsOverlap(entry.period, period)) {
          entries.delete(id);
          dropped += 1;
        }
      }
      return dropped;
    },
    get size() {
      return entries.size;
    },
    get stats() {
      return { hits, misses, evictions };
    },
  };
}

/**
 * Read-through: returns the cached report or computes, stores and returns it.
 *
 * @example
 * ```ts
 * await cachedReport(cache, { scope, report: 'daily', period: dayReportPeriod(d), dataVersion }, () => reports.daily(scope, d));
 * ```
 */
export async function cachedReport<V>(
  cache: ReportCache<V>,
  key: ReportCacheKey,
  compute: () => Promise<V>,
): Promise<V> {
  const hit = await cache.get(key);
  if (hit !== undefined) return hit;
  const value = await compute();
  await cache.set(key, value);
  return value;
}
