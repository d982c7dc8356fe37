/**
 * Debezium PostgreSQL connector configuration and the re-snapshot signal, as
 * values: these builders run nothing (`snapshot-signal.ts` executes the signal).
 *
 * A connector is created once (`upsertConnector` is idempotent) rather than
 * re-created with `snapshot.mode=always` on every start. A re-snapshot of
 * chosen tables is an incremental snapshot requested by inserting an
 * `execute-snapshot` signal: the connector reads the tables in chunks while
 * streaming goes on, and the sink's versions (snapshot reads below every
 * streamed change) keep ClickHouse free of duplicates and stale rows.
 */
import { InvalidArgumentError } from '@bionicpro/models';
import { randomUUID } from 'node:crypto';

/** Connection to the source database. */
export interface PostgresSource {
  readonly hostname: string;
  readonly port?: number;
  readonly user: string;
  readonly password: string;
  readonly dbname: string;
}

/** Options of {@link debeziumPostgresConnectorConfig}. */
export interface DebeziumPostgresOptions {
  /** `topic.prefix`: topics are `<prefix>.<schema>.<table>`. Letters, digits, `_`, `-`, `.`. */
  readonly topicPrefix: string;
  readonly database: PostgresSource;
  /** Captured tables as `schema.table`. */
  readonly tables: readonly string[];
  /** Replication slot (default `<prefix>_slot`, sanitised). */
  readonly slotName?: string;
  /** Publication (default `<prefix>_publication`); created for the captured tables when missing. */
  readonly publicationName?: string;
  /** `precise` (default; exact, scale in the schema), `string` (exact text) or `double` (lossy). */
  readonly decimalHandlingMode?: 'precise' | 'string' | 'double';
  /** Heartbeats keep the slot's WAL position moving on quiet databases (default 10 000 ms; 0 disables). */
  readonly heartbeatIntervalMs?: number;
  /** Signalling table as `schema.table` (default `public.debezium_signal`); null disables signals. */
  readonly signalTable?: string | null;
  /** `snapshot.mode` (default `initial`: snapshot once, then stream). */
  readonly snapshotMode?: 'initial' | 'no_data' | 'never' | 'when_needed' | 'initial_only' | 'always';
  /** JSON converter `schemas.enable` for keys and values (default true: self-describing, scale kept). */
  readonly schemas?: boolean;
  /** Rows per incremental-snapshot chunk (default 1024). */
  readonly incrementalSnapshotChunkSize?: number;
  /** Extra or overriding properties. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** Default signalling table. */
export const DEFAULT_SIGNAL_TABLE = 'public.debezium_signal';

function sanitiseSlot(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 63);
}

/**
 * A Debezium PostgreSQL connector config with production defaults: pgoutput,
 * a named slot and publication (filtered to the captured tables plus the
 * signal table), exact decimals, heartbeats, the signalling table,
 * tombstones on delete, the JSON converter.
 *
 * @example
 * ```ts
 * import { debeziumPostgresConnectorConfig } from '@bionicpro/cdc';
 * const config = debeziumPostgresConnectorConfig({
 *   topicPrefix: 'crm',
 *   database: { hostname: '127.0.0.1', user: 'postgres', password: 'postgres', dbname: 'crm_db' },
 *   tables: ['public.users', 'public.payments'],
 * });
 * config['plugin.name']; // 'pgoutput'
 * ```
 */
