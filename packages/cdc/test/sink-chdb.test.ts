/**
 * The sink against embedded ClickHouse: random interleavings of inserts,
 * updates (some with unchanged-TOAST columns) and deletes, plus an initial
 * snapshot, a change that streams with an LSN below the snapshot's, and an
 * incremental re-snapshot, delivered with in-batch reordering, duplicates,
 * failed commits and consumer restarts, must leave ClickHouse equal to the
 * source table, row for row.
 */
import { tables } from '@bionicpro/models';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DeadLetter,
  cdcTargetDdl,
  cdcTargetOf,
  createCdcPipeline,
  createClickHouseSink,
  currentRowsQuery,
  deadLettersToCallback,
} from '../src/index.js';
import { paymentEnvelope } from '../src/fixtures/debezium-examples.js';
import { createChdbClient } from './chdb-client.js';
import { MemoryLog } from './memory-log.js';

const client = createChdbClient();
afterAll(() => client.close());

interface SourceRow {
  id: number;
  user_id: number;
  amount_minor: number;
  status: 'success' | 'failed' | 'pending';
  description: string;
}

function encodeMinor(minor: number): string {
  let bytes = 1;
  while (minor < -(2 ** (8 * bytes - 1)) || minor >= 2 ** (8 * bytes - 1)) bytes++;
  const twos = BigInt.asUintN(8 * bytes, BigInt(minor));
  return Buffer.from(twos.toString(16).padStart(bytes * 2, '0'), 'hex').toString('base64');
}

function wireRow(row: SourceRow, descriptionUnavailable = false) {
  return {
    id: row.id,
    user_id: row.user_id,
    subscription_id: null,
    payment_date: 1705312800123456,
    amount: encodeMinor(row.amount_minor),
    payment_method: 'card',
    status: row.status,
    description: descriptionUnavailable ? '__debezium_unavailable_value' : row.description,
    created_at: '2024-01-15T10:00:00.123456Z',
  };
}

const keyOf = (id: number) =>
  JSON.stringify({ schema: { type: 'struct', fields: [{ type: 'int32', field: 'id' }] }, payload: { id } });

type Op =
  | { kind: 'insert'; id: number; amount: number; status: SourceRow['status']; description: string }
  | { kind: 'update'; id: number; amount: number; status: SourceRow['status']; description: string | null }
  | { kind: 'delete'; id: number }
  | { kind: 'resnapshot' };

const status = fc.constantFrom<SourceRow['status']>('success', 'failed', 'pending');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    id: fc.integer({ min: 1, max: 6 }),
    amount: fc.integer({ min: -99999, max: 99_999_999 }),
    status,
    description: fc.string({ maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('update' as const),
    id: fc.integer({ min: 1, max: 6 }),
    amount: fc.integer({ min: 0, max: 99_999_999 }),
    status,
    // null: the description was not touched and is TOASTed (placeholder).
    description: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('delete' as const), id: fc.integer({ min: 1, max: 6 }) }),
  fc.constant({ kind: 'resnapshot' as const }),
);

/** Plays the ops on a source table and writes what Debezium would publish into the log. */
function capture(initial: SourceRow[], ops: Op[], log: MemoryLog, lsnGap: number[]): Map<number, SourceRow> {
  const state = new Map<number, SourceRow>();
  const snapshotLsn = 5_000_000;
  let snapshotTime = 1_705_312_800_000_000;
  for (const row of initial) {
    state.set(row.id, row);
    log.append({
      key: keyOf(row.id),
      value: paymentEnvelope({
        op: 'r',
        after: wireRow(row),
        source: { snapshot: 'true', lsn: snapshotLsn, ts_us: snapshotTime },
      }),
    });
  }
  // A transaction that began before the snapshot commits afterwards with a lower LSN.
  let lsn = snapshotLsn - 1000;
  let step = 0;
  for (const op of ops) {
    lsn += 1 + (lsnGap[step++ % lsnGap.length] ?? 0);
    const source = { snapshot: 'false', lsn };
    if (op.kind === 'insert') {
      if (state.has(op.id)) continue;
      const row: SourceRow = {
        id: op.id,
        user_id: 7,
        amount_minor: op.amount,
        status: op.status,
        description: op.description,
      };
      state.set(op.id, row);
      log.append({ key: keyOf(op.id), value: paymentEnvelope({ op: 'c', after: wireRow(row), source }) });
    } else if (op.kind === 'update') {
      const old = state.get(op.id);
      if (!old) continue;
      const row: SourceRow = {
        ...old,
        amount_minor: op.amount,
        status: op.status,
        description: op.description ?? old.description,
      };
      state.set(op.id, row);
      log.append({
        key: keyOf(op.id),
        value: paymentEnvelope({ op: 'u', after: wireRow(row, op.description === null), source }),
      });
    } else if (op.kind === 'delete') {
      if (!state.has(op.id)) continue;
      state.delete(op.id);
      const before = {
        ...wireRow({ id: op.id, user_id: 0, amount_minor: 0, status: 'success', description: '' }),
        status: '',
      };
      log.append({ key: keyOf(op.id), value: paymentEnvelope({ op: 'd', before, source }) });
      log.append({ key: keyOf(op.id), value: null });
    } else {
      snapshotTime += 1_000_000;
      for (const row of state.values()) {
        log.append({
          key: keyOf(row.id),
          value: paymentEnvelope({
            op: 'r',
            after: wireRow(row),
            source: { snapshot: 'incremental', lsn: null, txId: null, ts_us: snapshotTime },
          }),
        });
      }
    }
  }
  return state;
}

