import { describe, expect, it } from 'vitest';
import { BatchWriter, type ClickHouseLike, JsonEachRowBuffer, readMonth } from './clickhouse-load.js';
import { type InsertBodyParams, monthPeriod } from '@bionicpro/models';

const lines = (buffer: JsonEachRowBuffer) =>
  buffer
    .bytes()
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('JsonEachRowBuffer', () => {
  it('writes one JSON object per line with the extra columns, instants as ISO-8601', () => {
    const buffer = new JsonEachRowBuffer({ _version: 17, _is_deleted: 0 });
    buffer.add({ id: 1, at: new Date('2026-09-01T00:00:00.007Z'), note: null, amount: '12.30' });
    buffer.add({ id: 2, at: new Date('2026-09-30T23:59:59.999Z'), note: 'tab\there "q" мышь', ok: true });
    expect(buffer.rows).toBe(2);
    expect(buffer.bytes().toString('utf8').endsWith('}\n')).toBe(true);
    expect(lines(buffer)).toEqual([
      { id: 1, at: '2026-09-01T00:00:00.007Z', note: null, amount: '12.30', _version: 17, _is_deleted: 0 },
      {
        id: 2,
        at: '2026-09-30T23:59:59.999Z',
        note: 'tab\there "q" мышь',
        ok: true,
        _version: 17,
        _is_deleted: 0,
      },
    ]);
  });

  it('grows past its initial size, is reused after clear, and writes bigints as text', () => {
    const buffer = new JsonEachRowBuffer(undefined, 16);
    for (let i = 0; i < 1000; i += 1) buffer.add({ id: i, text: 'x'.repeat(i % 50) });
    expect(lines(buffer)).toHaveLength(1000);
    expect(lines(buffer)[999]).toEqual({ id: 999, text: 'x'.repeat(999 % 50) });
    buffer.clear();
    expect(buffer.length).toBe(0);
    buffer.add({ id: 9007199254740993n });
    buffer.add({});
    expect(lines(buffer)).toEqual([{ id: '9007199254740993' }, {}]);
    buffer.release();
    expect(buffer.bytes().length).toBe(0);
    buffer.add({ id: 3 });
    expect(lines(buffer)).toEqual([{ id: 3 }]);
  });
});

