/**
 * The consumer loop: poll a batch (bounded by size and time), decode every
 * message, route bad ones to dead letters, write the changes to ClickHouse,
 * and commit Kafka offsets only after ClickHouse (and the dead-letter
 * destination) acknowledged. On a ClickHouse outage the loop pauses the
 * consumer and retries the same batch with exponential backoff, up to a
 * budget (attempts and total time): nothing is lost or skipped, and memory
 * stays bounded by the batch size because nothing more is polled meanwhile.
 *
 * Bad data and defects are told apart. A message the decoder classifies as bad
 * (`EnvelopeError`, `DecodeError`, `ChangeValidationError`) is dead-lettered
 * and committed past. Any other exception is a defect: the messages before it
 * are written and committed, the pipeline stops with a {@link PipelineError}
 * without committing the message, and a restart (after the fix) resumes at
 * it. A write still failing when the retry budget is spent stops it the same
 * way. A stopped pipeline reports itself unhealthy (`health()`,
 * `metrics.onFailure`, the rejection of `run()`), never retrying in silence.
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
import { BionicProError } from '@bionicpro/models';
import { isMessageError, PipelineError, SinkError } from './errors.js';

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
  /**
   * The pipeline stopped on a failure: stop fetching and drop what is buffered, without
   * committing or marking anything past the last commit as consumed (optional).
   */
  abandon?(): void | Promise<void>;
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
  /**
   * Transaction markers (BEGIN/END) and logical-decoding messages (`op: "m"`): read and counted,
   * nothing written. Every message of a batch is one of changes, dead letters, tombstones,
   * heartbeats or these.
   */
  readonly controlEvents: number;
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
  /** The pipeline stopped on a defect, a spent retry budget or a consumer failure (see `health()`). */
  onFailure?(error: PipelineError): void;
}

/** What {@link CdcPipeline.health} reports. */
export interface PipelineHealth {
  /** `retrying`: a write is failing and being retried; `failed`: stopped by a {@link PipelineError}. */
  readonly state: 'idle' | 'running' | 'retrying' | 'stopped' | 'failed';
  /** False once the pipeline failed (serve it as the readiness check). */
  readonly healthy: boolean;
  /** The error that stopped the pipeline, when `state` is `failed`. */
  readonly error: PipelineError | undefined;
  /** The retry in progress: attempts so far and when the first one failed (`performance.now()` ms). */
  readonly retry: { readonly attempt: number; readonly sinceMs: number; readonly error: unknown } | undefined;
  /** Batches committed so far. */
  readonly batches: number;
}

/** The retry budget of writes to ClickHouse and to the dead-letter destination. */
export interface RetryOptions {
  /** First delay (default 200 ms), doubled per attempt with ±25 % jitter. */
  readonly initialDelayMs?: number;
  /** Longest delay (default 30 s). */
  readonly maxDelayMs?: number;
  /** Attempts before giving up, the first included (default unlimited: the time budget decides). */
  readonly maxAttempts?: number;
  /** Time from the first failure after which no new attempt starts (default 5 minutes). */
  readonly maxElapsedMs?: number;
}

/** Options of {@link createCdcPipeline}. */
export interface CdcPipelineOptions {
  readonly consumer: CdcConsumer;
  readonly sink: ClickHouseSink;
  readonly deadLetters: DeadLetterDestination;
  readonly decoder?: ChangeDecoder;
  readonly batch?: { readonly maxMessages?: number; readonly maxWaitMs?: number };
  readonly retry?: RetryOptions;
  readonly metrics?: CdcMetrics;
  readonly signal?: AbortSignal;
}

