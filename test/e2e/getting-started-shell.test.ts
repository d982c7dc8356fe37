/**
 * The first-hour guide's shell steps (docs/getting-started.md, its ```sh name=… blocks, read by
 * scripts/doc-blocks.mjs) run as written with bash, from a fresh directory whose
 * `node_modules/.bin` holds the workspace's built `bionicpro-etl` (packages/etl/dist) and
 * `pglite-server` (@electric-sql/pglite-socket), as after the guide's `npm install`: the real `npx`
 * finds them there, offline.
 *
 * - Section 3 (embedded engines): the pglite servers (on free ports in place of 5433/5434), the
 *   trial files of section 2, init/load-files/run, then read and kpis; the servers are stopped after.
 * - Section 2 on the real PostgreSQL (127.0.0.1:5432, trust auth), with database names unique to the
 *   run in place of crm_db/telemetry_db; its ClickHouse server URL becomes embedded chDB
 *   (chdb:./warehouse), as the test machine has no ClickHouse server.
 *
 * Each step must exit 0 (bash -e); the user_monthly row read back for user 1 must hold the sums the
 * trial files give, and `kpis` straight from the files must print the same.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { root, shBlocksOf } from '../../scripts/doc-blocks.mjs';
import { postgresUrl, requireService } from '../services.js';
import { freePort } from './support/free-port.js';

const postgres = requireService('postgres');
const guide = join(root, 'docs', 'getting-started.md');
const blocks = shBlocksOf(guide);
const work = mkdtempSync(join(tmpdir(), 'getting-started-sh-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The guide's named blocks, in this order, each after an `echo` of where it is (stdoutOf splits on it). */
function guideScript(names: readonly string[], rewrite: (code: string) => string): string {
  return names
    .map((name) => {
      const found = blocks.get(name);
      if (!found) throw new Error(`docs/getting-started.md has no \`\`\`sh name=${name} block`);
      return `echo '### ${found.file}:${found.line} (${name})'\n${rewrite(found.code)}`;
    })
    .join('\n');
}

/** The bin script a package.json names, as an absolute path. */
function binOf(packageDir: string, name: string): string {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
  };
  const bin = manifest.bin[name];
  if (!bin) throw new Error(`${packageDir}/package.json has no bin ${name}`);
  return join(packageDir, bin);
}

/** A fresh directory where `npx` finds the two CLIs of the guide, as in a project that installed them. */
function readerDirectory(name: string): string {
  const dir = mkdtempSync(join(work, `${name}-`));
  const bin = join(dir, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  const targets = {
    'bionicpro-etl': binOf(join(root, 'packages', 'etl'), 'bionicpro-etl'),
    'pglite-server': binOf(
      realpathSync(join(root, 'test', 'node_modules', '@electric-sql', 'pglite-socket')),
      'pglite-server',
    ),
  };
  for (const [command, script] of Object.entries(targets)) {
    writeFileSync(join(bin, command), `#!/bin/sh\nexec '${process.execPath}' '${script}' "$@"\n`);
    chmodSync(join(bin, command), 0o755);
  }
  return dir;
}

interface ShellRun {
  readonly code: number | null;
  /** What the script printed to stdout so far. */
  readonly stdout: string;
  /** stdout and stderr so far, interleaved. */
  readonly output: string;
  /** Ends whatever the script left running in the background (its process group); resolves when gone. */
  stop(): Promise<void>;
}

/**
 * Runs a script with `bash -ex` (the first failing step ends it; stderr traces each step) in its own
 * process group, with the test's PATH and npx offline.
 */
function runShell(script: string, cwd: string, timeoutMs = 240_000): Promise<ShellRun> {
  const env: Record<string, string | undefined> = {};
  // pnpm's npm_config_* would reach npx; the reader's shell has none of them.
  for (const [key, value] of Object.entries(process.env)) if (!/^npm_/i.test(key)) env[key] = value;
  env.npm_config_offline = 'true';
  env.npm_config_update_notifier = 'false';
  env.NODE_OPTIONS = '';
  const child: ChildProcess = spawn('bash', ['-c', `set -ex\n${script}`], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const group = child.pid as number;
  let stdout = '';
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d;
    output += d;
  });
  child.stderr?.on('data', (d: Buffer) => (output += d));
  const alive = () => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  const stop = async () => {
    if (alive()) process.kill(-group, 'SIGTERM');
    const deadline = Date.now() + 15_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (alive()) {
      process.kill(-group, 'SIGKILL');
      throw new Error('the processes the guide started did not end on SIGTERM');
    }
  };
  const timer = setTimeout(() => process.kill(-group, 'SIGKILL'), timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    // 'exit', not 'close': the background servers keep the pipes open after bash itself ended.
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        get stdout() {
          return stdout;
        },
        get output() {
          return output;
        },
        stop,
      });
    });
  });
}

