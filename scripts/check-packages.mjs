#!/usr/bin/env node
// Packaging checks for every published package, run by the test command:
//  1. publint (strict) and @arethetypeswrong/cli on each package;
//  2. `pnpm pack` each package, install the tarballs into a scratch project
//     (workspace:^ ranges are rewritten to real versions by pack), and import
//     every export from both ESM and CJS;
//  3. every tarball holds LICENSE, README.md and CHANGELOG.md;
//  4. for every install line of the READMEs (`npm install …` / `pnpm add …`,
//     each line adding to the lines before it in the same block), a scratch
//     project with exactly those packages (plus @types/node) type-checks an
//     import of every entry point it can use, under `strict` with
//     `skipLibCheck: false`: the declarations must not need a peer the line
//     does not name.
//     Where the line installs what a documented wiring needs (WIRINGS below:
//     chDB or a ClickHouse server behind the packages' `ClickHouseLike` seam),
//     that wiring type-checks too, without a cast.
// A broken exports map or a file missing from `files` fails here, not at a user.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');
const packages = readdirSync(packagesDir)
  .map((name) => ({
    dir: join(packagesDir, name),
    manifest: JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8')),
  }))
  .filter((p) => !p.manifest.private);

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
const failures = [];

/** Optional peers a subpath entry needs besides its package's required ones. */
const SUBPATH_PEERS = {
  chdb: ['chdb', '@clickhouse/client'],
  kafkajs: ['kafkajs'],
  platformatic: ['@platformatic/kafka'],
  prometheus: ['prom-client'],
  redis: ['redis'],
};

/**
 * Documented wirings of a client into the packages, type-checked (no casts) in every install-line
 * project that has the packages each needs: `createChdbClient` and `@clickhouse/client`'s client
 * satisfy the one ClickHouse seam of `@bionicpro/models` and what etl, cdc and reports take.
 */
const WIRINGS = [
  {
    needs: ['@bionicpro/etl', '@bionicpro/models', 'chdb', '@clickhouse/client'],
    code: `import { createChdbClient } from '@bionicpro/etl/chdb';
import { ensureWarehouse } from '@bionicpro/etl';
import type { ClickHouseLike } from '@bionicpro/models';
export async function chdbWiring(path: string): Promise<ClickHouseLike> {
  const clickhouse = createChdbClient({ path });
  await ensureWarehouse(clickhouse, { rawDatabase: 'raw', martDatabase: 'reports' });
  return clickhouse;
}`,
  },
  {
    needs: ['@bionicpro/etl', '@bionicpro/models', '@clickhouse/client'],
    code: `import { createClient } from '@clickhouse/client';
import { type ClickHouseLike, runMonthlyJob } from '@bionicpro/etl';
export const etlServerWiring = (crm: Parameters<typeof runMonthlyJob>[0]['crm']) => {
  const loader: ClickHouseLike = createClient({ url: 'http://localhost:8123' });
  return runMonthlyJob({ month: '2024-01', crm, telemetry: crm, clickhouse: loader, engine: 'sql' });
};`,
  },
  {
    needs: ['@bionicpro/cdc', '@bionicpro/models', '@clickhouse/client'],
    code: `import { createClient } from '@clickhouse/client';
import { type ClickHouseLike as CdcClickHouse, currentRowsQuery } from '@bionicpro/cdc';
import type { ClickHouseLike } from '@bionicpro/models';
export async function cdcServerWiring(): Promise<unknown> {
  const clickhouse = createClient({ url: 'http://localhost:8123' });
  const seam: ClickHouseLike = clickhouse;
  const sink: CdcClickHouse = clickhouse;
  const rows = await (await sink.query({ ...currentRowsQuery('cdc.payments'), format: 'JSONEachRow' })).json();
  return [seam, rows];
}`,
  },
  {
    needs: ['@bionicpro/reports', '@bionicpro/models', '@clickhouse/client'],
    code: `import { createClient } from '@clickhouse/client';
import { createReportService } from '@bionicpro/reports';
export function reportsServerWiring(): unknown {
  return createReportService({ client: createClient({ url: 'http://localhost:8123' }), database: 'reports' });
}`,
  },
];

for (const { dir, manifest } of packages) {
  try {
    run('pnpm', ['exec', 'publint', '--strict'], dir);
    console.log(`publint   ok  ${manifest.name}`);
  } catch (error) {
    failures.push(`publint ${manifest.name}:\n${error.stdout}${error.stderr}`);
  }
  try {
    run('pnpm', ['exec', 'attw', '--pack', '.', '--profile', 'node16', '--format', 'ascii'], dir);
    console.log(`attw      ok  ${manifest.name}`);
  } catch (error) {
    failures.push(`attw ${manifest.name}:\n${error.stdout}${error.stderr}`);
  }
}

