import { assertIdentifier, InvalidArgumentError, UnknownColumnError } from '@bionicpro/models';
import { UnscopedQueryError } from './errors.js';
import type { ReportScope } from './report-scope.js';
import { assertReportScope } from './report-scope.js';
import type { ReportTable } from './report-table.js';
import {
  type CompiledQuery,
  column,
  compileFragment,
  isSqlFragment,
  joinSql,
  param,
  type SqlFragment,
  type SqlValue,
  sql,
  tableName,
  trustedSql,
} from './sql-fragment.js';

/** Name of the parameter that carries the scope's user id in every report query. */
export const SCOPE_PARAM = 'scope_user_id';

/** Name of the bound array of user ids of a batch query ({@link unionAllForScopes}). */
export const SCOPE_USERS_PARAM = 'scope_user_ids';

/** An expression in a select list: a column name of the table, or a fragment. */
export type SelectExpression = string | SqlFragment;

interface QueryState {
  readonly table: ReportTable;
  readonly userId: number;
  /** Set by {@link unionAllForScopes}: the users of a batch, read in one query. */
  readonly userIds?: readonly number[];
  /** Set by {@link unionAllForScopes} for an aggregate without GROUP BY: group it per user. */
  readonly groupByUser?: boolean;
  readonly select: readonly (readonly [string, SelectExpression])[];
  readonly where: readonly SqlFragment[];
  readonly groupBy: readonly SqlFragment[];
  readonly having: readonly SqlFragment[];
  readonly orderBy: readonly SqlFragment[];
  readonly limit: number | undefined;
}

/**
 * An immutable SELECT over one table, always restricted to one user. Every
 * method returns a new query, so a report's query can be extended (another
 * metric, another grouping, a narrower range) without touching SQL text.
 */
export interface ScopedQuery {
  /** The table read. */
  readonly table: ReportTable;
  /** Adds output columns: `alias → column name or fragment`. */
  select(columns: Readonly<Record<string, SelectExpression>>): ScopedQuery;
  /** Replaces the output columns. */
  reselect(columns: Readonly<Record<string, SelectExpression>>): ScopedQuery;
  /** Adds a predicate, AND-ed after the scope predicate. */
  where(condition: SqlFragment): ScopedQuery;
  groupBy(...expressions: SelectExpression[]): ScopedQuery;
  having(condition: SqlFragment): ScopedQuery;
  orderBy(expression: SelectExpression, direction?: 'ASC' | 'DESC'): ScopedQuery;
  /** Row limit (a positive integer written by code, not taken from a request). */
  limit(rows: number): ScopedQuery;
  /** The output column names, in order. */
  readonly aliases: readonly string[];
  /** The SELECT as a fragment (without the trailing SETTINGS), for composition. */
  toSql(): SqlFragment;
  /** The SQL with `{name:Type}` placeholders and the parameter values. */
  compile(): CompiledQuery;
}

const states = new WeakMap<ScopedQuery, QueryState>();

/**
 * Settings every compiled report query carries in its own `SETTINGS` clause:
 *
 * - `prefer_column_name_to_alias = 1`: an output alias can never change what a predicate compares;
 * - `output_format_json_quote_decimals`, `output_format_json_quote_64bit_integers`: exact
 *   decimals and 64-bit integers as JSON text, whatever the client;
 * - `optimize_move_to_prewhere = 0`: a report reads one user's rows, which the primary key
 *   already narrows to a granule or a few; a PREWHERE pass over them first is extra work
 *   (measured: about 0.7 ms of 3.5 ms per table read on embedded chDB, see the README's bench).
 *
 * Inline rather than sent as client settings: the chDB connection of `@clickhouse/client`
 * turns client settings into one `SET` statement each, run before every query.
 */
export const SCOPED_QUERY_SETTINGS = Object.freeze({
  prefer_column_name_to_alias: 1,
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 1,
  optimize_move_to_prewhere: 0,
} as const);

const SETTINGS = trustedSql(
  ` SETTINGS ${Object.entries(SCOPED_QUERY_SETTINGS)
    .map(([name, value]) => `${name} = ${value}`)
    .join(', ')}`,
);

/** Compiled queries that carry {@link SCOPED_QUERY_SETTINGS} inline (see `runQuery`). */
const withInlineSettings = new WeakSet<CompiledQuery>();

/** True when `compiled` came from a scoped query or {@link unionAll} and so carries its settings inline. */
export function hasInlineReportSettings(compiled: CompiledQuery): boolean {
  return withInlineSettings.has(compiled);
}

/** Compiles `body` followed by the report SETTINGS clause (internal: the builders and the subject lookup). */
export function compileWithSettings(body: SqlFragment): CompiledQuery {
  const compiled = compileFragment(sql`${body}${SETTINGS}`);
  withInlineSettings.add(compiled);
  return compiled;
}

