/**
 * `@bionicpro/cdc/platformatic`: the pipeline's {@link CdcConsumer} over a
 * `@platformatic/kafka` consumer (maintained, pure TypeScript), and a
 * dead-letter destination that produces to a Kafka topic.
 *
 * The adapter reads the consumer's message stream into a bounded buffer and
 * pauses the stream when the buffer is full, so a ClickHouse outage (the
 * pipeline stops polling) cannot grow memory. Offsets are normalised to
 * decimal strings at this boundary and committed (`autocommit: false`) only
 * by the pipeline, as the next offset to read, with the partition's leader
 * epoch.
 */
import type { CdcConsumer, CdcMessage, TopicPartitionOffset } from './cdc-pipeline.js';
import type { DeadLetterDestination } from './dead-letter.js';
import { deadLetterHeaders } from './kafkajs.js';
import { MessageArrival } from './message-arrival.js';

/** A message as `@platformatic/kafka` delivers it (Buffer deserialisers). */
export interface PlatformaticLikeMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly key: Buffer | null | undefined;
  readonly value: Buffer | null | undefined;
}

/** The message stream methods the adapter uses (a Node.js Readable). */
export interface PlatformaticLikeStream {
  on(event: 'data', listener: (message: PlatformaticLikeMessage) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  close(): Promise<void>;
}

/** The consumer methods the adapter uses. */
export interface PlatformaticLikeConsumer {
  consume(options: {
    topics: string[];
    autocommit: false;
    mode?: 'earliest' | 'latest' | 'committed';
    fallbackMode?: 'earliest' | 'latest' | 'fail';
  }): Promise<PlatformaticLikeStream>;
  commit(options: {
    offsets: { topic: string; partition: number; offset: bigint; leaderEpoch: number }[];
  }): Promise<void>;
}

/** Options of {@link platformaticConsumer}. */
export interface PlatformaticConsumerOptions {
  readonly topics: readonly string[];
  /** Where to start without a committed offset (default `earliest`: CDC needs the snapshot). */
  readonly fallbackMode?: 'earliest' | 'latest' | 'fail';
  /** Messages buffered before the stream is paused (default 10 000). */
  readonly maxBufferedMessages?: number;
}

/** A started adapter. */
export interface PlatformaticCdcConsumer extends CdcConsumer {
  /** Closes the message stream (the consumer itself stays open). */
  close(): Promise<void>;
}

/**
 * The consumer's message stream read into a bounded buffer: the stream is paused while the buffer
 * is full or the pipeline paused the consumer, and resumed when both allow.
 */
class BufferedStream {
  private readonly buffer: CdcMessage[] = [];
  /** Leader epoch per `topic\u0000partition`, committed with the offsets. */
  readonly epochs = new Map<string, number>();
  private readonly arrival = new MessageArrival();
  /** The pipeline asked to pause. */
  private paused = false;
  private streamPaused = false;
  private failure: Error | undefined;
  private abandoned = false;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly stream: PlatformaticLikeStream,
    private readonly limit: number,
  ) {
    stream.on('data', (message) => this.receive(message));
    stream.on('error', (error) => {
      this.failure = error;
      this.arrival.notify();
    });
  }

  private receive(message: PlatformaticLikeMessage): void {
    if (this.abandoned) return;
    this.epochs.set(`${message.topic}\u0000${message.partition}`, message.leaderEpoch);
    this.buffer.push({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset.toString(),
      key: message.key ?? null,
      // The Buffer deserialiser turns a null value (tombstone) into an empty buffer; Debezium never writes empty values.
      value:
        message.value === undefined || message.value === null || message.value.length === 0
          ? null
          : message.value,
    });
    if (this.buffer.length >= this.limit) this.pauseStream();
    this.arrival.notify();
  }

  private pauseStream(): void {
    if (!this.streamPaused) {
      this.streamPaused = true;
      this.stream.pause();
    }
  }

  private resumeStream(): void {
    if (this.streamPaused && !this.paused && this.buffer.length < this.limit) {
      this.streamPaused = false;
      this.stream.resume();
    }
  }

  private take(max: number): CdcMessage[] {
    if (this.failure) throw this.failure;
    if (this.abandoned) return [];
    const out = this.buffer.splice(0, max);
    this.resumeStream();
    return out;
  }

  /** Up to `max` messages, waiting at most `timeoutMs` when none is buffered; throws a stream error. */
  async poll(max: number, timeoutMs: number): Promise<CdcMessage[]> {
    if (this.buffer.length > 0 || this.failure) return this.take(max);
    await this.arrival.wait(timeoutMs);
    return this.take(max);
  }

  pause(): void {
    this.paused = true;
    this.pauseStream();
  }

  resume(): void {
    this.paused = false;
    this.resumeStream();
  }

  async close(): Promise<void> {
    this.closing ??= this.stream.close();
    await this.closing;
  }

  /** Drops what is buffered (never committed) and stops fetching. */
  async abandon(): Promise<void> {
    this.abandoned = true;
    this.buffer.length = 0;
    await this.close();
  }
}

/**
 * Starts consuming and returns the pipeline's consumer.
 *
 * @example
 * ```ts
 * import { Consumer } from '@platformatic/kafka';
 * import { platformaticConsumer } from '@bionicpro/cdc/platformatic';
 * const client = new Consumer({ groupId: 'bionicpro-cdc', clientId: 'cdc', bootstrapBrokers: ['127.0.0.1:9092'] });
 * const consumer = await platformaticConsumer(client, { topics: ['crm.public.users'] });
 * ```
 */
export async function platformaticConsumer(
  client: PlatformaticLikeConsumer,
  options: PlatformaticConsumerOptions,
): Promise<PlatformaticCdcConsumer> {
  const stream = await client.consume({
    topics: [...options.topics],
    autocommit: false,
    mode: 'committed',
    fallbackMode: options.fallbackMode ?? 'earliest',
  });
  const buffered = new BufferedStream(stream, options.maxBufferedMessages ?? 10_000);
  return {
    poll: (max, timeoutMs) => buffered.poll(max, timeoutMs),
    async commit(offsets: readonly TopicPartitionOffset[]) {
      await client.commit({
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: BigInt(o.offset),
          leaderEpoch: buffered.epochs.get(`${o.topic}\u0000${o.partition}`) ?? -1,
        })),
      });
    },
    pause: () => buffered.pause(),
    resume: () => buffered.resume(),
    close: () => buffered.close(),
    // The pipeline stopped on a failure: drop what is buffered (never committed) and stop fetching.
    abandon: () => buffered.abandon(),
  };
}

/** The producer method the dead-letter destination uses. */
export interface PlatformaticLikeProducer {
  send(options: {
    messages: { topic: string; key?: Buffer; value?: Buffer; headers: Map<Buffer, Buffer> }[];
  }): Promise<unknown>;
}

/**
 * A dead-letter destination producing to a Kafka topic through a
 * `@platformatic/kafka` producer (Buffer serialisers); origin and reason as
 * `bionicpro.dlq.*` headers.
 */
export function platformaticDeadLetters(
  producer: PlatformaticLikeProducer,
  topic: string,
): DeadLetterDestination {
  return async (letters) => {
    if (letters.length === 0) return;
    await producer.send({
      messages: letters.map((letter) => ({
        topic,
        ...(letter.key === null ? {} : { key: Buffer.from(letter.key) }),
        ...(letter.value === null ? {} : { value: Buffer.from(letter.value) }),
        headers: new Map(
          Object.entries(deadLetterHeaders(letter)).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
        ),
      })),
    });
  };
}
