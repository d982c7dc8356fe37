/**
 * Every record captured from a real Debezium 3.4 connector (test/fixtures/debezium,
 * see its README for the workload) through the decoder, and the crm workload
 * through the sink into chDB.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tables } from '@bionicpro/models';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CdcEvent,
  type CdcMessage,
  cdcTargetDdl,
  cdcTargetOf,
  createCdcPipeline,
  createChangeDecoder,
  createClickHouseSink,
  currentRowsQuery,
  type DeadLetter,
  deadLettersToCallback,
  stringifyJsonLossless,
} from '../src/index.js';
import { createChdbClient } from './chdb-client.js';

const dir = fileURLToPath(new URL('./fixtures/debezium/', import.meta.url));
const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
const crmFiles = files.filter((f) => f.startsWith('crm-'));

interface Captured {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

function read(file: string): Captured[] {
  return readFileSync(`${dir}${file}`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Captured);
}

function decodeAll(file: string) {
  const decoder = createChangeDecoder();
  return read(file).map((record) => {
    try {
      return { record, event: decoder.decode(record) as CdcEvent, error: undefined };
    } catch (error) {
      return { record, event: undefined, error };
    }
  });
}

const modelTables = new Set(['users', 'subscriptions', 'payments', 'support_tickets']);

describe('captured Debezium records', () => {
  it('has the captured files', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of files) {
    it(`decodes every record of ${file}`, () => {
      const results = decodeAll(file);
      const failures = results.filter((r) => r.error !== undefined);
      expect(failures).toEqual([]);
      // A telemetry event's bigint id of 2^53 + 1 is kept exact (decimal text), neither refused nor rounded.
      if (file.startsWith('telemetry')) {
        const ids = results.flatMap((r) =>
          r.event?.kind === 'change' && r.event.row !== null ? [(r.event.row as { id?: unknown }).id] : [],
        );
        expect(ids).toContain('9007199254740993');
      }
      const kinds = new Set(
        results.map((r) => (r.event?.kind === 'change' ? `change:${r.event.op}` : r.event?.kind)),
      );
      for (const kind of ['heartbeat', 'change:c', 'change:u', 'change:d', 'change:r'])
        expect(kinds).toContain(kind);
      if (file.startsWith('crm-')) expect(kinds).toContain('message');
      if (!file.includes('unwrapped')) expect(kinds).toContain('tombstone');
      if (file.startsWith('crm-') && !file.includes('unwrapped')) expect(kinds).toContain('truncate');
    });
  }

  it('keeps ts_ns and source.ts_ns exact (beyond 2^53) in every change', () => {
    for (const file of files) {
      for (const { record, event } of decodeAll(file)) {
        if (event?.kind !== 'change' || event.unwrapped) continue;
        const digits = [...record.value!.matchAll(/"ts_ns":(\d+)/g)].map((m) => m[1]!);
        expect(event.source?.ts_ns).toBe(digits[0]);
        expect(event.ts_ns).toBe(digits[digits.length - 1]);
      }
    }
  });

  it('decodes the same rows from every connector configuration (schemas on/off, precise/string/double, unwrapped)', () => {
    const signature = (file: string) =>
      decodeAll(file)
        .map((r) => r.event)
        .filter(
          (e): e is Extract<CdcEvent, { kind: 'change' }> =>
            e?.kind === 'change' && modelTables.has(e.table) && e.op !== 'd',
        )
        .map((e) => stringifyJsonLossless([e.table, e.op, e.key, e.row, e.unavailable]))
        .sort();
    const reference = signature('crm-schemas-precise.jsonl');
    expect(reference.length).toBeGreaterThan(20);
    for (const file of crmFiles) expect(signature(file)).toEqual(reference);
    // Money is exact text in every mode, including decimal.handling.mode=double.
    expect(reference.join('\n')).toContain('"amount":"99999999.99"');
    expect(reference.join('\n')).toContain('"amount":"-5.50"');
  });

  it('decodes every logical type of type_samples as the captured database holds it', () => {
    const changes = decodeAll('crm-schemas-precise.jsonl')
      .map((r) => r.event)
      .filter(
        (e): e is Extract<CdcEvent, { kind: 'change' }> => e?.kind === 'change' && e.table === 'type_samples',
      );
    const first = changes.find((c) => c.op === 'r')!;
    expect(first.after).toEqual({
      id: 1,
      amount: '2999.00',
      ratio: '3.14159265358979323846',
      sample_uuid: 'a3c1e2f4-0000-4000-8000-000000000001',
      at_tz: '2024-01-15T09:30:00.123456Z',
      at_local: '2024-01-15T09:30:00.123456Z',
      at_ms: '2024-01-15T09:30:00.123Z',
      day: '2024-01-31',
      clock: '09:30:00.123456',
      clock_ms: '09:30:00.123',
      span: 'P429DT7H5M6.789000S',
      doc: { limits: { max_ma: 1500 }, firmware: '2.4.1' },
      notes: 'short note',
      big: '9007199254740993',
      flag: true,
      amplitude: 0.000123,
      tags: ['a', 'b'],
    });
    const edge = changes.find((c) => c.op === 'c' && c.after?.['id'] === 2)!;
    expect(edge.after).toMatchObject({
      ratio: '12345678901234567890.123456789',
      at_local: 'infinity',
      at_ms: '1970-01-01T00:00:00.001Z',
      day: '1969-12-31',
      span: '-P1D',
      big: '-9007199254740993',
      tags: [],
    });
    expect(String(edge.after?.['notes']).length).toBeGreaterThan(10_000);
    const toast = changes.filter((c) => c.unavailable.length > 0);
    expect(toast).toHaveLength(1);
    expect(toast[0]!.unavailable).toEqual(['notes']);
    expect(toast[0]!.after).not.toHaveProperty('notes');
    expect(changes.find((c) => c.after?.['id'] === 3)?.after?.['at_tz']).toBe('0001-01-01T00:00:00.000000Z');
  });

  it('marks the TOAST placeholder unavailable in every form, schemas or not', () => {
    for (const file of crmFiles) {
      const toast = decodeAll(file)
        .map((r) => r.event)
        .filter((e) => e?.kind === 'change' && e.unavailable.length > 0);
      expect(toast.map((e) => (e as { unavailable: readonly string[] }).unavailable)).toEqual([['notes']]);
    }
  });

  it('reads snapshot markers, incremental snapshots and primary-key updates', () => {
    const events = decodeAll('crm-schemas-precise.jsonl').map((r) => r.event!);
    const reads = events.filter((e) => e.kind === 'change' && e.op === 'r') as Extract<
      CdcEvent,
      { kind: 'change' }
    >[];
    const markers = new Set(reads.map((r) => r.source?.snapshot));
    expect(markers).toContain('incremental');
    expect([...markers].some((m) => m === 'first' || m === 'true' || m === 'last')).toBe(true);
    for (const r of reads.filter((r) => r.source?.snapshot === 'incremental')) {
      expect(r.source?.lsn).toBeNull();
      expect(r.source?.txId).toBeNull();
    }
    const users = events.filter((e) => e.kind !== 'heartbeat' && 'table' in e && e.table === 'users');
    const pkUpdate = users.findIndex((e) => e.kind === 'change' && e.op === 'd' && e.key?.['id'] === 3);
    expect(users[pkUpdate + 1]).toMatchObject({ kind: 'tombstone', key: { id: 3 } });
    expect(users[pkUpdate + 2]).toMatchObject({ kind: 'change', op: 'c', key: { id: 100 } });
    const unwrapped = decodeAll('crm-unwrapped-schemaless.jsonl').map((r) => r.event!);
    const deleted = unwrapped.filter((e) => e.kind === 'change' && e.op === 'd');
    expect(deleted.length).toBe(5);
    for (const d of deleted) expect(d).toMatchObject({ unwrapped: true, after: null });
  });
});

describe('captured crm workload through the sink', () => {
  const client = createChdbClient();
  afterAll(() => client.close());
  const sinkTables = [tables.users, tables.subscriptions, tables.payments, tables.support_tickets];

  it('leaves exactly the source tables final state in ClickHouse, for every connector configuration', async () => {
    const results: Record<string, unknown> = {};
    for (const [index, file] of crmFiles.entries()) {
      const database = `capture_${index}`;
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
      for (const table of sinkTables) await client.command({ query: cdcTargetDdl(table, { database }) });
      const sink = createClickHouseSink({
        client,
        targets: sinkTables.map((t) => cdcTargetOf(t, { database })),
        unknownTables: 'ignore',
      });
      const messages = read(file) as CdcMessage[];
      let committed: string | undefined;
      const letters: DeadLetter[] = [];
      const pipeline = createCdcPipeline({
        consumer: {
          poll: async () => [],
          commit: async (offsets) => {
            committed = offsets.map((o) => `${o.topic}:${o.offset}`).join(',');
          },
          pause: () => {},
          resume: () => {},
        },
        sink,
        deadLetters: deadLettersToCallback((l) => void letters.push(...l)),
      });
      // Delivered twice (a restart that replays everything), in batches of 7.
      for (const round of [0, 1]) {
        for (let i = 0; i < messages.length; i += 7) await pipeline.processBatch(messages.slice(i, i + 7));
        expect(round === 0 || committed !== undefined).toBe(true);
      }
      expect(letters.map((l) => l.reason)).toEqual([]);
      const state: Record<string, unknown> = {};
      for (const table of sinkTables) {
        const q = currentRowsQuery(`${database}.${table.name}`, { orderBy: ['id'] });
        state[table.name] = await (
          await client.query({
            ...q,
            format: 'JSONEachRow',
            clickhouse_settings: { output_format_decimal_trailing_zeros: 1 },
          })
        ).json();
      }
      results[file] = state;
    }
    const reference = results['crm-schemas-precise.jsonl'] as Record<string, Record<string, unknown>[]>;
    // README of the capture: users 1, 2 and 100 (3 renamed); payments 1, 5, 6 (2 deleted, 3 and 4 by
    // the cascade); subscription 1; support_tickets truncated.
    expect(reference['users']!.map((u) => u['id'])).toEqual([1, 2, 100]);
    expect(reference['payments']!.map((p) => [p['id'], p['amount']])).toEqual([
      [1, '2999.00'],
      [5, '99999999.99'],
      [6, '-5.50'],
    ]);
    expect(reference['subscriptions']!.map((s) => s['id'])).toEqual([1]);
    expect(reference['support_tickets']).toEqual([]);
    // Unwrapped rewrites drop the truncate (the SMT does), so support_tickets differs there only.
    for (const file of crmFiles) {
      const state = results[file] as Record<string, unknown>;
      expect({ ...state, support_tickets: undefined }).toEqual({ ...reference, support_tickets: undefined });
    }
  });
});
