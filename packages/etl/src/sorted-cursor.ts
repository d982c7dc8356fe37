import { compareInt64Text, type Int64Text } from '@bionicpro/models';
import { UnsortedInputError } from './errors.js';
import { isAsyncIterable, type RowSource } from './row-source.js';

/**
 * A cursor over rows sorted by `(entity, timestamp, id)`. It checks the order as
 * it goes (throwing {@link UnsortedInputError}) and skips adjacent copies of the
 * same row (same entity, timestamp and id: a re-delivered row counts once).
 * `entity` is `Infinity` once the input is exhausted.
 */
export class SortedCursor<T> {
  row: T | undefined = undefined;
  entity = Number.NEGATIVE_INFINITY;
  ts = Number.NEGATIVE_INFINITY;
  /** The last row's id (64-bit ids are canonical decimal text, compared exactly). */
  id: Int64Text | undefined = undefined;
  index = -1;

  constructor(
    private readonly iterator: Iterator<T>,
    private readonly table: string,
    private readonly expected: string,
    private readonly entityOf: (row: T) => number,
    private readonly tsOf: (row: T) => number,
    private readonly idOf: (row: T) => Int64Text,
  ) {}

  advance(): void {
    for (;;) {
      const next = this.iterator.next();
      if (next.done) {
        this.row = undefined;
        this.entity = Number.POSITIVE_INFINITY;
        return;
      }
      this.index += 1;
      if (this.accept(next.value)) return;
    }
  }

  /** Returns false for a duplicate to skip. */
  accept(row: T): boolean {
    const entity = this.entityOf(row);
    const ts = this.tsOf(row);
    const id = this.idOf(row);
    if (entity === this.entity) {
      if (ts === this.ts) {
        if (id === this.id) return false;
        if (this.id !== undefined && compareInt64Text(id, this.id) < 0)
          throw new UnsortedInputError(this.table, this.index, this.expected);
      } else if (ts < this.ts) {
        throw new UnsortedInputError(this.table, this.index, this.expected);
      }
    } else if (entity < this.entity || Number.isNaN(ts)) {
      throw new UnsortedInputError(this.table, this.index, this.expected);
    }
    this.row = row;
    this.entity = entity;
    this.ts = ts;
    this.id = id;
    return true;
  }
}

/** The async twin of {@link SortedCursor}, for database cursors and file readers. */
export class AsyncSortedCursor<T> {
  private readonly inner: SortedCursor<T>;
  private readonly iterator: AsyncIterator<T> | Iterator<T>;

  constructor(
    source: RowSource<T>,
    table: string,
    expected: string,
    entityOf: (row: T) => number,
    tsOf: (row: T) => number,
    idOf: (row: T) => Int64Text,
  ) {
    this.iterator = isAsyncIterable(source) ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    this.inner = new SortedCursor<T>(
      { next: () => ({ done: true, value: undefined }) },
      table,
      expected,
      entityOf,
      tsOf,
      idOf,
    );
  }

  get row(): T | undefined {
    return this.inner.row;
  }
  get entity(): number {
    return this.inner.entity;
  }
  get ts(): number {
    return this.inner.ts;
  }

  async advance(): Promise<void> {
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) {
        this.inner.row = undefined;
        this.inner.entity = Number.POSITIVE_INFINITY;
        return;
      }
      this.inner.index += 1;
      if (this.inner.accept(next.value)) return;
    }
  }
}
