/**
 * `@bionicpro/cdc/kafkajs`: the pipeline's {@link CdcConsumer} over a kafkajs
 * consumer, and a dead-letter destination that produces to a Kafka topic.
 *
 * kafkajs pushes batches (`eachBatch`); the pipeline pulls. The adapter holds
 * one fetched batch at a time and does not return from `eachBatch` until the
 * pipeline has taken it, heartbeating meanwhile, so memory stays bounded by
 * one fetch however long ClickHouse is down. Offsets are committed only by
 * the pipeline (`autoCommit: false`), as the next offset to read.
 *
 * The types below are structural: kafkajs's `Consumer`/`Producer` fit, and so
 * does `@confluentinc/kafka-javascript`'s KafkaJS-compatible API
 * (`new KafkaJS.Kafka({ kafkaJS: { brokers } }).consumer({ kafkaJS: { groupId, autoCommit: false, fromBeginning: true } })`):
 * it takes `autoCommit`/`fromBeginning` in the constructor instead of in
 * `run`/`subscribe`, and ignores the ones passed here.
 */
import type { CdcConsumer, CdcMessage, TopicPartitionOffset } from './cdc-pipeline.js';
import type { DeadLetter, DeadLetterDestination } from './dead-letter.js';
import { MessageArrival } from './message-arrival.js';

/** A message as kafkajs delivers it. */
export interface KafkaJsLikeMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly offset: string;
}

/** The `eachBatch` payload fields the adapter uses. */
export interface KafkaJsLikeBatchPayload {
  readonly batch: {
    readonly topic: string;
    readonly partition: number;
    readonly highWatermark: string;
    readonly messages: readonly KafkaJsLikeMessage[];
  };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}

/** The kafkajs consumer methods the adapter uses. */
export interface KafkaJsLikeConsumer {
  subscribe(subscription: { topics: (string | RegExp)[]; fromBeginning?: boolean }): Promise<void>;
  run(config: {
    autoCommit?: boolean;
    eachBatchAutoResolve?: boolean;
    eachBatch: (payload: KafkaJsLikeBatchPayload) => Promise<void>;
  }): Promise<void>;
  commitOffsets(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  stop?(): Promise<void>;
}

/** Options of {@link kafkajsConsumer}. */
export interface KafkaJsConsumerOptions {
  readonly topics: readonly (string | RegExp)[];
  /** Start from the earliest offset when the group has no committed offset (default true: CDC needs the snapshot). */
  readonly fromBeginning?: boolean;
  /** Heartbeat interval while a batch waits for the pipeline (default 3000 ms). */
  readonly heartbeatIntervalMs?: number;
}

/** A started adapter. */
export interface KafkaJsCdcConsumer extends CdcConsumer {
  /** Stops the kafkajs run loop; the pipeline should be stopped first. */
  stop(): Promise<void>;
}

interface PendingBatch {
  readonly messages: CdcMessage[];
  taken: number;
  readonly done: () => void;
  readonly stale: () => boolean;
}

/**
 * The batches kafkajs handed over and the pipeline has not taken yet, in order. Each `eachBatch`
 * call waits in {@link hold} until its batch is taken (heartbeating meanwhile), released, or stale.
 */
class HeldBatches {
  private readonly queue: PendingBatch[] = [];
  private readonly arrival = new MessageArrival();
  /** Set when the pipeline stopped on a failure: no batch is marked consumed any more. */
  abandoned = false;

  constructor(private readonly heartbeatIntervalMs: number) {}

