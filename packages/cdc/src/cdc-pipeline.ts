/**
 * The consumer loop: poll a batch (bounded by size and time), decode every
 * message, route bad ones to dead letters, write the changes to ClickHouse,
 * and commit Kafka offsets only after ClickHouse (and the dead-letter
 * destination) acknowledged. On a ClickHouse outage the loop pauses the
 * consumer and retries the same batch with exponential backoff: nothing is
 * lost or skipped, and memory stays bounded by the batch size because nothing
 * more is polled meanwhile.
 *
 * It talks to Kafka through {@link CdcConsumer}, a four-method interface; the
 * adapters `@bionicpro/cdc/kafkajs` and `@bionicpro/cdc/platformatic`
 * implement it.
 */
import type { ClickHouseSink, SinkRejection } from './clickhouse-sink.js';
import {
  type ChangeDecoder,
  type KafkaRecord,
  type RowChange,
  type TruncateEvent,
  createChangeDecoder,
} from './decode-change.js';
import type { DeadLetter, DeadLetterDestination } from './dead-letter.js';
import { isMessageError } from './errors.js';
import { BionicProError } from '@bionicpro/models';

/** A Kafka message as the pipeline sees it. Offsets are decimal strings (normalised by the adapters). */
export interface CdcMessage extends KafkaRecord {
  readonly partition: number;
  readonly offset: string;
  /** The partition's high watermark when the client reports it (for lag). */
  readonly highWatermark?: string;
}

/** The next offset to read of one partition (last processed + 1), as Kafka commits it. */
export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** What the pipeline needs from a Kafka consumer. */
export interface CdcConsumer {
  /** Up to `max` messages; waits at most `timeoutMs` when none are ready, then resolves with []. */
  poll(max: number, timeoutMs: number): Promise<readonly CdcMessage[]>;
  /** Commits offsets (next offset to read per partition). */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Stops fetching while the pipeline retries a batch (the client keeps its group membership). */
  pause(): void | Promise<void>;
  resume(): void | Promise<void>;
}

/** Figures of one committed batch. */
export interface BatchStats {
  readonly messages: number;
  /** Row changes decoded (c/u/d/r). */
  readonly changes: number;
  /** Rows ClickHouse acknowledged (after folding versions of the same key). */
  readonly rows: number;
  readonly deadLetters: number;
  readonly tombstones: number;
  readonly heartbeats: number;
  /** From the first message polled to the commit. */
  readonly latencyMs: number;
  /** Time spent writing to ClickHouse, retries included. */
  readonly writeMs: number;
  /** Messages behind the high watermark after this batch, summed over partitions, when the client reports it. */
  readonly lag: number | undefined;
  /** The same lag per partition of this batch (only partitions whose high watermark the client reported). */
  readonly lagByPartition?: readonly PartitionLag[];
  readonly offsets: readonly TopicPartitionOffset[];
}

/** Messages behind the high watermark of one partition after a batch. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly lag: number;
}

/** Metrics as plain callbacks: wire them to Prometheus, OpenTelemetry, logs... */
export interface CdcMetrics {
  onBatch?(stats: BatchStats): void;
  onDeadLetter?(letter: DeadLetter): void;
  onRetry?(info: { attempt: number; delayMs: number; error: unknown }): void;
  /** A commit failed after ClickHouse had the rows (e.g. a rebalance); the messages will be redelivered, harmlessly. */
  onCommitError?(error: unknown): void;
}

/** Options of {@link createCdcPipeline}. */
export interface CdcPipelineOptions {
  readonly consumer: CdcConsumer;
  readonly sink: ClickHouseSink;
  readonly deadLetters: DeadLetterDestination;
  readonly decoder?: ChangeDecoder;
  readonly batch?: { readonly maxMessages?: number; readonly maxWaitMs?: number };
  readonly retry?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  readonly metrics?: CdcMetrics;
  readonly signal?: AbortSignal;
}

/** A running pipeline. */
export interface CdcPipeline {
  /** Runs until {@link stop} (or the abort signal); resolves after the last batch is committed. */
  run(): Promise<void>;
  /** Asks the loop to stop after the current batch; a batch still retrying is abandoned uncommitted. */
  stop(): void;
  /** Processes one batch of messages end to end (decode, write, dead letters, commit) and returns its figures. */
  processBatch(messages: readonly CdcMessage[]): Promise<BatchStats>;
}

const encoder = new TextEncoder();

function bytesOf(value: string | Uint8Array | null): Uint8Array | null {
  if (value === null) return null;
  return typeof value === 'string' ? encoder.encode(value) : value;
}

function reasonOf(error: unknown): { code: string; reason: string } {
  if (isMessageError(error)) return { code: error.code, reason: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'unexpected_error', reason: message };
}

/**
 * Creates the consumer loop.
 *
 * @example
 * ```ts
 * import { createCdcPipeline, createClickHouseSink, deadLettersToClickHouse } from '@bionicpro/cdc';
 * const pipeline = createCdcPipeline({
 *   consumer, // e.g. from @bionicpro/cdc/kafkajs
 *   sink: createClickHouseSink({ client, targets }),
 *   deadLetters: deadLettersToClickHouse(client),
 *   metrics: { onBatch: (s) => console.log(`${s.rows} rows in ${s.latencyMs} ms`) },
 * });
 * await pipeline.run();
 * ```
 */
