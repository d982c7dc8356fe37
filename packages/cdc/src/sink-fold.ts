/**
 * The sink's folding of one table's batch, with no I/O: versions from the
 * source position, one pending change per primary key (all of them, in
 * version order, when a key repeats), and the fold of each key's changes into
 * the one row to insert — deletes, and unchanged-TOAST columns taken from the
 * previous version of the row (an earlier change of the batch, else the row
 * ClickHouse holds). See the package README, "The ClickHouse sink".
 *
 * Two steps, because only the second needs ClickHouse's rows:
 * {@link groupChanges} says which keys need their stored row, the sink reads
 * those, and {@link foldChanges} produces the rows. Folding a batch gives the
 * table the same content as writing its changes one at a time in version
 * order (property-tested in `sink-fold.test.ts`).
 */
import { changeVersion } from './change-version.js';
import type { RowChange } from './decode-change.js';

/** A change with its version and the values of its key columns. */
export interface PendingChange {
  readonly event: RowChange;
  readonly version: bigint;
  readonly keyValues: readonly unknown[];
}

/** A change the fold refused (the sink dead-letters it). */
export interface FoldRejection {
  readonly event: RowChange;
  readonly code: 'no_position' | 'no_key' | 'toast_without_previous_row';
  readonly reason: string;
}

/** One table's changes by key, after {@link groupChanges}. */
export interface GroupedChanges {
  /** One change per key, or every change of a key that repeats (sorted by version; equal versions keep batch order). */
  readonly byKey: ReadonlyMap<string, PendingChange | readonly PendingChange[]>;
  /** Whether some key has more than one change. */
  readonly repeated: boolean;
  /** Key values whose stored row the fold needs: a change with unchanged-TOAST columns and no row before it in the batch. */
  readonly needPrevious: readonly (readonly unknown[])[];
  readonly rejected: readonly FoldRejection[];
}

/** The row ClickHouse holds for a key: its version, and the row unless it is a delete. */
export interface StoredVersion<R> {
  readonly version: bigint;
  /** Undefined when the newest stored version is a delete. */
  readonly row: R | undefined;
}

/** How the fold builds rows of type `R` (the sink's insert rows; plain objects in tests). */
export interface FoldRows<R> {
  /** The row to insert for a change (for a delete: the key and the delete flag). */
  rowOf(change: PendingChange): R;
  /** Sets `columns` of `row` from the previous version `previous`. */
  fill(row: R, previous: R, columns: readonly string[]): void;
}

/** What {@link foldChanges} produced. */
export interface FoldedRows<R> {
  /** One row per key that has something to write. */
  readonly rows: R[];
  /** The change each row came from, index for index. */
  readonly origins: RowChange[];
  readonly rejected: FoldRejection[];
}

/** Whether a column name is also an `Object.prototype` member (`constructor`, `toString`, `__proto__`, ...). */
export function isInheritedName(column: string): boolean {
  return column in Object.prototype;
}

/** Column `column` of a decoded row: its own property only (a missing `constructor` is not `Object`). */
export function ownValue(row: Readonly<Record<string, unknown>> | null | undefined, column: string): unknown {
  return row != null && Object.hasOwn(row, column) ? row[column] : undefined;
}

/** The text a key is grouped by (and looked up by among the stored rows). */
export function keyText(values: readonly unknown[]): string {
  return values.length === 1 ? String(values[0]) : values.map((v) => String(v)).join('\u0000');
}

function compareVersions(a: PendingChange, b: PendingChange): number {
  return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
}

function hasUnavailable(event: RowChange): boolean {
  return event.op !== 'd' && event.unavailable.length > 0;
}

/** The key values of a change, from `key`, then the row, `before`, `after`; undefined when one is missing. */
function keyValuesOf(
  event: RowChange,
  keyColumns: readonly string[],
  keyInherited: readonly boolean[],
): unknown[] | undefined {
  const keyValues: unknown[] = new Array(keyColumns.length);
  let complete = true;
  for (let j = 0; j < keyColumns.length; j++) {
    const column = keyColumns[j]!;
    const value = keyInherited[j]
      ? (ownValue(event.key, column) ??
        ownValue(event.row, column) ??
        ownValue(event.before, column) ??
        ownValue(event.after, column))
      : (event.key?.[column] ?? event.row?.[column] ?? event.before?.[column] ?? event.after?.[column]);
    if (value === undefined || value === null) complete = false;
    keyValues[j] = value;
  }
  return complete ? keyValues : undefined;
}

/**
 * Groups one table's changes by primary key, with their versions; rejects changes without a
 * source position (`no_position`) or a key value (`no_key`).
 *
 * @internal
 */
