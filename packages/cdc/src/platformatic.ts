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
  const limit = options.maxBufferedMessages ?? 10_000;
  const buffer: CdcMessage[] = [];
  const epochs = new Map<string, number>();
  let notify: (() => void) | undefined;
  let paused = false;
  let streamPaused = false;
  let failure: Error | undefined;
  let abandoned = false;
  let closing: Promise<void> | undefined;
  const stream = await client.consume({
    topics: [...options.topics],
    autocommit: false,
    mode: 'committed',
    fallbackMode: options.fallbackMode ?? 'earliest',
  });
  const pauseStream = () => {
    if (!streamPaused) {
      streamPaused = true;
      stream.pause();
    }
  };
  const resumeStream = () => {
    if (streamPaused && !paused && buffer.length < limit) {
      streamPaused = false;
      stream.resume();
    }
  };
  stream.on('data', (message) => {
    if (abandoned) return;
    epochs.set(`${message.topic}\u0000${message.partition}`, message.leaderEpoch);
    buffer.push({
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
    if (buffer.length >= limit) pauseStream();
    notify?.();
  });
  stream.on('error', (error) => {
    failure = error;
    notify?.();
  });

  function take(max: number): CdcMessage[] {
    if (failure) throw failure;
    if (abandoned) return [];
    const out = buffer.splice(0, max);
    resumeStream();
    return out;
  }

  return {
    async poll(max, timeoutMs) {
      if (buffer.length > 0 || failure) return take(max);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          notify = undefined;
          resolve();
        }, timeoutMs);
        notify = () => {
          clearTimeout(timer);
          notify = undefined;
          resolve();
        };
      });
      return take(max);
    },
    async commit(offsets: readonly TopicPartitionOffset[]) {
      await client.commit({
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: BigInt(o.offset),
          leaderEpoch: epochs.get(`${o.topic}\u0000${o.partition}`) ?? -1,
        })),
      });
    },
    pause() {
      paused = true;
      pauseStream();
    },
    resume() {
      paused = false;
      resumeStream();
    },
    async close() {
      closing ??= stream.close();
      await closing;
    },
    async abandon() {
      // The pipeline stopped on a failure: drop what is buffered (never committed) and stop fetching.
      abandoned = true;
      buffer.length = 0;
      closing ??= stream.close();
      await closing;
    },
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
