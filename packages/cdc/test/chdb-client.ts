import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

/** An embedded ClickHouse (chDB) client on a fresh data directory; one per test process. */
export function createChdbClient() {
  const path = mkdtempSync(join(tmpdir(), 'bionicpro-cdc-chdb-'));
  return createClient({
    connection: createChdbConnection({ path }) as never,
    clickhouse_settings: { output_format_json_quote_decimals: 1, output_format_json_quote_64bit_integers: 1 },
  });
}
