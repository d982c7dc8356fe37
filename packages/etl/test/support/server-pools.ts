import pg from 'pg';
import { createExtractPool } from '../../src/index.js';
import type { SourcePools } from './pipeline-suite.js';

/**
 * Pools on the PostgreSQL server (BIONICPRO_PG_URL, default the local
 * 127.0.0.1:5432): two uniquely named scratch databases, dropped on close.
 */
const adminUrl = process.env.BIONICPRO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function openServerPools(): Promise<SourcePools> {
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const names = { crm: `etl_crm_${suffix}`, telemetry: `etl_telemetry_${suffix}` };
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  for (const db of Object.values(names)) await admin.query(`CREATE DATABASE ${db}`);
  const urlOf = (db: string) => {
    const url = new URL(adminUrl);
    url.pathname = `/${db}`;
    return url.toString();
  };
  const crm = await createExtractPool(urlOf(names.crm));
  const telemetry = await createExtractPool(urlOf(names.telemetry));
  return {
    crm,
    telemetry,
    async close() {
      await crm.end();
      await telemetry.end();
      for (const db of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await admin.end();
    },
  };
}
