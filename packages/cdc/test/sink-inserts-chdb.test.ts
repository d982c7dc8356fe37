/**
 * How the sink's inserts reach embedded ClickHouse (chDB): timestamps written
 * with and without `date_time_input_format=best_effort` land on the same
 * instants, a table batch split into several INSERT statements (two in flight)
 * still dead-letters exactly the rows ClickHouse refuses, and an outage in the
 * middle of such a batch throws (nothing left unhandled) and a retry converges.
 */
import { tables } from '@bionicpro/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClickHouseLike,
  type RowChange,
  cdcTargetDdl,
  cdcTargetOf,
  createChangeDecoder,
  createClickHouseSink,
  currentRowsQuery,
} from '../src/index.js';
import { paymentEnvelope } from '../src/fixtures/debezium-examples.js';
import { createChdbClient } from './chdb-client.js';

const client = createChdbClient();
afterAll(() => client.close());

function encodeMinor(minor: number): string {
  let bytes = 1;
  while (minor < -(2 ** (8 * bytes - 1)) || minor >= 2 ** (8 * bytes - 1)) bytes++;
  const twos = BigInt.asUintN(8 * bytes, BigInt(minor));
  return Buffer.from(twos.toString(16).padStart(bytes * 2, '0'), 'hex').toString('base64');
}

const keyOf = (id: number) =>
  JSON.stringify({ schema: { type: 'struct', fields: [{ type: 'int32', field: 'id' }] }, payload: { id } });

/** A payment change as the decoder returns it (validated by the model unless `validate: false`). */
function paymentChanges(
  rows: { id: number; description: string; paymentDateUs: number; createdAt: string }[],
  options: { validate?: boolean } = {},
): RowChange[] {
  const decoder = createChangeDecoder({ validate: options.validate ?? true });
  return rows.map((row, i) => {
    const event = decoder.decode({
      topic: 'crm.public.payments',
      partition: 0,
      offset: String(i),
      key: keyOf(row.id),
      value: paymentEnvelope({
        op: 'c',
        after: {
          id: row.id,
          user_id: 7,
          subscription_id: null,
          payment_date: row.paymentDateUs,
          amount: encodeMinor(row.id * 100),
          payment_method: 'card',
          status: 'success',
          description: row.description,
          created_at: row.createdAt,
        },
        source: { lsn: 1000 + row.id },
      }),
    });
    if (event.kind !== 'change') throw new Error(`expected a change, got ${event.kind}`);
    return event;
  });
}

/**
 * A client that records the settings of every insert and can fail chosen insert calls
 * (after `failAfterMs[call]` milliseconds, like a request that times out).
 */
function spyClient(failCalls: readonly number[] = [], failAfterMs: Record<number, number> = {}) {
  const settings: (Record<string, unknown> | undefined)[] = [];
  let calls = 0;
  const spy: ClickHouseLike = {
    insert: async (params) => {
      calls += 1;
      settings.push(params.clickhouse_settings);
      if (failCalls.includes(calls)) {
        const call = calls;
        await new Promise((resolve) => setTimeout(resolve, failAfterMs[call] ?? 0));
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
      }
      return client.insert(params as Parameters<typeof client.insert>[0]);
    },
    query: (params) => client.query(params),
    command: (params) => client.command(params),
  };
  return { spy, settings, calls: () => calls };
}

async function rowsOf(table: string, columns: string[]): Promise<Record<string, unknown>[]> {
  const q = currentRowsQuery(table, { columns, orderBy: ['id'] });
  return (await (await client.query({ ...q, format: 'JSONEachRow' })).json()) as Record<string, unknown>[];
}

