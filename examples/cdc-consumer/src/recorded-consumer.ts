import type { CdcConsumer, CdcMessage, TopicPartitionOffset } from '@bionicpro/cdc';

/** A {@link CdcConsumer} over recorded messages, with the offsets it was asked to commit. */
export interface RecordedConsumer extends CdcConsumer {
  /** Offsets committed so far (next offset to read), by `topic/partition`. */
  readonly committed: ReadonlyMap<string, string>;
  /** True once every message was handed out. */
  readonly drained: boolean;
}

/**
 * Serves recorded Kafka messages (e.g. a dumped topic, or the cdc package's
 * captured Debezium streams) to the CDC pipeline as if a broker delivered
 * them: replays, migrations, and tests of the consumer process without Kafka.
 *
 * @example
 * ```ts
 * const consumer = recordedConsumer(await readRecordedStream(file));
 * ```
 */
export function recordedConsumer(messages: readonly CdcMessage[]): RecordedConsumer {
  let next = 0;
  const committed = new Map<string, string>();
  return {
    async poll(max, timeoutMs) {
      if (next >= messages.length) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 50)));
        return [];
      }
      const batch = messages.slice(next, next + max);
      next += batch.length;
      return batch;
    },
    async commit(offsets: readonly TopicPartitionOffset[]) {
      for (const o of offsets) committed.set(`${o.topic}/${o.partition}`, o.offset);
    },
    pause() {},
    resume() {},
    committed,
    get drained() {
      return next >= messages.length;
    },
  };
}