function minorToText(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

let run = 0;

describe('ClickHouse sink on chDB', () => {
  beforeAll(async () => {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS cdc' });
  });

  it('ends equal to the source under duplicates, in-batch reordering, failed commits and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            id: fc.integer({ min: 1, max: 6 }),
            amount_minor: fc.integer({ min: 0, max: 1_000_000 }),
            status,
            description: fc.string({ maxLength: 6 }),
          }),
          { selector: (r) => r.id, maxLength: 4 },
        ),
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 4 }),
        fc.infiniteStream(fc.nat()),
        async (initialRows, ops, lsnGap, batchSizes, restartsBack, noise) => {
          run += 1;
          const tableName = `payments_${run}`;
          await client.command({ query: cdcTargetDdl(tables.payments, { database: 'cdc', tableName }) });
          const log = new MemoryLog('crm.public.payments');
          const initial = initialRows.map((r) => ({ ...r, user_id: 7 }));
          const expected = capture(initial, ops, log, lsnGap);
          const sink = createClickHouseSink({
            client,
            targets: [cdcTargetOf(tables.payments, { database: 'cdc', tableName })],
          });
          const letters: DeadLetter[] = [];
          const random = noise[Symbol.iterator]();
          const next = () => random.next().value as number;

          // Each consumer session processes a few batches, then "crashes"; the next session restarts from the
          // committed offset, or earlier (redelivery of already-applied messages).
          let session = 0;
          while (log.committed < BigInt(log.records.length)) {
            const back = BigInt(restartsBack[session % Math.max(1, restartsBack.length)] ?? 0);
            const from = log.committed - back < 0n ? 0n : log.committed - back;
            const consumer = log.consumer({
              from,
              shuffle: (n) => next() % n,
              duplicate: () => next() % 5 === 0,
              failCommit: () => next() % 7 === 0,
            });
            const pipeline = createCdcPipeline({
              consumer,
              sink,
              deadLetters: deadLettersToCallback((l) => void letters.push(...l)),
            });
            // Catch up past the committed offset (redelivery), then a few more batches before the next crash.
            const committedAtStart = log.committed;
            let extra = 1 + (session % 3);
            for (let b = 0; extra > 0; b++) {
              const size = batchSizes[(session + b) % batchSizes.length]!;
              const messages = await consumer.poll(size, 0);
              if (messages.length === 0) break;
              await pipeline.processBatch(messages);
              if (consumer.position > committedAtStart) extra -= 1;
            }
            session += 1;
            if (session > 1000) throw new Error('no progress');
          }

          expect(letters.map((l) => `${l.offset} ${l.code}: ${l.reason}`)).toEqual([]);
          const q = currentRowsQuery(`cdc.${tableName}`, { orderBy: ['id'] });
          const rows = (await (
            await client.query({
              ...q,
              format: 'JSONEachRow',
              clickhouse_settings: { output_format_decimal_trailing_zeros: 1 },
            })
          ).json()) as Record<string, unknown>[];
          const actual = rows.map((r) => ({
            id: r['id'],
            amount: r['amount'],
            status: r['status'],
            description: r['description'],
          }));
          const wanted = [...expected.values()]
            .sort((a, b) => a.id - b.id)
            .map((r) => ({
              id: r.id,
              amount: minorToText(r.amount_minor),
              status: r.status,
              description: r.description,
            }));
          expect(actual).toEqual(wanted);
          await client.command({ query: `DROP TABLE cdc.${tableName}` });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps the previous value of an unchanged TOAST column across batches and after merges', async () => {
    await client.command({ query: cdcTargetDdl(tables.payments, { database: 'cdc', tableName: 'toast' }) });
    const log = new MemoryLog('crm.public.payments');
    const row: SourceRow = {
      id: 1,
      user_id: 7,
      amount_minor: 100,
      status: 'pending',
      description: 'a long text',
    };
    log.append({
      key: keyOf(1),
      value: paymentEnvelope({ op: 'c', after: wireRow(row), source: { lsn: 10 } }),
    });
    log.append({
      key: keyOf(1),
      value: paymentEnvelope({
        op: 'u',
        after: wireRow({ ...row, status: 'success' }, true),
        source: { lsn: 20 },
      }),
    });
    const sink = createClickHouseSink({
      client,
      targets: [cdcTargetOf(tables.payments, { database: 'cdc', tableName: 'toast' })],
    });
    const consumer = log.consumer();
    const pipeline = createCdcPipeline({ consumer, sink, deadLetters: async () => {} });
    await pipeline.processBatch(await consumer.poll(1, 0));
    await client.command({ query: 'OPTIMIZE TABLE cdc.toast FINAL' });
    await pipeline.processBatch(await consumer.poll(1, 0));
    const q = currentRowsQuery('cdc.toast', { columns: ['status', 'description'] });
    expect(await (await client.query({ ...q, format: 'JSONEachRow' })).json()).toEqual([
      { status: 'success', description: 'a long text' },
    ]);
  });

  it('does not dead-letter a replayed TOAST update that is older than a delete ClickHouse already has', async () => {
    await client.command({ query: cdcTargetDdl(tables.payments, { database: 'cdc', tableName: 'replay' }) });
    const log = new MemoryLog('crm.public.payments');
    const row: SourceRow = { id: 2, user_id: 7, amount_minor: 100, status: 'pending', description: 'kept' };
    log.append({
      key: keyOf(2),
      value: paymentEnvelope({ op: 'c', after: wireRow(row), source: { lsn: 10 } }),
    });
    log.append({
      key: keyOf(2),
      value: paymentEnvelope({ op: 'u', after: wireRow(row, true), source: { lsn: 20 } }),
    });
    const before = { ...wireRow(row), status: '' };
    log.append({ key: keyOf(2), value: paymentEnvelope({ op: 'd', before, source: { lsn: 30 } }) });
    const letters: DeadLetter[] = [];
    const sink = createClickHouseSink({
      client,
      targets: [cdcTargetOf(tables.payments, { database: 'cdc', tableName: 'replay' })],
    });
    const consumer = log.consumer();
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: deadLettersToCallback((l) => void letters.push(...l)),
    });
    await pipeline.processBatch(await consumer.poll(10, 0));
    // A restart replays the update alone (its batch was not committed), after the delete was written.
    await pipeline.processBatch(await log.consumer({ from: 1n }).poll(1, 0));
    expect(letters).toEqual([]);
    const q = currentRowsQuery('cdc.replay', { columns: ['id'] });
    expect(await (await client.query({ ...q, format: 'JSONEachRow' })).json()).toEqual([]);
  });

  it('dead-letters a TOAST update with no previous row, and a message of a table without target, and goes on', async () => {
    await client.command({ query: cdcTargetDdl(tables.payments, { database: 'cdc', tableName: 'dlq' }) });
    const log = new MemoryLog('crm.public.payments');
    const row: SourceRow = { id: 3, user_id: 7, amount_minor: 100, status: 'pending', description: 'x' };
    log.append({
      key: keyOf(3),
      value: paymentEnvelope({ op: 'u', after: wireRow(row, true), source: { lsn: 10 } }),
    });
    log.append({
      key: '{"id":1}',
      value: '{"op":"c","after":{"id":1},"source":{"table":"unknown_table","lsn":1}}',
    });
    log.append({
      key: '{"id":4}',
      value: '{"op":"c","after":{"id":4,"amount":"x"},"source":{"table":"payments","lsn":2}}',
    });
    log.append({ key: '{"id":5}', value: '{broken' });
    log.append({
      key: keyOf(6),
      value: paymentEnvelope({ op: 'c', after: wireRow({ ...row, id: 6 }), source: { lsn: 30 } }),
    });
    const letters: DeadLetter[] = [];
    const sink = createClickHouseSink({
      client,
      targets: [cdcTargetOf(tables.payments, { database: 'cdc', tableName: 'dlq' })],
    });
    const consumer = log.consumer();
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: deadLettersToCallback((l) => void letters.push(...l)),
    });
    const stats = await pipeline.processBatch(await consumer.poll(10, 0));
    expect(stats).toMatchObject({ messages: 5, rows: 1, deadLetters: 4 });
    letters.sort((a, b) => Number(a.offset) - Number(b.offset));
    expect(letters.map((l) => [l.offset, l.code])).toEqual([
      ['0', 'toast_without_previous_row'],
      ['1', 'no_target'],
      ['2', 'decode_failed'],
      ['3', 'invalid_envelope'],
    ]);
    expect(new TextDecoder().decode(letters[3]!.value!)).toBe('{broken');
    expect(letters[2]!.reason).toMatch(/amount/);
    expect(letters.every((l) => l.topic === 'crm.public.payments' && l.partition === 0)).toBe(true);
    expect(log.committed).toBe(5n);
  });

  it('pauses and retries while ClickHouse refuses writes, then commits without losing a row', async () => {
    await client.command({ query: cdcTargetDdl(tables.payments, { database: 'cdc', tableName: 'outage' }) });
    const log = new MemoryLog('crm.public.payments');
    for (let id = 1; id <= 20; id++) {
      const row: SourceRow = {
        id,
        user_id: 7,
        amount_minor: id * 100,
        status: 'success',
        description: `d${id}`,
      };
      log.append({
        key: keyOf(id),
        value: paymentEnvelope({ op: 'c', after: wireRow(row), source: { lsn: 100 + id } }),
      });
    }
    let failures = 3;
    const flaky = {
      insert: async (params: Parameters<typeof client.insert>[0]) => {
        if (failures > 0) {
          failures -= 1;
          throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' });
        }
        return client.insert(params);
      },
      query: client.query.bind(client),
      command: client.command.bind(client),
    };
    const sink = createClickHouseSink({
      client: flaky as never,
      targets: [cdcTargetOf(tables.payments, { database: 'cdc', tableName: 'outage' })],
    });
    const consumer = log.consumer();
    const retries: number[] = [];
    let pausedDuringRetry = false;
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: async () => {},
      retry: { initialDelayMs: 5, maxDelayMs: 20 },
      batch: { maxMessages: 50, maxWaitMs: 50 },
      metrics: {
        onRetry: ({ attempt }) => {
          retries.push(attempt);
          pausedDuringRetry ||= consumer.paused;
          expect(log.committed).toBe(0n);
        },
        onBatch: () => pipeline.stop(),
      },
    });
    await pipeline.run();
    expect(retries).toEqual([1, 2, 3]);
    expect(pausedDuringRetry).toBe(true);
    expect(consumer.paused).toBe(false);
    expect(log.committed).toBe(20n);
    const q = currentRowsQuery('cdc.outage', { columns: ['id'], orderBy: ['id'] });
    expect(((await (await client.query({ ...q, format: 'JSONEachRow' })).json()) as unknown[]).length).toBe(
      20,
    );
  });

  it('applies a truncate to rows older than it, not to later inserts, and is idempotent', async () => {
    await client.command({ query: cdcTargetDdl(tables.payments, { database: 'cdc', tableName: 'trunc' }) });
    const log = new MemoryLog('crm.public.payments');
    const row: SourceRow = { id: 1, user_id: 7, amount_minor: 100, status: 'pending', description: 'x' };
    log.append({
      key: keyOf(1),
      value: paymentEnvelope({ op: 'c', after: wireRow(row), source: { lsn: 10 } }),
    });
    log.append({
      key: keyOf(2),
      value: paymentEnvelope({ op: 'c', after: wireRow({ ...row, id: 2 }), source: { lsn: 11 } }),
    });
    log.append({
      key: null,
      value: JSON.stringify({
        op: 't',
        before: null,
        after: null,
        source: { table: 'payments', lsn: 12 },
        ts_ms: 1,
      }),
    });
    log.append({
      key: keyOf(3),
      value: paymentEnvelope({ op: 'c', after: wireRow({ ...row, id: 3 }), source: { lsn: 13 } }),
    });
    const sink = createClickHouseSink({
      client,
      targets: [cdcTargetOf(tables.payments, { database: 'cdc', tableName: 'trunc' })],
    });
    for (const from of [0n, 0n]) {
      const consumer = log.consumer({ from });
      const pipeline = createCdcPipeline({ consumer, sink, deadLetters: async () => {} });
      await pipeline.processBatch(await consumer.poll(10, 0));
    }
    const q = currentRowsQuery('cdc.trunc', { columns: ['id'], orderBy: ['id'] });
    expect(await (await client.query({ ...q, format: 'JSONEachRow' })).json()).toEqual([{ id: 3 }]);
  });
});
