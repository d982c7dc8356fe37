// The API report tool on a tiny fixture package laid out the way tsup builds ours: an entry
// `.d.ts` re-exporting from a hashed chunk, plus a second entry point.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diffLines, runApiReport, typedocEntryProblems } from './api-report.mjs';

const CHUNK = `/** A month of data. */
interface Period {
    readonly month: string;
}
/** Options of {@link runJob}. */
interface JobOptions {
    readonly period: Period;
    readonly dryRun?: boolean;
}
declare function runJob(options: JobOptions): Promise<number>;
declare const DEFAULT_LIMIT = 100;

export { DEFAULT_LIMIT as D, type JobOptions as J, runJob as r };
`;

let packagesDir;
let pkg;

function writeFixture({ chunk = CHUNK, chunkName = 'job-HA3HuF3-', index, extraExports = {} } = {}) {
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({
      name: '@fixture/pkg',
      exports: {
        '.': { import: { types: './dist/index.d.ts', default: './dist/index.js' } },
        './testing': { import: { types: './dist/testing.d.ts', default: './dist/testing.js' } },
        './package.json': './package.json',
        ...extraExports,
      },
    }),
  );
  writeFileSync(join(pkg, 'dist', `${chunkName}.d.ts`), chunk);
  writeFileSync(
    join(pkg, 'dist', 'index.d.ts'),
    index ?? `export { D as DEFAULT_LIMIT, J as JobOptions, r as runJob } from './${chunkName}.js';\n`,
  );
  writeFileSync(
    join(pkg, 'dist', 'testing.d.ts'),
    'export declare function fakeClock(start: number): () => number;\n',
  );
}

beforeEach(() => {
  packagesDir = mkdtempSync(join(tmpdir(), 'api-report-'));
  pkg = join(packagesDir, 'pkg');
  mkdirSync(pkg);
  writeFixture();
  expect(runApiReport(packagesDir).ok).toBe(true);
});

afterEach(() => rmSync(packagesDir, { recursive: true, force: true }));

