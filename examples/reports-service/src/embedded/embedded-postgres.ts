import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** PostgreSQL settings of an embedded database: small shared, work and maintenance buffers. */
export const LEAN_PGLITE_CONF: readonly string[] = [
  'shared_buffers = 16MB',
  'work_mem = 2MB',
  'maintenance_work_mem = 16MB',
  'temp_buffers = 2MB',
];

/** An in-process PostgreSQL (PGlite) served on a loopback port, so `pg` clients connect to it as to a server. */
export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly db: PGlite;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (in memory, or persisted in `dataDir`) behind pglite-socket on
 * a free loopback port. PGlite runs one query at a time; the socket server
 * queues queries of up to `maxConnections` clients.
 *
 * @example
 * ```ts
 * const crm = await startEmbeddedPostgres();
 * const pool = new pg.Pool({ connectionString: crm.url });
 * ```
 */
export async function startEmbeddedPostgres(
  options: { readonly dataDir?: string; readonly maxConnections?: number } = {},
): Promise<EmbeddedPostgres> {
  const db = await PGlite.create({
    dataDir: options.dataDir ?? 'memory://',
    // PGlite's WebAssembly memory only grows, so PostgreSQL's own buffers are kept small:
    // with the defaults the two demo databases held ~600 MB after seeding (docs: examples/README.md).
    postgresqlconf: [...LEAN_PGLITE_CONF],
  });
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: 0,
    maxConnections: options.maxConnections ?? 16,
  });
  await server.start();
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`pglite-socket did not report a port: ${conn}`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    db,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
