import { assertIdentifier, columnsOf, type TableDefinition } from '@bionicpro/models';

/** The part of `pg`'s `Pool`/`Client` the ingestion code needs. */
export interface PgQueryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

/** Result of {@link insertRows}. */
export interface InsertOutcome<R> {
  /** Rows actually written (conflicting rows are skipped). */
  readonly inserted: number;
  /** `RETURNING` rows of the inserted rows, when `returning` was given. */
  readonly returned: R[];
}

/** Options of {@link insertRows}. */
export interface InsertOptions {
  /** Skip rows that violate a unique constraint (`ON CONFLICT DO NOTHING`), optionally on one target. */
  readonly onConflict?: 'error' | 'skip';
  readonly conflictTarget?: readonly string[];
  /** Columns to return for the inserted rows. */
  readonly returning?: readonly string[];
  /** Rows per statement; default 2,000. */
  readonly chunkSize?: number;
}

/**
 * Inserts rows into an OLTP table of the models in chunks, one statement per
 * chunk with one array parameter per column (`INSERT … SELECT * FROM
 * unnest($1::integer[], …)`), so a chunk costs one round trip whatever its
 * size. Column names and types come from the model; values are parameters.
 *
 * @example
 * ```ts
 * await insertRows(pool, tables.users, ['name', 'email'], [{ name: 'Ivan', email: 'ivan@example.ru' }]);
 * ```
 */
export async function insertRows<R extends Record<string, unknown> = Record<string, unknown>>(
  db: PgQueryable,
  table: TableDefinition,
  columns: readonly string[],
  rows: readonly Readonly<Record<string, unknown>>[],
  options: InsertOptions = {},
): Promise<InsertOutcome<R>> {
  const types = new Map(columnsOf(table).map((c) => [c.name, c.pg]));
  for (const column of [...columns, ...(options.returning ?? []), ...(options.conflictTarget ?? [])]) {
    if (!types.has(column)) throw new TypeError(`table ${table.name} has no column ${column}`);
  }
  if (columns.length === 0) throw new TypeError('insertRows needs at least one column');
  const name = assertIdentifier('table', table.name);
  const casts = columns.map((column, i) => `$${i + 1}::${types.get(column)}[]`);
  let conflict = '';
  if (options.onConflict === 'skip') {
    conflict = options.conflictTarget
      ? ` ON CONFLICT (${options.conflictTarget.join(', ')}) DO NOTHING`
      : ' ON CONFLICT DO NOTHING';
  }
  const returning = options.returning?.length ? ` RETURNING ${options.returning.join(', ')}` : '';
  const text = `INSERT INTO ${name} (${columns.join(', ')}) SELECT * FROM unnest(${casts.join(', ')})${conflict}${returning}`;
  const chunkSize = options.chunkSize ?? 2_000;
  let inserted = 0;
  const returned: R[] = [];
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize);
    const values = columns.map((column) => chunk.map((row) => toPgValue(row[column])));
    const result = await db.query<R>(text, values);
    inserted += result.rowCount ?? 0;
    if (returning) returned.push(...result.rows);
  }
  return { inserted, returned };
}

function toPgValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

/**
 * Moves an identity column's sequence past the largest id, after rows were
 * written with explicit ids (a CSV import), so the next server-generated id
 * does not collide.
 *
 * @example
 * ```ts
 * await advanceIdentity(pool, tables.users);
 * ```
 */
export async function advanceIdentity(db: PgQueryable, table: TableDefinition): Promise<void> {
  for (const column of table.identity ?? []) {
    const name = assertIdentifier('table', table.name);
    await db.query(
      `SELECT setval(pg_get_serial_sequence('${name}', '${assertIdentifier('column', column)}'), GREATEST((SELECT max(${column}) FROM ${name}), 1))`,
    );
  }
}
