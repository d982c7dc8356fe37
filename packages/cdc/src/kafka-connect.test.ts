import { InvalidArgumentError } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import {
  debeziumPostgresConnectorConfig,
  incrementalSnapshotSignal,
  signalTableDdl,
} from './debezium-connector.js';
import { ConnectError } from './errors.js';
import { createConnectClient } from './kafka-connect.js';
import { requestIncrementalSnapshot } from './snapshot-signal.js';

/** An in-memory Connect worker speaking the REST API's status codes (pure: no sockets). */
function fakeWorker() {
  const connectors = new Map<string, { config: Record<string, string>; state: string; tasks: string[] }>();
  const calls: string[] = [];
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    calls.push(`${method} ${url.pathname}`);
    const json = (status: number, body: unknown) =>
      new Response(body === undefined ? null : JSON.stringify(body), { status });
    const m = /^\/connectors\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (url.pathname === '/connectors' && method === 'GET') return json(200, [...connectors.keys()]);
    if (!m) return json(404, { error_code: 404, message: 'not found' });
    const name = decodeURIComponent(m[1]!);
    const rest = m[2] ?? '';
    const c = connectors.get(name);
    if (rest === '/config' && method === 'PUT') {
      const config = JSON.parse(String(init?.body));
      if (c) {
        c.config = config;
        return json(200, { name, config });
      }
      connectors.set(name, { config, state: 'RUNNING', tasks: ['RUNNING'] });
      return json(201, { name, config });
    }
    if (!c) return json(404, { error_code: 404, message: `Connector ${name} not found` });
    if (rest === '/config') return json(200, { ...c.config, name });
    if (rest === '/status') {
      return json(200, {
        name,
        connector: { state: c.state, worker_id: 'w:8083' },
        tasks: c.tasks.map((state, id) => ({
          id,
          state,
          worker_id: 'w:8083',
          ...(state === 'FAILED'
            ? { trace: 'org.apache.kafka.connect.errors.ConnectException: slot busy\n\tat ...' }
            : {}),
        })),
      });
    }
    if (rest === '/pause') {
      c.state = 'PAUSED';
      return json(202, undefined);
    }
    if (rest === '/resume') {
      c.state = 'RUNNING';
      return json(202, undefined);
    }
    const task = /^\/tasks\/(\d+)\/restart$/.exec(rest);
    if (task && method === 'POST') {
      c.tasks[Number(task[1])] = 'RUNNING';
      return json(204, undefined);
    }
    if (rest === '' && method === 'DELETE') {
      connectors.delete(name);
      return json(204, undefined);
    }
    return json(405, { message: 'method not allowed' });
  }) as typeof fetch;
  return { connectors, calls, fetchImpl };
}

const database = { hostname: 'pg', user: 'postgres', password: 'secret', dbname: 'crm_db' };

describe('createConnectClient', () => {
  it('creates once, then reports unchanged without a PUT, and updates on a real change', async () => {
    const worker = fakeWorker();
    const connect = createConnectClient({ url: 'http://connect:8083/', fetch: worker.fetchImpl });
    const config = debeziumPostgresConnectorConfig({
      topicPrefix: 'crm',
      database,
      tables: ['public.users'],
    });
    expect(await connect.upsertConnector('crm', config)).toBe('created');
    worker.calls.length = 0;
    expect(await connect.upsertConnector('crm', config)).toBe('unchanged');
    expect(worker.calls).toEqual(['GET /connectors/crm/config']);
    expect(await connect.upsertConnector('crm', { ...config, 'heartbeat.interval.ms': '5000' })).toBe(
      'updated',
    );
    expect(await connect.listConnectors()).toEqual(['crm']);
  });

  it('waits for RUNNING, reports a FAILED task with its trace, restarts it, pauses, resumes, deletes', async () => {
    const worker = fakeWorker();
    const connect = createConnectClient({ url: 'http://connect:8083', fetch: worker.fetchImpl });
    await connect.upsertConnector('crm', { 'connector.class': 'x' });
    expect((await connect.waitUntilRunning('crm', { intervalMs: 1 })).tasks).toHaveLength(1);
    worker.connectors.get('crm')!.tasks[0] = 'FAILED';
    await expect(connect.waitUntilRunning('crm', { intervalMs: 1 })).rejects.toMatchObject({
      code: 'connect_task_failed',
      message: expect.stringContaining(
        'task 0 FAILED: org.apache.kafka.connect.errors.ConnectException: slot busy',
      ),
    });
    expect(await connect.restartFailed('crm')).toEqual([0]);
    await connect.pause('crm');
    expect((await connect.getStatus('crm'))?.connector.state).toBe('PAUSED');
    await expect(connect.waitUntilRunning('crm', { intervalMs: 1, timeoutMs: 20 })).rejects.toMatchObject({
      code: 'connect_timeout',
    });
    await connect.resume('crm');
    await connect.delete('crm');
    await connect.delete('crm');
    expect(await connect.getStatus('crm')).toBeUndefined();
  });

  it('turns an unreachable worker and an error answer into ConnectError', async () => {
    const down = createConnectClient({
      url: 'http://connect:8083',
      fetch: (async () => {
        throw new TypeError('fetch failed');
      }) as typeof fetch,
    });
    await expect(down.listConnectors()).rejects.toBeInstanceOf(ConnectError);
    const worker = fakeWorker();
    const connect = createConnectClient({ url: 'http://connect:8083', fetch: worker.fetchImpl });
    await expect(connect.restartFailed('missing')).rejects.toMatchObject({
      status: 404,
      connector: 'missing',
    });
  });
});

