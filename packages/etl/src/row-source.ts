/**
 * Inputs of the KPI transforms: arrays, any iterable, or async iterables (a
 * database cursor, a file reader). Sync inputs take a loop without `await`.
 */
export type RowSource<T> = Iterable<T> | AsyncIterable<T>;

/** How the caller promises rows are ordered. */
export type InputOrder =
  /**
   * Sorted by the key the transform names (e.g. `(prosthetic_id,
   * event_timestamp, id)`): streamed with constant memory per entity; an
   * out-of-order row throws `UnsortedInputError`. Duplicated ids are
   * recognised when the copies are adjacent (same timestamp), which is what a
   * re-delivered row looks like.
   */
  | 'sorted'
  /** Any order: rows are deduplicated by id and grouped, O(n) memory, O(n log n) time. */
  | 'any';

export function isAsyncIterable<T>(source: RowSource<T>): source is AsyncIterable<T> {
  return typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] === 'function';
}

/** Reads a source fully into an array (used for small CRM tables). */
export async function collectRows<T>(source: RowSource<T>): Promise<T[]> {
  if (Array.isArray(source)) return source as T[];
  const out: T[] = [];
  if (isAsyncIterable(source)) {
    for await (const row of source) out.push(row);
  } else {
    for (const row of source) out.push(row);
  }
  return out;
}

/** Keeps the first row of every id; preserves input order. */
export function firstById<T extends { readonly id: number | string }>(rows: Iterable<T>): T[] {
  const seen = new Set<number | string>();
  const out: T[] = [];
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    out.push(row);
  }
  return out;
}
