import {
  type Int64Text,
  type ProsthesisTypeStats,
  type TelemetryReport,
  windowFromInclusive,
} from '@bionicpro/models';
import type { TelemetryEventRow, UserRow } from './kpi-inputs.js';
import { isAsyncIterable, type RowSource } from './row-source.js';

/**
 * The time filter of the EMG report, as `POST /report` takes it: both ends
 * optional and inclusive (`start_ts <= event_timestamp <= end_ts`). It is
 * converted to the half-open window `[start_ts, end_ts + 1 ms)` on entry
 * (`windowFromInclusive` of `@bionicpro/models`).
 */
export interface ReportWindow {
  readonly start_ts?: Date | undefined;
  readonly end_ts?: Date | undefined;
}

/** A {@link TelemetryReport} with the user it belongs to. */
export type UserTelemetryReport = TelemetryReport & { readonly user_id: number };

interface TypeTotals {
  events: number;
  duration: number;
  amplitudeSum: number;
  frequencySum: number;
}

/**
 * Accumulates the per-prosthesis-type EMG report (docs/reports.md,
 * `POST /report`) for every user: events counted once per id, Σ
 * signal_duration (ms), mean amplitude and frequency per prosthesis type.
 * Memory O(users × 3) plus the id set; O(n) time; any input order.
 */
export class TelemetryReportAccumulator {
  private readonly totals = new Map<number, Map<string, TypeTotals>>();
  private readonly seen = new Set<Int64Text>();
  private readonly fromMs: number;
  /** Exclusive end: the half-open form of the inclusive `end_ts`. */
  private readonly endMs: number;

  constructor(window: ReportWindow = {}) {
    const { start, end } = windowFromInclusive(window.start_ts, window.end_ts);
    this.fromMs = start?.getTime() ?? Number.NEGATIVE_INFINITY;
    this.endMs = end?.getTime() ?? Number.POSITIVE_INFINITY;
  }

  add(event: TelemetryEventRow): void {
    const t = event.event_timestamp.getTime();
    if (t < this.fromMs || t >= this.endMs) return;
    // docs/reports.md: a row repeated with the same id (a re-delivered event) counts once.
    if (this.seen.has(event.id)) return;
    this.seen.add(event.id);
    let byType = this.totals.get(event.user_id);
    if (byType === undefined) {
      byType = new Map();
      this.totals.set(event.user_id, byType);
    }
    let totals = byType.get(event.prosthesis_type);
    if (totals === undefined) {
      totals = { events: 0, duration: 0, amplitudeSum: 0, frequencySum: 0 };
      byType.set(event.prosthesis_type, totals);
    }
    totals.events += 1;
    totals.duration += event.signal_duration;
    totals.amplitudeSum += event.signal_amplitude;
    totals.frequencySum += event.signal_frequency;
  }

  /** The report of one user (zeros and no types when the user has no events in the window). */
  reportFor(user: Pick<UserRow, 'id' | 'name' | 'email'>): UserTelemetryReport {
    const byType = this.totals.get(user.id) ?? new Map<string, TypeTotals>();
    const stats: ProsthesisTypeStats[] = [...byType.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([type, t]) => ({
        prosthesis_type: type as ProsthesisTypeStats['prosthesis_type'],
        events_count: t.events,
        total_duration: t.duration,
        avg_amplitude: t.amplitudeSum / t.events,
        avg_frequency: t.frequencySum / t.events,
      }));
    let events = 0;
    let duration = 0;
    for (const s of stats) {
      events += s.events_count;
      duration += s.total_duration;
    }
    return {
      user_id: user.id,
      user_name: user.name,
      user_email: user.email,
      total_events: events,
      total_duration: duration,
      prosthesis_stats: stats,
    };
  }

  /** Reports of every known user that has events in the window, by user id. */
  reports(users: Iterable<Pick<UserRow, 'id' | 'name' | 'email'>>): UserTelemetryReport[] {
    const byId = new Map<number, Pick<UserRow, 'id' | 'name' | 'email'>>();
    for (const user of users) if (!byId.has(user.id)) byId.set(user.id, user);
    return [...this.totals.keys()]
      .filter((id) => byId.has(id))
      .sort((a, b) => a - b)
      .map((id) => this.reportFor(byId.get(id)!));
  }
}

/**
 * Per-prosthesis-type EMG reports (docs/reports.md `POST /report`):
 * one per user with EMG events in the window; `total_events` and
 * `total_duration` equal the sums of the per-type rows; types sorted by name.
 * Events of users that do not exist are ignored.
 *
 * @example
 * ```ts
 * import { telemetryReports } from '@bionicpro/etl';
 * const [report] = telemetryReports({ users, telemetryEvents }, {
 *   start_ts: new Date('2026-01-01T00:00:00Z'), end_ts: new Date('2026-01-31T23:59:59Z'),
 * });
 * ```
 */
export function telemetryReports(
  input: {
    readonly users: Iterable<Pick<UserRow, 'id' | 'name' | 'email'>>;
    readonly telemetryEvents: Iterable<TelemetryEventRow>;
  },
  window: ReportWindow = {},
): UserTelemetryReport[] {
  const acc = new TelemetryReportAccumulator(window);
  for (const event of input.telemetryEvents) acc.add(event);
  return acc.reports(input.users);
}

/** {@link telemetryReports} over an async event source. */
export async function telemetryReportsAsync(
  input: {
    readonly users: Iterable<Pick<UserRow, 'id' | 'name' | 'email'>>;
    readonly telemetryEvents: RowSource<TelemetryEventRow>;
  },
  window: ReportWindow = {},
): Promise<UserTelemetryReport[]> {
  const acc = new TelemetryReportAccumulator(window);
  if (isAsyncIterable(input.telemetryEvents)) {
    for await (const event of input.telemetryEvents) acc.add(event);
  } else {
    for (const event of input.telemetryEvents) acc.add(event);
  }
  return acc.reports(input.users);
}
