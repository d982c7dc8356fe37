import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CdcConsumer,
  type CdcPipeline,
  type ClickHouseLike,
  cdcTargetDdl,
  cdcTargetOf,
  createCdcPipeline,
  createClickHouseSink,
  type DeadLetterDestination,
  deadLettersToClickHouse,
  deadLetterTableDdl,
} from '@bionicpro/cdc';
import { assertIdentifier, sourceTableNames, tables } from '@bionicpro/models';
import type { Registry } from 'prom-client';
import { type ConsumerMetrics, createConsumerMetrics } from './metrics.js';

/** JSON-lines log sink. */
export type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;

/** Options of {@link startConsumerProcess}. */
export interface ConsumerProcessOptions {
  /** Kafka (via `@bionicpro/cdc/kafkajs`) or recorded messages. */
  readonly consumer: CdcConsumer & { stop?(): Promise<void> };
  readonly clickhouse: ClickHouseLike & { ping?(): Promise<{ success: boolean }> };
  /** Database of the CDC target tables (one per source table of the models). */
  readonly database: string;
  /** Where undecodable messages go; default a `cdc_dead_letters` table in `database`. */
  readonly deadLetters?: DeadLetterDestination;
  readonly batch?: { readonly maxMessages?: number; readonly maxWaitMs?: number };
  readonly host: string;
  /** Port of the health and metrics endpoints; 0 picks one. */
  readonly port: number;
  readonly log: Log;
  /** Registry of the `/metrics` endpoint; default a new one with the process metrics. */
  readonly registry?: Registry;
}

/** A running consumer process. */
export interface ConsumerProcess {
  readonly url: string;
  readonly metrics: ConsumerMetrics;
  readonly server: Server;
  /** Stops after the current batch (committed), then the consumer and the HTTP server. */
  stop(): Promise<void>;
}

/**
 * The Kafka-to-ClickHouse sink as a process: creates the target tables,
 * runs `@bionicpro/cdc`'s pipeline (offsets committed only after ClickHouse
 * has the rows, bad messages to dead letters, retries with backoff on a
 * ClickHouse outage), and serves `GET /health/live`, `GET /health/ready`
 * (ClickHouse answers and the loop runs) and `GET /metrics` (Prometheus).
 *
 * @example
 * ```ts
 * const process = await startConsumerProcess({ consumer, clickhouse, database: 'bionicpro_cdc', host: '0.0.0.0', port: 9464, log });
 * ```
 */
export async function startConsumerProcess(options: ConsumerProcessOptions): Promise<ConsumerProcess> {
  const { clickhouse, log } = options;
  const database = assertIdentifier('database', options.database);
  await clickhouse.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  for (const name of sourceTableNames)
    await clickhouse.command({ query: cdcTargetDdl(tables[name], { database }) });
  let deadLetters = options.deadLetters;
  if (deadLetters === undefined) {
    await clickhouse.command({ query: deadLetterTableDdl('cdc_dead_letters', { database }) });
    deadLetters = deadLettersToClickHouse(clickhouse, { table: 'cdc_dead_letters', database });
  }
  const metrics = createConsumerMetrics(
    options.registry ? { registry: options.registry } : { processMetrics: true },
  );
  const pipeline = createCdcPipeline({
    consumer: options.consumer,
    sink: createClickHouseSink({
      client: clickhouse,
      targets: sourceTableNames.map((name) => cdcTargetOf(tables[name], { database })),
      unknownTables: 'ignore',
    }),
    deadLetters,
    ...(options.batch ? { batch: options.batch } : {}),
    metrics: {
      ...metrics.callbacks,
      onDeadLetter(letter) {
        metrics.callbacks.onDeadLetter?.(letter);
        log('warn', 'dead letter', {
          topic: letter.topic,
          offset: letter.offset,
          code: letter.code,
          reason: letter.reason,
        });
      },
      onRetry(info) {
        metrics.callbacks.onRetry?.(info);
        log('warn', 'clickhouse write retry', {
          attempt: info.attempt,
          delay_ms: info.delayMs,
          error: info.error instanceof Error ? info.error.message : String(info.error),
        });
      },
    },
  });
  let running = true;
  let failure: unknown;
  const loop = pipeline.run().then(
    () => {
      running = false;
    },
    (error: unknown) => {
      running = false;
      failure = error;
      log('error', 'cdc pipeline stopped on an error', {
        error: error instanceof Error ? error.message : String(error),
      });
    },
  );

  const server = createServer(
    healthHandler({ clickhouse, pipeline, metrics, log, state: () => ({ running, failure }) }),
  );
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const address = server.address() as AddressInfo;
  const url = `http://${address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`;
  log('info', 'cdc consumer running', { url, database });
  let stopping: Promise<void> | undefined;
  return {
    url,
    metrics,
    server,
    stop() {
      stopping ??= (async () => {
        pipeline.stop();
        await loop;
        await options.consumer.stop?.();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        log('info', 'cdc consumer stopped', {
          messages: metrics.figures.messages,
          rows: metrics.figures.rows,
        });
      })();
      return stopping;
    },
  };
}

/** What the health and metrics routes read of the running consumer. */
interface HealthSources {
  readonly clickhouse: ConsumerProcessOptions['clickhouse'];
  readonly pipeline: CdcPipeline;
  readonly metrics: ConsumerMetrics;
  readonly log: Log;
  readonly state: () => { readonly running: boolean; readonly failure: unknown };
}

/** `GET /health/live`, `GET /health/ready` (and `/health`), `GET /metrics`; anything else 404/405. */
function healthHandler({ clickhouse, pipeline, metrics, log, state }: HealthSources): RequestListener {
  return (req, res) => {
    const { running, failure } = state();
    const send = (status: number, body: string, type = 'application/json') =>
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, '{"error":"method_not_allowed"}');
    if (path === '/health/live')
      return send(running ? 200 : 503, JSON.stringify({ status: running ? 'alive' : 'stopped' }));
    if (path === '/metrics') {
      metrics.render().then(
        (text) => send(200, text, metrics.registry.contentType),
        (error: unknown) => {
          log('error', 'metrics collection failed', { error: String(error) });
          send(500, '{"error":"metrics_unavailable"}');
        },
      );
      return;
    }
    if (path === '/health/ready' || path === '/health') {
      const ping = clickhouse.ping ? clickhouse.ping() : Promise.resolve({ success: true });
      ping.then(
        (result) => {
          // Unhealthy once the pipeline stopped on a defect or a spent retry budget; not ready while retrying.
          const health = pipeline.health();
          const ready = running && result.success && health.healthy && health.state !== 'retrying';
          send(
            ready ? 200 : 503,
            JSON.stringify({
              status: ready ? 'ready' : 'not_ready',
              pipeline: health.state,
              clickhouse: result.success ? 'up' : 'down',
              ...(failure ? { error: failure instanceof Error ? failure.message : String(failure) } : {}),
              messages: metrics.figures.messages,
              lag: metrics.figures.lag ?? null,
            }),
          );
        },
        () => send(503, JSON.stringify({ status: 'not_ready', clickhouse: 'down' })),
      );
      return;
    }
    send(404, '{"error":"not_found"}');
  };
}
