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
import {
  BionicProError,
  classifyError,
  isRetryableError,
  type RetryPolicy,
  runWithRetry,
} from '@bionicpro/models';
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

/**
 * The retry budget of writes to ClickHouse and to the dead-letter destination: the one retry
 * policy of `@bionicpro/models` (`RetryPolicy`), with this pipeline's defaults — first delay
 * 200 ms doubled per attempt with ±25 % jitter, longest delay 30 s, attempts unlimited, 5 minutes
 * from the first failure. `shouldRetry` replaces the classification (`isRetryableError`) of the
 * sink's failures and the dead-letter destination's errors; `onRetry` is called besides
 * `metrics.onRetry`.
 */
export type RetryOptions = RetryPolicy;

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

/** A dead letter for `message`, with its original bytes. */
function letterOf(message: CdcMessage, code: string, reason: string): DeadLetter {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset,
    key: bytesOf(message.key),
    value: bytesOf(message.value),
    code,
    reason,
    failedAt: new Date(),
  };
}

/** A batch after decoding: what to write, what to dead-letter, what was only counted. */
interface DecodedBatch {
  /** The messages to commit: all of them, or those before a defect. */
  readonly messages: readonly CdcMessage[];
  readonly changes: (RowChange | TruncateEvent)[];
  /** The message each change came from (its rejection becomes that message's dead letter). */
  readonly origin: Map<RowChange | TruncateEvent, CdcMessage>;
  readonly letters: DeadLetter[];
  readonly tombstones: number;
  readonly heartbeats: number;
  readonly controlEvents: number;
  /** The defect that cut the batch short, thrown after the messages before it are committed. */
  readonly defect: PipelineError | undefined;
}

/**
 * Decodes every message of a batch (no I/O). A classified message error becomes a dead letter; any
 * other exception is a defect: the batch ends before that message.
 */
function decodeBatch(decoder: ChangeDecoder, batch: readonly CdcMessage[]): DecodedBatch {
  const changes: (RowChange | TruncateEvent)[] = [];
  const origin = new Map<RowChange | TruncateEvent, CdcMessage>();
  const letters: DeadLetter[] = [];
  const counts = { tombstones: 0, heartbeats: 0, controlEvents: 0 };
  for (let i = 0; i < batch.length; i++) {
    const message = batch[i]!;
    let event: ReturnType<ChangeDecoder['decode']>;
    try {
      event = decoder.decode(message);
    } catch (error) {
      if (isMessageError(error)) {
        letters.push(letterOf(message, error.code, error.message));
        continue;
      }
      // A defect, not bad data: what came before is written and committed, this message is not.
      const defect = new PipelineError(
        'defect',
        `unexpected error decoding ${message.topic}[${message.partition}]@${message.offset} (not committed; a restart resumes at it): ${messageOf(error)}`,
        { topic: message.topic, partition: message.partition, offset: message.offset, cause: error },
      );
      return { messages: batch.slice(0, i), changes, origin, letters, ...counts, defect };
    }
    if (event.kind === 'change' || event.kind === 'truncate') {
      changes.push(event);
      origin.set(event, message);
    } else if (event.kind === 'tombstone') counts.tombstones += 1;
    else if (event.kind === 'heartbeat') counts.heartbeats += 1;
    else counts.controlEvents += 1; // transaction markers and logical-decoding messages
  }
  return { messages: batch, changes, origin, letters, ...counts, defect: undefined };
}

/** The offsets to commit after `messages` (last + 1 per partition) and the lag behind the high watermarks. */
function positionsAfter(messages: readonly CdcMessage[]): {
  offsets: TopicPartitionOffset[];
  lag: number | undefined;
  lagByPartition: PartitionLag[];
} {
  const next = new Map<string, TopicPartitionOffset>();
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
  let lag: number | undefined;
  const lagByPartition: PartitionLag[] = [];
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
  return { offsets: [...next.values()], lag, lagByPartition };
}

/**
 * What a failed sink write says about retrying: the sink wraps every failure that does not blame
 * the data in a `sink_write_failed` {@link SinkError}, judged by its cause (one without a cause is
 * the sink's word that the write failed: retried). Anything else the sink throws is a defect.
 */
function sinkFailureRetryable(error: unknown, shouldRetry: (error: unknown) => boolean): boolean {
  if (!(error instanceof SinkError) || error.code !== 'sink_write_failed') return false;
  return error.cause === undefined || shouldRetry(error.cause);
}

/**
 * The error a write that may not be retried stops the pipeline with: `write_refused` when the
 * error is permanent or blames the data (a missing table, access denied; what the policy refuses),
 * else the error itself, which stops it as a `defect` (a programming error, or anything the sink
 * throws that is not its `sink_write_failed` {@link SinkError}).
 */
