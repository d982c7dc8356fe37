/**
 * The sink's fold without ClickHouse: rows are plain objects, the table is a map from key to its
 * newest version. The property holds the fold of a batch equal to a naive reference that writes
 * the changes one at a time in version order, as the sink does with batches of one change.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changeVersion } from './change-version.js';
import type { RowChange } from './decode-change.js';
import {
  type FoldRejection,
  type FoldRows,
  foldChanges,
  groupChanges,
  type PendingChange,
  type StoredVersion,
} from './sink-fold.js';

type Values = Record<string, unknown>;
/** A row as the test inserts it: its version, delete flag and column values. */
interface TestRow {
  readonly version: bigint;
  readonly deleted: boolean;
  readonly values: Values;
}
/** The target table: the newest version of each key (what a ReplacingMergeTree read with FINAL-less LIMIT 1 BY sees). */
type Table = Map<string, TestRow>;

const COLUMNS = ['a', 'b'] as const;

function change(
  op: RowChange['op'],
  id: number,
  position: { lsn?: number; ts_us?: number },
  values: Values = {},
  unavailable: readonly string[] = [],
): RowChange {
  const row = op === 'd' ? null : { id, ...values };
  return {
    kind: 'change',
    table: 'widgets',
    op,
    key: { id },
    before: op === 'd' ? { id } : null,
    after: row,
    row,
    unavailable,
    source: {
      lsn: position.lsn === undefined ? null : String(position.lsn),
      ts_us: position.ts_us ?? null,
      ts_ms: null,
    },
  } as unknown as RowChange;
}

const build: FoldRows<TestRow> = {
  rowOf: ({ event, version, keyValues }: PendingChange) => ({
    version,
    deleted: event.op === 'd',
    values: event.op === 'd' ? { id: keyValues[0] } : { ...event.row },
  }),
  fill(row, previous, columns) {
    for (const column of columns) row.values[column] = previous.values[column];
  },
};

/** What the sink reads for the keys that need it: the newest stored version, the row unless deleted. */
function storedVersions(
  table: Table,
  keys: readonly (readonly unknown[])[],
): Map<string, StoredVersion<TestRow>> {
  const found = new Map<string, StoredVersion<TestRow>>();
  for (const [id] of keys) {
    const stored = table.get(String(id));
    if (stored) found.set(String(id), { version: stored.version, row: stored.deleted ? undefined : stored });
  }
  return found;
}

/** An insert into a ReplacingMergeTree: the highest version wins, the last inserted among equals. */
function insert(table: Table, row: TestRow): void {
  const key = String(row.values['id']);
  const current = table.get(key);
  if (current === undefined || row.version >= current.version) table.set(key, row);
}

/** The sink on one batch: group, read what is needed, fold, insert. */
function writeBatch(table: Table, events: readonly RowChange[]): FoldRejection[] {
  const grouped = groupChanges(events, ['id']);
  const folded = foldChanges(grouped, storedVersions(table, grouped.needPrevious), build);
  for (const row of folded.rows) insert(table, row);
  return folded.rejected;
}

/** The naive reference: each change alone, in version order (stable), against the table as it is then. */
function applyOneByOne(table: Table, events: readonly RowChange[]): FoldRejection[] {
  const rejected: FoldRejection[] = [];
  const ordered: { event: RowChange; index: number; version: bigint }[] = [];
  events.forEach((event, index) => {
    const version = changeVersion(event);
    if (version === undefined) rejected.push({ event, code: 'no_position', reason: '' });
    else ordered.push({ event, index, version });
  });
  ordered.sort((x, y) => (x.version < y.version ? -1 : x.version > y.version ? 1 : x.index - y.index));
  for (const { event, version } of ordered) {
    const id = event.key?.['id'];
    const stored = table.get(String(id));
    const values: Values = event.op === 'd' ? { id } : { ...event.row };
    if (event.op !== 'd' && event.unavailable.length > 0) {
      const previous = stored && !stored.deleted ? stored : undefined;
      if (previous === undefined) {
        if (stored !== undefined && version < stored.version) continue;
        rejected.push({ event, code: 'toast_without_previous_row', reason: '' });
        continue;
      }
      for (const column of event.unavailable) values[column] = previous.values[column];
    }
    insert(table, { version, deleted: event.op === 'd', values });
  }
  return rejected;
}

function snapshot(table: Table): [string, string][] {
  return [...table.entries()]
    .map(([key, row]): [string, string] => [
      key,
      JSON.stringify({ version: String(row.version), deleted: row.deleted, values: row.values }),
    ])
    .sort(([a], [b]) => a.localeCompare(b));
}

