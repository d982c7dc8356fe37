import { z } from 'zod';

/**
 * How a scalar model field is stored: the PostgreSQL and ClickHouse column
 * types, and its JSON Schema. The zod models are the single source of the
 * tables: DDL generation reads this registry (see `ddl.ts`), so a field added
 * to a model appears in the PostgreSQL and ClickHouse tables alike.
 */
export interface ColumnType {
  readonly pg: string;
  readonly ch: string;
  /** JSON Schema of the field's input form, when zod's own is not precise (custom parsers). */
  readonly jsonSchema?: Record<string, unknown>;
}

/** Registry of storage types for scalar schemas. */
export const columnTypes = z.registry<ColumnType>();

/** Attaches storage types to a scalar schema and returns it. */
export function withColumnType<T extends z.ZodType>(schema: T, type: ColumnType): T {
  columnTypes.add(schema, type);
  return schema;
}

/** Unwraps optional/nullable/default wrappers; tells whether the column is nullable. */
export function unwrapColumn(schema: z.ZodType): { inner: z.ZodType; nullable: boolean } {
  let inner: z.ZodType = schema;
  let nullable = false;
  for (;;) {
    if (inner instanceof z.ZodNullable) {
      nullable = true;
      inner = inner.unwrap() as z.ZodType;
    } else if (inner instanceof z.ZodOptional) {
      nullable = true;
      inner = inner.unwrap() as z.ZodType;
    } else if (inner instanceof z.ZodDefault) {
      inner = inner.unwrap() as z.ZodType;
    } else {
      return { inner, nullable };
    }
  }
}

/** The storage type of a (possibly wrapped) scalar schema, or undefined. */
export function columnTypeOf(schema: z.ZodType): (ColumnType & { nullable: boolean }) | undefined {
  const { inner, nullable } = unwrapColumn(schema);
  const type = columnTypes.get(inner);
  if (type) return { ...type, nullable };
  if (inner instanceof z.ZodEnum) return { pg: 'text', ch: 'LowCardinality(String)', nullable };
  return undefined;
}