/** Runs the guide's named blocks as one script, `rewrite` applied to each the same way. */
function runGuide(
  dir: string,
  names: readonly string[],
  rewrite: (code: string) => string,
): Promise<ShellRun> {
  return runShell(guideScript(names, rewrite), dir);
}

/** The stdout of one block: the lines after its `### …(name)` marker, up to the next marker. */
function stdoutOf(stdout: string, name: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((line) => line.startsWith('### ') && line.endsWith(`(${name})`));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && line.startsWith('### '));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((line) => line.trim() !== '');
}

function jsonLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** One CSV record (quoted fields may hold commas). */
function csvFields(line: string): string[] {
  return [...line.matchAll(/(?:^|,)("(?:[^"]|"")*"|[^,]*)/g)].map(([, field = '']) =>
    field.startsWith('"') ? field.slice(1, -1).replaceAll('""', '"') : field,
  );
}

/** User 1's January 2024 payments, summed from the trial files the guide wrote. */
function expectedUserMonthly(dir: string) {
  const [header, ...rows] = readFileSync(join(dir, 'trial', 'payments.csv'), 'utf8')
    .trim()
    .split('\n');
  const columns = csvFields(header as string);
  const payments = rows
    .map((row) => Object.fromEntries(csvFields(row).map((value, i) => [columns[i], value])))
    .filter((p) => p.user_id === '1' && p.payment_date?.startsWith('2024-01'));
  const cents = (p: Record<string, string | undefined>) => Math.round(Number(p.amount) * 100);
  const sum = (list: typeof payments) => (list.reduce((total, p) => total + cents(p), 0) / 100).toFixed(2);
  expect(payments.length).toBeGreaterThan(0);
  return {
    total_payments: sum(payments),
    successful_payments: sum(payments.filter((p) => p.status === 'success')),
    failed_payments_count: payments.filter((p) => p.status === 'failed').length,
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('docs/getting-started.md shell steps, as written', () => {
  it('section 3: pglite servers, the trial files, init, load-files, run, read and kpis on embedded engines', async () => {
    const dir = readerDirectory('embedded');
    const crmPort = await freePort();
    const telemetryPort = await freePort();
    // Only the guide's two ports change, the same way in every block.
    const ports = (code: string) =>
      code.replaceAll('5433', String(crmPort)).replaceAll('5434', String(telemetryPort));
    const run = await runGuide(
      dir,
      ['embedded-servers', 'trial-files', 'embedded-steps', 'embedded-read'],
      ports,
    );
    try {
      expect(run.code, run.output).toBe(0);
      const expected = expectedUserMonthly(dir);
      expect(expected).toEqual({
        total_payments: '5998.00',
        successful_payments: '2999.00',
        failed_payments_count: 1,
      });
      const printed = jsonLines(stdoutOf(run.stdout, 'embedded-read'));
      const read = printed.filter((row) => row.mart === undefined && row.user_id === 1);
      const kpis = printed.filter((row) => row.mart === 'report_user_monthly_metrics' && row.user_id === 1);
      expect(read, run.output).toHaveLength(1);
      expect(kpis, run.output).toHaveLength(1);
      expect(read[0]).toMatchObject(expected);
      expect(kpis[0]).toMatchObject(expected);
    } finally {
      await run.stop();
    }
    expect(await portOpen(crmPort)).toBe(false);
    expect(await portOpen(telemetryPort)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('section 2: init, the trial files, load-files and run on the real PostgreSQL (chDB for ClickHouse)', async () => {
    // The guide's URLs name the server at localhost:5432 with trust auth: the real stack's.
    expect(`${postgres.host}:${postgres.port}`).toMatch(/^(127\.0\.0\.1|localhost):5432$/);
    const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
    const databases = { crm_db: `sh_crm_${suffix}`, telemetry_db: `sh_telemetry_${suffix}` };
    const own = (code: string) =>
      code
        .replaceAll('/crm_db', `/${databases.crm_db}`)
        .replaceAll('/telemetry_db', `/${databases.telemetry_db}`)
        .replaceAll('http://localhost:8123', 'chdb:./warehouse');
    const dir = readerDirectory('own');
    const run = await runGuide(dir, ['own-init', 'trial-files', 'own-load', 'own-run'], own);
    try {
      expect(run.code, run.output).toBe(0);
      const read = jsonLines(stdoutOf(run.stdout, 'own-run')).filter((row) => row.user_id === 1);
      expect(read, run.output).toHaveLength(1);
      expect(read[0]).toMatchObject(expectedUserMonthly(dir));
      // The CSV read of prosthetic_monthly printed its header at least.
      expect(stdoutOf(run.stdout, 'own-run').some((line) => /^[a-z_]+(,[a-z_]+)+$/.test(line))).toBe(true);
    } finally {
      await run.stop();
      const cleaner = new pg.Client({ connectionString: postgresUrl(postgres, 'postgres') });
      await cleaner.connect();
      try {
        for (const name of Object.values(databases))
          await cleaner.query(`drop database if exists ${name} with (force)`);
      } finally {
        await cleaner.end();
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