/**
 * Starts a report query on `table` for the user of `scope`. The scope is
 * required by the signature and checked again here, so a query that could
 * read another user's rows cannot be built. The compiled query starts its
 * WHERE with `<user column> = {scope_user_id:Int32}` (the primary-key prefix),
 * reads `FINAL` and skips deleted rows on `ReplacingMergeTree` tables, and
 * ends with the {@link SCOPED_QUERY_SETTINGS}, among them
 * `prefer_column_name_to_alias = 1` so an output alias can never change
 * what a predicate compares.
 *
 * @example
 * ```ts
 * const q = scopedQuery(reportTables().hourly, scope)
 *   .select({ date: 'date', movements: sql`sum(movements_count)` })
 *   .where(sql`date >= ${param('Date', '2024-01-01', 'from')}`)
 *   .groupBy('date')
 *   .orderBy('date', 'DESC')
 *   .compile();
 * await client.query({ ...q, format: 'JSONEachRow' });
 * ```
 */
export function scopedQuery(table: ReportTable, scope: ReportScope): ScopedQuery {
  const userId = assertReportScope(scope);
  if (!table || typeof table.userColumn !== 'string')
    throw new InvalidArgumentError('table', 'scopedQuery needs a ReportTable');
  return build({
    table,
    userId,
    select: [],
    where: [],
    groupBy: [],
    having: [],
    orderBy: [],
    limit: undefined,
  });
}

function build(state: QueryState): ScopedQuery {
  const expr = (e: SelectExpression): SqlFragment => {
    if (isSqlFragment(e)) return e;
    if (typeof e === 'string') {
      if (!state.table.columns.has(e)) throw new UnknownColumnError(state.table.name, e);
      return column(e);
    }
    throw new InvalidArgumentError('column', 'expected a column name or an sql`` fragment');
  };
  const aliased = (columns: Readonly<Record<string, SelectExpression>>) =>
    Object.entries(columns).map(([alias, e]) => {
      assertIdentifier('alias', alias);
      expr(e);
      return [alias, e] as const;
    });
  const query: ScopedQuery = {
    table: state.table,
    select: (columns) => build({ ...state, select: [...state.select, ...aliased(columns)] }),
    reselect: (columns) => build({ ...state, select: aliased(columns) }),
    where: (condition) => build({ ...state, where: [...state.where, requireFragment(condition, 'where')] }),
    groupBy: (...expressions) => build({ ...state, groupBy: [...state.groupBy, ...expressions.map(expr)] }),
    having: (condition) =>
      build({ ...state, having: [...state.having, requireFragment(condition, 'having')] }),
    orderBy: (expression, direction = 'ASC') => {
      if (direction !== 'ASC' && direction !== 'DESC')
        throw new InvalidArgumentError('direction', 'direction must be ASC or DESC');
      return build({
        ...state,
        orderBy: [...state.orderBy, sql`${expr(expression)} ${trustedSql(direction)}`],
      });
    },
    limit: (rows) => {
      if (!Number.isSafeInteger(rows) || rows <= 0)
        throw new InvalidArgumentError('limit', 'limit must be a positive integer');
      return build({ ...state, limit: rows });
    },
    aliases: state.select.map(([alias]) => alias),
    toSql: () => toFragment(state, expr),
    compile: () => compileWithSettings(toFragment(state, expr)),
  };
  Object.freeze(query);
  states.set(query, state);
  return query;
}

function toFragment(state: QueryState, expr: (e: SelectExpression) => SqlFragment): SqlFragment {
  if (state.select.length === 0)
    throw new InvalidArgumentError('select', 'a report query needs at least one output column');
  const { table } = state;
  const selectList = joinSql(
    state.select.map(([alias, e]) =>
      typeof e === 'string' && e === alias ? column(alias) : sql`${expr(e)} AS ${column(alias)}`,
    ),
  );
  const from = table.final
    ? sql`${tableName(table.name, table.database)} FINAL`
    : tableName(table.name, table.database);
  const predicates: SqlFragment[] = [
    state.userIds === undefined
      ? sql`${column(table.userColumn)} = ${param('Int32', assertPositive(state.userId), SCOPE_PARAM)}`
      : sql`${column(table.userColumn)} IN ${param('Array(Int32)', state.userIds.map(assertPositive), SCOPE_USERS_PARAM)}`,
  ];
  if (table.deletedColumn) predicates.push(sql`${column(table.deletedColumn)} = 0`);
  for (const condition of state.where) predicates.push(sql`(${condition})`);
  const clauses: SqlFragment[] = [
    sql`SELECT ${selectList}`,
    sql`FROM ${from}`,
    sql`WHERE ${joinSql(predicates, ' AND ')}`,
  ];
  // A batch groups per user too, so no aggregate mixes two users' rows.
  const groupBy =
    state.userIds !== undefined && (state.groupBy.length > 0 || state.groupByUser === true)
      ? [column(table.userColumn), ...state.groupBy]
      : state.groupBy;
  if (groupBy.length > 0) clauses.push(sql`GROUP BY ${joinSql(groupBy)}`);
  if (state.having.length > 0) {
    clauses.push(
      sql`HAVING ${joinSql(
        state.having.map((h) => sql`(${h})`),
        ' AND ',
      )}`,
    );
  }
  if (state.orderBy.length > 0) clauses.push(sql`ORDER BY ${joinSql(state.orderBy)}`);
  if (state.limit !== undefined) clauses.push(trustedSql(`LIMIT ${state.limit}`));
  return joinSql(clauses, ' ');
}

