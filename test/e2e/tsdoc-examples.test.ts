/**
 * The `@example` blocks of every public export's TSDoc (scripts/tsdoc-examples.mjs) type-check
 * against the built packages under `strict` with `skipLibCheck: false`, like the README blocks;
 * the complete ones (nothing left to the reader, no `declare`) also run, as a Node process each.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { typecheckExamples, writeExamples } from '../../scripts/tsdoc-examples.mjs';
import { runBlock } from './support/doc-block-runner.js';

const written = writeExamples();
const work = mkdtempSync(join(tmpdir(), 'tsdoc-examples-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Complete examples that connect to a server at a fixed address, so they are type-checked only. */
const NEEDS_SERVER: Readonly<Record<string, string>> = {
  'packages/cdc/src/kafkajs.ts': 'a Kafka broker at 127.0.0.1:9092',
  'packages/cdc/src/platformatic.ts': 'a Kafka broker at 127.0.0.1:9092',
  'packages/cdc/src/snapshot-signal.ts': 'PostgreSQL with a Debezium connector reading it',
};

const complete = written.filter(
  (e) => e.assumed.length === 0 && !/^\s*declare\s/m.test(e.code) && !Object.hasOwn(NEEDS_SERVER, e.file),
);

describe('TSDoc @example blocks', () => {
  it('every example type-checks against the built packages (strict, skipLibCheck false)', () => {
    expect(written.length).toBeGreaterThan(150);
    expect(Object.fromEntries(typecheckExamples(written))).toEqual({});
  });

  it('the examples left out of the run still exist and are complete (the list stays honest)', () => {
    for (const file of Object.keys(NEEDS_SERVER)) {
      expect(
        written.some((e) => e.file === file && e.assumed.length === 0),
        file,
      ).toBe(true);
    }
    expect(complete.length).toBeGreaterThan(60);
  });

  it.each(complete.map((e) => [`${e.file}:${e.line}`, e] as const))('%s runs', async (_where, example) => {
    const cwd = mkdtempSync(join(work, `${example.id}-`));
    const { code, output } = await runBlock(example, {}, cwd);
    expect(code, `${example.file}:${example.line}\n${readFileSync(example.path, 'utf8')}\n${output}`).toBe(0);
  });
});
