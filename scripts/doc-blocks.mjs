#!/usr/bin/env node
// Every ```ts block of the READMEs and docs/ is a program a reader may paste: this extracts them,
// writes each as a file (with the named setup block it builds on), and type-checks them all against
// the built packages under `strict` with `skipLibCheck: false`. test/e2e/doc-blocks*.test.ts runs them.
//
// Info string of a block (after ```ts), space-separated:
//   name=ID        a setup block other blocks build on (it runs on its own too)
//   uses=ID        this block continues the block named ID: its code is put first
//   needs=A,B      services the block needs besides embedded engines (kafka, connect, keycloak):
//                  it runs in test/e2e/doc-blocks-stack.test.ts against the real stack
//   until-sigterm  the block runs until SIGTERM (a consumer, a server): the runner starts it, waits
//                  until it handled what the runner gave it (a Kafka message, a /metrics request),
//                  then sends SIGTERM and expects exit code 0
//   typecheck-only the block is type-checked but not run (it needs what no test provides)
//   fresh          the block gets empty PostgreSQL databases (by default their tables exist, as after
//                  `bionicpro-etl init`)
//   skip-doc-test  neither checked nor run; the rest of the info string says why
//
// Blocks read their connections from the environment the runner sets, with the defaults a
// reader would use: CRM_URL, TELEMETRY_URL (PostgreSQL), CLICKHOUSE_PATH (a chDB directory),
// KAFKA_BROKERS, KAFKA_CONNECT_URL, KEYCLOAK_URL; on a shared stack the names a block creates come
// from the environment too (CRM_TOPIC_PREFIX, TELEMETRY_TOPIC_PREFIX: connector names and topic
// prefixes; METRICS_PORT), so each run uses its own.
//
// ```sh blocks are tests when their info string names them (```sh name=ID): shBlocksOf() returns them
// by name, and test/e2e/getting-started-shell.test.ts runs the first-hour guide's named blocks
// (docs/getting-started.md) as written with bash, in a fresh directory where `npx` finds the built
// `bionicpro-etl` and `pglite-server`. The only rewrites it makes: the embedded servers' ports 5433
// and 5434 become free ports (consistently, in every block), the PostgreSQL database names crm_db and
// telemetry_db become names unique to the run, and section 2's ClickHouse server URL
// (http://localhost:8123) becomes embedded chDB (chdb:./warehouse): the test machine has no
// ClickHouse server. A ```sh block without name= is not run.
//
// Usage: node scripts/doc-blocks.mjs [--list]   (type-checks every block; --list prints them)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');
/** Where the blocks are written: inside the `test` workspace package, so they resolve its dependencies. */
export const outDir = join(root, 'test', '.doc-blocks');

/** The documents whose blocks are tests. */
export function docFiles() {
  const files = [join(root, 'README.md'), join(root, 'examples', 'README.md')];
  for (const name of readdirSync(join(root, 'packages'))) {
    const readme = join(root, 'packages', name, 'README.md');
    if (existsSync(readme)) files.push(readme);
  }
  for (const name of readdirSync(join(root, 'docs'))) {
    if (name.endsWith('.md')) files.push(join(root, 'docs', name));
  }
  return files.filter((f) => existsSync(f));
}

/** The fenced blocks of one markdown text in the given languages: first line, info string, code. */
function fencesOf(text, languages) {
  const fences = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(\w+)(?:\s+(.*))?$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end += 1;
    if (languages.includes(open[1])) {
      fences.push({ line: start, info: (open[2] ?? '').trim(), code: lines.slice(start, end).join('\n') });
    }
    i = end;
  }
  return fences;
}

/**
 * The ```sh blocks of one markdown file that carry `name=ID`, by name: the shell steps
 * test/e2e/getting-started-shell.test.ts runs as written (see the header of this file).
 */
export function shBlocksOf(file) {
  const blocks = new Map();
  for (const { line, info, code } of fencesOf(readFileSync(file, 'utf8'), ['sh', 'bash'])) {
    const name = /(?:^|\s)name=(\S+)/.exec(info)?.[1];
    if (!name) continue;
    if (blocks.has(name)) throw new Error(`${relative(root, file)}:${line}: a second sh block named ${name}`);
    blocks.set(name, { file: relative(root, file), line, name, code });
  }
  return blocks;
}

/** The ```ts blocks of one markdown text. */
export function blocksOf(text, file) {
  const blocks = [];
  for (const { line: start, info, code } of fencesOf(text, ['ts', 'typescript'])) {
    const flags = {
      needs: [],
      name: undefined,
      uses: undefined,
      typecheckOnly: false,
      untilSigterm: false,
      fresh: false,
      skip: undefined,
    };
    const skip = /(?:^|\s)skip-doc-test\b(.*)$/.exec(info);
    if (skip) flags.skip = skip[1].trim() || 'no reason given';
    for (const word of info.split(/\s+/)) {
      const [key, value] = word.split('=');
      if (key === 'needs' && value) flags.needs = value.split(',');
      else if (key === 'name' && value) flags.name = value;
      else if (key === 'uses' && value) flags.uses = value;
      else if (key === 'typecheck-only') flags.typecheckOnly = true;
      else if (key === 'until-sigterm') flags.untilSigterm = true;
      else if (key === 'fresh') flags.fresh = true;
    }
    blocks.push({ file: relative(root, file), line: start, flags, code });
  }
  return blocks;
}