function requireFragment(value: SqlValue, clause: string): SqlFragment {
  if (!isSqlFragment(value))
    throw new InvalidArgumentError(`${clause}`, `${clause} expects an sql\`\` fragment`);
  return value;
}

function assertPositive(userId: number): number {
  if (!Number.isSafeInteger(userId) || userId <= 0)
    throw new InvalidArgumentError('scope', 'scope user id must be positive');
  return userId;
}

/**
 * Runs several scoped queries in one round trip: `(q1) UNION ALL (q2) …` with
 * a `part` column naming where each row came from and every other output
 * column of any part (NULL where a part does not have it). Each part keeps its
 * own scope predicate, so the union is as scoped as its parts.
 *
 * @example
 * ```ts
 * const q = unionAll({
 *   financial: userMonthlyFinancialQuery(t, scope, '2024-01'),
 *   devices: userMonthlyDevicesQuery(t, scope, '2024-01'),
 * });
 * const rows = await runQuery(client, q); // rows[i].part is 'financial' or 'devices'
 * ```
 */
export function unionAll(parts: Readonly<Record<string, ScopedQuery>>): CompiledQuery {
  const entries = Object.entries(parts);
  if (entries.length === 0) throw new InvalidArgumentError('queries', 'unionAll needs at least one query');
  const aliases: string[] = [];
  for (const [name, query] of entries) {
    assertIdentifier('part', name);
    if (!states.has(query)) throw new UnscopedQueryError(`part ${name} is not a scopedQuery`);
    for (const alias of query.aliases) {
      if (alias === 'part')
        throw new InvalidArgumentError('queries', 'the output column name "part" is reserved by unionAll');
      if (!aliases.includes(alias)) aliases.push(alias);
    }
  }
  const selects = entries.map(([name, query]) => {
    const state = states.get(query) as QueryState;
    const own = new Map(state.select);
    const select: [string, SelectExpression][] = [
      ['part', trustedSql(`'${name}'`)],
      ...aliases.map((alias): [string, SelectExpression] => [alias, own.get(alias) ?? trustedSql('NULL')]),
    ];
    return sql`(${build({ ...state, select }).toSql()})`;
  });
  return compileWithSettings(joinSql(selects, ' UNION ALL '));
}

/**
 * {@link unionAll} for a batch of users at once (rendering reports ahead of
 * requests): each part's scope predicate becomes `user IN {scope_user_ids}`,
 * grouped parts also group by the user, and every row carries the user it
 * belongs to in `scope_user_id`, so the caller splits the rows per user and
 * assembles each user's report from that user's rows only. The parts are
 * built for one of the scopes (any); the batch is `scopes`. Parts with a
 * LIMIT are refused, since a limit would apply to the whole batch. A part
 * that aggregates without GROUP BY (an overview's totals) must be named in
 * `options.aggregated`, which groups it per user; otherwise its totals
 * would span the batch.
 *
 * @example
 * ```ts
 * const scopes = [1, 2, 3].map((id) => trustedReportScope(id));
 * const q = unionAllForScopes(
 *   { financial: userMonthlyFinancialQuery(t, scopes[0]!, '2024-01') },
 *   scopes,
 * );
 * const rows = await runQuery(client, q); // rows[i].scope_user_id is 1, 2 or 3
 * ```
 */
export function unionAllForScopes(
  parts: Readonly<Record<string, ScopedQuery>>,
  scopes: readonly ReportScope[],
  options: { readonly aggregated?: readonly string[] } = {},
): CompiledQuery {
  if (scopes.length === 0) throw new TypeError('unionAllForScopes needs at least one scope');
  const userIds = [...new Set(scopes.map((scope) => assertReportScope(scope)))];
  const batch: Record<string, ScopedQuery> = {};
  for (const [name, query] of Object.entries(parts)) {
    const state = states.get(query);
    if (!state) throw new UnscopedQueryError(`part ${name} is not a scopedQuery`);
    if (state.limit !== undefined) throw new TypeError(`part ${name} has a LIMIT, which a batch cannot keep`);
    if (state.select.some(([alias]) => alias === 'scope_user_id')) {
      throw new TypeError('the output column name "scope_user_id" is reserved by unionAllForScopes');
    }
    batch[name] = build({
      ...state,
      userIds,
      groupByUser: options.aggregated?.includes(name) ?? false,
      select: [['scope_user_id', column(state.table.userColumn)], ...state.select],
    });
  }
  return unionAll(batch);
}
