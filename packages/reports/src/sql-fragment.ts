import { assertIdentifier, type CompiledQuery, InvalidArgumentError } from '@bionicpro/models';

/**
 * ClickHouse types a query parameter may be bound as. Values are bound with
 * `{name:Type}` placeholders and sent apart from the SQL text, so no request
 * value is ever spliced into a query.
 */
export type ParamType =
  | 'UInt8'
  | 'UInt16'
  | 'UInt32'
  | 'UInt64'
  | 'Int32'
  | 'Int64'
  | 'Float64'
  | 'Bool'
  | 'String'
  | 'UUID'
  | 'Date'
  | "DateTime('UTC')"
  | "DateTime64(3, 'UTC')"
  | 'Array(String)'
  | 'Array(Int32)'
  | 'Array(UInt64)';

const PARAM_TYPES: ReadonlySet<string> = new Set<ParamType>([
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Int32',
  'Int64',
  'Float64',
  'Bool',
  'String',
  'UUID',
  'Date',
  "DateTime('UTC')",
  "DateTime64(3, 'UTC')",
  'Array(String)',
  'Array(Int32)',
  'Array(UInt64)',
]);

const FRAGMENT: unique symbol = Symbol.for('@bionicpro/reports/SqlFragment') as never;

/** A value to bind as a query parameter. */
export interface BoundValue {
  readonly kind: 'param';
  readonly type: ParamType;
  /** Already in ClickHouse's text form for the type (numbers as JS numbers, dates as text). */
  readonly value: string | number | boolean | readonly (string | number)[];
  /** Preferred placeholder name; made unique at compile time. */
  readonly name: string;
}

type Token = { readonly kind: 'text'; readonly text: string } | BoundValue;

/**
 * A piece of SQL: trusted text from this library or from `sql` templates, plus
 * bound values. Fragments compose by interpolation; they are never built by
 * concatenating strings from a request.
 */
export interface SqlFragment {
  readonly [FRAGMENT]: readonly Token[];
}

/** What may be interpolated into {@link sql}. Plain JS values are bound as parameters. */
export type SqlValue = SqlFragment | BoundValue | string | number | boolean | Date;

/** A compiled query, ready for `client.query({ query, query_params, format })`; defined in `@bionicpro/models`. */
export type { CompiledQuery } from '@bionicpro/models';

/**
 * Tagged template for SQL fragments. Every interpolated value that is not a
 * fragment becomes a bound parameter: strings bind as `String`, integers as
 * `Int64`, other numbers as `Float64`, booleans as `Bool`, dates as
 * `DateTime64(3, 'UTC')`; use {@link param} for another type.
 *
 * @example
 * ```ts
 * const errors = sql`countIf(${column('severity')} IN (${'error'}, ${'critical'}))`;
 * compileFragment(errors).query; // "countIf(severity IN ({p0:String}, {p1:String}))"
 * ```
 */
export function sql(strings: TemplateStringsArray, ...values: SqlValue[]): SqlFragment {
  const tokens: Token[] = [];
  strings.forEach((text, i) => {
    if (text !== '') tokens.push({ kind: 'text', text });
    if (i < values.length) tokens.push(...tokensOf(values[i] as SqlValue));
  });
  return fragment(tokens);
}

/**
 * A value bound with an explicit ClickHouse type.
 *
 * @example
 * ```ts
 * sql`report_date = ${param('Date', '2024-01-01', 'month_start')}`;
 * ```
 */
export function param(type: ParamType, value: BoundValue['value'] | Date, name = 'p'): BoundValue {
  if (!PARAM_TYPES.has(type))
    throw new InvalidArgumentError('type', `unsupported parameter type ${JSON.stringify(type)}`);
  if (!/^[a-z][a-z0-9_]{0,40}$/.test(name))
    throw new InvalidArgumentError('name', `invalid parameter name ${JSON.stringify(name)}`);
  let bound: BoundValue['value'];
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()))
      throw new InvalidArgumentError(`${name}`, `parameter ${name}: invalid Date`);
    bound = type === 'Date' ? value.toISOString().slice(0, 10) : formatDateTime(value, type);
  } else {
    if (typeof value === 'number' && !Number.isFinite(value)) {
      throw new InvalidArgumentError(`${name}`, `parameter ${name}: ${value} is not a finite number`);
    }
    bound = value;
  }
  return Object.freeze({ kind: 'param', type, value: bound, name });
}