function rejectionsOf(events: readonly RowChange[], rejected: readonly FoldRejection[]): [number, string][] {
  return rejected.map((r): [number, string] => [events.indexOf(r.event), r.code]).sort(([a], [b]) => a - b);
}

/**
 * A consistent source history: per step one key and what happens to it (insert when the row does
 * not exist; update, possibly with unchanged-TOAST columns, or delete when it does), LSN = step.
 */
const historyArbitrary = fc
  .array(
    fc.record({
      id: fc.integer({ min: 1, max: 3 }),
      remove: fc.boolean(),
      a: fc.integer({ min: 0, max: 99 }),
      b: fc.integer({ min: 0, max: 99 }),
      unavailable: fc.subarray([...COLUMNS]),
    }),
    { maxLength: 16 },
  )
  .map((steps) => {
    const live = new Set<number>();
    return steps.map(({ id, remove, a, b, unavailable }, i) => {
      const lsn = i + 1;
      if (!live.has(id)) {
        live.add(id);
        return change('c', id, { lsn }, { a, b });
      }
      if (remove && unavailable.length === 0) {
        live.delete(id);
        return change('d', id, { lsn });
      }
      const values: Values = { a, b };
      for (const column of unavailable) delete values[column];
      return change('u', id, { lsn }, values, unavailable);
    });
  });

/**
 * A delivery of a history: ClickHouse holds its first `stored` changes (written one by one); the
 * batch is the changes from `from` (a redelivery may start earlier) to `to`, shuffled, with some
 * delivered twice, and maybe one change without a position. (Snapshot reads are left out: their
 * version is below every streamed change by design, whatever time their values are from.)
 */
const deliveryArbitrary = historyArbitrary.chain((history) =>
  fc
    .tuple(fc.nat({ max: history.length }), fc.nat({ max: history.length }), fc.nat({ max: history.length }))
    .chain(([x, y, z]) => {
      const [from, stored, to] = [x, y, z].sort((p, q) => p - q) as [number, number, number];
      const window = history.slice(from, to);
      return fc.record({
        history: fc.constant(history),
        stored: fc.constant(stored),
        batch: fc
          .tuple(
            fc.shuffledSubarray(window, { minLength: window.length, maxLength: window.length }),
            fc.subarray(window),
            fc.option(fc.constant(change('u', 1, {}, { a: 1, b: 1 }))),
          )
          .map(([shuffled, twice, extra]) => [...shuffled, ...twice, ...(extra === null ? [] : [extra])]),
      });
    }),
);

