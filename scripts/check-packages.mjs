#!/usr/bin/env node
// Packaging checks for every published package, run by the test command:
//  1. publint (strict) and @arethetypeswrong/cli on each package;
//  2. `pnpm pack` each package, install the tarballs into a scratch project
//     (workspace:^ ranges are rewritten to real versions by pack), and import
//     every export from both ESM and CJS.
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
  const specifiers = packages.flatMap(({ manifest }) =>
    Object.keys(manifest.exports)
      .filter((key) => key !== './package.json')
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
  writeFileSync(
    join(consumer, 'check.mjs'),
    `${esm}\nconsole.log('esm ok: ${specifiers.length} entry points');\n`,
  );
  writeFileSync(
    join(consumer, 'check.cjs'),
    `${cjs}\nconsole.log('cjs ok: ${specifiers.length} entry points');\n`,
  );
  for (const file of ['check.mjs', 'check.cjs']) {
    try {
      process.stdout.write(run('node', [file], consumer));
    } catch (error) {
      failures.push(`import from ${file}:\n${error.stdout}${error.stderr}`);
    }
  }
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

if (failures.length > 0) {
  console.error(`\n${failures.length} packaging check(s) failed:\n\n${failures.join('\n\n')}`);
  process.exit(1);
}
console.log('packaging checks passed');