export function debeziumPostgresConnectorConfig(options: DebeziumPostgresOptions): Record<string, string> {
  const prefix = options.topicPrefix;
  const signal = options.signalTable === undefined ? DEFAULT_SIGNAL_TABLE : options.signalTable;
  const tables = [...options.tables];
  if (signal !== null && !tables.includes(signal)) tables.push(signal);
  const schemas = String(options.schemas ?? true);
  const config: Record<string, string> = {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'plugin.name': 'pgoutput',
    'database.hostname': options.database.hostname,
    'database.port': String(options.database.port ?? 5432),
    'database.user': options.database.user,
    'database.password': options.database.password,
    'database.dbname': options.database.dbname,
    'topic.prefix': prefix,
    'table.include.list': tables.join(','),
    'slot.name': sanitiseSlot(options.slotName ?? `${prefix}_slot`),
    'publication.name': options.publicationName ?? sanitiseSlot(`${prefix}_publication`),
    'publication.autocreate.mode': 'filtered',
    'snapshot.mode': options.snapshotMode ?? 'initial',
    'decimal.handling.mode': options.decimalHandlingMode ?? 'precise',
    'time.precision.mode': 'adaptive',
    'tombstones.on.delete': 'true',
    'heartbeat.interval.ms': String(options.heartbeatIntervalMs ?? 10_000),
    'incremental.snapshot.chunk.size': String(options.incrementalSnapshotChunkSize ?? 1024),
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': schemas,
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': schemas,
  };
  if (signal !== null) {
    config['signal.data.collection'] = signal;
    config['signal.enabled.channels'] = 'source';
  }
  return { ...config, ...options.extra };
}

const QUALIFIED = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

function assertQualified(name: string, what: string): string {
  if (!QUALIFIED.test(name))
    throw new InvalidArgumentError(
      'tables',
      `${what} must be schema.table with plain identifiers, got ${JSON.stringify(name)}`,
    );
  return name;
}

/** `CREATE TABLE IF NOT EXISTS` of the signalling table (Debezium's `id, type, data` layout). */
export function signalTableDdl(table: string = DEFAULT_SIGNAL_TABLE): string {
  return `CREATE TABLE IF NOT EXISTS ${assertQualified(table, 'signal table')} (id varchar(64) PRIMARY KEY, type varchar(32) NOT NULL, data varchar(2048) NULL)`;
}

/** Options of {@link incrementalSnapshotSignal}. */
export interface SnapshotSignalOptions {
  /** Tables to re-read, as `schema.table`. */
  readonly tables: readonly string[];
  readonly signalTable?: string;
  /** `incremental` (default; streaming goes on) or `blocking`. */
  readonly type?: 'incremental' | 'blocking';
  /** Optional filter per table, e.g. `{ 'public.payments': "payment_date >= '2024-01-01'" }`. */
  readonly filters?: Readonly<Record<string, string>>;
  /** Signal id (default a random UUID). */
  readonly id?: string;
}

/** A parameterised PostgreSQL statement. */
export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

/**
 * The INSERT that asks Debezium for an incremental snapshot of some tables
 * (`execute-snapshot` signal), as SQL + parameters.
 *
 * @example
 * ```ts
 * import { incrementalSnapshotSignal } from '@bionicpro/cdc';
 * const { sql, params } = incrementalSnapshotSignal({ tables: ['public.users'] });
 * await pg.query(sql, [...params]);
 * ```
 */
export function incrementalSnapshotSignal(options: SnapshotSignalOptions): SqlStatement {
  if (options.tables.length === 0)
    throw new InvalidArgumentError('tables', 'incremental snapshot: name at least one table');
  const table = assertQualified(options.signalTable ?? DEFAULT_SIGNAL_TABLE, 'signal table');
  for (const t of options.tables) assertQualified(t, 'snapshot table');
  const data: Record<string, unknown> = {
    'data-collections': [...options.tables],
    type: options.type ?? 'incremental',
  };
  const filters = Object.entries(options.filters ?? {});
  if (filters.length > 0) {
    data['additional-conditions'] = filters.map(([collection, filter]) => ({
      'data-collection': assertQualified(collection, 'filter table'),
      filter,
    }));
  }
  return {
    sql: `INSERT INTO ${table} (id, type, data) VALUES ($1, $2, $3)`,
    params: [options.id ?? randomUUID(), 'execute-snapshot', JSON.stringify(data)],
  };
}
