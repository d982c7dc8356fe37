// Baseline for the end-to-end RSS figure: embedded ClickHouse opened and the
// warehouse created, nothing loaded.
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { ensureWarehouse } from '../dist/index.js';

const client = createClient({ connection: createChdbConnection({ path: process.argv[2] }) });
await ensureWarehouse(client);
await (
  await client.query({ query: 'SELECT count() FROM bionicpro_raw.device_events', format: 'JSONEachRow' })
).json();
await client.close();
