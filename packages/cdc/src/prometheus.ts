/**
 * `@bionicpro/cdc/prometheus`: the CDC pipeline's metric callbacks
 * ({@link CdcMetrics}) as prom-client collectors, named and documented in the
 * project's `docs/metrics.md` (CDC consumer section). prom-client is an
 * optional peer dependency: only this entry point imports it.
 *
 * Every collector is registered in the `Registry` the caller passes (a new
 * one by default), never in prom-client's global registry, so two pipelines
 * (or two tests) in one process never share or clash on a series.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchStats, CdcMetrics } from './cdc-pipeline.js';
import type { DeadLetter } from './dead-letter.js';
import type { PipelineError } from './errors.js';

/** Options of {@link cdcPrometheusMetrics}. */
export interface CdcPrometheusOptions {
  /** Where the collectors are registered. Default: a new `Registry`. */
  readonly registry?: Registry;
  /** Upper bounds of the batch latency histograms, seconds. */
  readonly latencyBuckets?: readonly number[];
  /** Clock in milliseconds (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** The pipeline callbacks plus the registry that holds what they count. */
export interface CdcPrometheusMetrics {
  readonly registry: Registry;
  /** Pass as `createCdcPipeline({ metrics })`. */
  readonly callbacks: Required<CdcMetrics>;
}

/** Batch latencies span a few milliseconds (a small batch) to minutes (a ClickHouse outage being retried). */
const DEFAULT_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** The unlabelled counters and what each counts, by the {@link BatchStats} field or callback it follows. */
const COUNTERS = {
  batches: ['bionicpro_cdc_batches_total', 'Batches processed and committed.'],
  messages: [
    'bionicpro_cdc_messages_total',
    'Kafka messages processed (changes, tombstones, heartbeats and dead letters).',
  ],
  changes: [
    'bionicpro_cdc_changes_total',
    'Row changes decoded (create, update, delete, snapshot read) and truncates.',
  ],
  rows: [
    'bionicpro_cdc_rows_written_total',
    'Rows ClickHouse acknowledged, after folding versions of the same key within a batch.',
  ],
  tombstones: ['bionicpro_cdc_tombstones_total', 'Tombstone messages seen.'],
  heartbeats: ['bionicpro_cdc_heartbeats_total', 'Debezium heartbeat messages seen.'],
  retries: [
    'bionicpro_cdc_sink_retries_total',
    'Retried writes to ClickHouse or the dead-letter destination (the batch stays uncommitted meanwhile).',
  ],
  commitErrors: [
    'bionicpro_cdc_commit_errors_total',
    'Offset commits that failed after ClickHouse had the rows (redelivered, harmlessly).',
  ],
} as const satisfies Record<string, readonly [string, string]>;

/** The collectors of one {@link cdcPrometheusMetrics}, all registered in its registry. */
function createCollectors(registers: Registry[], buckets: number[]) {
  const counters = Object.fromEntries(
    Object.entries(COUNTERS).map(([key, [name, help]]) => [key, new Counter({ name, help, registers })]),
  ) as Record<keyof typeof COUNTERS, Counter>;
  return {
    ...counters,
    deadLetters: new Counter({
      name: 'bionicpro_cdc_dead_letters_total',
      help: 'Messages routed to the dead-letter destination, by topic and reason code.',
      labelNames: ['topic', 'code'] as const,
      registers,
    }),
    failures: new Counter({
      name: 'bionicpro_cdc_pipeline_failures_total',
      help: 'Times the pipeline stopped, by code (defect, retries_exhausted, write_refused, consumer_failed); it needs a restart.',
      labelNames: ['code'] as const,
      registers,
    }),
    batchLatency: new Histogram({
      name: 'bionicpro_cdc_batch_duration_seconds',
      help: 'From the first message of a batch polled to its offsets committed.',
      buckets,
      registers,
    }),
    writeLatency: new Histogram({
      name: 'bionicpro_cdc_batch_write_duration_seconds',
      help: 'Time a batch spent writing to ClickHouse and the dead-letter destination, retries included.',
      buckets,
      registers,
    }),
    lag: new Gauge({
      name: 'bionicpro_cdc_consumer_lag_messages',
      help: 'Messages behind the partition high watermark after the last batch of that partition.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    lastCommit: new Gauge({
      name: 'bionicpro_cdc_last_commit_timestamp_seconds',
      help: 'Unix time of the last successful offset commit (0 before the first).',
      registers,
    }),
  };
}

/** When offsets were last committed; a batch whose commit failed does not count. */
class CommitClock {
  private lastCommitAt: number | undefined;
  /** The pipeline reports a failed commit (onCommitError) before the batch's figures. */
  private commitFailed = false;
  private readonly createdAt: number;

  constructor(private readonly now: () => number) {
    this.createdAt = now();
  }

  commitFailedNow(): void {
    this.commitFailed = true;
  }

  /** After a batch: its time when it committed offsets; undefined when it committed nothing. */
  batchDone(committedOffsets: boolean): number | undefined {
    const committed = committedOffsets && !this.commitFailed;
    this.commitFailed = false;
    if (!committed) return undefined;
    this.lastCommitAt = this.now();
    return this.lastCommitAt;
  }

  secondsSinceLastCommit(): number {
    return Math.max(0, (this.now() - (this.lastCommitAt ?? this.createdAt)) / 1000);
  }
}

/**
 * Prometheus metrics of a CDC consumer: messages, changes and rows written,
 * dead letters by topic and code, sink retries, commit errors, batch latency
 * histograms, consumer lag per topic and partition, and the time of (and
 * seconds since) the last offset commit.
 *
 * @example
 * ```ts
 * import { createCdcPipeline } from '@bionicpro/cdc';
 * import { cdcPrometheusMetrics } from '@bionicpro/cdc/prometheus';
 * const metrics = cdcPrometheusMetrics();
 * const pipeline = createCdcPipeline({ consumer, sink, deadLetters, metrics: metrics.callbacks });
 * // GET /metrics → await metrics.registry.metrics() (content type metrics.registry.contentType)
 * ```
 */
export function cdcPrometheusMetrics(options: CdcPrometheusOptions = {}): CdcPrometheusMetrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const c = createCollectors(registers, [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)]);
  const commits = new CommitClock(options.now ?? Date.now);
  new Gauge({
    name: 'bionicpro_cdc_seconds_since_last_commit',
    help: 'Seconds since the last successful offset commit, or since the metrics were created before the first one.',
    registers,
    collect() {
      this.set(commits.secondsSinceLastCommit());
    },
  });
  const callbacks: Required<CdcMetrics> = {
    onBatch(stats: BatchStats) {
      c.batches.inc();
      for (const field of ['messages', 'changes', 'rows', 'tombstones', 'heartbeats'] as const) {
        c[field].inc(stats[field]);
      }
      c.batchLatency.observe(stats.latencyMs / 1000);
      c.writeLatency.observe(stats.writeMs / 1000);
      for (const partition of stats.lagByPartition ?? []) {
        c.lag.set({ topic: partition.topic, partition: String(partition.partition) }, partition.lag);
      }
      const committedAt = commits.batchDone(stats.offsets.length > 0);
      if (committedAt !== undefined) c.lastCommit.set(committedAt / 1000);
    },
    onFailure(error: PipelineError) {
      c.failures.inc({ code: error.code });
    },
    onDeadLetter(letter: DeadLetter) {
      c.deadLetters.inc({ topic: letter.topic, code: letter.code });
    },
    onRetry() {
      c.retries.inc();
    },
    onCommitError() {
      commits.commitFailedNow();
      c.commitErrors.inc();
    },
  };
  return { registry, callbacks };
}
