import type { PostgresService } from './types.js';

/** A `postgres://` URL for one database of the provided server: `postgresUrl(pg, 'crm_db')`. */
export function postgresUrl(pg: PostgresService, database: string): string {
  const auth = pg.password
    ? `${encodeURIComponent(pg.user)}:${encodeURIComponent(pg.password)}`
    : encodeURIComponent(pg.user);
  return `postgres://${auth}@${pg.host}:${pg.port}/${encodeURIComponent(database)}`;
}
