/**
 * `@bionicpro/etl/prometheus`: the monthly job's progress events and outcome
 * as prom-client collectors, named and documented in the project's
 * `docs/metrics.md` (ETL job section). prom-client is an optional peer
 * dependency: only this entry point imports it.
 *
 * Collectors are registered in the `Registry` the caller passes (a new one by
 * default), never in prom-client's global registry.
 */
import type { MartTableName } from '@bionicpro/models';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EtlStep } from './errors.js';
import type { JobSummary, ProgressEvent } from './monthly-job.js';

/** Options of {@link etlPrometheusMetrics}. */
export interface EtlPrometheusOptions {
  /** Where the collectors are registered. Default: a new `Registry`. */
  readonly registry?: Registry;
  /** Upper bounds of the step and job duration histograms, seconds. */
  readonly durationBuckets?: readonly number[];
  /** Clock in milliseconds for the success timestamps (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** Records one run of a month; get one from {@link EtlPrometheusMetrics.observeJob}. */
export interface JobObserver {
  /** Pass as `runMonthlyJob({ onProgress })` (or call it from yours). */
  readonly onProgress: (event: ProgressEvent) => void;
  /** The run finished: marks each rebuilt mart's month successful now. */
  succeeded(summary: JobSummary): void;
  /** The run failed: counts the failure under the step that failed (`unknown` when not an `EtlStepError`). */
  failed(error: unknown): void;
}

/** The ETL collectors and the ways to feed them. */
export interface EtlPrometheusMetrics {
  readonly registry: Registry;
  /** An observer for one monthly run (for callers that drive `runMonthlyJob` themselves). */
  observeJob(): JobObserver;
  /**
   * Runs a month with this registry observing it: `run` gets the `onProgress`
   * to hand to `runMonthlyJob`; the result resolves or rejects as the run does.
   * (It takes the run as a function so this entry point does not bundle the job.)
   */
  observeRun(run: (onProgress: (event: ProgressEvent) => void) => Promise<JobSummary>): Promise<JobSummary>;
}

/** A month's steps take from milliseconds (a small CRM table) to an hour (a billion telemetry rows). */
const DEFAULT_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * Prometheus metrics of the monthly ETL: rows and seconds per step and table
 * (raw tables and marts), mart rows and the last success time per mart and
 * month, runs by outcome and failures by step.
 *
 * Step seconds come from the job's progress events: from a step's first
 * event (or, for a stream that first reports once rows flow, the end of the
 * step before it) to its last. Tables the job streams at the same time
 * (device and battery events) overlap.
 *
 * @example
 * ```ts
 * import { runMonthlyJob } from '@bionicpro/etl';
 * import { etlPrometheusMetrics } from '@bionicpro/etl/prometheus';
 * const metrics = etlPrometheusMetrics();
 * await metrics.observeRun((onProgress) =>
 *   runMonthlyJob({ month: '2024-01', crm, telemetry, clickhouse, onProgress }),
 * );
 * // GET /metrics → await metrics.registry.metrics()
 * ```
 */
export function etlPrometheusMetrics(options: EtlPrometheusOptions = {}): EtlPrometheusMetrics {
  const registry = options.registry ?? new Registry();
  const now = options.now ?? Date.now;
  const collectors = etlCollectors(registry, [...(options.durationBuckets ?? DEFAULT_DURATION_BUCKETS)]);
  const observeJob = (): JobObserver => jobObserver(collectors, now);
  return {
    registry,
    observeJob,
    async observeRun(run) {
      const observer = observeJob();
      try {
        const summary = await run(observer.onProgress);
        observer.succeeded(summary);
        return summary;
      } catch (error) {
        observer.failed(error);
        throw error;
      }
    },
  };
}

/** The collectors, named and described as in docs/metrics.md (ETL job section). */
function etlCollectors(registry: Registry, buckets: number[]) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Histogram<L>({ name, help, labelNames, buckets, registers });
  const collectors = {
    rows: counter(
      'bionicpro_etl_rows_total',
      'Rows handled per step (extract, load, transform, pushdown) and table (raw table or mart).',
      ['step', 'table'],
    ),
    stepSeconds: histogram(
      'bionicpro_etl_step_duration_seconds',
      'Wall time of one step of one table in a monthly run.',
      ['step', 'table'],
    ),
    martRows: gauge('bionicpro_etl_mart_rows', 'Rows of the last successful rebuild of a mart month.', [
      'mart',
      'month',
    ]),
    lastSuccess: gauge(
      'bionicpro_etl_last_success_timestamp_seconds',
      'Unix time a mart month was last rebuilt successfully.',
      ['mart', 'month'],
    ),
    runs: counter('bionicpro_etl_runs_total', 'Monthly runs finished, by outcome (success, failure).', [
      'outcome',
    ]),
    failures: counter(
      'bionicpro_etl_failures_total',
      'Failed monthly runs by the step that failed (unknown when the error names none).',
      ['step'],
    ),
    runSeconds: histogram('bionicpro_etl_run_duration_seconds', 'Wall time of a monthly run, by outcome.', [
      'outcome',
    ]),
    running: gauge('bionicpro_etl_runs_in_progress', 'Monthly runs in progress.'),
  };
  // Series exist at 0 before the first run, so increase() and rate() see the first failure.
  for (const outcome of ['success', 'failure']) collectors.runs.inc({ outcome }, 0);
  for (const step of [...STEPS, 'unknown']) collectors.failures.inc({ step }, 0);
  return collectors;
}

