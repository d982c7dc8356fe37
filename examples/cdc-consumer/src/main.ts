/**
 * The CDC consumer as a deployable process: Debezium topics from Kafka into
 * ClickHouse, with health and Prometheus metrics.
 *
 *   KAFKA_BROKERS=kafka:9092 CLICKHOUSE_URL=http://clickhouse:8123 pnpm --filter @bionicpro/example-cdc-consumer start
 */
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { kafkajsConsumer, kafkajsDeadLetters } from '@bionicpro/cdc/kafkajs';
import { readEnvironment } from '@bionicpro/models';
import { Kafka, logLevel } from 'kafkajs';
import { z } from 'zod';
import { registerConnectors } from './connectors.js';
import { type Log, startConsumerProcess } from './consumer-process.js';

const log: Log = (level, msg, fields = {}) =>
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const list = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const Environment = z.object({
  KAFKA_BROKERS: list.pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1)),
  KAFKA_CLIENT_ID: z.string().default('bionicpro-cdc-consumer'),
  KAFKA_GROUP_ID: z.string().default('bionicpro-cdc'),
  /** Regular expressions of the topics to consume. */
  KAFKA_TOPICS: list.default(['^crm\\.public\\.', '^telemetry\\.public\\.']),
  DEAD_LETTER_TOPIC: z.string().optional(),
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_PATH: z.string().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CDC_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a plain identifier')
    .default('bionicpro_cdc'),
  BATCH_MAX_MESSAGES: int(1, 1_000_000).default(5_000),
  BATCH_MAX_WAIT_MS: int(1, 600_000).default(1_000),
  /** Kafka Connect REST URL: when set, the Debezium connectors are registered (idempotently) at start. */
  CONNECT_URL: z.url().optional(),
  /** Source databases as Connect reaches them (with a REPLICATION user), needed with CONNECT_URL. */
  CRM_SOURCE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected postgres://…')
    .optional(),
  TELEMETRY_SOURCE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'expected postgres://…')
    .optional(),
  HOST: z.string().default('0.0.0.0'),
  PORT: int(0, 65_535).default(9464),
});

const { settings, given: input, problems } = readEnvironment(Environment, process.env);
if ((input['CLICKHOUSE_URL'] === undefined) === (input['CLICKHOUSE_PATH'] === undefined)) {
  problems.push(
    'CLICKHOUSE_URL: set exactly one of CLICKHOUSE_URL (a server) and CLICKHOUSE_PATH (embedded chDB)',
  );
}
if (input['CONNECT_URL'] !== undefined) {
  for (const name of ['CRM_SOURCE_URL', 'TELEMETRY_SOURCE_URL']) {
    if (input[name] === undefined) problems.push(`${name}: is required with CONNECT_URL`);
  }
}
let topics: RegExp[] = [];
try {
  topics = (settings?.KAFKA_TOPICS ?? []).map((t) => new RegExp(t));
} catch (error) {
  problems.push(`KAFKA_TOPICS: ${error instanceof Error ? error.message : String(error)}`);
}
if (settings === undefined || problems.length > 0) {
  process.stderr.write(
    `cdc-consumer: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
  );
  process.exit(2);
}
const env = settings;

let clickhouse: ClickHouseClient;
if (env.CLICKHOUSE_PATH !== undefined) {
  // chdb is loaded only when embedded mode is used (it is a native module).
  const { createChdbClient } = await import('@bionicpro/etl/chdb');
  clickhouse = createChdbClient({ path: env.CLICKHOUSE_PATH });
} else {
  clickhouse = createClient({
    url: env.CLICKHOUSE_URL as string,
    ...(env.CLICKHOUSE_USER === undefined ? {} : { username: env.CLICKHOUSE_USER }),
    ...(env.CLICKHOUSE_PASSWORD === undefined ? {} : { password: env.CLICKHOUSE_PASSWORD }),
  });
}

if (env.CONNECT_URL !== undefined) {
  const actions = await registerConnectors(env.CONNECT_URL, [
    { prefix: 'crm', url: env.CRM_SOURCE_URL as string },
    { prefix: 'telemetry', url: env.TELEMETRY_SOURCE_URL as string },
  ]);
  log('info', 'debezium connectors registered', actions);
}

const kafka = new Kafka({
  clientId: env.KAFKA_CLIENT_ID,
  brokers: env.KAFKA_BROKERS,
  logLevel: logLevel.WARN,
});
const client = kafka.consumer({ groupId: env.KAFKA_GROUP_ID });
await client.connect();
const producer = env.DEAD_LETTER_TOPIC === undefined ? undefined : kafka.producer();
await producer?.connect();
const consumer = await kafkajsConsumer(client, { topics });
const running = await startConsumerProcess({
  consumer: {
    ...consumer,
    poll: consumer.poll.bind(consumer),
    commit: consumer.commit.bind(consumer),
    pause: consumer.pause.bind(consumer),
    resume: consumer.resume.bind(consumer),
    async stop() {
      await consumer.stop();
      await client.disconnect();
      await producer?.disconnect();
    },
  },
  clickhouse,
  database: env.CDC_DATABASE,
  ...(producer && env.DEAD_LETTER_TOPIC
    ? { deadLetters: kafkajsDeadLetters(producer, env.DEAD_LETTER_TOPIC) }
    : {}),
  batch: { maxMessages: env.BATCH_MAX_MESSAGES, maxWaitMs: env.BATCH_MAX_WAIT_MS },
  host: env.HOST,
  port: env.PORT,
  log,
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log('info', 'stopping after the current batch', { signal });
    running
      .stop()
      .then(() => clickhouse.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}