export function createCdcPipeline(options: CdcPipelineOptions): CdcPipeline {
  const { consumer, sink, deadLetters, metrics = {} } = options;
  const decoder = options.decoder ?? createChangeDecoder();
  const maxMessages = options.batch?.maxMessages ?? 5000;
  const maxWaitMs = options.batch?.maxWaitMs ?? 1000;
  const initialDelayMs = options.retry?.initialDelayMs ?? 200;
  const maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
  let stopped = false;
  let wake: (() => void) | undefined;

  const stop = () => {
    stopped = true;
    wake?.();
  };
  options.signal?.addEventListener('abort', stop, { once: true });

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    });
  }

  /** Retries `action` with exponential backoff (and jitter) until it succeeds or the pipeline stops. */
  async function withRetry<T>(action: () => Promise<T>): Promise<T | typeof STOPPED> {
    let attempt = 0;
    let paused = false;
    try {
      for (;;) {
        try {
          return await action();
        } catch (error) {
          attempt += 1;
          if (stopped) return STOPPED;
          if (!paused) {
            await consumer.pause();
            paused = true;
          }
          const delayMs =
            Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
          metrics.onRetry?.({ attempt, delayMs, error });
          await sleep(delayMs);
          if (stopped) return STOPPED;
        }
      }
    } finally {
      if (paused) await consumer.resume();
    }
  }

  async function processBatch(
    messages: readonly CdcMessage[],
    startedAt = performance.now(),
  ): Promise<BatchStats> {
    const letters: DeadLetter[] = [];
    const changes: (RowChange | TruncateEvent)[] = [];
    const origin = new Map<RowChange | TruncateEvent, CdcMessage>();
    let tombstones = 0;
    let heartbeats = 0;
    const letterOf = (message: CdcMessage, code: string, reason: string): DeadLetter => ({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: bytesOf(message.key),
      value: bytesOf(message.value),
      code,
      reason,
      failedAt: new Date(),
    });
    for (const message of messages) {
      try {
        const event = decoder.decode(message);
        switch (event.kind) {
          case 'change':
          case 'truncate':
            changes.push(event);
            origin.set(event, message);
            break;
          case 'tombstone':
            tombstones += 1;
            break;
          case 'heartbeat':
            heartbeats += 1;
            break;
          default:
            break;
        }
      } catch (error) {
        const { code, reason } = reasonOf(error);
        letters.push(letterOf(message, code, reason));
      }
    }
    const writeStart = performance.now();
    let rows = 0;
    if (changes.length > 0) {
      const result = await withRetry(() => sink.write(changes));
      if (result === STOPPED) throw new PipelineStopped();
      rows = result.rows;
      for (const rejection of result.rejected as SinkRejection[]) {
        const message = origin.get(rejection.event)!;
        letters.push(letterOf(message, rejection.code, rejection.reason));
      }
    }
    if (letters.length > 0) {
      const stored = await withRetry(() => deadLetters(letters));
      if (stored === STOPPED) throw new PipelineStopped();
      for (const letter of letters) metrics.onDeadLetter?.(letter);
    }
    const writeMs = performance.now() - writeStart;
    const next = new Map<string, TopicPartitionOffset>();
    let lag: number | undefined;
    const lagByPartition: PartitionLag[] = [];
    const watermarks = new Map<string, bigint>();
    for (const message of messages) {
      const id = `${message.topic}\u0000${message.partition}`;
      const offset = BigInt(message.offset) + 1n;
      const current = next.get(id);
      if (!current || BigInt(current.offset) < offset) {
        next.set(id, { topic: message.topic, partition: message.partition, offset: offset.toString() });
      }
      if (message.highWatermark !== undefined) watermarks.set(id, BigInt(message.highWatermark));
    }
    if (watermarks.size > 0) {
      lag = 0;
      for (const [id, watermark] of watermarks) {
        const position = next.get(id)!;
        const behind = watermark - BigInt(position.offset);
        const partitionLag = Number(behind > 0n ? behind : 0n);
        lag += partitionLag;
        lagByPartition.push({ topic: position.topic, partition: position.partition, lag: partitionLag });
      }
    }
    const offsets = [...next.values()];
    if (offsets.length > 0) {
      try {
        await consumer.commit(offsets);
      } catch (error) {
        metrics.onCommitError?.(error);
      }
    }
    const stats: BatchStats = {
      messages: messages.length,
      changes: changes.length,
      rows,
      deadLetters: letters.length,
      tombstones,
      heartbeats,
      latencyMs: performance.now() - startedAt,
      writeMs,
      lag,
      lagByPartition,
      offsets,
    };
    metrics.onBatch?.(stats);
    return stats;
  }

  async function run(): Promise<void> {
    while (!stopped) {
      const batch: CdcMessage[] = [];
      let startedAt: number | undefined;
      const deadline = performance.now() + maxWaitMs;
      while (!stopped && batch.length < maxMessages) {
        const remaining = deadline - performance.now();
        if (remaining <= 0 && batch.length > 0) break;
        const polled = await consumer.poll(maxMessages - batch.length, Math.max(1, remaining));
        if (polled.length > 0) {
          startedAt ??= performance.now();
          for (const message of polled) batch.push(message);
        } else if (batch.length > 0 || remaining <= 0) {
          break;
        }
      }
      if (batch.length === 0) continue;
      try {
        await processBatch(batch, startedAt);
      } catch (error) {
        if (error instanceof PipelineStopped) return;
        throw error;
      }
    }
  }

  return { run, stop, processBatch: (messages) => processBatch(messages) };
}

const STOPPED: unique symbol = Symbol('stopped');

class PipelineStopped extends BionicProError {
  readonly code = 'pipeline_stopped' as const;
  constructor() {
    super('pipeline stopped while retrying; the batch stays uncommitted and will be redelivered');
  }
}