  /** Holds one fetched batch until the pipeline took all of it; then resolves its last offset. */
  async hold(payload: KafkaJsLikeBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const messages: CdcMessage[] = batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      key: m.key,
      value: m.value,
      highWatermark: batch.highWatermark,
    }));
    await new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setInterval> | undefined;
      const pending: PendingBatch = {
        messages,
        taken: 0,
        done: () => {
          clearInterval(timer);
          resolve();
        },
        stale: () => isStale() || !isRunning(),
      };
      // Keep the group membership while the pipeline holds the batch (e.g. ClickHouse is down).
      timer = setInterval(() => {
        if (pending.stale()) {
          const index = this.queue.indexOf(pending);
          if (index >= 0) this.queue.splice(index, 1);
          pending.done();
          return;
        }
        heartbeat().catch(() => {});
      }, this.heartbeatIntervalMs);
      this.queue.push(pending);
      this.arrival.notify();
    });
    if (!this.abandoned && isRunning() && !isStale()) {
      resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
    }
  }

  /** Up to `max` held messages, in order; a batch taken completely is released. */
  take(max: number): CdcMessage[] {
    const out: CdcMessage[] = [];
    if (this.abandoned) return out;
    const { queue } = this;
    while (out.length < max && queue.length > 0) {
      const head = queue[0]!;
      if (head.stale()) {
        queue.shift();
        head.done();
        continue;
      }
      const n = Math.min(max - out.length, head.messages.length - head.taken);
      for (let i = 0; i < n; i++) out.push(head.messages[head.taken + i]!);
      head.taken += n;
      if (head.taken === head.messages.length) {
        queue.shift();
        head.done();
      }
    }
    return out;
  }

  /** Up to `max` messages, waiting at most `timeoutMs` for a batch when none is held. */
  async poll(max: number, timeoutMs: number): Promise<CdcMessage[]> {
    const ready = this.take(max);
    if (ready.length > 0) return ready;
    await this.arrival.wait(timeoutMs);
    return this.take(max);
  }

  /** Releases every held batch (unresolved when abandoned). */
  releaseAll(): void {
    for (const pending of this.queue.splice(0)) pending.done();
  }
}

/**
 * Subscribes, starts the kafkajs run loop and returns the pipeline's consumer.
 *
 * @example
 * ```ts
 * import { Kafka } from 'kafkajs';
 * import { kafkajsConsumer } from '@bionicpro/cdc/kafkajs';
 * const kafka = new Kafka({ brokers: ['127.0.0.1:9092'] });
 * const client = kafka.consumer({ groupId: 'bionicpro-cdc' });
 * await client.connect();
 * const consumer = await kafkajsConsumer(client, { topics: [/^crm\.public\./] });
 * ```
 */
export async function kafkajsConsumer(
  client: KafkaJsLikeConsumer,
  options: KafkaJsConsumerOptions,
): Promise<KafkaJsCdcConsumer> {
  const held = new HeldBatches(options.heartbeatIntervalMs ?? 3000);
  const topicsSeen = new Set<string>();
  await client.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true });
  await client.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      if (payload.batch.messages.length === 0) return;
      topicsSeen.add(payload.batch.topic);
      await held.hold(payload);
    },
  });
  return {
    poll: (max, timeoutMs) => held.poll(max, timeoutMs),
    async commit(offsets: readonly TopicPartitionOffset[]) {
      await client.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      );
    },
    pause() {
      client.pause([...topicsSeen].map((topic) => ({ topic })));
    },
    resume() {
      client.resume([...topicsSeen].map((topic) => ({ topic })));
    },
    async stop() {
      held.releaseAll();
      await client.stop?.();
    },
    async abandon() {
      // Nothing past the pipeline's last commit is resolved: held batches are released unresolved
      // and the run loop stops, so a restarted consumer of the group starts at the committed offsets.
      held.abandoned = true;
      held.releaseAll();
      await client.stop?.();
    },
  };
}

/** The kafkajs producer method the dead-letter destination uses. */
export interface KafkaJsLikeProducer {
  send(record: {
    topic: string;
    messages: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[];
  }): Promise<unknown>;
}

/** Kafka headers of a dead letter: where it came from and why. */
export function deadLetterHeaders(letter: DeadLetter): Record<string, string> {
  return {
    'bionicpro.dlq.topic': letter.topic,
    'bionicpro.dlq.partition': String(letter.partition),
    'bionicpro.dlq.offset': letter.offset,
    'bionicpro.dlq.code': letter.code,
    'bionicpro.dlq.reason': letter.reason,
    'bionicpro.dlq.failed_at': letter.failedAt.toISOString(),
  };
}

/**
 * A dead-letter destination that produces each bad message, with its
 * original key and value bytes, to a Kafka topic; the reason and origin
 * travel as headers (`bionicpro.dlq.*`).
 *
 * @example
 * ```ts
 * import { kafkajsDeadLetters } from '@bionicpro/cdc/kafkajs';
 * const deadLetters = kafkajsDeadLetters(producer, 'bionicpro.cdc.dlq');
 * ```
 */
export function kafkajsDeadLetters(producer: KafkaJsLikeProducer, topic: string): DeadLetterDestination {
  return async (letters) => {
    if (letters.length === 0) return;
    await producer.send({
      topic,
      messages: letters.map((letter) => ({
        key: letter.key === null ? null : Buffer.from(letter.key),
        value: letter.value === null ? null : Buffer.from(letter.value),
        headers: deadLetterHeaders(letter),
      })),
    });
  };
}
