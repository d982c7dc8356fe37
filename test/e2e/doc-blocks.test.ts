/**
 * Every ```ts block of the READMEs and docs/ (scripts/doc-blocks.mjs) type-checks against the
 * built packages under `strict` with `skipLibCheck: false`, and runs: on embedded engines (PGlite
 * served over pglite-socket for CRM_URL and TELEMETRY_URL, a fresh chDB directory for
 * CLICKHOUSE_PATH), from a fresh working directory. Blocks marked `needs=…` run in
 * doc-blocks-stack.test.ts against the real stack; `typecheck-only` and `skip-doc-test` blocks are
 * listed by `node scripts/doc-blocks.mjs --list`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { postgresSchemaDdl } from '@bionicpro/models';
import { afterAll, describe, expect, it } from 'vitest';
import { typecheckBlocks, writeBlocks } from '../../scripts/doc-blocks.mjs';
import { runBlock } from './support/doc-block-runner.js';

const written = writeBlocks();
const work = mkdtempSync(join(tmpdir(), 'doc-blocks-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An embedded PostgreSQL on a loopback port; its tables created unless the block wants it fresh. */
async function pglite(database: 'crm' | 'telemetry', fresh: boolean) {
  const db = await PGlite.create();
  if (!fresh) for (const statement of postgresSchemaDdl(database)) await db.exec(statement);
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 8 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

describe('documentation code blocks', () => {
  it('every block type-checks against the built packages (strict, skipLibCheck false)', () => {
    expect(written.length).toBeGreaterThan(10);
    const errors = typecheckBlocks(written);
    expect(Object.fromEntries(errors)).toEqual({});
  });

  const runnable = written.filter((b) => !b.flags.typecheckOnly && b.flags.needs.length === 0);
  it.each(runnable.map((b) => [`${b.file}:${b.line}`, b] as const))(
    '%s runs on embedded engines',
    async (_where, block) => {
      // PostgreSQL only for blocks that read it (setup code included): PGlite takes seconds to start.
      const source = readFileSync(block.path, 'utf8');
      const crm = source.includes('CRM_URL') ? await pglite('crm', block.flags.fresh) : undefined;
      const telemetry = source.includes('TELEMETRY_URL')
        ? await pglite('telemetry', block.flags.fresh)
        : undefined;
      const cwd = mkdtempSync(join(work, `${block.id}-`));
      try {
        const env: Record<string, string> = { CLICKHOUSE_PATH: join(cwd, 'chdb') };
        if (crm) env.CRM_URL = crm.url;
        if (telemetry) env.TELEMETRY_URL = telemetry.url;
        const { code, output } = await runBlock(block, env, cwd);
        expect(code, `${block.file}:${block.line}\n${output}`).toBe(0);
      } finally {
        await crm?.close();
        await telemetry?.close();
      }
    },
  );
});
