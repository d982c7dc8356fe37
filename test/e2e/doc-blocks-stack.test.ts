/**
 * The documentation blocks marked `needs=…` (scripts/doc-blocks.mjs) run against the real stack,
 * as written, each from a fresh working directory with the coordinates in the environment the
 * blocks read (KAFKA_BROKERS, KAFKA_CONNECT_URL, CRM_URL, CLICKHOUSE_PATH for embedded chDB).
 * What a block expects to exist, the runner provides the way the README says it is made, under
 * names unique to this run (CRM_TOPIC_PREFIX / TELEMETRY_TOPIC_PREFIX name the connector and its
 * topics):
 *
 * - `needs=kafka`: the topics `<prefix>.public.{users,payments}` and
 *   `<telemetry prefix>.public.telemetry_events`, as a Debezium connector creates them, with one
 *   captured Debezium envelope (a payment) on the payments topic.
 * - `needs=postgres,connect`: a fresh PostgreSQL database with the CRM tables (as after
 *   `bionicpro-etl init`); the block registers the connector itself.
 * - `until-sigterm`: the block runs until it handled the payment (its batch log says `1 rows`, or
 *   its `/metrics` counts one row written), then gets SIGTERM and must exit 0.
 *
 * Connectors, replication slots, databases and topics are removed afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnectClient } from '@bionicpro/cdc';
import { postgresSchemaDdl } from '@bionicpro/models';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { examples } from '../../packages/cdc/src/fixtures/debezium-examples.js';
import { writeBlocks } from '../../scripts/doc-blocks.mjs';
import { postgresUrl, requireService } from '../services.js';
import { startBlock } from './support/doc-block-runner.js';
import { freePort } from './support/free-port.js';

const services = {
  postgres: requireService('postgres'),
  kafka: requireService('kafka'),
  connect: requireService('connect'),
};

const KNOWN_NEEDS = new Set(['postgres', 'kafka', 'connect']);
const written = writeBlocks();
const stackBlocks = written.filter((b) => b.flags.needs.length > 0 && !b.flags.typecheckOnly);
const work = mkdtempSync(join(tmpdir(), 'doc-blocks-stack-'));
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

const kafka = new Kafka({
  clientId: 'bionicpro-doc-blocks',
  brokers: [...services.kafka.brokers],
  logLevel: logLevel.NOTHING,
});

/** The topics a connector with these prefixes would have created, and one payment on its topic. */
async function provideTopics(crm: string, telemetry: string): Promise<void> {
  const topics = [`${crm}.public.users`, `${crm}.public.payments`, `${telemetry}.public.telemetry_events`];
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: 1 })),
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
  cleanups.push(async () => {
    const cleaner = kafka.admin();
    await cleaner.connect();
    await cleaner.deleteTopics({ topics }).finally(() => cleaner.disconnect());
  });
  const producer = kafka.producer();
  await producer.connect();
  try {
    const payment = examples.createWithSchema;
    await producer.send({
      topic: `${crm}.public.payments`,
      messages: [{ key: payment.key, value: payment.value }],
    });
  } finally {
    await producer.disconnect();
  }
}

/** A fresh database with the CRM tables; dropped (with the connector's slot) afterwards. */
async function provideCrmDatabase(name: string, connector: string): Promise<string> {
  const admin = new pg.Client({ connectionString: postgresUrl(services.postgres, 'postgres') });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const db = new pg.Client({ connectionString: postgresUrl(services.postgres, name) });
  await db.connect();
  for (const statement of postgresSchemaDdl('crm')) await db.query(statement);
  await db.end();
  cleanups.push(async () => {
    await createConnectClient({ url: services.connect.url }).delete(connector);
    const cleaner = new pg.Client({ connectionString: postgresUrl(services.postgres, 'postgres') });
    await cleaner.connect();
    try {
      // The slot outlives its connector: wait until the task let go, then drop it and the database.
      for (let i = 0; i < 40; i += 1) {
        const { rows } = await cleaner.query<{ active: boolean }>(
          'select active from pg_replication_slots where database = $1',
          [name],
        );
        if (rows.every((r) => !r.active)) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      await cleaner.query(
        'select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = $1',
        [name],
      );
      await cleaner.query(`drop database if exists ${name} with (force)`);
    } finally {
      await cleaner.end();
    }
  });
  return postgresUrl(services.postgres, name);
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('documentation code blocks on the real stack', () => {
  it('every needs= names a service this suite provides, and no such block is left untested', () => {
    expect(stackBlocks.length).toBeGreaterThanOrEqual(5);
    for (const block of stackBlocks) {
      expect(
        block.flags.needs.filter((n) => !KNOWN_NEEDS.has(n)),
        `${block.file}:${block.line}`,
      ).toEqual([]);
    }
  });

  it.each(stackBlocks.map((b) => [`${b.file}:${b.line} (${b.flags.needs.join(',')})`, b] as const))(
    '%s runs',
    async (_where, block) => {
      const id = `doc_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
      const cwd = mkdtempSync(join(work, `${block.id}-`));
      const env: Record<string, string> = {
        CLICKHOUSE_PATH: join(cwd, 'chdb'),
        CRM_TOPIC_PREFIX: id,
        TELEMETRY_TOPIC_PREFIX: `${id}_telemetry`,
        KAFKA_BROKERS: services.kafka.brokers.join(','),
        KAFKA_CONNECT_URL: services.connect.url,
      };
      if (block.flags.needs.includes('kafka')) await provideTopics(id, `${id}_telemetry`);
      if (block.flags.needs.includes('connect')) env.CRM_URL = await provideCrmDatabase(id, id);
      if (block.flags.untilSigterm) env.METRICS_PORT = String(await freePort());

      const running = startBlock(block, env, cwd, 170_000);
      const where = () => `${block.file}:${block.line}\n${running.output()}`;
      if (block.flags.untilSigterm) {
        let ended = false;
        void running.exited.then(() => (ended = true));
        const serves = running.output.bind(running);
        await waitFor(
          `${block.file}:${block.line} to write the payment`,
          async () => {
            if (ended) throw new Error(`the block ended before SIGTERM\n${where()}`);
            if (/^1 rows, 0 dead letters/m.test(serves())) return true;
            if (!block.code.includes('/metrics')) return false;
            const metrics = await fetch(`http://127.0.0.1:${env.METRICS_PORT}/metrics`)
              .then((r) => r.text())
              .catch(() => '');
            return /^bionicpro_cdc_rows_written_total(\{[^}]*\})? 1$/m.test(metrics);
          },
          120_000,
        ).catch((error: Error) => {
          running.child.kill('SIGKILL');
          throw new Error(`${error.message}\n${where()}`);
        });
        running.child.kill('SIGTERM');
      }
      expect(await running.exited, where()).toBe(0);
    },
  );
});
