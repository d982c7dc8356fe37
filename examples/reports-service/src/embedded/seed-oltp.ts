import { type SourceTableName, tables } from '@bionicpro/models';
import type { Dataset } from '@bionicpro/models/testing';
import { advanceIdentity, insertRows, type PgQueryable } from '../ingestion/postgres-writer.js';

/** Rows written so far, per table, for a progress bar. */
export type SeedProgress = (table: SourceTableName, written: number) => void;

const CHUNK = 5_000;

async function writeStream(
  db: PgQueryable,
  table: SourceTableName,
  rows: Iterable<object>,
  onProgress: SeedProgress | undefined,
): Promise<number> {
  const definition = tables[table];
  const columns = Object.keys(definition.model.shape);
  let chunk: Record<string, unknown>[] = [];
  let written = 0;
  const flush = async () => {
    if (chunk.length === 0) return;
    await insertRows(db, definition, columns, chunk, { chunkSize: CHUNK });
    written += chunk.length;
    chunk = [];
    onProgress?.(table, written);
  };
  for (const row of rows) {
    chunk.push(row as Record<string, unknown>);
    if (chunk.length >= CHUNK) await flush();
  }
  await flush();
  await advanceIdentity(db, definition);
  return written;
}

/**
 * Writes a generated dataset into the two OLTP databases (crm_db and
 * telemetry_db), streaming the telemetry tables in chunks so memory stays
 * flat. Returns the rows written per table.
 *
 * @example
 * ```ts
 * const data = generateDataset({ seed: 7, users: 12, start: '2024-01', months: 3 });
 * await seedOltp({ crm, telemetry }, data, (table, n) => bar.update(table, n));
 * ```
 */
export async function seedOltp(
  dbs: { readonly crm: PgQueryable; readonly telemetry: PgQueryable },
  data: Dataset,
  onProgress?: SeedProgress,
): Promise<Record<SourceTableName, number>> {
  const counts = {} as Record<SourceTableName, number>;
  const crm: [SourceTableName, Iterable<object>][] = [
    ['users', data.users],
    ['prosthetics', data.prosthetics],
    ['subscriptions', data.subscriptions],
    ['payments', data.payments],
    ['support_tickets', data.supportTickets],
  ];
  for (const [table, rows] of crm) counts[table] = await writeStream(dbs.crm, table, rows, onProgress);
  counts.telemetry_events = await writeStream(
    dbs.telemetry,
    'telemetry_events',
    data.telemetryEvents(),
    onProgress,
  );
  counts.device_events = await writeStream(dbs.telemetry, 'device_events', data.deviceEvents(), onProgress);
  counts.battery_metrics = await writeStream(
    dbs.telemetry,
    'battery_metrics',
    data.batteryMetrics(),
    onProgress,
  );
  return counts;
}