describe('debeziumPostgresConnectorConfig', () => {
  it('sets pgoutput, a named slot and publication, exact decimals, heartbeats and the signal table', () => {
    const config = debeziumPostgresConnectorConfig({
      topicPrefix: 'crm',
      database,
      tables: ['public.users', 'public.payments'],
    });
    expect(config).toMatchObject({
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'plugin.name': 'pgoutput',
      'slot.name': 'crm_slot',
      'publication.name': 'crm_publication',
      'publication.autocreate.mode': 'filtered',
      'decimal.handling.mode': 'precise',
      'heartbeat.interval.ms': '10000',
      'signal.data.collection': 'public.debezium_signal',
      'table.include.list': 'public.users,public.payments,public.debezium_signal',
      'snapshot.mode': 'initial',
      'value.converter.schemas.enable': 'true',
      'database.port': '5432',
    });
    const plain = debeziumPostgresConnectorConfig({
      topicPrefix: 'tele-metry',
      database,
      tables: ['public.telemetry_events'],
      signalTable: null,
      schemas: false,
      decimalHandlingMode: 'string',
      extra: { 'snapshot.mode': 'no_data' },
    });
    expect(plain['slot.name']).toBe('tele_metry_slot');
    expect(plain['signal.data.collection']).toBeUndefined();
    expect(plain['table.include.list']).toBe('public.telemetry_events');
    expect(plain['snapshot.mode']).toBe('no_data');
    expect(plain['key.converter.schemas.enable']).toBe('false');
  });
});

describe('incremental snapshot signal', () => {
  it('builds the execute-snapshot INSERT with bound parameters', () => {
    const statement = incrementalSnapshotSignal({
      tables: ['public.users', 'public.payments'],
      id: 'resnap-1',
      filters: { 'public.payments': "payment_date >= '2024-01-01'" },
    });
    expect(statement.sql).toBe('INSERT INTO public.debezium_signal (id, type, data) VALUES ($1, $2, $3)');
    expect(statement.params.slice(0, 2)).toEqual(['resnap-1', 'execute-snapshot']);
    expect(JSON.parse(statement.params[2] as string)).toEqual({
      'data-collections': ['public.users', 'public.payments'],
      type: 'incremental',
      'additional-conditions': [
        { 'data-collection': 'public.payments', filter: "payment_date >= '2024-01-01'" },
      ],
    });
    expect(() => incrementalSnapshotSignal({ tables: ['users; drop table x'] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => incrementalSnapshotSignal({ tables: [] })).toThrow(/at least one/);
    expect(signalTableDdl()).toContain(
      'CREATE TABLE IF NOT EXISTS public.debezium_signal (id varchar(64) PRIMARY KEY',
    );
  });

  it('executes through a one-method executor and returns the signal id', async () => {
    const seen: unknown[][] = [];
    const id = await requestIncrementalSnapshot(
      { query: async (sql, params) => seen.push([sql, ...params]) },
      { tables: ['public.users'] },
    );
    expect(seen[0]?.[1]).toBe(id);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});