/**
 * A validated column or other identifier (letters, digits, underscore).
 *
 * @example
 * ```ts
 * sql`sum(${column('movements_count')})`;
 * ```
 */
export function column(name: string): SqlFragment {
  return fragment([{ kind: 'text', text: assertIdentifier('column', name) }]);
}

/** `database.table` or `table`, both validated. */
export function tableName(table: string, database?: string): SqlFragment {
  const text = database
    ? `${assertIdentifier('database', database)}.${assertIdentifier('table', table)}`
    : assertIdentifier('table', table);
  return fragment([{ kind: 'text', text }]);
}

/**
 * Joins fragments with a separator (`, ` by default); the separator is trusted text.
 *
 * @example
 * ```ts
 * joinSql([column('date'), column('hour')]); // date, hour
 * ```
 */
export function joinSql(
  parts: readonly SqlValue[],
  separator: ', ' | ' AND ' | ' OR ' | ' UNION ALL ' | ' ' = ', ',
): SqlFragment {
  const tokens: Token[] = [];
  parts.forEach((part, i) => {
    if (i > 0) tokens.push({ kind: 'text', text: separator });
    tokens.push(...tokensOf(part));
  });
  return fragment(tokens);
}

/** True when the value is a {@link SqlFragment}. */
export function isSqlFragment(value: unknown): value is SqlFragment {
  return typeof value === 'object' && value !== null && Array.isArray((value as SqlFragment)[FRAGMENT]);
}

/**
 * Compiles a fragment to SQL text with `{name:Type}` placeholders and the
 * parameter map. Placeholder names are made unique (`user_id`, `user_id_1`, …).
 *
 * @example
 * ```ts
 * compileFragment(sql`x = ${1}`); // { query: 'x = {p:Int64}', query_params: { p: 1 } }
 * ```
 */
export function compileFragment(value: SqlFragment): CompiledQuery {
  const params: Record<string, unknown> = {};
  const used = new Map<string, number>();
  let text = '';
  for (const token of value[FRAGMENT]) {
    if (token.kind === 'text') {
      text += token.text;
      continue;
    }
    const seen = used.get(token.name);
    const name = seen === undefined ? token.name : `${token.name}_${seen}`;
    used.set(token.name, (seen ?? 0) + 1);
    params[name] = token.value;
    text += `{${name}:${token.type}}`;
  }
  return Object.freeze({ query: text, query_params: Object.freeze(params) });
}

/** Trusted SQL text written in this library (never from a request). @internal */
export function trustedSql(text: string): SqlFragment {
  return fragment([{ kind: 'text', text }]);
}

function fragment(tokens: Token[]): SqlFragment {
  return Object.freeze({ [FRAGMENT]: Object.freeze(tokens) }) as SqlFragment;
}

function tokensOf(value: SqlValue): readonly Token[] {
  if (isSqlFragment(value)) return value[FRAGMENT];
  if (typeof value === 'object' && value !== null && (value as BoundValue).kind === 'param') {
    return [value as BoundValue];
  }
  if (typeof value === 'string') return [param('String', value)];
  if (typeof value === 'number') return [param(Number.isInteger(value) ? 'Int64' : 'Float64', value)];
  if (typeof value === 'boolean') return [param('Bool', value)];
  if (value instanceof Date) return [param("DateTime64(3, 'UTC')", value)];
  throw new InvalidArgumentError('value', `cannot interpolate ${typeof value} into SQL`);
}

function formatDateTime(value: Date, type: ParamType): string {
  const iso = value.toISOString(); // 2024-01-15T08:00:00.000Z
  const seconds = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return type === "DateTime64(3, 'UTC')" ? `${seconds}.${iso.slice(20, 23)}` : seconds;
}
