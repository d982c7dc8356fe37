import { assertIdentifier } from '@bionicpro/models';
import { monthPeriod, type ReportCache, type ReportQueryClient, runQuery } from '@bionicpro/reports';
import type { Logger } from '../logger.js';

/**
 * The data version of each mart period, used in report cache keys (SPEC §4:
 * a cached report is keyed by user, period and data version). Versions are
 * `max(last_updated)` per period, read for all users in one query every
 * `pollMs`, so a cached request costs no ClickHouse round trip; a reload of a
 * period by the ETL changes its version and drops the entries of that period.
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
  readonly database: string;
  readonly pollMs: number;
  /** Caches whose entries are dropped when a month's or a date's version changes. */
  readonly caches?: readonly ReportCache<unknown>[];
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
  const db = assertIdentifier('database', options.database);
  const query = {
    query: `
      SELECT 'm' AS kind, toString(report_date) AS period, toString(max(last_updated)) AS version
        FROM ${db}.report_user_monthly_metrics GROUP BY report_date
      UNION ALL
      SELECT 'p' AS kind, toString(report_date) AS period, toString(max(last_updated)) AS version
        FROM ${db}.report_prosthetic_monthly_metrics GROUP BY report_date
      UNION ALL
      SELECT 'h' AS kind, toString(date) AS period, toString(max(last_updated)) AS version
        FROM ${db}.user_prosthesis_stats GROUP BY date`,
    query_params: {},
  };
  let months = new Map<string, string>();
  let days = new Map<string, string>();
  let hourly = '-';
  let timer: NodeJS.Timeout | undefined;

  const refresh = async (): Promise<number> => {
    const rows = (await runQuery(options.client, query)) as {
      kind: string;
      period: string;
      version: string;
    }[];
    const nextDays = new Map<string, string>();
    // Per month, the version of each monthly mart. UNION ALL returns its parts in no fixed
    // order, so the month's version is composed in a fixed order (m, then p), never in row order:
    // otherwise the same data read twice looks changed and every poll drops the month's cache.
    const monthParts = new Map<string, { m?: string; p?: string }>();
    for (const row of rows) {
      if (row.kind === 'h') {
        nextDays.set(row.period, row.version);
      } else if (row.kind === 'm' || row.kind === 'p') {
        const month = row.period.slice(0, 7);
        const parts = monthParts.get(month) ?? {};
        const previous = parts[row.kind];
        parts[row.kind] = previous === undefined || row.version > previous ? row.version : previous;
        monthParts.set(month, parts);
      }
    }
    const nextMonths = new Map<string, string>();
    for (const [month, parts] of monthParts) {
      nextMonths.set(month, `m${parts.m ?? '-'}p${parts.p ?? '-'}`);
    }
    const changedMonths = changed(months, nextMonths);
    const changedDays = changed(days, nextDays);
    months = nextMonths;
    days = nextDays;
    hourly = [...nextDays.values()].reduce((a, b) => (a > b ? a : b), '-') + `#${nextDays.size}`;
    for (const cache of options.caches ?? []) {
      for (const month of changedMonths) await cache.invalidatePeriod(monthPeriod(month));
      for (const day of changedDays) {
        const from = new Date(`${day}T00:00:00.000Z`);
        await cache.invalidatePeriod({ from, to: new Date(from.getTime() + 86_400_000) });
      }
    }
    return changedMonths.length + changedDays.length;
  };

  return {
    month: (month) => months.get(month) ?? '-',
    day: (date) => days.get(date) ?? '-',
    hourly: () => hourly,
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

function changed(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((key) => before.get(key) !== after.get(key));
}