const scratch = mkdtempSync(join(tmpdir(), 'bionicpro-pack-'));
try {
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  for (const { dir } of packages) run('pnpm', ['pack', '--pack-destination', tarballs], dir);
  const files = readdirSync(tarballs);
  const tarballOf = (name) => {
    const base = name.replace('@', '').replace('/', '-');
    const file = files.find((f) => f.startsWith(`${base}-`));
    if (!file) throw new Error(`no tarball for ${name}`);
    return `file:${join(tarballs, file)}`;
  };
  const consumer = join(scratch, 'consumer');
  mkdirSync(consumer);
  const deps = Object.fromEntries(packages.map(({ manifest }) => [manifest.name, tarballOf(manifest.name)]));
  // Peer dependencies the consumer is expected to bring, pinned to the workspace's versions.
  const peers = {};
  for (const { manifest } of packages) {
    for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
      const version = manifest.devDependencies?.[peer];
      if (version && !peers[peer] && peer !== 'chdb') peers[peer] = version;
    }
  }
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify(
      { name: 'pack-consumer', private: true, version: '0.0.0', dependencies: { ...deps, ...peers } },
      null,
      2,
    ),
  );
  // The tarballs reference each other by version (`workspace:^` → `^0.1.0`), so point those at the tarballs too.
  writeFileSync(join(consumer, '.npmrc'), 'manage-package-manager-versions=false\n');
  writeFileSync(
    join(consumer, 'pnpm-workspace.yaml'),
    `packages: []\noverrides:\n${packages.map(({ manifest }) => `  "${manifest.name}": "${tarballOf(manifest.name)}"`).join('\n')}\n`,
  );
  run(
    'pnpm',
    [
      'install',
      '--no-frozen-lockfile',
      '--ignore-scripts',
      `--store-dir=${join(root, 'node_modules', '.pnpm-store-pack')}`,
      '--prefer-offline',
    ],
    consumer,
  );
  // Entries whose optional peers the consumer does not have (chDB: a 550 MB native library) are left out.
  const specifiers = packages.flatMap(({ manifest }) =>
    Object.keys(manifest.exports)
      .filter((key) => key !== './package.json')
      .filter((key) => (SUBPATH_PEERS[key.slice(2)] ?? []).every((peer) => peer in peers))
      .map((key) => (key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`)),
  );
  const esm = specifiers
    .map(
      (s, i) =>
        `import * as m${i} from '${s}';\nif (Object.keys(m${i}).length === 0) throw new Error('${s}: no ESM exports');`,
    )
    .join('\n');
  const cjs = specifiers
    .map(
      (s) =>
        `{ const m = require('${s}'); if (Object.keys(m).length === 0) throw new Error('${s}: no CJS exports'); }`,
    )
    .join('\n');
  // Each entry point is built standalone with its own copy of what it imports: what the models'
  // root and `/internal` share must still meet — the model compiler (from `/internal`, as
  // @bionicpro/cdc uses it) knows the root's scalars, and one code-generation setting holds for both.
  const acrossEntries = (root, internal) => `
    if (${internal}.modelRuleOf(${root}.TelemetryEvent).fields.some((field) => field.kind === 'zod')) {
      throw new Error('@bionicpro/models/internal does not know the scalars of @bionicpro/models');
    }
    ${root}.configureCodeGeneration({ jitless: true });
    const generated = ${internal}.generateFunction({ generated: 'check', bindings: new Map(), body: ['return 1;'], fallback: () => 2 });
    ${root}.configureCodeGeneration({ jitless: false });
    if (generated !== 2) throw new Error('@bionicpro/models/internal does not see configureCodeGeneration of @bionicpro/models');
    console.log('models root and /internal agree');`;
  writeFileSync(
    join(consumer, 'check.mjs'),
    `${esm}\nimport * as modelsRoot from '@bionicpro/models';\nimport * as modelsInternal from '@bionicpro/models/internal';\n${acrossEntries('modelsRoot', 'modelsInternal')}\nconsole.log('esm ok: ${specifiers.length} entry points');\n`,
  );
  writeFileSync(
    join(consumer, 'check.cjs'),
    `${cjs}\n{ const modelsRoot = require('@bionicpro/models'); const modelsInternal = require('@bionicpro/models/internal');\n${acrossEntries('modelsRoot', 'modelsInternal')} }\nconsole.log('cjs ok: ${specifiers.length} entry points');\n`,
  );
  for (const file of ['check.mjs', 'check.cjs']) {
    try {
      process.stdout.write(run('node', [file], consumer));
    } catch (error) {
      failures.push(`import from ${file}:\n${error.stdout}${error.stderr}`);
    }
  }
  for (const { manifest } of packages) {
    const listing = run('tar', ['-tzf', tarballOf(manifest.name).slice('file:'.length)], scratch);
    for (const file of ['LICENSE', 'README.md', 'CHANGELOG.md']) {
      if (!listing.split('\n').includes(`package/${file}`))
        failures.push(`${manifest.name}: the tarball has no ${file}`);
    }
  }
  checkInstallLines(tarballOf, scratch);
  for (const { manifest } of packages) {
    for (const [bin, target] of Object.entries(manifest.bin ?? {})) {
      try {
        run('node', [join(consumer, 'node_modules', manifest.name, target), '--help'], consumer);
        console.log(`bin       ok  ${bin}`);
      } catch (error) {
        failures.push(`bin ${bin} --help:\n${error.stdout}${error.stderr}`);
      }
    }
  }
} catch (error) {
  failures.push(`pack/install: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** The install lines of the READMEs: per code block, each line adds its packages to the lines before it. */
function installLines() {
  const readmes = [join(root, 'README.md'), ...packages.map(({ dir }) => join(dir, 'README.md'))];
  const lines = [];
  for (const readme of readmes) {
    const text = readFileSync(readme, 'utf8');
    for (const block of text.matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```/gm)) {
      let installed = [];
      for (const line of block[1].split('\n')) {
        const m = /^\s*(?:npm install|npm i|pnpm add|yarn add)\s+([^#]*)/.exec(line);
        if (!m) continue;
        installed = [
          ...installed,
          ...m[1]
            .trim()
            .split(/\s+/)
            .filter((p) => !p.startsWith('-')),
        ];
        lines.push({ readme: readme.slice(root.length + 1), line: line.trim(), installed: [...installed] });
      }
    }
  }
  return lines;
}

function checkInstallLines(tarballOf, scratch) {
  const versions = {};
  for (const { manifest } of packages) {
    for (const [name, version] of Object.entries(manifest.devDependencies ?? {})) versions[name] ??= version;
  }
  versions['@types/node'] = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies[
    '@types/node'
  ];
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  // The workspace's own store: chDB's package (a native library) is already in it.
  const store = run('pnpm', ['store', 'path'], root).trim();
  for (const [index, { readme, line, installed }] of installLines().entries()) {
    const dir = join(scratch, `install-${index}`);
    mkdirSync(dir);
    const ours = new Map(packages.map(({ manifest }) => [manifest.name, manifest]));
    const dependencies = { '@types/node': versions['@types/node'] };
    for (const name of installed) {
      if (ours.has(name)) dependencies[name] = tarballOf(name);
      else if (versions[name]) dependencies[name] = versions[name];
      else failures.push(`${readme}: \`${line}\` names ${name}, which no package of the workspace pins`);
    }
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: `install-${index}`, private: true, type: 'module', dependencies }, null, 2),
    );
    writeFileSync(join(dir, '.npmrc'), 'manage-package-manager-versions=false\n');
    writeFileSync(
      join(dir, 'pnpm-workspace.yaml'),
      `packages: []\noverrides:\n${packages.map(({ manifest }) => `  "${manifest.name}": "${tarballOf(manifest.name)}"`).join('\n')}\n`,
    );
    const specifiers = [];
    for (const name of installed.filter((n) => ours.has(n))) {
      for (const key of Object.keys(ours.get(name).exports)) {
        if (key === './package.json') continue;
        const sub = key === '.' ? undefined : key.slice(2);
        if (sub && !(SUBPATH_PEERS[sub] ?? []).every((peer) => installed.includes(peer))) continue;
        specifiers.push(sub ? `${name}/${sub}` : name);
      }
    }
    writeFileSync(
      join(dir, 'check.ts'),
      `${specifiers.map((s, i) => `import * as m${i} from '${s}';\nconsole.log(Object.keys(m${i}).length);`).join('\n')}\n`,
    );
    const wirings = WIRINGS.filter((w) => w.needs.every((name) => installed.includes(name)));
    for (const [i, wiring] of wirings.entries())
      writeFileSync(join(dir, `wiring-${i}.ts`), `${wiring.code}\n`);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
        },
        files: ['check.ts', ...wirings.map((_, i) => `wiring-${i}.ts`)],
      }),
    );
    try {
      run(
        'pnpm',
        ['install', '--no-frozen-lockfile', '--ignore-scripts', `--store-dir=${store}`, '--prefer-offline'],
        dir,
      );
      run('node', [tsc, '-p', 'tsconfig.json'], dir);
      console.log(
        `types     ok  ${readme}: ${line} (${specifiers.join(', ')}${wirings.length ? `; ${wirings.length} wiring(s)` : ''})`,
      );
    } catch (error) {
      failures.push(
        `types after \`${line}\` (${readme}), skipLibCheck false:\n${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
    }
  }
}

if (failures.length > 0) {
  console.error(`\n${failures.length} packaging check(s) failed:\n\n${failures.join('\n\n')}`);
  process.exit(1);
}
console.log('packaging checks passed');