export function groupChanges(events: readonly RowChange[], keyColumns: readonly string[]): GroupedChanges {
  const keyInherited = keyColumns.map(isInheritedName);
  const byKey = new Map<string, PendingChange | PendingChange[]>();
  const rejected: FoldRejection[] = [];
  let repeated = false;
  for (const event of events) {
    const version = changeVersion(event);
    if (version === undefined) {
      rejected.push({
        event,
        code: 'no_position',
        reason: `${event.op} change of ${event.table} has no source LSN; with ExtractNewRecordState add.fields must include lsn`,
      });
      continue;
    }
    const keyValues = keyValuesOf(event, keyColumns, keyInherited);
    if (keyValues === undefined) {
      rejected.push({
        event,
        code: 'no_key',
        reason: `no value for key column(s) ${keyColumns.join(', ')} of ${event.table}`,
      });
      continue;
    }
    const item: PendingChange = { event, version, keyValues };
    const key = keyValues.length === 1 ? String(keyValues[0]) : keyText(keyValues);
    const existing = byKey.get(key);
    if (existing === undefined) byKey.set(key, item);
    else if (Array.isArray(existing)) existing.push(item);
    else {
      byKey.set(key, [existing, item]);
      repeated = true;
    }
  }
  const needPrevious: (readonly unknown[])[] = [];
  for (const entry of byKey.values()) {
    if (!Array.isArray(entry)) {
      if (hasUnavailable(entry.event)) needPrevious.push(entry.keyValues);
    } else if (needsStoredRow(entry.sort(compareVersions))) needPrevious.push(entry[0]!.keyValues);
  }
  return { byKey, repeated, needPrevious, rejected };
}

/**
 * Whether the fold of one key's changes (in version order) reads the stored row: a change with
 * unchanged-TOAST columns that no earlier row of the batch precedes (it is first, or follows a
 * delete) fills them from the stored row, or is judged by the stored version (a replay older than
 * it is dropped, not rejected).
 */
function needsStoredRow(list: readonly PendingChange[]): boolean {
  let rowBefore = false;
  for (const item of list) {
    if (item.event.op === 'd') rowBefore = false;
    else if (item.event.unavailable.length === 0) rowBefore = true;
    else if (!rowBefore) return true;
  }
  return false;
}

/** The fold of one key's changes (in version order) over its stored version. */
function foldKey<R>(
  list: readonly PendingChange[],
  stored: StoredVersion<R> | undefined,
  build: FoldRows<R>,
  rejected: FoldRejection[],
): { row: R; event: RowChange } | undefined {
  let state = stored?.row;
  const storedVersion = stored === undefined ? -1n : stored.version;
  let latest: { row: R; event: RowChange } | undefined;
  for (const item of list) {
    const row = build.rowOf(item);
    if (hasUnavailable(item.event)) {
      if (state === undefined) {
        // A replay of an update older than what ClickHouse holds (e.g. older than its delete)
        // loses to it anyway: nothing to write, nothing to report.
        if (item.version < storedVersion) continue;
        rejected.push({
          event: item.event,
          code: 'toast_without_previous_row',
          reason: `columns ${item.event.unavailable.join(', ')} of ${item.event.table} arrived as the unchanged-TOAST placeholder and no previous row exists to take them from; request a snapshot of the table or set REPLICA IDENTITY FULL`,
        });
        continue;
      }
      build.fill(row, state, item.event.unavailable);
    }
    state = item.event.op === 'd' ? undefined : row;
    latest = { row, event: item.event };
  }
  return latest;
}

/**
 * Folds each key's changes into the one row to insert: the newest version, its unchanged-TOAST
 * columns taken from the version before it (in the batch, else `previous`, the rows ClickHouse
 * holds by {@link keyText}); a TOAST change with no previous row is rejected
 * (`toast_without_previous_row`) unless it is older than the stored version.
 *
 * @internal
 */
export function foldChanges<R>(
  grouped: GroupedChanges,
  previous: ReadonlyMap<string, StoredVersion<R>>,
  build: FoldRows<R>,
): FoldedRows<R> {
  const rows: R[] = [];
  const origins: RowChange[] = [];
  const rejected = [...grouped.rejected];
  if (!grouped.repeated && grouped.needPrevious.length === 0) {
    // The common case: one change per key, no unchanged-TOAST column.
    for (const entry of grouped.byKey.values()) {
      const item = entry as PendingChange;
      rows.push(build.rowOf(item));
      origins.push(item.event);
    }
    return { rows, origins, rejected };
  }
  for (const [key, entry] of grouped.byKey) {
    const list = Array.isArray(entry) ? (entry as readonly PendingChange[]) : [entry as PendingChange];
    const latest = foldKey(list, previous.get(key), build, rejected);
    if (latest) {
      rows.push(latest.row);
      origins.push(latest.event);
    }
  }
  return { rows, origins, rejected };
}
