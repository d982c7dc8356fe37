import { columnsOf, postgresDdl, type SourceTableName, tables } from '@bionicpro/models';
import type { ExtractPool as Pool } from '../../src/postgres-extract.js';

const CRM: SourceTableName[] = ['users', 'prosthetics', 'subscriptions', 'payments'];
const TELEMETRY: SourceTableName[] = ['telemetry_events', 'device_events', 'battery_metrics'];

export async function createSourceTables(crm: Pool, telemetry: Pool): Promise<void> {
  for (const name of CRM) for (const statement of postgresDdl(tables[name])) await crm.query(statement);
  for (const name of TELEMETRY)
    for (const statement of postgresDdl(tables[name])) await telemetry.query(statement);
}

/** Inserts rows fast: chunks of JSON through json_populate_recordset. */
export async function insertPg(
  pool: Pool,
  table: SourceTableName,
  rows: Iterable<object>,
  chunk = 20_000,
): Promise<number> {
  const columns = columnsOf(tables[table]).map((c) => c.name);
  const sql = `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM json_populate_recordset(NULL::${table}, $1::json)`;
  let batch: object[] = [];
  let total = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await pool.query(sql, [JSON.stringify(batch)]);
    total += batch.length;
    batch = [];
  };
  for (const row of rows) {
    batch.push(row);
    if (batch.length >= chunk) await flush();
  }
  await flush();
  return total;
}

export async function seedSources(
  crm: Pool,
  telemetry: Pool,
  data: {
    users: object[];
    prosthetics: object[];
    subscriptions: object[];
    payments: object[];
    telemetryEvents: Iterable<object>;
    deviceEvents: Iterable<object>;
    batteryMetrics: Iterable<object>;
  },
): Promise<void> {
  await createSourceTables(crm, telemetry);
  await insertPg(crm, 'users', data.users);
  await insertPg(crm, 'prosthetics', data.prosthetics);
  await insertPg(crm, 'subscriptions', data.subscriptions);
  await insertPg(crm, 'payments', data.payments);
  await insertPg(telemetry, 'telemetry_events', data.telemetryEvents);
  await insertPg(telemetry, 'device_events', data.deviceEvents);
  await insertPg(telemetry, 'battery_metrics', data.batteryMetrics);
}
