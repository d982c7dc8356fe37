/**
 * The ClickHouse side of the end-to-end tests: embedded chDB (one data directory per test
 * process) unless CLICKHOUSE_URL names a server.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import type { ClickHouseService } from '../../services.js';

const SETTINGS = {
  output_format_json_quote_decimals: 1,
  output_format_json_quote_64bit_integers: 1,
} as const;

let shared: ClickHouseClient | undefined;

/**
 * The warehouse client of this test process. chDB allows one data directory per process, so every
 * harness of a test file shares one client (and one directory); databases keep tests apart.
 */
export function createWarehouse(service: ClickHouseService): ClickHouseClient {
  shared ??= openWarehouse(service);
  return shared;
}

function openWarehouse(service: ClickHouseService): ClickHouseClient {
  if (service.url) return createClient({ url: service.url, clickhouse_settings: SETTINGS });
  const path = mkdtempSync(join(tmpdir(), 'bionicpro-e2e-chdb-'));
  // chdb types its connection against its own @clickhouse/client-common copy; the runtime shape matches.
  return createClient({ connection: createChdbConnection({ path }) as never, clickhouse_settings: SETTINGS });
}

export async function queryRows<T = Record<string, unknown>>(
  client: ClickHouseClient,
  query: string,
  query_params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query, query_params, format: 'JSONEachRow' });
  return (await rs.json()) as T[];
}