function refusedWrite(what: string, error: unknown, fromSink: boolean): unknown {
  const sinkFailure = error instanceof SinkError && error.code === 'sink_write_failed';
  if (fromSink && !sinkFailure) return error;
  const kind = classifyError(sinkFailure && error.cause !== undefined ? error.cause : error);
  if (kind === 'defect') return error;
  return new PipelineError(
    'write_refused',
    `${what} failed with an error retrying cannot fix (${kind}); the batch stays uncommitted: ${messageOf(error)}`,
    { cause: error },
  );
}

/** The state of one pipeline, named: what `health()` reports and what `stop()` changes. */
class PipelineStatus {
  state: PipelineHealth['state'] = 'idle';
  failure: PipelineError | undefined;
  retry: PipelineHealth['retry'];
  batches = 0;
  /** Aborted by `stop()`: polling ends and a write being retried is abandoned. */
  readonly stopping = new AbortController();

  get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  stop(): void {
    if (this.state !== 'failed') this.state = 'stopped';
    this.stopping.abort();
  }

  health(): PipelineHealth {
    const { state, failure, retry, batches } = this;
    return { state, healthy: failure === undefined, error: failure, retry, batches };
  }
}

/** The consumer loop of {@link createCdcPipeline}. */
class CdcPipelineLoop {
  private readonly status = new PipelineStatus();
  private readonly decoder: ChangeDecoder;
  private readonly metrics: CdcMetrics;
  private readonly maxMessages: number;
  private readonly maxWaitMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly shouldRetry: (error: unknown) => boolean;

