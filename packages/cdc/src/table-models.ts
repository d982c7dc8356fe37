/**
 * What a change decoder knows of each table: its `@bionicpro/models` model (cached per table) and,
 * for messages without schemas, the column types the model and the `columns` option imply.
 */
import { columnTypeOf } from '@bionicpro/models';
import type { z } from 'zod';
import type { ValueType } from './logical-types.js';

/** Column types declared by the `columns` option of a change decoder, per table then column. */
export type DeclaredColumns = Readonly<Record<string, Readonly<Record<string, ValueType>>>>;

/** The {@link ValueType} a model column implies for schema-less messages. */
export function valueTypeOfModelColumn(schema: z.ZodType): ValueType {
  const type = columnTypeOf(schema);
  if (!type) return { kind: 'any' };
  const pg = type.pg.toLowerCase();
  const numeric = /^numeric\(\s*\d+\s*,\s*(\d+)\s*\)$/.exec(pg);
  if (numeric) return { kind: 'decimal', scale: Number(numeric[1]) };
  if (pg === 'date') return { kind: 'date' };
  if (pg === 'timestamptz' || pg === 'timestamp with time zone') return { kind: 'zoned-timestamp' };
  if (pg === 'timestamp' || pg === 'timestamp without time zone') return { kind: 'timestamp', unit: 'us' };
  if (pg === 'uuid') return { kind: 'uuid' };
  if (pg === 'bigint') return { kind: 'int64' };
  if (pg === 'json' || pg === 'jsonb') return { kind: 'json' };
  return { kind: 'any' };
}

/** The precision of a model's `numeric(p, s)` column; infinite for any other column. */
export function decimalPrecisionOf(schema: z.ZodType): number {
  const pg = columnTypeOf(schema)?.pg.toLowerCase() ?? '';
  const numeric = /^numeric\(\s*(\d+)\s*,/.exec(pg);
  return numeric ? Number(numeric[1]) : Number.POSITIVE_INFINITY;
}

const INT64_PG_TYPES: ReadonlySet<string> = new Set(['bigint']);
const INTEGER_PG_TYPES: ReadonlySet<string> = new Set(['integer', 'smallint']);
const NO_COLUMNS: ReadonlySet<string> = new Set();

/** Tables above this many are not cached (topics named by a predicate could be unbounded). */
const MAX_CACHED_TABLES = 1000;

/**
 * The models and implied column types of the tables one change decoder meets. Consecutive records
 * are nearly always of one table, so the last table's answers are kept at hand: comparing a short
 * name costs less than hashing it (it is a new string in every record).
 */
export class TableModels {
  readonly #modelFor: (table: string) => z.ZodObject | undefined;
  readonly #declared: DeclaredColumns | undefined;
  readonly #models = new Map<string, z.ZodObject | null>();
  #lastModelTable: string | undefined;
  #lastModel: z.ZodObject | undefined;
  readonly #int64Columns = new Map<string, ReadonlySet<string>>();
  readonly #integerColumns = new Map<string, ReadonlySet<string>>();
  #lastInt64Table: string | undefined;
  #lastInt64Columns: ReadonlySet<string> = NO_COLUMNS;

  constructor(modelFor: (table: string) => z.ZodObject | undefined, declared: DeclaredColumns | undefined) {
    this.#modelFor = modelFor;
    this.#declared = declared;
  }

  /** The table's model; undefined when it has none. */
  modelOf(table: string): z.ZodObject | undefined {
    if (table === this.#lastModelTable) return this.#lastModel;
    let model = this.#models.get(table);
    if (model === undefined) {
      model = this.#modelFor(table) ?? null;
      this.#models.set(table, model);
    }
    this.#lastModelTable = table;
    this.#lastModel = model ?? undefined;
    return this.#lastModel;
  }

  /** The column types the `columns` option declares for the table. */
  declaredColumns(table: string): Readonly<Record<string, ValueType>> | undefined {
    const declared = this.#declared;
    return declared && Object.hasOwn(declared, table) ? declared[table] : undefined;
  }

  /** Columns of a table without schemas that decode as int64 (decimal text): model bigint, `columns` int64. */
  int64ColumnsOf(table: string): ReadonlySet<string> {
    if (table === this.#lastInt64Table) return this.#lastInt64Columns;
    const set = this.#columnsOfKind(this.#int64Columns, table, INT64_PG_TYPES, 'int64');
    this.#lastInt64Table = table;
    this.#lastInt64Columns = set;
    return set;
  }

  /** Integer columns of a table without schemas: by its model (integer, smallint) and `columns`. */
  integerColumnsOf(table: string): ReadonlySet<string> {
    return this.#columnsOfKind(this.#integerColumns, table, INTEGER_PG_TYPES, 'integer');
  }

  /** Columns whose model type is one of `pgTypes`, or that `columns` declares as `kind` (which wins). */
  #columnsOfKind(
    cache: Map<string, ReadonlySet<string>>,
    table: string,
    pgTypes: ReadonlySet<string>,
    kind: 'int64' | 'integer',
  ): ReadonlySet<string> {
    let set = cache.get(table);
    if (set === undefined) {
      const found = new Set<string>();
      const model = this.modelOf(table);
      if (model) {
        for (const [column, schema] of Object.entries(model.shape as Record<string, z.ZodType>)) {
          const pg = columnTypeOf(schema)?.pg.toLowerCase();
          if (pg !== undefined && pgTypes.has(pg)) found.add(column);
        }
      }
      for (const [column, type] of Object.entries(this.declaredColumns(table) ?? {})) {
        if (type.kind === kind) found.add(column);
        else found.delete(column);
      }
      set = found;
      if (cache.size < MAX_CACHED_TABLES) cache.set(table, set);
    }
    return set;
  }
}
