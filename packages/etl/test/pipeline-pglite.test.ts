import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { createExtractPool } from '../src/index.js';
import { definePipelineSuite } from './support/pipeline-suite.js';

/**
 * The pipeline on embedded engines: two PGlite databases served to `pg` by
 * pglite-socket, and chDB. Keyset paging: pglite-socket serialises connections
 * while one holds a transaction open, so two concurrent cursors would wait on
 * each other.
 */
definePipelineSuite(
  'pipeline on PGlite + chDB',
  async () => {
    const serve = async () => {
      const db = await PGlite.create();
      const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 8 });
      await server.start();
      const pool = await createExtractPool(`postgres://postgres@${server.getServerConn()}/postgres`, {
        // One connection: pglite-socket multiplexes connections onto one
        // in-process database and serialises them around open transactions.
        max: 1,
      });
      return { db, server, pool };
    };
    const crm = await serve();
    const telemetry = await serve();
    return {
      crm: crm.pool,
      telemetry: telemetry.pool,
      async close() {
        for (const s of [crm, telemetry]) {
          await s.pool.end();
          await s.server.stop();
          await s.db.close();
        }
      },
    };
  },
  'keyset',
);
