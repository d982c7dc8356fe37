/**
 * The Kafka side of the harness: a kafkajs consumer behind @bionicpro/cdc's `CdcConsumer`
 * (poll / commit / pause / resume), committing only what the pipeline commits.
 *
 * kafkajs pushes batches (`eachBatch`); this turns that into `poll`: each fetched batch waits in
 * `eachBatch` until the pipeline has polled all of it, which is also the backpressure.
 */
import type { CdcConsumer, CdcMessage, TopicPartitionOffset } from '@bionicpro/cdc';
import { Kafka, logLevel } from 'kafkajs';

export interface OpenedConsumer {
  readonly consumer: CdcConsumer;
  close(): Promise<void>;
}

export async function openCdcConsumer(options: {
  brokers: readonly string[];
  groupId: string;
  topics: readonly string[];
}): Promise<OpenedConsumer> {
  const kafka = new Kafka({
    clientId: `bionicpro-e2e-${options.groupId}`,
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });

  const queue: CdcMessage[] = [];
  let drained: (() => void) | undefined;
  let arrived: (() => void) | undefined;
  let closed = false;

  await consumer.run({
    // Offsets are committed only by the pipeline (after ClickHouse has the rows); resolving them
    // when eachBatch returns only moves kafkajs' fetch position past what was handed out.
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
      for (const m of batch.messages) {
        queue.push({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? new Uint8Array(m.key) : null,
          value: m.value ? new Uint8Array(m.value) : null,
          highWatermark: batch.highWatermark,
        });
      }
      arrived?.();
      // Hold the batch until the pipeline took every message of it.
      while (queue.length > 0 && isRunning() && !isStale() && !closed) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, 1000);
        });
        await heartbeat();
      }
    },
  });

  const cdc: CdcConsumer = {
    async poll(max, timeoutMs) {
      if (queue.length === 0) {
        await new Promise<void>((resolve) => {
          arrived = resolve;
          setTimeout(resolve, timeoutMs);
        });
        arrived = undefined;
      }
      const taken = queue.splice(0, max);
      if (queue.length === 0) drained?.();
      return taken;
    },
    async commit(offsets: readonly TopicPartitionOffset[]) {
      await consumer.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })),
      );
    },
    pause() {
      consumer.pause(options.topics.map((topic) => ({ topic })));
    },
    resume() {
      consumer.resume(options.topics.map((topic) => ({ topic })));
    },
  };
  return {
    consumer: cdc,
    async close() {
      closed = true;
      drained?.();
      await consumer.disconnect();
    },
  };
}
