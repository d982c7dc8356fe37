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
  const now = options.now ?? Date.now;
  const buckets = [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)];
  const registers = [registry];
  const createdAt = now();
  let lastCommitAt: number | undefined;
  let commitFailed = false;

  const batches = new Counter({
    name: 'bionicpro_cdc_batches_total',
    help: 'Batches processed and committed.',
    registers,
  });
  const messages = new Counter({
    name: 'bionicpro_cdc_messages_total',
    help: 'Kafka messages processed (changes, tombstones, heartbeats and dead letters).',
    registers,
  });
  const changes = new Counter({
    name: 'bionicpro_cdc_changes_total',
    help: 'Row changes decoded (create, update, delete, snapshot read) and truncates.',
    registers,
  });
  const rows = new Counter({
    name: 'bionicpro_cdc_rows_written_total',
    help: 'Rows ClickHouse acknowledged, after folding versions of the same key within a batch.',
    registers,
  });
  const tombstones = new Counter({
    name: 'bionicpro_cdc_tombstones_total',
    help: 'Tombstone messages seen.',
    registers,
  });
  const heartbeats = new Counter({
    name: 'bionicpro_cdc_heartbeats_total',
    help: 'Debezium heartbeat messages seen.',
    registers,
  });
  const deadLetters = new Counter({
    name: 'bionicpro_cdc_dead_letters_total',
    help: 'Messages routed to the dead-letter destination, by topic and reason code.',
    labelNames: ['topic', 'code'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'bionicpro_cdc_sink_retries_total',
    help: 'Retried writes to ClickHouse or the dead-letter destination (the batch stays uncommitted meanwhile).',
    registers,
  });
  const commitErrors = new Counter({
    name: 'bionicpro_cdc_commit_errors_total',
    help: 'Offset commits that failed after ClickHouse had the rows (redelivered, harmlessly).',
    registers,
  });
  const failures = new Counter({
    name: 'bionicpro_cdc_pipeline_failures_total',
    help: 'Times the pipeline stopped, by code (defect, retries_exhausted, consumer_failed); it needs a restart.',
    labelNames: ['code'] as const,
    registers,
  });
  const batchLatency = new Histogram({
    name: 'bionicpro_cdc_batch_duration_seconds',
    help: 'From the first message of a batch polled to its offsets committed.',
    buckets,
    registers,
  });
  const writeLatency = new Histogram({
    name: 'bionicpro_cdc_batch_write_duration_seconds',
    help: 'Time a batch spent writing to ClickHouse and the dead-letter destination, retries included.',
    buckets,
    registers,
  });
  const lag = new Gauge({
    name: 'bionicpro_cdc_consumer_lag_messages',
    help: 'Messages behind the partition high watermark after the last batch of that partition.',
    labelNames: ['topic', 'partition'] as const,
    registers,
  });
  const lastCommit = new Gauge({
    name: 'bionicpro_cdc_last_commit_timestamp_seconds',
    help: 'Unix time of the last successful offset commit (0 before the first).',
    registers,
  });
  new Gauge({
    name: 'bionicpro_cdc_seconds_since_last_commit',
    help: 'Seconds since the last successful offset commit, or since the metrics were created before the first one.',
    registers,
    collect() {
      this.set(Math.max(0, (now() - (lastCommitAt ?? createdAt)) / 1000));
    },
  });

  const callbacks: Required<CdcMetrics> = {
    onBatch(stats: BatchStats) {
      batches.inc();
      messages.inc(stats.messages);
      changes.inc(stats.changes);
      rows.inc(stats.rows);
      tombstones.inc(stats.tombstones);
      heartbeats.inc(stats.heartbeats);
      batchLatency.observe(stats.latencyMs / 1000);
      writeLatency.observe(stats.writeMs / 1000);
      for (const partition of stats.lagByPartition ?? []) {
        lag.set({ topic: partition.topic, partition: String(partition.partition) }, partition.lag);
      }
      // The pipeline reports a failed commit (onCommitError) before the batch's figures.
      if (stats.offsets.length > 0 && !commitFailed) {
        lastCommitAt = now();
        lastCommit.set(lastCommitAt / 1000);
      }
      commitFailed = false;
    },
    onFailure(error: PipelineError) {
      failures.inc({ code: error.code });
    },
    onDeadLetter(letter: DeadLetter) {
      deadLetters.inc({ topic: letter.topic, code: letter.code });
    },
    onRetry() {
      retries.inc();
    },
    onCommitError() {
      commitFailed = true;
      commitErrors.inc();
    },
  };
  return { registry, callbacks };
}
