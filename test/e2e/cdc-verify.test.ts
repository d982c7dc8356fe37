/**
 * `verifyReplica` on the real stack: PostgreSQL → Debezium → Kafka → @bionicpro/cdc sink →
 * ClickHouse, then the replica is compared with its source. Equal after replication; after a row is
 * changed behind the sink's back in ClickHouse and another is deleted in PostgreSQL while the
 * connector is paused, it names exactly those keys.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cdcTargetDdl, verifyReplica } from '@bionicpro/cdc';
import { tables } from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl, requireService } from '../services.js';
import {
  type CdcHarness,
  CRM_AND_TELEMETRY_TABLES,
  createSeededCdcHarness,
  type RunningSink,
} from './support/cdc-harness.js';

const services = {
  postgres: requireService('postgres'),
  kafka: requireService('kafka'),
  connect: requireService('connect'),
  clickhouse: requireService('clickhouse'),
};

const TABLES = CRM_AND_TELEMETRY_TABLES;
const dataset = generateDataset({ seed: 5, users: 30, months: 2 });

let h: CdcHarness;
let sink: RunningSink;

beforeAll(async () => {
  h = await createSeededCdcHarness('verify', services, dataset);
  // Doubles that need every bit, µs instants, and ids near 2^53 (the sink takes them up to 2^53-1 today).
  await h.pool.query(`
    insert into telemetry_events (id, user_id, prosthesis_type, muscle_group, signal_frequency, signal_duration,
                                  signal_amplitude, event_timestamp)
    select 9007199254737000 + g, g % 30 + 1, 'hand', 'flexor', g, g * 3, g / 7.0 + 0.1,
           timestamptz '2024-01-15 10:00:00.123456Z' + g * interval '1.000001 s'
    from generate_series(1, 3000) g`);
  await h.registerConnector();
  sink = await h.startSink('e2e-verify');
  await h.waitInSync(90_000);
});

afterAll(async () => {
  await sink?.stop();
  await h?.close();
});

const verify = (table: (typeof TABLES)[number], options: { leafRows?: number; fanout?: number } = {}) =>
  verifyReplica({
    table: tables[table],
    source: { client: h.pool },
    replica: { client: h.ch, table: `${h.id}.${table}` },
    ...options,
  });

describe(`bionicpro-cdc verify on the real stack (postgres ${services.postgres.provider}, clickhouse ${services.clickhouse.provider})`, () => {
  it('finds a replicated table equal, every column compared in both engines', async () => {
    for (const t of TABLES) {
      const { rows } = await h.pool.query<{ n: string }>(`select count(*)::text as n from ${t}`);
      const report = await verify(t);
      expect({
        t,
        equal: report.equal,
        missing: report.missing,
        extra: report.extra,
        different: report.different,
      }).toEqual({ t, equal: true, missing: [], extra: [], different: [] });
      expect(report.rows).toEqual({ source: Number(rows[0]?.n), replica: Number(rows[0]?.n) });
    }
  });

  it('names exactly the row changed behind the sink and the row deleted while the connector was paused', async () => {
    const { rows: pays } = await h.pool.query<{ id: number }>('select id from payments order by id');
    const changed = pays[Math.floor(pays.length / 2)]!.id;
    const deleted = pays[3]!.id;
    // Behind the sink's back: a newer version of one payment with another amount (one cent more).
    await h.ch.command({
      query: `INSERT INTO ${h.id}.payments SELECT * REPLACE (amount + 0.01 AS amount, _version + 1 AS _version) FROM ${h.id}.payments FINAL WHERE id = ${changed}`,
    });
    // ... and a telemetry event whose double differs in its last bit only.
    await h.ch.command({
      query: `INSERT INTO ${h.id}.telemetry_events SELECT * REPLACE (reinterpretAsFloat64(reinterpretAsUInt64(signal_amplitude) + 1) AS signal_amplitude, _version + 1 AS _version) FROM ${h.id}.telemetry_events FINAL WHERE id = 9007199254738001`,
    });
    await h.connect.pause(h.connectorName);
    await new Promise((r) => setTimeout(r, 2000));
    await h.pool.query('delete from payments where id = $1', [deleted]);
    // A row inserted while paused exists only in PostgreSQL.
    await h.pool.query(
      `insert into telemetry_events (id, user_id, prosthesis_type, muscle_group, signal_frequency, signal_duration, signal_amplitude, event_timestamp)
       values (9223372036854775807, 1, 'arm', 'biceps', 1, 1, 0.5, now())`,
    );

    for (const leafRows of [1000, 1]) {
      const payments = await verify('payments', { leafRows, fanout: 4 });
      expect(payments).toMatchObject({
        equal: false,
        missing: [],
        extra: [{ id: deleted }],
        different: [{ id: changed }],
        truncated: false,
      });
      expect(payments.rows.replica - payments.rows.source).toBe(1);
      const telemetry = await verify('telemetry_events', { leafRows });
      expect(telemetry).toMatchObject({
        equal: false,
        missing: [{ id: '9223372036854775807' }],
        extra: [],
        different: [{ id: 9007199254738001 }],
      });
    }
    expect((await verify('users')).equal).toBe(true);

    await h.connect.resume(h.connectorName);
  });

  it('runs as `bionicpro-cdc verify`: JSON report on stdout, exit 0 when equal and 1 when different', async () => {
    // The CLI opens its own embedded ClickHouse (chDB allows one process per data directory): a
    // replica of users is copied into it straight from PostgreSQL with the postgresql() table function.
    const path = mkdtempSync(join(tmpdir(), 'bionicpro-verify-cli-'));
    const pg = services.postgres;
    const copy = `INSERT INTO cli.users SELECT *, 1 AS _version, 0 AS _is_deleted FROM postgresql('${pg.host}:${pg.port}', '${h.id}', 'users', '${pg.user}', '${pg.password}')`;
    await run('node', [
      '--input-type=module',
      '-e',
      CHDB_SCRIPT,
      path,
      JSON.stringify(['CREATE DATABASE cli', cdcTargetDdl(tables.users, { database: 'cli' }), copy]),
    ]);
    const args = [
      'verify',
      '--source',
      postgresUrl(pg, h.id),
      '--table',
      'users',
      '--clickhouse',
      `chdb:${path}`,
      '--database',
      'cli',
    ];
    const equal = await run(tsx, ['src/cli.ts', ...args]);
    const { rows } = await h.pool.query<{ n: string }>('select count(*)::text as n from users');
    expect(equal.code).toBe(0);
    expect(JSON.parse(equal.stdout)).toMatchObject({
      table: 'users',
      replica: 'cli.users',
      equal: true,
      rows: { source: Number(rows[0]?.n), replica: Number(rows[0]?.n) },
      missing: [],
      extra: [],
      different: [],
    });
    await run('node', [
      '--input-type=module',
      '-e',
      CHDB_SCRIPT,
      path,
      JSON.stringify([
        "INSERT INTO cli.users SELECT * REPLACE (concat(email, '.changed') AS email, 2 AS _version) FROM cli.users FINAL WHERE id = 3",
        'INSERT INTO cli.users SELECT * REPLACE (3 AS _version, 1 AS _is_deleted) FROM cli.users FINAL WHERE id = 5',
      ]),
    ]);
    const different = await run(tsx, ['src/cli.ts', ...args]);
    expect({ code: different.code, stderr: different.stderr }).toEqual({ code: 1, stderr: '' });
    expect(JSON.parse(different.stdout)).toMatchObject({
      equal: false,
      missing: [{ id: 5 }],
      extra: [],
      different: [{ id: 3 }],
    });
  });
});

const packageDir = fileURLToPath(new URL('../../packages/cdc/', import.meta.url));
const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const CHDB_SCRIPT = `
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
const ch = createClient({ connection: createChdbConnection({ path: process.argv[1] }) });
for (const query of JSON.parse(process.argv[2])) await ch.command({ query });
await ch.close();
`;

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (command === 'node' && code !== 0) reject(new Error(`chDB setup failed: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}