describe('BatchWriter', () => {
  /** A client that records each INSERT's TabSeparated lines; `gate` holds INSERTs open until released. */
  const fake = (withBody: boolean, gate?: { hold: boolean; waiting: (() => void)[] }) => {
    const calls: { kind: string; table: string; columns: readonly string[]; lines: string[] }[] = [];
    const settle = () =>
      gate?.hold ? new Promise<void>((resolve) => gate.waiting.push(resolve)) : Promise.resolve();
    const record = (kind: string, table: string, columns: readonly string[] | undefined, text: string) =>
      calls.push({
        kind,
        table,
        columns: columns ?? [],
        lines: text.split('\n').filter((l) => l.length > 0),
      });
    const client = {
      command: async () => ({}),
      query: async () => ({}),
      insert: async (p: {
        table: string;
        values: AsyncIterable<Buffer>;
        format: string;
        columns: string[];
      }) => {
        expect(p.format).toBe('TabSeparated');
        const chunks: Buffer[] = [];
        for await (const chunk of p.values) chunks.push(Buffer.from(chunk));
        record('insert', p.table, p.columns, Buffer.concat(chunks).toString('utf8'));
        await settle();
        return {};
      },
      ...(withBody
        ? {
            insertBody: async (p: InsertBodyParams) => {
              expect(p.format).toBe('TabSeparated');
              record('body', p.table, p.columns, Buffer.from(p.body).toString('utf8'));
              await settle();
            },
          }
        : {}),
    } as unknown as ClickHouseLike;
    return { client, calls };
  };

  for (const withBody of [true, false]) {
    it(`inserts full batches and the rest on close as TabSeparated with the column list (${withBody ? 'insertBody' : 'insert'})`, async () => {
      const { client, calls } = fake(withBody);
      const written: number[] = [];
      const writer = new BatchWriter(client, 'raw.t', {
        batchSize: 3,
        extra: { _version: 5, _is_deleted: 0 },
        onBatch: (n) => written.push(n),
      });
      for (let id = 1; id <= 7; id += 1) {
        if (writer.add({ id, at: new Date(Date.UTC(2026, 8, 1, 0, 0, 0, id)) })) await writer.flush();
      }
      await writer.close();
      await writer.flush();
      expect(written).toEqual([3, 6, 7]);
      expect(writer.written).toBe(7);
      expect(calls.map((c) => [c.kind, c.table, c.lines.length])).toEqual([
        [withBody ? 'body' : 'insert', 'raw.t', 3],
        [withBody ? 'body' : 'insert', 'raw.t', 3],
        [withBody ? 'body' : 'insert', 'raw.t', 1],
      ]);
      expect(calls[2]!.columns).toEqual(['id', 'at', '_version', '_is_deleted']);
      expect(calls[2]!.lines).toEqual(['7\t2026-09-01 00:00:00.007\t5\t0']);
      expect(writer.timings.inserts).toBe(3);
    });
  }

  it('encodes the next batch while one INSERT runs, and waits when a second would queue (bounded to one in flight)', async () => {
    const gate = { hold: true, waiting: [] as (() => void)[] };
    const { client, calls } = fake(true, gate);
    const writer = new BatchWriter(client, 'raw.t', { batchSize: 2, columns: ['id'] });
    writer.add({ id: 1 });
    expect(writer.add({ id: 2 })).toBe(true);
    await writer.flush(); // starts INSERT 1 and returns while it runs
    expect(calls).toHaveLength(1);
    expect(writer.written).toBe(0);
    writer.add({ id: 3 });
    expect(writer.add({ id: 4 })).toBe(true);
    let second = false;
    const flushing = writer.flush().then(() => {
      second = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBe(false); // back-pressure: INSERT 1 still running
    expect(calls).toHaveLength(1);
    gate.hold = false;
    gate.waiting.shift()!();
    await flushing;
    expect(calls.map((c) => c.lines)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    await writer.close();
    expect(writer.written).toBe(4);
  });

  it('fails the next flush or close with the INSERT error, and writes nothing after it', async () => {
    let attempt = 0;
    const client = {
      command: async () => ({}),
      query: async () => ({}),
      insert: async () => ({}),
      insertBody: async () => {
        attempt += 1;
        throw Object.assign(new Error('Code: 27. Cannot parse input'), { code: '27' });
      },
    } as unknown as ClickHouseLike;
    const writer = new BatchWriter(client, 'raw.t', {
      batchSize: 1,
      columns: ['id'],
      retry: { attempts: 1 },
    });
    writer.add({ id: 1 });
    await writer.flush();
    writer.add({ id: 2 });
    await expect(writer.flush()).rejects.toThrow(/load of raw\.t for all failed: Code: 27/);
    await expect(writer.close()).rejects.toThrow(/Code: 27/);
    expect(attempt).toBe(1);
    expect(writer.written).toBe(0);
  });
});

describe('readMonth', () => {
  it('prints money as two-decimal text, as every other output path does', async () => {
    let sql = '';
    const client = {
      command: async () => ({}),
      insert: async () => ({}),
      // ClickHouse's JSON output of Decimal(18, 2): no trailing zeros.
      query: async (p: { query: string }) => {
        sql = p.query;
        return {
          json: async () => [
            {
              user_id: 1,
              total_payments: '8997.3',
              successful_payments: '2999',
              arr: '0',
              failed_payments_count: 3,
            },
            {
              user_id: 2,
              total_payments: '-12.05',
              successful_payments: '0.1',
              arr: null,
              failed_payments_count: 0,
            },
          ],
        };
      },
    } as unknown as ClickHouseLike;
    const rows = await readMonth(client, 'report_user_monthly_metrics', monthPeriod('2024-01'), 'reports');
    expect(sql).toContain('reports.report_user_monthly_metrics');
    expect(rows).toEqual([
      {
        user_id: 1,
        total_payments: '8997.30',
        successful_payments: '2999.00',
        arr: '0.00',
        failed_payments_count: 3,
      },
      {
        user_id: 2,
        total_payments: '-12.05',
        successful_payments: '0.10',
        arr: null,
        failed_payments_count: 0,
      },
    ]);
  });
});
