/**
 * The Kafka side of the harness: a kafkajs consumer wrapped by @bionicpro/cdc's own adapter
 * (`@bionicpro/cdc/kafkajs`), so the end-to-end tests run the package's code path.
 */
import type { CdcConsumer } from '@bionicpro/cdc';
import { kafkajsConsumer } from '@bionicpro/cdc/kafkajs';
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
  const client = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
  });
  await client.connect();
  const consumer = await kafkajsConsumer(client, { topics: options.topics, heartbeatIntervalMs: 1000 });
  return {
    consumer,
    async close() {
      await consumer.stop().catch(() => undefined);
      await client.disconnect();
    },
  };
}
