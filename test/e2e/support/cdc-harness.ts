/**
 * One CDC path for an end-to-end test: a fresh PostgreSQL database with model tables and the
 * signal table, a Debezium connector registered through @bionicpro/cdc's Connect client, target
 * tables in ClickHouse, and the @bionicpro/cdc sink consuming the topics.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  type BatchStats,
  type CdcConsumer,
  type CdcPipeline,
  type ClickHouseSink,
  cdcTargetDdl,
  cdcTargetOf,
  createCdcPipeline,
  createClickHouseSink,
  createConnectClient,
  currentRowsQuery,
  type DeadLetter,
  deadLettersToClickHouse,
  deadLetterTableDdl,
  debeziumPostgresConnectorConfig,
  signalTableDdl,
} from '@bionicpro/cdc';
import { tables } from '@bionicpro/models';
import type { Dataset } from '@bionicpro/models/testing';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type pg from 'pg';
import type { ClickHouseService, ConnectService, KafkaService, PostgresService } from '../../services.js';
import { canonicalRow } from './canonical-row.js';
import { openCdcConsumer } from './consumer.js';
import {
  createTables,
  freshDatabase,
  insertRows,
  type SourceTableName,
  sourceRows,
} from './source-database.js';
import { createWarehouse, queryRows } from './warehouse.js';

export interface CdcHarnessOptions {
  /** Database, topic prefix, slot and connector are derived from it: `e2e_<name>`. */
  readonly name: string;
  readonly tables: readonly SourceTableName[];
  readonly services: {
    readonly postgres: PostgresService;
    readonly kafka: KafkaService;
    readonly connect: ConnectService;
    readonly clickhouse: ClickHouseService;
  };
  /** Partitions of each table topic (created before the connector; default 1). */
  readonly partitions?: number;
  /** Extra connector properties. */
  readonly connectorExtra?: Readonly<Record<string, string>>;
}

export interface RunningSink {
  readonly pipeline: CdcPipeline;
  readonly batches: BatchStats[];
  readonly deadLetters: DeadLetter[];
  /** Stops the loop after the current batch and disconnects the consumer. */
  stop(): Promise<void>;
  /** Drops the consumer at once, without waiting for the loop (a crash, as seen by Kafka). */
  crash(): Promise<void>;
}