/** A running pipeline. */
export interface CdcPipeline {
  /**
   * Runs until {@link stop} (or the abort signal); resolves after the last batch is committed.
   * Rejects with a {@link PipelineError} when a defect, a spent retry budget or the consumer stops it.
   */
  run(): Promise<void>;
  /** Asks the loop to stop after the current batch; a batch still retrying is abandoned uncommitted. */
  stop(): void;
  /**
   * Processes one batch of messages end to end (decode, write, dead letters, commit) and returns its
   * figures. Rejects with a {@link PipelineError} as `run` does (after committing the messages
   * before a defect).
   */
  processBatch(messages: readonly CdcMessage[]): Promise<BatchStats>;
  /** Health for readiness checks and metrics. */
  health(): PipelineHealth;
}

const encoder = new TextEncoder();

function bytesOf(value: string | Uint8Array | null): Uint8Array | null {
  if (value === null) return null;
  return typeof value === 'string' ? encoder.encode(value) : value;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  const maxAttempts = options.retry?.maxAttempts ?? Number.POSITIVE_INFINITY;
  const maxElapsedMs = options.retry?.maxElapsedMs ?? 300_000;
  let stopped = false;
  let wake: (() => void) | undefined;
  let state: PipelineHealth['state'] = 'idle';
  let failure: PipelineError | undefined;
  let retry: PipelineHealth['retry'];
  let batches = 0;

  const stop = () => {
    stopped = true;
    if (state !== 'failed') state = 'stopped';
    wake?.();
  };
  options.signal?.addEventListener('abort', stop, { once: true });

  /** Stops the pipeline on `error` and reports it; returns the error to throw. */
  async function fail(error: PipelineError): Promise<PipelineError> {
    if (failure === undefined) {
      failure = error;
      stopped = true;
      state = 'failed';
      retry = undefined;
      try {
        await consumer.abandon?.();
      } catch (abandonError) {
        // Reported with the failure (the consumer is being given up either way).
        failure = new PipelineError(
          error.code,
          `${error.message} (abandoning the consumer failed too: ${messageOf(abandonError)})`,
          {
            ...(error.topic === undefined ? {} : { topic: error.topic }),
            ...(error.partition === undefined ? {} : { partition: error.partition }),
            ...(error.offset === undefined ? {} : { offset: error.offset }),
            cause: error.cause,
          },
        );
      }
      metrics.onFailure?.(failure);
    }
    return failure;
  }

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

  /**
   * Retries `action` with exponential backoff (and jitter) while `retryable` says its error is
   * worth retrying, until it succeeds, the pipeline stops, or the budget is spent (then throws a
   * {@link PipelineError}). A non-retryable error is thrown as is.
   */
  async function withRetry<T>(
    what: string,
    action: () => Promise<T>,
    retryable: (error: unknown) => boolean,
  ): Promise<T | typeof STOPPED> {
    let attempt = 0;
    let paused = false;
    let firstFailure = 0;
    try {
      for (;;) {
        try {
          const result = await action();
          if (retry !== undefined) {
            retry = undefined;
            if (state === 'retrying') state = 'running';
          }
          return result;
        } catch (error) {
          if (!retryable(error)) throw error;
          attempt += 1;
          if (attempt === 1) firstFailure = performance.now();
          if (stopped) return STOPPED;
          const elapsed = performance.now() - firstFailure;
          const delayMs =
            Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
          if (attempt >= maxAttempts || elapsed + delayMs > maxElapsedMs) {
            throw new PipelineError(
              'retries_exhausted',
              `${what} failed ${attempt} time(s) over ${Math.round(elapsed)} ms (retry budget: ${maxAttempts} attempts, ${maxElapsedMs} ms); the batch stays uncommitted: ${messageOf(error)}`,
              { cause: error },
            );
          }
          if (!paused) {
            await consumer.pause();
            paused = true;
          }
          retry = { attempt, sinceMs: firstFailure, error };
          state = 'retrying';
          metrics.onRetry?.({ attempt, delayMs, error });
          await sleep(delayMs);
          if (stopped) return STOPPED;
        }
      }
    } finally {
      if (paused) await consumer.resume();
    }
  }

  /** The sink promises a retryable SinkError for a failed write; anything else it throws is a defect. */
  const sinkRetryable = (error: unknown) => error instanceof SinkError && error.code === 'sink_write_failed';
  /** The dead-letter destination is I/O of any kind: every error is retried within the budget. */
  const alwaysRetryable = () => true;

  async function processBatch(
    batch: readonly CdcMessage[],
    startedAt = performance.now(),
  ): Promise<BatchStats> {
    if (failure !== undefined) throw failure;
    try {
      return await processMessages(batch, startedAt);
    } catch (error) {
      if (error instanceof PipelineStopped) throw error;
      throw await fail(
        error instanceof PipelineError
          ? error
          : new PipelineError('defect', `unexpected error while writing a batch: ${messageOf(error)}`, {
              cause: error,
            }),
      );
    }
  }

  async function processMessages(batch: readonly CdcMessage[], startedAt: number): Promise<BatchStats> {
    let messages = batch;
    let defect: PipelineError | undefined;
    const letters: DeadLetter[] = [];
    const changes: (RowChange | TruncateEvent)[] = [];
    const origin = new Map<RowChange | TruncateEvent, CdcMessage>();
    let tombstones = 0;
    let heartbeats = 0;
    let controlEvents = 0;
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
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
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
          case 'transaction':
          case 'message':
            controlEvents += 1;
            break;
        }
      } catch (error) {
        if (isMessageError(error)) {
          letters.push(letterOf(message, error.code, error.message));
          continue;
        }
        // A defect, not bad data: what came before is written and committed, this message is not.
        defect = new PipelineError(
          'defect',
          `unexpected error decoding ${message.topic}[${message.partition}]@${message.offset} (not committed; a restart resumes at it): ${messageOf(error)}`,
          { topic: message.topic, partition: message.partition, offset: message.offset, cause: error },
        );
        messages = messages.slice(0, i);
        break;
      }
    }
    const writeStart = performance.now();
    let rows = 0;
    if (changes.length > 0) {
      const result = await withRetry('writing to ClickHouse', () => sink.write(changes), sinkRetryable);
      if (result === STOPPED) throw new PipelineStopped();
      rows = result.rows;
      for (const rejection of result.rejected as SinkRejection[]) {
        const message = origin.get(rejection.event)!;
        letters.push(letterOf(message, rejection.code, rejection.reason));
      }
    }
    if (letters.length > 0) {
      const stored = await withRetry('storing dead letters', () => deadLetters(letters), alwaysRetryable);
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
      controlEvents,
      latencyMs: performance.now() - startedAt,
      writeMs,
      lag,
      lagByPartition,
      offsets,
    };
    batches += 1;
    metrics.onBatch?.(stats);
    if (defect !== undefined) throw defect;
    return stats;
  }

  async function poll(max: number, timeoutMs: number): Promise<readonly CdcMessage[]> {
    try {
      return await consumer.poll(max, timeoutMs);
    } catch (error) {
      throw await fail(
        new PipelineError('consumer_failed', `the Kafka consumer failed: ${messageOf(error)}`, {
          cause: error,
        }),
      );
    }
  }

  async function run(): Promise<void> {
    if (failure !== undefined) throw failure;
    if (!stopped) state = 'running';
    while (!stopped) {
      const batch: CdcMessage[] = [];
      let startedAt: number | undefined;
      const deadline = performance.now() + maxWaitMs;
      while (!stopped && batch.length < maxMessages) {
        const remaining = deadline - performance.now();
        if (remaining <= 0 && batch.length > 0) break;
        const polled = await poll(maxMessages - batch.length, Math.max(1, remaining));
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

  return {
    run,
    stop,
    processBatch: (messages) => processBatch(messages),
    health: () => ({ state, healthy: failure === undefined, error: failure, retry, batches }),
  };
}

const STOPPED: unique symbol = Symbol('stopped');

class PipelineStopped extends BionicProError {
  readonly code = 'pipeline_stopped' as const;
  constructor() {
    super('pipeline stopped while retrying; the batch stays uncommitted and will be redelivered');
  }
}
