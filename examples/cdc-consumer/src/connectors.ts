import {
  createConnectClient,
  debeziumPostgresConnectorConfig,
  type PostgresSource,
  type UpsertAction,
  signalTableDdl,
} from '@bionicpro/cdc';
import { sourceTableNames, tables } from '@bionicpro/models';
import pg from 'pg';

/** One OLTP database to capture: its Debezium topic prefix and connection URL. */
export interface CapturedDatabase {
  /** `crm` or `telemetry`: topics are `<prefix>.public.<table>`, and the models' tables of that home are captured. */
  readonly prefix: 'crm' | 'telemetry';
  /** `postgres://user:password@host:port/dbname`, as Connect reaches it. */
  readonly url: string;
}

/**
 * `postgres://user:password@host:port/db` as Debezium's `database.*` settings.
 *
 * @example
 * ```ts
 * postgresSource('postgres://debezium:secret@crm-db:5432/crm_db').dbname; // 'crm_db'
 * ```
 */
export function postgresSource(url: string): PostgresSource {
  const u = new URL(url);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new TypeError(`not a postgres URL: ${u.protocol}`);
  return {
    hostname: u.hostname,
    port: u.port === '' ? 5432 : Number(u.port),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    dbname: u.pathname.replace(/^\//, ''),
  };
}

/**
 * Registers the Debezium connectors once, idempotently (docs/data-contract.md: created
 * once, never re-created with `snapshot.mode=always` on every start): creates
 * the signalling table in each database (for incremental snapshots), then
 * upserts a connector per database through the Connect REST API and waits
 * until it runs.
 *
 * @example
 * ```ts
 * await registerConnectors('http://connect:8083', [{ prefix: 'crm', url: 'postgres://…/crm_db' }]);
 * ```
 */
export async function registerConnectors(
  connectUrl: string,
  databases: readonly CapturedDatabase[],
): Promise<Record<string, UpsertAction>> {
  const connect = createConnectClient({ url: connectUrl });
  const actions: Record<string, UpsertAction> = {};
  for (const db of databases) {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query(signalTableDdl());
    } finally {
      await client.end();
    }
    const captured = sourceTableNames
      .filter((name) => tables[name].home === db.prefix)
      .map((name) => `public.${name}`);
    const name = `bionicpro-${db.prefix}`;
    actions[name] = await connect.upsertConnector(
      name,
      debeziumPostgresConnectorConfig({
        topicPrefix: db.prefix,
        database: postgresSource(db.url),
        tables: captured,
      }),
    );
    await connect.waitUntilRunning(name);
  }
  return actions;
}