/** A row for an error message, long strings (TOASTed values) cut short. */
function brief(row: unknown): string {
  return JSON.stringify(row, (_k, v) =>
    typeof v === 'string' && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} chars)` : v,
  );
}

/** Runs `fn` with a connected Kafka admin client, disconnecting it whatever happens. */
async function withKafkaAdmin<T>(brokers: readonly string[], fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({
    clientId: 'bionicpro-e2e-admin',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

export async function createCdcHarness(options: CdcHarnessOptions) {
  const { postgres, kafka, connect: connectService, clickhouse } = options.services;
  const id = `e2e_${options.name}`;
  const pool = await freshDatabase(postgres, id);
  await createTables(pool, options.tables);
  await pool.query(signalTableDdl());
  const ch = createWarehouse(clickhouse);
  await ch.command({ query: `CREATE DATABASE IF NOT EXISTS ${id}` });
  const targets = options.tables.map((t) => cdcTargetOf(tables[t], { database: id }));
  for (const t of options.tables) {
    await ch.command({ query: `DROP TABLE IF EXISTS ${id}.${t}` });
    await ch.command({ query: cdcTargetDdl(tables[t], { database: id }) });
  }
  await ch.command({ query: `DROP TABLE IF EXISTS ${id}.cdc_dead_letters` });
  await ch.command({ query: deadLetterTableDdl('cdc_dead_letters', { database: id }) });

  const connect = createConnectClient({ url: connectService.url });
  // Connect keeps a connector's source offsets after it is deleted: a fresh name per run starts
  // from a fresh snapshot. Connectors left by an earlier run of this test are deleted.
  const connectorName = `bp-${id}-${Date.now().toString(36)}`;
  const topics = options.tables.map((t) => `${id}.public.${t}`);
  for (const old of await connect.listConnectors()) {
    if (old.startsWith(`bp-${id}-`)) await connect.delete(old);
  }
  // Fresh topics, created before the connector so the consumer can subscribe at once and so a
  // test chooses the partition count.
  await withKafkaAdmin(kafka.brokers, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const stale = [...existing].filter((t) => t.startsWith(`${id}.`) || t === `__debezium-heartbeat.${id}`);
    if (stale.length > 0) {
      await admin.deleteTopics({ topics: stale });
      await new Promise((r) => setTimeout(r, 1000));
    }
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: options.partitions ?? 1,
        replicationFactor: 1,
      })),
    });
  });

  const connectorConfig = debeziumPostgresConnectorConfig({
    topicPrefix: id,
    database: {
      hostname: postgres.hostForConnect,
      port: postgres.portForConnect,
      user: postgres.user,
      password: postgres.password || 'postgres',
      dbname: id,
    },
    tables: options.tables.map((t) => `public.${t}`),
    slotName: `bp_${id}`,
    heartbeatIntervalMs: 1000,
    extra: {
      // Small batches in a test: lower the producer's linger so changes show up promptly.
      'producer.override.linger.ms': '5',
      ...options.connectorExtra,
    },
  });

  return {
    id,
    pool,
    ch,
    connect,
    connectorName,
    topics,
    targets,
    connectorConfig,

    async registerConnector(): Promise<void> {
      await connect.upsertConnector(connectorName, connectorConfig);
      await connect.waitUntilRunning(connectorName, { timeoutMs: 120_000 });
    },

    /**
     * Starts the sink in this process, consuming `topics` in consumer group `groupId`.
     * `wrap` lets a test interpose on the consumer (e.g. to crash at a chosen commit).
     */
    async startSink(
      groupId: string,
      options: {
        batch?: { maxMessages: number; maxWaitMs: number };
        wrap?: (consumer: CdcConsumer) => CdcConsumer;
        wrapSink?: (sink: ClickHouseSink) => ClickHouseSink;
      } = {},
    ): Promise<RunningSink> {
      const opened = await openCdcConsumer({ brokers: kafka.brokers, groupId, topics });
      const batches: BatchStats[] = [];
      const deadLetters: DeadLetter[] = [];
      const toClickHouse = deadLettersToClickHouse(ch, { database: id });
      const pipeline = createCdcPipeline({
        consumer: options.wrap ? options.wrap(opened.consumer) : opened.consumer,
        sink: (options.wrapSink ?? ((x: ClickHouseSink) => x))(createClickHouseSink({ client: ch, targets })),
        deadLetters: async (letters) => {
          deadLetters.push(...letters);
          await toClickHouse(letters);
        },
        batch: options.batch ?? { maxMessages: 2000, maxWaitMs: 200 },
        metrics: { onBatch: (s) => batches.push(s) },
      });
      const running = pipeline.run();
      let crashed = false;
      return {
        pipeline,
        batches,
        deadLetters,
        async stop() {
          if (crashed) return;
          pipeline.stop();
          await running;
          await opened.close();
        },
        async crash() {
          // As a killed process would: no graceful stop, no last commit; the group sees it leave.
          crashed = true;
          pipeline.stop();
          running.catch(() => undefined);
          await opened.close();
        },
      };
    },

    /** Canonical rows of a table on each side. */
    async snapshot(table: SourceTableName) {
      const def = tables[table];
      const source = (await sourceRows(pool, def)).map((r) => canonicalRow(def, r));
      const q = currentRowsQuery(`${id}.${table}`, { orderBy: [...def.primaryKey] });
      const target = (await queryRows(ch, q.query, q.query_params)).map((r) => canonicalRow(def, r));
      return { source, target };
    },

    /** Waits until ClickHouse equals PostgreSQL, row for row, for every table; returns the time it took. */
    async waitInSync(timeoutMs = 90_000): Promise<number> {
      const t0 = Date.now();
      let last = '';
      while (Date.now() - t0 < timeoutMs) {
        let equal = true;
        for (const t of options.tables) {
          const { source, target } = await this.snapshot(t);
          if (JSON.stringify(source) !== JSON.stringify(target)) {
            equal = false;
            const i = source.findIndex((row, n) => JSON.stringify(row) !== JSON.stringify(target[n]));
            last = `${t}: PostgreSQL ${source.length} rows, ClickHouse ${target.length}; first difference at #${i}: PostgreSQL ${brief(source[i])} ClickHouse ${brief(target[i])}`;
            break;
          }
        }
        if (equal) return Date.now() - t0;
        await new Promise((r) => setTimeout(r, 300));
      }
      throw new Error(`ClickHouse did not catch up with PostgreSQL in ${timeoutMs} ms (${last})`);
    },

    /** End offset of every partition of the table topics, as `topic/partition` → offset. */
    async endOffsets(): Promise<Map<string, bigint>> {
      return withKafkaAdmin(kafka.brokers, async (client) => {
        const out = new Map<string, bigint>();
        for (const topic of topics) {
          for (const p of await client.fetchTopicOffsets(topic))
            out.set(`${topic}/${p.partition}`, BigInt(p.high));
        }
        return out;
      });
    },

    /** Waits until consumer group `groupId` has committed every record now in the table topics. */
    async waitCaughtUp(groupId: string, timeoutMs = 60_000): Promise<void> {
      const end = await this.endOffsets();
      await withKafkaAdmin(kafka.brokers, async (client) => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const committed = new Map<string, bigint>();
          for (const t of await client.fetchOffsets({ groupId, topics })) {
            for (const p of t.partitions) committed.set(`${t.topic}/${p.partition}`, BigInt(p.offset));
          }
          const behind = [...end].filter(([tp, high]) => (committed.get(tp) ?? -1n) < high);
          if (behind.length === 0) return;
          if (Date.now() > deadline) {
            throw new Error(
              `group ${groupId} still behind on ${behind.map(([tp, high]) => `${tp} (${committed.get(tp)} < ${high})`).join(', ')}`,
            );
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      });
    },

    /** Physical rows per key in a target (before FINAL): how many versions the sink wrote. */
    async physicalRows(table: SourceTableName): Promise<number> {
      const [row] = await queryRows<{ n: string }>(ch, `SELECT count() AS n FROM ${id}.${table}`);
      return Number(row?.n ?? 0);
    },

    async close(): Promise<void> {
      await connect.delete(connectorName).catch(() => undefined);
      // A replication slot outlives its connector and holds WAL: drop it once the task let go.
      for (let i = 0; i < 20; i++) {
        const { rows } = await pool.query<{ active: boolean }>(
          'select active from pg_replication_slots where slot_name = $1',
          [`bp_${id}`],
        );
        if (rows.length === 0) break;
        if (!rows[0]?.active) {
          await pool.query('select pg_drop_replication_slot($1)', [`bp_${id}`]).catch(() => undefined);
          break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      await pool.end();
    },
  };
}

export type CdcHarness = Awaited<ReturnType<typeof createCdcHarness>>;
export type { ClickHouseClient, pg };

/** What the end-to-end CDC tests capture: the CRM chain and the 64-bit-id telemetry table. */
export const CRM_AND_TELEMETRY_TABLES = ['users', 'subscriptions', 'payments', 'telemetry_events'] as const;

/**
 * A harness over {@link CRM_AND_TELEMETRY_TABLES} whose source already holds the dataset's users,
 * subscriptions and payments (in foreign-key order); the connector is not registered yet, so a
 * test can add its own rows to the snapshot first.
 */
export async function createSeededCdcHarness(
  name: string,
  services: CdcHarnessOptions['services'],
  dataset: Pick<Dataset, 'users' | 'subscriptions' | 'payments'>,
): Promise<CdcHarness> {
  const h = await createCdcHarness({ name, tables: CRM_AND_TELEMETRY_TABLES, services });
  await insertRows(h.pool, tables.users, dataset.users);
  await insertRows(h.pool, tables.subscriptions, dataset.subscriptions);
  await insertRows(h.pool, tables.payments, dataset.payments);
  return h;
}
