import type { BatchStats, CdcMetrics, DeadLetter } from '@bionicpro/cdc';

/** Counters and gauges of a running consumer. */
export interface ConsumerFigures {
  batches: number;
  messages: number;
  changes: number;
  rows: number;
  tombstones: number;
  heartbeats: number;
  retries: number;
  commitErrors: number;
  deadLetters: Map<string, number>;
  lag: number | undefined;
  lastBatchLatencyMs: number | undefined;
  lastBatchWriteMs: number | undefined;
  lastBatchAt: number | undefined;
}

/** The pipeline's metric callbacks, plus a Prometheus rendering of what they counted. */
export interface ConsumerMetrics {
  readonly callbacks: CdcMetrics;
  readonly figures: Readonly<ConsumerFigures>;
  /** Prometheus text exposition format 0.0.4. */
  render(): string;
}

/**
 * Counts what the CDC pipeline reports (batches, messages, rows, dead letters
 * by code, retries, commit errors, lag, batch latency) and renders it for a
 * Prometheus scrape.
 *
 * @example
 * ```ts
 * const metrics = createConsumerMetrics();
 * const pipeline = createCdcPipeline({ consumer, sink, deadLetters, metrics: metrics.callbacks });
 * // GET /metrics → metrics.render()
 * ```
 */
export function createConsumerMetrics(now: () => number = Date.now): ConsumerMetrics {
  const f: ConsumerFigures = {
    batches: 0,
    messages: 0,
    changes: 0,
    rows: 0,
    tombstones: 0,
    heartbeats: 0,
    retries: 0,
    commitErrors: 0,
    deadLetters: new Map(),
    lag: undefined,
    lastBatchLatencyMs: undefined,
    lastBatchWriteMs: undefined,
    lastBatchAt: undefined,
  };
  const callbacks: CdcMetrics = {
    onBatch(stats: BatchStats) {
      f.batches += 1;
      f.messages += stats.messages;
      f.changes += stats.changes;
      f.rows += stats.rows;
      f.tombstones += stats.tombstones;
      f.heartbeats += stats.heartbeats;
      f.lag = stats.lag;
      f.lastBatchLatencyMs = stats.latencyMs;
      f.lastBatchWriteMs = stats.writeMs;
      f.lastBatchAt = now();
    },
    onDeadLetter(letter: DeadLetter) {
      f.deadLetters.set(letter.code, (f.deadLetters.get(letter.code) ?? 0) + 1);
    },
    onRetry() {
      f.retries += 1;
    },
    onCommitError() {
      f.commitErrors += 1;
    },
  };
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) =>
    [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} ${type}`,
      ...samples.map(([labels, v]) => `${name}${labels} ${v}`),
    ].join('\n');
  return {
    callbacks,
    figures: f,
    render() {
      const blocks = [
        metric('bionicpro_cdc_batches_total', 'counter', 'Batches committed.', [['', f.batches]]),
        metric('bionicpro_cdc_messages_total', 'counter', 'Kafka messages processed.', [['', f.messages]]),
        metric('bionicpro_cdc_changes_total', 'counter', 'Row changes decoded (c/u/d/r).', [['', f.changes]]),
        metric('bionicpro_cdc_rows_written_total', 'counter', 'Rows ClickHouse acknowledged.', [
          ['', f.rows],
        ]),
        metric('bionicpro_cdc_tombstones_total', 'counter', 'Tombstones seen.', [['', f.tombstones]]),
        metric('bionicpro_cdc_heartbeats_total', 'counter', 'Heartbeat messages seen.', [['', f.heartbeats]]),
        metric('bionicpro_cdc_retries_total', 'counter', 'ClickHouse write retries.', [['', f.retries]]),
        metric(
          'bionicpro_cdc_commit_errors_total',
          'counter',
          'Offset commits that failed after the write.',
          [['', f.commitErrors]],
        ),
        metric(
          'bionicpro_cdc_dead_letters_total',
          'counter',
          'Messages routed to the dead-letter destination, by reason code.',
          [...f.deadLetters].sort().map(([code, n]) => [`{code="${code.replaceAll('"', '')}"}`, n]),
        ),
      ];
      if (f.lag !== undefined) {
        blocks.push(
          metric('bionicpro_cdc_lag_messages', 'gauge', 'Messages behind the high watermark.', [['', f.lag]]),
        );
      }
      if (f.lastBatchLatencyMs !== undefined) {
        blocks.push(
          metric('bionicpro_cdc_last_batch_latency_ms', 'gauge', 'First poll to commit of the last batch.', [
            ['', f.lastBatchLatencyMs],
          ]),
          metric('bionicpro_cdc_last_batch_write_ms', 'gauge', 'ClickHouse write time of the last batch.', [
            ['', f.lastBatchWriteMs ?? 0],
          ]),
          metric(
            'bionicpro_cdc_last_batch_timestamp_seconds',
            'gauge',
            'When the last batch was committed.',
            [['', Math.floor((f.lastBatchAt ?? 0) / 1000)]],
          ),
        );
      }
      return `${blocks.join('\n')}\n`;
    },
  };
}