export function allBlocks() {
  return docFiles().flatMap((file) => blocksOf(readFileSync(file, 'utf8'), file));
}

const slug = (block) => `${block.file.replace(/\.md$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-L${block.line}`;

/**
 * Makes `dir` a project of snippets checked against the built packages: a tsconfig (`strict`,
 * `skipLibCheck: false`, Node's types) and an ES-module package.json. tsdoc-examples.mjs uses it too.
 */
export function writeSnippetProject(dir) {
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2023',
          lib: ['ES2023'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
          // The test package's types, for `tsc` run from here.
          typeRoots: [join(root, 'node_modules', '@types'), join(root, 'test', 'node_modules', '@types')],
        },
        include: ['*.ts'],
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
}

/** The diagnostics of one `tsc` run over a snippet project (empty text when it compiles). */
export function tscOutput(dir) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return '';
  } catch (error) {
    return `${error.stdout ?? ''}${error.stderr ?? ''}`;
  }
}

/**
 * Writes every block that is not skipped to `outDir` (setup code first) with a tsconfig for them;
 * returns the blocks with their `path` and `id`.
 */
export function writeBlocks() {
  const blocks = allBlocks();
  const named = new Map(blocks.filter((b) => b.flags.name).map((b) => [b.flags.name, b]));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const written = [];
  for (const block of blocks) {
    if (block.flags.skip) continue;
    const parts = [];
    const seen = new Set();
    for (let setup = named.get(block.flags.uses); setup; setup = named.get(setup.flags.uses)) {
      if (seen.has(setup.flags.name)) throw new Error(`${block.file}:${block.line}: uses= forms a cycle`);
      seen.add(setup.flags.name);
      parts.unshift(`// --- setup: ${setup.file}:${setup.line} (${setup.flags.name})\n${setup.code}`);
    }
    if (block.flags.uses && !named.has(block.flags.uses)) {
      throw new Error(`${block.file}:${block.line}: uses=${block.flags.uses}, but no block is named so`);
    }
    parts.push(`// --- ${block.file}:${block.line}\n${block.code}`);
    const id = slug(block);
    const path = join(outDir, `${id}.ts`);
    // `export {}` keeps each file a module (top-level await, no shared globals).
    writeFileSync(path, `${parts.join('\n')}\nexport {};\n`);
    written.push({ ...block, id, path });
  }
  writeSnippetProject(outDir);
  return written;
}

/**
 * Type-checks the written blocks in one `tsc` run; returns the diagnostics per block
 * (an empty map when everything compiles).
 */
export const upstream = [];

export function typecheckBlocks(written) {
  const output = tscOutput(outDir);
  const byBlock = new Map();
  let lastWasUpstream = false;
  let lastKey = 'other';
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    // Declarations of third-party packages are theirs to fix (e.g. @platformatic/kafka's need
    // @types/debug); ours (@bionicpro/*, dist/) and the blocks must be clean.
    if (line.startsWith(' ')) {
      if (!lastWasUpstream) byBlock.get(lastKey)?.push(line);
      continue;
    }
    lastWasUpstream = /node_modules\//.test(line) && !/@bionicpro[/+]/.test(line);
    if (lastWasUpstream) {
      upstream.push(line);
      continue;
    }
    const block = written.find((b) => line.startsWith(`${b.id}.ts(`) || line.includes(`/${b.id}.ts(`));
    const key = block ? `${block.file}:${block.line}` : 'other';
    lastKey = key;
    byBlock.set(key, [...(byBlock.get(key) ?? []), line]);
  }
  return byBlock;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const written = writeBlocks();
  if (process.argv.includes('--list')) {
    for (const b of allBlocks()) {
      const tags = [
        b.flags.name && `name=${b.flags.name}`,
        b.flags.uses && `uses=${b.flags.uses}`,
        b.flags.needs.length && `needs=${b.flags.needs.join(',')}`,
        b.flags.typecheckOnly && 'typecheck-only',
        b.flags.untilSigterm && 'until-sigterm',
        b.flags.skip && `skip: ${b.flags.skip}`,
      ].filter(Boolean);
      console.log(`${b.file}:${b.line} ${tags.join(' ')}`);
    }
  }
  const errors = typecheckBlocks(written);
  for (const line of upstream) console.warn(`upstream declarations (not ours): ${line}`);
  for (const [where, lines] of errors) console.error(`${where}\n  ${lines.join('\n  ')}`);
  console.log(
    `${written.length} blocks written to ${relative(root, outDir)}; ${errors.size === 0 ? 'all type-check' : `${errors.size} with type errors`}`,
  );
  process.exitCode = errors.size === 0 ? 0 : 1;
}