/** One run's observer over the collectors: the rows and step times its events carry, then its outcome. */
function jobObserver(collectors: ReturnType<typeof etlCollectors>, now: () => number): JobObserver {
  const { rows, stepSeconds, martRows, lastSuccess, runs, failures, runSeconds, running } = collectors;
  const started = performance.now();
  // Events carry cumulative rows per step and table; the counter takes the increments.
  const seen = new Map<string, number>();
  const startedAt = new Map<string, number>();
  let lastDoneMs = 0;
  let finished = false;
  running.inc();
  const finish = (outcome: 'success' | 'failure') => {
    if (finished) return false;
    finished = true;
    running.dec();
    runs.inc({ outcome });
    runSeconds.observe({ outcome }, (performance.now() - started) / 1000);
    return true;
  };
  return {
    onProgress(event) {
      const key = `${event.step}\u0000${event.table}`;
      const labels = { step: event.step, table: event.table };
      const before = seen.get(key) ?? 0;
      const increment = event.rows >= before ? event.rows - before : event.rows;
      if (increment > 0) rows.inc(labels, increment);
      seen.set(key, event.rows);
      if (!startedAt.has(key)) startedAt.set(key, event.rows === 0 ? event.elapsedMs : lastDoneMs);
      if (event.done) {
        const from = startedAt.get(key) ?? lastDoneMs;
        stepSeconds.observe(labels, Math.max(0, event.elapsedMs - from) / 1000);
        startedAt.delete(key);
        seen.delete(key);
        lastDoneMs = Math.max(lastDoneMs, event.elapsedMs);
      }
    },
    succeeded(summary) {
      if (!finish('success')) return;
      const at = now() / 1000;
      for (const [mart, count] of Object.entries(summary.marts) as [MartTableName, number][]) {
        martRows.set({ mart, month: summary.period }, count);
        lastSuccess.set({ mart, month: summary.period }, at);
      }
    },
    failed(error) {
      if (!finish('failure')) return;
      failures.inc({ step: failedStep(error) });
    },
  };
}

const STEPS: ReadonlySet<string> = new Set<EtlStep>(['extract', 'transform', 'load', 'pushdown', 'prepare']);

/**
 * The step an `EtlStepError` names. Read by its `code`, not `instanceof`: the
 * error may come from the package's main entry, a separate bundle.
 */
function failedStep(error: unknown): string {
  const { code, step } = (error ?? {}) as { code?: unknown; step?: unknown };
  return code === 'etl_step_failed' && typeof step === 'string' && STEPS.has(step) ? step : 'unknown';
}