describe('ClickHouse sink inserts on chDB', () => {
  beforeAll(async () => {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS cdc_inserts' });
  });

  it('writes model Dates without best_effort and ISO text with it, to the same instants', async () => {
    const source = [
      { id: 1, description: 'a', paymentDateUs: 1705312800123000, createdAt: '2024-01-15T10:00:00.123Z' },
      { id: 2, description: 'b', paymentDateUs: 0, createdAt: '1999-12-31T23:59:59.999Z' },
      { id: 3, description: 'c', paymentDateUs: -631152000000000, createdAt: '2099-06-30T00:00:00.001Z' },
    ];
    const plain = spyClient();
    const iso = spyClient();
    for (const name of ['ts_model', 'ts_iso']) {
      await client.command({
        query: cdcTargetDdl(tables.payments, { database: 'cdc_inserts', tableName: name }),
      });
    }
    const model = createClickHouseSink({
      client: plain.spy,
      targets: [cdcTargetOf(tables.payments, { database: 'cdc_inserts', tableName: 'ts_model' })],
    });
    const unvalidated = createClickHouseSink({
      client: iso.spy,
      targets: [cdcTargetOf(tables.payments, { database: 'cdc_inserts', tableName: 'ts_iso' })],
    });
    expect(await model.write(paymentChanges(source))).toEqual({ rows: 3, rejected: [] });
    expect(await unvalidated.write(paymentChanges(source, { validate: false }))).toEqual({
      rows: 3,
      rejected: [],
    });
    // Model rows carry Dates of DateTime64(3, 'UTC') columns: no setting (no `SET …;` in front of the INSERT).
    expect(plain.settings).toEqual([undefined]);
    // Unvalidated rows carry ISO text: best_effort as before.
    expect(iso.settings).toEqual([{ date_time_input_format: 'best_effort' }]);
    const expected = [
      { id: 1, payment_date: '2024-01-15 10:00:00.123', created_at: '2024-01-15 10:00:00.123' },
      { id: 2, payment_date: '1970-01-01 00:00:00.000', created_at: '1999-12-31 23:59:59.999' },
      { id: 3, payment_date: '1950-01-01 00:00:00.000', created_at: '2099-06-30 00:00:00.001' },
    ];
    const columns = ['id', 'payment_date', 'created_at'];
    expect(await rowsOf('cdc_inserts.ts_model', columns)).toEqual(expected);
    expect(await rowsOf('cdc_inserts.ts_iso', columns)).toEqual(expected);
  });

  it('dead-letters exactly the rows ClickHouse refuses when a batch is split into several inserts', async () => {
    // A target whose description column is an Int32: ClickHouse itself refuses non-numeric text.
    const ddl = cdcTargetDdl(tables.payments, { database: 'cdc_inserts', tableName: 'poison' }).replace(
      /\n {2}description [^,\n]+,/,
      '\n  description Int32,',
    );
    expect(ddl).toContain('description Int32,');
    await client.command({ query: ddl });
    const bad = new Set([3, 8, 9]);
    const source = Array.from({ length: 10 }, (_, i) => ({
      id: i + 1,
      description: bad.has(i + 1) ? `not a number ${i + 1}` : String((i + 1) * 11),
      paymentDateUs: 1705312800123000,
      createdAt: '2024-01-15T10:00:00.123Z',
    }));
    const { spy, calls } = spyClient();
    const sink = createClickHouseSink({
      client: spy,
      targets: [cdcTargetOf(tables.payments, { database: 'cdc_inserts', tableName: 'poison' })],
      maxInsertRows: 4,
    });
    const changes = paymentChanges(source);
    const result = await sink.write(changes);
    expect(result.rows).toBe(7);
    expect(result.rejected.map((r) => r.code)).toEqual([
      'clickhouse_rejected_row',
      'clickhouse_rejected_row',
      'clickhouse_rejected_row',
    ]);
    expect(result.rejected.map((r) => (r.event as RowChange).key?.['id']).sort()).toEqual([3, 8, 9]);
    // The rejected events are the very objects given to write (the pipeline maps them back to messages).
    for (const rejection of result.rejected) expect(changes).toContain(rejection.event);
    expect(calls()).toBeGreaterThan(3); // three chunks, then bisection inside the failing ones
    expect(await rowsOf('cdc_inserts.poison', ['id', 'description'])).toEqual(
      source.filter((r) => !bad.has(r.id)).map((r) => ({ id: r.id, description: r.id * 11 })),
    );
  });

  it('throws when an insert of a split batch fails, leaves nothing unhandled, and converges on retry', async () => {
    await client.command({
      query: cdcTargetDdl(tables.payments, { database: 'cdc_inserts', tableName: 'outage' }),
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const source = Array.from({ length: 10 }, (_, i) => ({
        id: i + 1,
        description: `d${i + 1}`,
        paymentDateUs: 1705312800123000 + i * 1000,
        createdAt: '2024-01-15T10:00:00.123Z',
      }));
      // Four chunks of 3, 3, 3, 1 rows; the second insert call fails slowly, the third one at once
      // (while the second is still awaited: its rejection must not go unhandled).
      const { spy, calls } = spyClient([2, 3], { 2: 50 });
      const sink = createClickHouseSink({
        client: spy,
        targets: [cdcTargetOf(tables.payments, { database: 'cdc_inserts', tableName: 'outage' })],
        maxInsertRows: 3,
      });
      const changes = paymentChanges(source);
      await expect(sink.write(changes)).rejects.toMatchObject({
        name: 'SinkError',
        code: 'sink_write_failed',
      });
      // The failure stopped the batch: no chunk after the failing pair was started.
      expect(calls()).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      // The caller retries the same batch: every row exactly once, the first attempt's rows collapsed.
      expect(await sink.write(changes)).toEqual({ rows: 10, rejected: [] });
      expect(await rowsOf('cdc_inserts.outage', ['id', 'description'])).toEqual(
        source.map((r) => ({ id: r.id, description: r.description })),
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('64-bit ids through the sink', () => {
  it('stores bigint ids above 2^53 exactly and orders their versions by the exact LSN', async () => {
    const database = `cdc_int64_${Date.now()}`;
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    await client.command({ query: cdcTargetDdl(tables.telemetry_events, { database }) });
    const sink = createClickHouseSink({
      client,
      targets: [cdcTargetOf(tables.telemetry_events, { database })],
    });
    const decoder = createChangeDecoder();
    const event = (id: string, lsn: string, amplitude: number) => {
      const value = `{"before":null,"after":{"id":${id},"event_uuid":"0b4f6a52-1c8e-4a0e-9c1a-7d7c2e1f3a1${id.slice(-1)}","user_id":7,"prosthetic_id":3,"prosthesis_type":"arm","muscle_group":"biceps","signal_frequency":50,"signal_duration":120,"signal_amplitude":${amplitude},"event_timestamp":"2024-01-15T10:00:00.123456Z","saved_ts":"2024-01-15T10:00:01.000000Z"},"source":{"table":"telemetry_events","lsn":${lsn}},"op":"u"}`;
      const decoded = decoder.decode({
        topic: 'telemetry.public.telemetry_events',
        key: `{"id":${id}}`,
        value,
      });
      if (decoded.kind !== 'change') throw new Error(decoded.kind);
      return decoded;
    };
    // Two ids that JSON.parse would both read as 2^53, and two LSNs likewise: newer first.
    const result = await sink.write([
      event('9007199254740993', '9007199254740993', 2.5),
      event('9007199254740993', '9007199254740992', 1.5),
      event('9007199254740992', '9007199254740992', 0.5),
    ]);
    expect(result.rejected).toEqual([]);
    const q = currentRowsQuery(`${database}.telemetry_events`, {
      columns: ['id', 'signal_amplitude', '_version'],
      orderBy: ['id'],
    });
    // ClickHouse's JSON output quotes 64-bit integers: the exact digits.
    const rows = await (
      await client.query({
        ...q,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
      })
    ).json();
    expect(rows).toEqual([
      { id: '9007199254740992', signal_amplitude: 0.5, _version: (2n ** 63n + 9007199254740992n).toString() },
      { id: '9007199254740993', signal_amplitude: 2.5, _version: (2n ** 63n + 9007199254740993n).toString() },
    ]);
  });
});
