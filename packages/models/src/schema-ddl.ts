import { type ClickHouseDdlOptions, clickhouseDdl, assertIdentifier, postgresDdl } from './ddl.js';
import { type TableDefinition, type TableName, tables } from './tables.js';

/** Options of {@link postgresSchemaDdl}. */
export interface PostgresSchemaDdlOptions {
  /** Schema to create the tables in (default: the connection's search path). */
  readonly schema?: string;
}

/**
 * Every table of one OLTP database (`crm` or `telemetry`), or of both, as
 * `CREATE TABLE IF NOT EXISTS` statements (plus indexes) in foreign-key order:
 * a table comes after every table it references, so running the statements
 * one after another on an empty database succeeds, and re-running them is a
 * no-op.
 *
 * @example
 * ```ts
 * import { postgresSchemaDdl } from '@bionicpro/models';
 * for (const statement of postgresSchemaDdl('crm')) console.log(`${statement};`);
 * ```
 */
export function postgresSchemaDdl(
  home: 'crm' | 'telemetry' | 'all' = 'all',
  options: PostgresSchemaDdlOptions = {},
): string[] {
  const selected = Object.values(tables as Record<string, TableDefinition>).filter(
    (t) => t.home !== 'warehouse' && (home === 'all' || t.home === home),
  );
  return foreignKeyOrder(selected).flatMap((table) =>
    postgresDdl(table, options.schema === undefined ? {} : { schema: options.schema }),
  );
}

/** Tables sorted so that each follows the tables it references (depth-first, stable by definition order). */
function foreignKeyOrder(selected: readonly TableDefinition[]): TableDefinition[] {
  const byName = new Map(selected.map((t) => [t.name, t]));
  const ordered: TableDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: TableDefinition, path: readonly string[]) => {
    const seen = state.get(table.name);
    if (seen === 'done') return;
    if (seen === 'visiting')
      throw new Error(`foreign keys form a cycle: ${[...path, table.name].join(' → ')}`);
    state.set(table.name, 'visiting');
    for (const target of Object.values(table.references ?? {})) {
      const referenced = byName.get(target.table);
      if (referenced !== undefined) visit(referenced, [...path, table.name]);
    }
    state.set(table.name, 'done');
    ordered.push(table);
  };
  for (const table of selected) visit(table, []);
  return ordered;
}

/** Options of {@link clickhouseSchemaDdl}. */
export interface ClickHouseSchemaDdlOptions extends Pick<ClickHouseDdlOptions, 'cluster' | 'replicated'> {
  /** The database to create and to put the tables in. */
  readonly database: string;
  /** The tables to create (default: every mart). */
  readonly tables?: readonly TableName[];
}

/**
 * `CREATE DATABASE IF NOT EXISTS` followed by `CREATE TABLE IF NOT EXISTS` for
 * each table: everything a fresh ClickHouse needs before the first insert, in
 * the order to run it. Idempotent.
 *
 * @example
 * ```ts
 * import { clickhouseSchemaDdl } from '@bionicpro/models';
 * const statements = clickhouseSchemaDdl({ database: 'reports', tables: ['report_user_monthly_metrics'] });
 * ```
 */
export function clickhouseSchemaDdl(options: ClickHouseSchemaDdlOptions): string[] {
  const database = assertIdentifier('database', options.database);
  const onCluster = options.cluster ? ` ON CLUSTER ${assertIdentifier('cluster', options.cluster)}` : '';
  const names =
    options.tables ??
    (Object.values(tables as Record<string, TableDefinition>)
      .filter((t) => t.home === 'warehouse')
      .map((t) => t.name) as TableName[]);
  const tableOptions: ClickHouseDdlOptions = {
    database,
    ...(options.cluster === undefined ? {} : { cluster: options.cluster }),
    ...(options.replicated === undefined ? {} : { replicated: options.replicated }),
  };
  return [
    `CREATE DATABASE IF NOT EXISTS ${database}${onCluster}`,
    ...names.map((name) => clickhouseDdl(tables[name], tableOptions)),
  ];
}