describe('sink fold', () => {
  it('folding a batch leaves the table as writing its changes one at a time in version order does', () => {
    fc.assert(
      fc.property(deliveryArbitrary, ({ history, stored, batch }) => {
        const folded: Table = new Map();
        const reference: Table = new Map();
        applyOneByOne(folded, history.slice(0, stored));
        applyOneByOne(reference, history.slice(0, stored));
        const foldRejected = writeBatch(folded, batch);
        const referenceRejected = applyOneByOne(reference, batch);
        expect(snapshot(folded)).toEqual(snapshot(reference));
        expect(rejectionsOf(batch, foldRejected)).toEqual(rejectionsOf(batch, referenceRejected));
      }),
      { numRuns: 2000 },
    );
  });

  it('a batch of the whole history leaves the table holding the source rows', () => {
    fc.assert(
      fc.property(historyArbitrary, (history) => {
        const table: Table = new Map();
        expect(writeBatch(table, history)).toEqual([]);
        const source = new Map<string, Values>();
        for (const event of history) {
          const id = String(event.key?.['id']);
          if (event.op === 'd') source.delete(id);
          else source.set(id, { ...source.get(id), ...event.row });
        }
        const live = [...table].filter(([, row]) => !row.deleted);
        expect(new Map(live.map(([key, row]) => [key, row.values]))).toEqual(source);
      }),
    );
  });

  it('inserts at most one row per key', () => {
    fc.assert(
      fc.property(deliveryArbitrary, ({ batch: events }) => {
        const grouped = groupChanges(events, ['id']);
        const folded = foldChanges(grouped, new Map(), build);
        const keys = folded.rows.map((row) => String(row.values['id']));
        expect(new Set(keys).size).toBe(keys.length);
        expect(folded.rows.length + folded.rejected.length).toBeLessThanOrEqual(events.length);
      }),
    );
  });

  it('keeps the newest version of a key, whatever the order in the batch', () => {
    const events = [
      change('u', 1, { lsn: 30 }, { a: 3, b: 3 }),
      change('c', 1, { lsn: 10 }, { a: 1, b: 1 }),
      change('u', 1, { lsn: 20 }, { a: 2, b: 2 }),
    ];
    const folded = foldChanges(groupChanges(events, ['id']), new Map(), build);
    expect(folded.rows).toHaveLength(1);
    expect(folded.rows[0]!.values).toEqual({ id: 1, a: 3, b: 3 });
    expect(folded.origins).toEqual([events[0]]);
  });

  it('takes unchanged-TOAST columns from the change before it in the batch', () => {
    const events = [
      change('u', 1, { lsn: 20 }, { a: 2 }, ['b']),
      change('c', 1, { lsn: 10 }, { a: 1, b: 'long text' }),
    ];
    const grouped = groupChanges(events, ['id']);
    expect(grouped.needPrevious).toEqual([]);
    const folded = foldChanges(grouped, new Map(), build);
    expect(folded.rows[0]!.values).toEqual({ id: 1, a: 2, b: 'long text' });
  });

  it('takes unchanged-TOAST columns from the stored row when the batch has no earlier change', () => {
    const events = [change('u', 1, { lsn: 20 }, { a: 2 }, ['b'])];
    const grouped = groupChanges(events, ['id']);
    expect(grouped.needPrevious).toEqual([[1]]);
    const stored = new Map([
      ['1', { version: 5n, row: { version: 5n, deleted: false, values: { id: 1, a: 0, b: 'kept' } } }],
    ]);
    expect(foldChanges(grouped, stored, build).rows[0]!.values).toEqual({ id: 1, a: 2, b: 'kept' });
  });

  it('rejects a TOAST change after a delete, and one without any previous row', () => {
    const afterDelete = [change('d', 1, { lsn: 10 }), change('u', 1, { lsn: 20 }, { a: 2 }, ['b'])];
    const folded = foldChanges(groupChanges(afterDelete, ['id']), new Map(), build);
    expect(folded.rejected.map((r) => [r.event, r.code])).toEqual([
      [afterDelete[1], 'toast_without_previous_row'],
    ]);
    expect(folded.rows).toEqual([{ version: (1n << 63n) + 10n, deleted: true, values: { id: 1 } }]);
  });

  it('drops silently a replayed TOAST change older than the stored row it cannot read (it loses anyway)', () => {
    // Stored: a live row at LSN 30. Replayed: its delete at 10 and a TOAST update at 20, both older.
    // Writing them one by one, the update would fill from the stored row and lose to it; the fold must
    // not report it as lacking a previous row. (Before the fold was a module of its own, the sink read
    // the stored row only when a key's first change carried TOAST columns, and dead-lettered this one.)
    const events = [change('d', 1, { lsn: 10 }), change('u', 1, { lsn: 20 }, { a: 2 }, ['b'])];
    const grouped = groupChanges(events, ['id']);
    expect(grouped.needPrevious).toEqual([[1]]);
    const stored = change('u', 1, { lsn: 30 }, { a: 9, b: 9 });
    const table: Table = new Map();
    applyOneByOne(table, [stored]);
    expect(writeBatch(table, events)).toEqual([]);
    expect(snapshot(table)).toEqual([
      [
        '1',
        JSON.stringify({ version: String((1n << 63n) + 30n), deleted: false, values: { id: 1, a: 9, b: 9 } }),
      ],
    ]);
  });

  it('rejects changes without a position or a key', () => {
    const noLsn = change('u', 1, {}, { a: 1, b: 1 });
    const noKey = {
      ...change('u', 2, { lsn: 5 }, { a: 1, b: 1 }),
      key: null,
      row: { a: 1 },
      after: { a: 1 },
    } as RowChange;
    const grouped = groupChanges([noLsn, noKey], ['id']);
    expect(grouped.rejected.map((r) => [r.event, r.code])).toEqual([
      [noLsn, 'no_position'],
      [noKey, 'no_key'],
    ]);
    expect(grouped.byKey.size).toBe(0);
  });

  it('groups composite keys by every key column and reads inherited names as own properties', () => {
    const a = { ...change('c', 1, { lsn: 5 }), key: { constructor: 1, region: 'eu' } } as RowChange;
    const b = { ...change('c', 1, { lsn: 6 }), key: { constructor: 1, region: 'us' } } as RowChange;
    const missing = { ...change('c', 1, { lsn: 7 }), key: { region: 'eu' }, row: {}, after: {} } as RowChange;
    const grouped = groupChanges([a, b, missing], ['constructor', 'region']);
    expect([...grouped.byKey.keys()]).toEqual(['1\u0000eu', '1\u0000us']);
    expect(grouped.rejected.map((r) => r.code)).toEqual(['no_key']);
  });
});
