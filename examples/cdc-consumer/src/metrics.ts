import type { BatchStats, CdcMetrics } from '@bionicpro/cdc';
import { cdcPrometheusMetrics } from '@bionicpro/cdc/prometheus';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** What the health endpoint reports besides the Prometheus series. */
export interface ConsumerFigures {
  readonly messages: number;
  readonly rows: number;
  /** Messages behind the high watermarks after the last batch, when the client reports them. */
  readonly lag: number | undefined;
}

/** The pipeline's metric callbacks and the registry that serves `GET /metrics`. */
export interface ConsumerMetrics {
  readonly callbacks: CdcMetrics;
  readonly registry: Registry;
  readonly figures: Readonly<ConsumerFigures>;
  /** Prometheus text exposition of the registry (content type `registry.contentType`). */
  render(): Promise<string>;
}

/** Options of {@link createConsumerMetrics}. */
export interface ConsumerMetricsOptions {
  /** Default: a new registry. */
  readonly registry?: Registry;
  /** Also collect prom-client's process and Node.js metrics (CPU, memory, event loop lag). Default false. */
  readonly processMetrics?: boolean;
}

/**
 * The consumer's metrics: `@bionicpro/cdc/prometheus` collectors (names in
 * docs/metrics.md) fed by the pipeline callbacks, plus the few figures the
 * health endpoint shows.
 *
 * @example
 * ```ts
 * const metrics = createConsumerMetrics({ processMetrics: true });
 * const pipeline = createCdcPipeline({ consumer, sink, deadLetters, metrics: metrics.callbacks });
 * // GET /metrics → await metrics.render()
 * ```
 */
export function createConsumerMetrics(options: ConsumerMetricsOptions = {}): ConsumerMetrics {
  const registry = options.registry ?? new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const prometheus = cdcPrometheusMetrics({ registry });
  const figures = { messages: 0, rows: 0, lag: undefined as number | undefined };
  return {
    callbacks: {
      ...prometheus.callbacks,
      onBatch(stats: BatchStats) {
        prometheus.callbacks.onBatch(stats);
        figures.messages += stats.messages;
        figures.rows += stats.rows;
        figures.lag = stats.lag;
      },
    },
    registry,
    figures,
    render: () => registry.metrics(),
  };
}