  constructor(private readonly options: CdcPipelineOptions) {
    this.decoder = options.decoder ?? createChangeDecoder();
    this.metrics = options.metrics ?? {};
    this.maxMessages = options.batch?.maxMessages ?? 5000;
    this.maxWaitMs = options.batch?.maxWaitMs ?? 1000;
    this.retryPolicy = {
      ...options.retry,
      initialDelayMs: options.retry?.initialDelayMs ?? 200,
      maxDelayMs: options.retry?.maxDelayMs ?? 30_000,
      maxAttempts: options.retry?.maxAttempts ?? Number.POSITIVE_INFINITY,
      maxElapsedMs: options.retry?.maxElapsedMs ?? 300_000,
    };
    this.shouldRetry = options.retry?.shouldRetry ?? isRetryableError;
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  stop(): void {
    this.status.stop();
  }

  health(): PipelineHealth {
    return this.status.health();
  }

  /** Stops the pipeline on `error` and reports it; returns the error to throw. */
  private async fail(error: PipelineError): Promise<PipelineError> {
    const { status } = this;
    if (status.failure !== undefined) return status.failure;
    status.failure = error;
    status.state = 'failed';
    status.retry = undefined;
    status.stopping.abort();
    try {
      await this.options.consumer.abandon?.();
    } catch (abandonError) {
      // Reported with the failure (the consumer is being given up either way).
      status.failure = new PipelineError(
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
    this.metrics.onFailure?.(status.failure);
    return status.failure;
  }

  /**
   * Runs `action` under the retry policy while `retryable` says its error is worth retrying, the
   * consumer paused meanwhile, until it succeeds, the pipeline stops ({@link STOPPED}), or the
   * budget is spent ({@link PipelineError} `retries_exhausted`). An error that may not be retried
   * stops the pipeline (`write_refused`, or `defect`).
   */
  private async retryWrite<T>(
    to: 'sink' | 'dead letters',
    action: () => Promise<T>,
    retryable: (error: unknown) => boolean,
  ): Promise<T | typeof STOPPED> {
    const { status, options } = this;
    const what = to === 'sink' ? 'writing to ClickHouse' : 'storing dead letters';
    let paused = false;
    try {
      const outcome = await runWithRetry(
        action,
        {
          ...this.retryPolicy,
          shouldRetry: retryable,
          onRetry: async (info) => {
            if (!paused) {
              await options.consumer.pause();
              paused = true;
            }
            const sinceMs = status.retry?.sinceMs ?? performance.now() - info.elapsedMs;
            status.retry = { attempt: info.attempt, sinceMs, error: info.error };
            status.state = 'retrying';
            this.metrics.onRetry?.({ attempt: info.attempt, delayMs: info.delayMs, error: info.error });
            await options.retry?.onRetry?.(info);
          },
        },
        { signal: status.stopping.signal },
      );
      if (outcome.ok) {
        if (status.retry !== undefined) {
          status.retry = undefined;
          if (status.state === 'retrying') status.state = 'running';
        }
        return outcome.value;
      }
      if (outcome.reason === 'aborted') return STOPPED;
      if (outcome.reason === 'not_retryable') throw refusedWrite(what, outcome.error, to === 'sink');
      const { maxAttempts, maxElapsedMs } = this.retryPolicy;
      throw new PipelineError(
        'retries_exhausted',
        `${what} failed ${outcome.attempts} time(s) over ${Math.round(outcome.elapsedMs)} ms (retry budget: ${maxAttempts} attempts, ${maxElapsedMs} ms); the batch stays uncommitted: ${messageOf(outcome.error)}`,
        { cause: outcome.error },
      );
    } finally {
      if (paused) await options.consumer.resume();
    }
  }

  async processBatch(batch: readonly CdcMessage[], startedAt = performance.now()): Promise<BatchStats> {
    if (this.status.failure !== undefined) throw this.status.failure;
    try {
      return await this.processMessages(batch, startedAt);
    } catch (error) {
      if (error instanceof PipelineStopped) throw error;
      throw await this.fail(
        error instanceof PipelineError
          ? error
          : new PipelineError('defect', `unexpected error while writing a batch: ${messageOf(error)}`, {
              cause: error,
            }),
      );
    }
  }

  /** Writes the changes (their rejections become dead letters), then the dead letters; returns rows written. */
  private async write(decoded: DecodedBatch): Promise<number> {
    const { sink, deadLetters } = this.options;
    const { changes, letters, origin } = decoded;
    let rows = 0;
    if (changes.length > 0) {
      const result = await this.retryWrite(
        'sink',
        () => sink.write(changes),
        (error) => sinkFailureRetryable(error, this.shouldRetry),
      );
      if (result === STOPPED) throw new PipelineStopped();
      rows = result.rows;
      for (const rejection of result.rejected as SinkRejection[]) {
        letters.push(letterOf(origin.get(rejection.event)!, rejection.code, rejection.reason));
      }
    }
    if (letters.length > 0) {
      // The dead-letter destination is I/O of any kind: its errors are judged by the one classification.
      const stored = await this.retryWrite('dead letters', () => deadLetters(letters), this.shouldRetry);
      if (stored === STOPPED) throw new PipelineStopped();
      for (const letter of letters) this.metrics.onDeadLetter?.(letter);
    }
    return rows;
  }

  private async processMessages(batch: readonly CdcMessage[], startedAt: number): Promise<BatchStats> {
    const decoded = decodeBatch(this.decoder, batch);
    const writeStart = performance.now();
    const rows = await this.write(decoded);
    const writeMs = performance.now() - writeStart;
    const { offsets, lag, lagByPartition } = positionsAfter(decoded.messages);
    if (offsets.length > 0) {
      try {
        await this.options.consumer.commit(offsets);
      } catch (error) {
        this.metrics.onCommitError?.(error);
      }
    }
    const stats: BatchStats = {
      messages: decoded.messages.length,
      changes: decoded.changes.length,
      rows,
      deadLetters: decoded.letters.length,
      tombstones: decoded.tombstones,
      heartbeats: decoded.heartbeats,
      controlEvents: decoded.controlEvents,
      latencyMs: performance.now() - startedAt,
      writeMs,
      lag,
      lagByPartition,
      offsets,
    };
    this.status.batches += 1;
    this.metrics.onBatch?.(stats);
    if (decoded.defect !== undefined) throw decoded.defect;
    return stats;
  }

  private async poll(max: number, timeoutMs: number): Promise<readonly CdcMessage[]> {
    try {
      return await this.options.consumer.poll(max, timeoutMs);
    } catch (error) {
      throw await this.fail(
        new PipelineError('consumer_failed', `the Kafka consumer failed: ${messageOf(error)}`, {
          cause: error,
        }),
      );
    }
  }

  /** Polls until the batch is full or `maxWaitMs` passed since the first poll (or the pipeline stops). */
  private async collectBatch(): Promise<{ batch: CdcMessage[]; startedAt: number | undefined }> {
    const batch: CdcMessage[] = [];
    let startedAt: number | undefined;
    const deadline = performance.now() + this.maxWaitMs;
    while (!this.status.stopped && batch.length < this.maxMessages) {
      const remaining = deadline - performance.now();
      if (remaining <= 0 && batch.length > 0) break;
      const polled = await this.poll(this.maxMessages - batch.length, Math.max(1, remaining));
      if (polled.length > 0) {
        startedAt ??= performance.now();
        for (const message of polled) batch.push(message);
      } else if (batch.length > 0 || remaining <= 0) {
        break;
      }
    }
    return { batch, startedAt };
  }

  async run(): Promise<void> {
    const { status } = this;
    if (status.failure !== undefined) throw status.failure;
    if (!status.stopped) status.state = 'running';
    while (!status.stopped) {
      const { batch, startedAt } = await this.collectBatch();
      if (batch.length === 0) continue;
      try {
        await this.processBatch(batch, startedAt);
      } catch (error) {
        if (error instanceof PipelineStopped) return;
        throw error;
      }
    }
  }
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
  const loop = new CdcPipelineLoop(options);
  return {
    run: () => loop.run(),
    stop: () => loop.stop(),
    processBatch: (messages) => loop.processBatch(messages),
    health: () => loop.health(),
  };
}

const STOPPED: unique symbol = Symbol('stopped');

class PipelineStopped extends BionicProError {
  readonly code = 'pipeline_stopped' as const;
  constructor() {
    super('pipeline stopped while retrying; the batch stays uncommitted and will be redelivered');
  }
}