describe('api-report', () => {
  it('writes one report per entry point with each export, its kind and its declaration, resolved through the chunk', () => {
    const index = readFileSync(join(pkg, 'api', 'index.api.md'), 'utf8');
    expect(index).toContain('## Exports (3)');
    expect(index).toContain('### `runJob` — function');
    expect(index).toContain('declare function runJob(options: JobOptions): Promise<number>;');
    expect(index).toContain('### `DEFAULT_LIMIT` — const');
    expect(index).toContain('declare const DEFAULT_LIMIT = 100;');
    // Not exported, but reachable through JobOptions.
    expect(index).toContain('## Reachable from the exports, not exported (1)');
    expect(index).toContain('### `Period` — interface');
    expect(index).not.toContain('HA3HuF3');
    expect(index.indexOf('`DEFAULT_LIMIT`')).toBeLessThan(index.indexOf('`runJob`'));
    const testing = readFileSync(join(pkg, 'api', 'testing.api.md'), 'utf8');
    expect(testing).toContain('declare function fakeClock(start: number): () => number;');
  });

  it('passes the check when only the chunk hash and comments changed', () => {
    rmSync(join(pkg, 'dist'), { recursive: true });
    writeFixture({
      chunkName: 'job-Zz9_8yQw',
      chunk: CHUNK.replace('/** A month of data. */', '/** Reworded. */'),
    });
    const result = runApiReport(packagesDir, { check: true });
    expect(result.messages.join('\n')).toContain('API reports match the build');
    expect(result.ok).toBe(true);
  });

  it('fails the check on an added export and shows it in the diff', () => {
    writeFixture({
      index:
        "export { D as DEFAULT_LIMIT, J as JobOptions, r as runJob } from './job-HA3HuF3-.js';\nexport declare function cancelJob(id: string): void;\n",
    });
    const result = runApiReport(packagesDir, { check: true });
    const output = result.messages.join('\n');
    expect(result.ok).toBe(false);
    expect(output).toContain('+ ### `cancelJob` — function');
    expect(output).toContain('+ declare function cancelJob(id: string): void;');
    expect(output).toContain('run pnpm api:update and add a changeset');
    // --check never writes: the report on disk is the old one.
    expect(readFileSync(join(pkg, 'api', 'index.api.md'), 'utf8')).not.toContain('cancelJob');
  });

  it('fails the check on a changed signature, including one of a type reachable but not exported', () => {
    writeFixture({ chunk: CHUNK.replace('Promise<number>', 'Promise<string>') });
    let result = runApiReport(packagesDir, { check: true });
    expect(result.ok).toBe(false);
    expect(result.messages.join('\n')).toContain(
      '- declare function runJob(options: JobOptions): Promise<number>;',
    );
    expect(result.messages.join('\n')).toContain(
      '+ declare function runJob(options: JobOptions): Promise<string>;',
    );

    writeFixture({ chunk: CHUNK.replace('readonly month: string;', 'readonly month: number;') });
    result = runApiReport(packagesDir, { check: true });
    expect(result.ok).toBe(false);
    expect(result.messages.join('\n')).toContain('+     readonly month: number;');
  });

  it('fails the check on a removed export, a new entry point and a report whose entry point is gone', () => {
    writeFixture({ index: "export { r as runJob } from './job-HA3HuF3-.js';\n" });
    let output = runApiReport(packagesDir, { check: true }).messages.join('\n');
    expect(output).toContain('- ### `DEFAULT_LIMIT` — const');

    writeFixture({ extraExports: { './redis': { import: { types: './dist/redis.d.ts' } } } });
    writeFileSync(join(pkg, 'dist', 'redis.d.ts'), 'export declare const redisCache: number;\n');
    output = runApiReport(packagesDir, { check: true }).messages.join('\n');
    expect(output).toMatch(/redis\.api\.md is missing/);

    writeFixture();
    renameSync(join(pkg, 'api', 'testing.api.md'), join(pkg, 'api', 'old.api.md'));
    const result = runApiReport(packagesDir, { check: true });
    expect(result.ok).toBe(false);
    expect(result.messages.join('\n')).toMatch(/old\.api\.md has no entry point any more/);
  });

  it('refuses an @internal export from a stable entry point and allows it at ./internal', () => {
    const internalFn =
      '/** @internal */\nexport declare function uuidText(value: string): string | undefined;\n';
    writeFixture({ index: internalFn });
    const result = runApiReport(packagesDir);
    expect(result.ok).toBe(false);
    expect(result.messages.join('\n')).toContain('exports `uuidText`, which is marked @internal');

    writeFixture({ extraExports: { './internal': { import: { types: './dist/internal.d.ts' } } } });
    writeFileSync(join(pkg, 'dist', 'internal.d.ts'), internalFn);
    expect(runApiReport(packagesDir).ok).toBe(true);
    expect(readFileSync(join(pkg, 'api', 'internal.api.md'), 'utf8')).toContain('**Unstable entry point:**');
  });
});

const typedocPath = () => relative(process.cwd(), join(pkg, 'typedoc.json'));

describe('typedoc entry points', () => {
  it('wants every stable entry point, and only those, in the package typedoc.json', () => {
    writeFixture({ extraExports: { './internal': { import: { types: './dist/internal.d.ts' } } } });
    writeFileSync(join(pkg, 'dist', 'internal.d.ts'), 'export declare const x: number;\n');
    expect(runApiReport(packagesDir, { typedoc: true }).messages.join('\n')).toMatch(
      /typedoc\.json is missing/,
    );

    writeFileSync(join(pkg, 'typedoc.json'), JSON.stringify({ entryPoints: ['src/index.ts', 'src/old.ts'] }));
    const result = runApiReport(packagesDir, { typedoc: true });
    expect(result.ok).toBe(false);
    expect(result.messages).toContain(
      'error: @fixture/pkg: typedoc.json does not list src/testing.ts, a stable entry point'.replace(
        'typedoc.json',
        typedocPath(),
      ),
    );
    expect(result.messages.join('\n')).toContain('lists src/old.ts, which is not a stable entry point');

    writeFileSync(
      join(pkg, 'typedoc.json'),
      JSON.stringify({ entryPoints: ['src/index.ts', 'src/testing.ts'] }),
    );
    expect(typedocEntryProblems(pkg)).toEqual([]);
    expect(runApiReport(packagesDir, { typedoc: true }).ok).toBe(true);
  });
});

describe('diffLines', () => {
  it('marks removed and added lines between a shared head and tail', () => {
    expect(diffLines('a\nb\nc\nd', 'a\nb\nx\nd', 1).split('\n')).toEqual([
      '@@ line 2 @@',
      '  b',
      '- c',
      '+ x',
      '  d',
    ]);
  });
});
