#!/usr/bin/env node
// `pnpm bench`: runs every workspace package's `bench` script in turn (one at a
// time, so figures are not disturbed by each other) and prints them together.
// BENCH_FILTER=etl,cdc limits the run to some packages.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const filter = process.env.BENCH_FILTER?.split(',').map((s) => s.trim());
const dirs = ['packages', 'examples', 'test'].flatMap((group) =>
  existsSync(join(root, group)) ? readdirSync(join(root, group)).map((name) => join(root, group, name)) : [],
);
// test/ itself is the private @bionicpro/stack-tests package (end-to-end bench: test/e2e/bench-e2e.ts).
dirs.push(join(root, 'test'));
let failed = 0;
for (const dir of dirs) {
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (!manifest.scripts?.bench) continue;
  if (filter && !filter.some((f) => manifest.name.includes(f))) continue;
  console.log(`\n=== ${manifest.name} ===`);
  try {
    execFileSync('pnpm', ['run', '--silent', 'bench'], { cwd: dir, stdio: 'inherit' });
  } catch {
    failed += 1;
    console.error(`bench failed: ${manifest.name}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
