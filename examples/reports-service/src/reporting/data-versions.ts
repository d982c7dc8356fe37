import {
  dayReportPeriod,
  monthReportPeriod,
  type ReportCache,
  type ReportDataset,
  type ReportQueryClient,
  readReportDataVersions,
  reportTables,
} from '@bionicpro/reports';
import type { Logger } from '../logger.js';

/**
 * The data version of each mart period, used to decide whether a stored
 * report is current (docs/reports.md: a cached report is keyed by user, period and
 * data version). Versions are `max(last_updated)` per period, read for all
 * users in one query every `pollMs`, so a request costs no ClickHouse round
 * trip for them. What changed is handed to `publish` (the shared report
 * store, so every instance sees it) and dropped from the given caches.
 */
export interface DataVersions {
  /** Version of a month (`YYYY-MM`) of the two monthly marts; `'-'` when it has no rows. */
  month(month: string): string;
  /** Version of a date (`YYYY-MM-DD`) of the hourly mart. */
  day(date: string): string;
  /** Version of the whole hourly mart (report lists and summaries span every date). */
  hourly(): string;
  /** Re-reads the versions now; returns how many months or dates changed. */
  refresh(): Promise<number>;
  /** Starts polling every `pollMs`; `stop()` ends it. */
  start(): void;
  stop(): void;
}

/** Options of {@link createDataVersions}. */
export interface DataVersionsOptions {
  readonly client: ReportQueryClient;
  /** Database of the three marts. */
  readonly database: string;
  readonly pollMs: number;
  /** Caches whose entries are dropped when a month's or a date's version changes. */
  readonly caches?: readonly ReportCache<unknown>[];
  /** Receives the versions that changed (e.g. `StoredReports.publishDataVersions`). */
  readonly publish?: (changed: readonly (readonly [ReportDataset, string])[]) => Promise<unknown>;
  readonly logger: Logger;
}

/**
 * Polls the marts' data versions.
 *
 * @example
 * ```ts
 * const versions = createDataVersions({ client, database: 'reports', pollMs: 5000, logger });
 * await versions.refresh();
 * versions.start();
 * ```
 */
export function createDataVersions(options: DataVersionsOptions): DataVersions {
  const tables = reportTables({ database: options.database });
  let current = new Map<ReportDataset, string>();
  let timer: NodeJS.Timeout | undefined;

  const refresh = async (): Promise<number> => {
    const next = await readReportDataVersions(options.client, tables);
    const changed: [ReportDataset, string][] = [];
    for (const dataset of new Set([...current.keys(), ...next.keys()])) {
      if (dataset === 'hourly') continue;
      if (current.get(dataset) !== next.get(dataset)) changed.push([dataset, next.get(dataset) ?? '-']);
    }
    const hourlyChanged = current.get('hourly') !== next.get('hourly');
    current = next;
    if (options.publish && (changed.length > 0 || hourlyChanged)) {
      await options.publish([
        ...changed.filter(([, version]) => version !== '-'),
        ...(hourlyChanged ? [['hourly', next.get('hourly') ?? '-'] as const] : []),
      ]);
    }
    for (const cache of options.caches ?? []) {
      for (const [dataset] of changed) {
        const period = dataset.startsWith('month:')
          ? monthReportPeriod(dataset.slice(6))
          : dayReportPeriod(dataset.slice(4));
        await cache.invalidatePeriod(period);
      }
    }
    return changed.length;
  };

  return {
    month: (month) => current.get(`month:${month}`) ?? '-',
    day: (date) => current.get(`day:${date}`) ?? '-',
    hourly: () => current.get('hourly') ?? '-#0',
    refresh,
    start() {
      if (timer) return;
      timer = setInterval(() => {
        refresh().catch((error: unknown) => options.logger.warn('data version refresh failed', { error }));
      }, options.pollMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
