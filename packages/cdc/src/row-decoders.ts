/**
 * The row decoders of one change decoder: compiled once per row schema (with schemas) or per table
 * (without), and kept with the last ones used at hand.
 */
import type { z } from 'zod';
import { EnvelopeError } from './errors.js';
import {
  type ConnectSchema,
  type RowDecoder,
  type ValueType,
  compileRowType,
  valueTypeOfSchema,
} from './logical-types.js';
import { stringifyJsonLossless } from './lossless-json.js';
import { decimalPrecisionOf, type TableModels, valueTypeOfModelColumn } from './table-models.js';
import type { UnavailableMatcher } from './unavailable-value.js';

interface LastSchema {
  readonly table: string | undefined;
  readonly name: string | undefined;
  readonly schema: ConnectSchema;
  readonly decoder: RowDecoder;
}

/** Schemas above this many are not cached: the cache starts again. */
const MAX_CACHED_SCHEMAS = 1000;

/** Whether two struct schemas of the same name decode alike (the same fields, types and parameters). */
function sameStruct(a: ConnectSchema, b: ConnectSchema): boolean {
  const fa = a.fields ?? [];
  const fb = b.fields ?? [];
  if (!Array.isArray(fa) || !Array.isArray(fb) || fa.length !== fb.length) return false;
  for (let i = 0; i < fa.length; i++) {
    const x = fa[i]!;
    const y = fb[i]!;
    if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return false;
    if (x.field !== y.field || x.type !== y.type || x.name !== y.name) return false;
    // The form Debezium's documentation prints for keys: `{name, index, schema}`.
    if (x.field === undefined && stringifyJsonLossless(x) !== stringifyJsonLossless(y)) return false;
    if (x.parameters?.['scale'] !== y.parameters?.['scale']) return false;
    if (x.type === 'array' || x.type === 'struct' || x.type === 'map') {
      if (stringifyJsonLossless(x) !== stringifyJsonLossless(y)) return false;
    }
  }
  return true;
}

/** Row decoders by row schema and by table, for one change decoder. */
export class RowDecoders {
  readonly #models: TableModels;
  readonly #isUnavailable: UnavailableMatcher;
  readonly #schemaDecoders = new Map<string, { schema: ConnectSchema; decoder: RowDecoder }>();
  readonly #schemalessDecoders = new Map<string, RowDecoder>();
  // The last key and row schemas met, checked before the Map: building and hashing its key (a
  // new string per record) cost more than comparing the names.
  #lastKeySchema: LastSchema | undefined;
  #lastRowSchema: LastSchema | undefined;
  // The last table's schema-less decoder: consecutive records are nearly always of one table,
  // and comparing a short name costs less than hashing it (it is a new string in every record).
  #lastSchemalessTable: string | undefined;
  #lastSchemalessDecoder: RowDecoder | undefined;

  constructor(models: TableModels, isUnavailable: UnavailableMatcher) {
    this.#models = models;
    this.#isUnavailable = isUnavailable;
  }

  /** The decoder of rows with a struct schema: a row of `table`, or a key (`table` undefined). */
  forSchema(schema: ConnectSchema, table: string | undefined): RowDecoder {
    const last = table === undefined ? this.#lastKeySchema : this.#lastRowSchema;
    if (
      last !== undefined &&
      last.table === table &&
      last.name === schema.name &&
      (last.schema === schema || sameStruct(last.schema, schema))
    ) {
      return last.decoder;
    }
    const decoder = this.#schemaDecoderOf(schema, table);
    const entry: LastSchema = { table, name: schema.name, schema, decoder };
    if (table === undefined) this.#lastKeySchema = entry;
    else this.#lastRowSchema = entry;
    return decoder;
  }

  /** The decoder of a table's rows without a schema: by its model and the `columns` option. */
  withoutSchema(table: string): RowDecoder {
    if (table === this.#lastSchemalessTable) return this.#lastSchemalessDecoder!;
    const decoder = this.#schemalessDecoderOf(table);
    this.#lastSchemalessTable = table;
    this.#lastSchemalessDecoder = decoder;
    return decoder;
  }

  #schemaDecoderOf(schema: ConnectSchema, table: string | undefined): RowDecoder {
    const cacheKey = `${table ?? ''}\u0000${schema.name ?? ''}`;
    const cached = this.#schemaDecoders.get(cacheKey);
    if (cached && (cached.schema === schema || sameStruct(cached.schema, schema))) return cached.decoder;
    const type = valueTypeOfSchema(schema);
    if (type.kind !== 'struct') {
      throw new EnvelopeError(`expected a struct schema for the row, got ${schema.type}`, ['schema']);
    }
    const fields: Record<string, ValueType> = { ...type.fields };
    // decimal.handling.mode=double: a model decimal column arrives as a JSON double. For the
    // precisions PostgreSQL money columns use (≤ 15 significant digits) the shortest text that
    // round-trips the double is exactly the original decimal, so it is recovered, not guessed.
    const model = table === undefined ? undefined : this.#models.modelOf(table);
    if (model) {
      for (const [column, schemaOfColumn] of Object.entries(model.shape as Record<string, z.ZodType>)) {
        const implied = valueTypeOfModelColumn(schemaOfColumn);
        if (
          implied.kind === 'decimal' &&
          fields[column]?.kind === 'float' &&
          decimalPrecisionOf(schemaOfColumn) <= 15
        ) {
          fields[column] = { kind: 'decimal-text' };
        }
      }
    }
    const decoder = compileRowType(fields, this.#isUnavailable);
    if (this.#schemaDecoders.size > MAX_CACHED_SCHEMAS) this.#schemaDecoders.clear();
    this.#schemaDecoders.set(cacheKey, { schema, decoder });
    return decoder;
  }

  #schemalessDecoderOf(table: string): RowDecoder {
    let decoder = this.#schemalessDecoders.get(table);
    if (!decoder) {
      const fields: Record<string, ValueType> = Object.create(null);
      const model = this.#models.modelOf(table);
      if (model) {
        for (const [column, schema] of Object.entries(model.shape as Record<string, z.ZodType>)) {
          fields[column] = valueTypeOfModelColumn(schema);
        }
      }
      const columns = this.#models.declaredColumns(table);
      if (columns) for (const column of Object.keys(columns)) fields[column] = columns[column]!;
      decoder = compileRowType(fields, this.#isUnavailable, true);
      this.#schemalessDecoders.set(table, decoder);
    }
    return decoder;
  }
}
