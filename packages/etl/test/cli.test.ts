import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractPool } from '../src/index.js';
import { kpiDataset, recentMonths } from './support/edge-dataset.js';
import { seedSources } from './support/postgres-seed.js';

/** The `bionicpro-etl` binary, spawned as a user would run it. */
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Spawned with pipes: stderr is not a terminal, so progress comes as JSON lines.
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const work = mkdtempSync(join(tmpdir(), 'etl-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function inputDir(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const seedExample = {
  'users.jsonl':
    '{"id":1,"user_uuid":"a1b2c3d4-e5f6-4890-abcd-ef1234567890","name":"Alexander Ivanov","email":"alex.ivanov@bionicpro.ru","registered_at":"2023-06-01T00:00:00Z","updated_at":"2023-06-01T00:00:00Z"}\n',
  'subscriptions.csv':
    'id,user_id,subscription_type,start_date,end_date,is_active,monthly_cost,created_at,updated_at\n5,1,basic,2023-06-01,,true,2999.00,2023-06-01T00:00:00Z,2023-06-01T00:00:00Z\n',
  'payments.csv': [
    'id,user_id,subscription_id,payment_date,amount,payment_method,status,description,created_at',
    '101,1,5,2024-01-15 10:30:00,2999.00,card,success,,2024-01-15 10:30:00',
    '102,1,5,2024-01-16 10:30:00,2999.00,card,failed,"declined, retry",2024-01-16 10:30:00',
    '103,1,5,2024-01-17 10:30:00,2999.00,card,success,,2024-01-17 10:30:00',
    '',
  ].join('\n'),
  'prosthetics.jsonl':
    '{"id":1,"user_id":1,"prosthetic_uuid":"11111111-89ab-4def-8123-456789abcdef","device_type":"left_arm","serial_number":"SN-123456","chip_id":"CHIP-1","model":"BionicPRO X2","purchase_date":"2023-01-15","warranty_end_date":"2025-01-15","is_active":true,"created_at":"2023-01-15T00:00:00Z","updated_at":"2023-01-15T00:00:00Z"}\n',
  'device_events.csv': [
    'id,prosthetic_id,event_type,event_timestamp,event_value,severity,response_time_ms,created_at',
    '1,1,power_on,2024-01-10T08:00:00Z,battery_85%,info,30,2024-01-10T08:00:01Z',
    '2,1,power_off,2024-01-10T20:30:00Z,,info,,2024-01-10T20:30:01Z',
    '',
  ].join('\n'),
};

describe('bionicpro-etl kpis', () => {
  it('prints the seed example as JSON lines with a mart field and money as strings', async () => {
    const dir = inputDir('seed', seedExample);
    const { code, stdout, stderr } = await runCli(['kpis', '--input', dir, '--month', '2024-01']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const user = rows.find((r) => r.mart === 'report_user_monthly_metrics');
    expect(user).toMatchObject({
      user_id: 1,
      report_date: '2024-01-01',
      total_payments: '8997.00',
      successful_payments: '5998.00',
      failed_payments_count: 1,
      active_subscriptions_count: 1,
      subscription_cost_total: '2999.00',
      arr: '35988.00',
    });
    const device = rows.find((r) => r.mart === 'report_prosthetic_monthly_metrics');
    expect(device).toMatchObject({
      prosthetic_id: 1,
      power_on_count: 1,
      power_off_count: 1,
      total_active_hours: 12.5,
    });
    expect(rows.filter((r) => r.mart === 'user_prosthesis_stats').map((r) => r.hour)).toEqual([
      '2024-01-10T08:00:00.000Z',
      '2024-01-10T20:00:00.000Z',
    ]);
  });

  it('prints only the mart asked for', async () => {
    const dir = inputDir('seed-only', seedExample);
    const { code, stdout } = await runCli([
      'kpis',
      '--input',
      dir,
      '--month',
      '2024-01',
      '--mart',
      'prosthetic_monthly',
    ]);
    expect(code).toBe(0);
    const marts = new Set(
      stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { mart: string }).mart),
    );
    expect([...marts]).toEqual(['report_prosthetic_monthly_metrics']);
  });

  it('exits non-zero naming file, line and field of bad input', async () => {
    const dir = inputDir('bad', {
      ...seedExample,
      'payments.csv': [
        'id,user_id,subscription_id,payment_date,amount,payment_method,status,description,created_at',
        '101,1,5,2024-01-15 10:30:00,2999.00,card,success,,2024-01-15 10:30:00',
        '102,1,5,2024-01-16 10:30:00,29.999,card,failed,,2024-01-16 10:30:00',
      ].join('\n'),
    });
    const { code, stdout, stderr } = await runCli(['kpis', '--input', dir, '--month', '2024-01']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/payments\.csv:3: field amount: money has more than two decimal places/);
  });

  it('reads a quoted CSV field that holds a newline and a quote (csv-parse, not line by line)', async () => {
    const dir = inputDir('quoted-newline', {
      ...seedExample,
      'payments.csv': [
        'id,user_id,subscription_id,payment_date,amount,payment_method,status,description,created_at',
        '101,1,5,2024-01-15 10:30:00,2999.00,card,success,"first line',
        'second line, with a ""quote""",2024-01-15 10:30:00',
        '102,1,5,2024-01-16 10:30:00,1.00,card,success,,2024-01-16 10:30:00',
        '',
      ].join('\n'),
    });
    const { code, stdout, stderr } = await runCli([
      'kpis',
      '--input',
      dir,
      '--month',
      '2024-01',
      '--mart',
      'user_monthly',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim())).toMatchObject({ successful_payments: '3000.00' });
  });

  it('names the line of an unterminated quoted field', async () => {
    const dir = inputDir('unterminated', {
      'users.csv':
        'id,user_uuid,name,email,registered_at,updated_at\n1,a1b2c3d4-e5f6-4890-abcd-ef1234567890,"Alex,x@y.ru,2023-06-01T00:00:00Z,2023-06-01T00:00:00Z\n',
    });
    const { code, stderr } = await runCli(['kpis', '--input', dir, '--month', '2024-01']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^bionicpro-etl: error: .*users\.csv:\d+: .*quote/im);
  });

  it.each([
    [
      'a missing directory',
      () => join(work, 'does-not-exist'),
      /does-not-exist: no such directory; expected a directory holding users\.jsonl\|\.csv/,
    ],
    [
      'a file path',
      () => inputDir('as-file', seedExample) + '/users.jsonl',
      /users\.jsonl: is a file; expected a directory/,
    ],
    [
      'misnamed files',
      () => inputDir('misnamed', { 'user.jsonl': seedExample['users.jsonl'] }),
      /unexpected file user\.jsonl \(did you mean users\.jsonl\?\)/,
    ],
    [
      'a directory without table files',
      () => inputDir('empty', { 'notes.txt': 'hello' }),
      /holds no table files; expected a directory holding users/,
    ],
  ])(
    'exits 1 naming what was expected for %s (it used to print nothing and exit 0)',
    async (_case, path, message) => {
      const { code, stdout, stderr } = await runCli(['kpis', '--input', path(), '--month', '2024-01']);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^bionicpro-etl: error: /);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('exits 2 on a usage error, in one style, pointing to --help', async () => {
    const month = await runCli(['kpis', '--month', '2024-13', '--input', work]);
    expect(month.code).toBe(2);
    expect(month.stderr).toMatch(/^bionicpro-etl: error: kpis: --month: invalid period "2024-13"/);
    const missing = await runCli(['kpis', '--month', '2024-01']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "bionicpro-etl: error: kpis: --input DIR is required\nRun 'bionicpro-etl kpis --help' for usage.\n",
    );
    const unknown = await runCli(['kpis', '--frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^bionicpro-etl: error: kpis: Unknown option '--frobnicate'\nRun 'bionicpro-etl kpis --help'/,
    );
  });
});

describe('bionicpro-etl kpis on a large input', () => {
  it('reports its reading as monotonic JSON progress lines on stderr, the marts on stdout', async () => {
    const line = (id: number) =>
      `{"id":${id},"event_uuid":"${`00000000${id.toString(16)}`.slice(-8)}-d9cb-469f-a165-70867728950e","user_id":1,"prosthetic_id":1,"prosthesis_type":"hand","muscle_group":"flexor ${'x'.repeat(200)}","signal_frequency":170,"signal_duration":1000,"signal_amplitude":2,"event_timestamp":"2024-01-10T08:30:00Z","saved_ts":"2024-01-10T08:30:00Z"}`;
    const rows = Array.from({ length: 32_000 }, (_, i) => line(i + 1)).join('\n');
    const dir = inputDir('large', { ...seedExample, 'telemetry_events.jsonl': `${rows}\n` });
    const { code, stdout, stderr } = await runCli([
      'kpis',
      '--input',
      dir,
      '--month',
      '2024-01',
      '--mart',
      'telemetry_report',
    ]);
    expect(code, stderr).toBe(0);
    const progress = stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; fraction: number; rows: number; done: boolean });
    expect(progress.every((p) => p.type === 'progress')).toBe(true);
    const fractions = progress.map((p) => p.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(progress.at(-1)).toMatchObject({ fraction: 1, done: true });
    expect(progress.at(-1)!.rows).toBe(32_000 + 8); // every row of every file, counted once
    expect(JSON.parse(stdout)).toMatchObject({ mart: 'telemetry_report', total_events: 32_000 });
  });
});

describe('bionicpro-etl help, version and exit codes', () => {
  it.each(['kpis', 'run', 'init', 'load-files', 'read'])(
    '%s --help prints its flags and exits 0',
    async (command) => {
      const { code, stdout, stderr } = await runCli([command, '--help']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toMatch(new RegExp(`^Usage: bionicpro-etl ${command} `));
      expect(stdout).toMatch(/--debug/);
      expect(stdout).toMatch(/Exit codes: 0 success, 1 failure .*, 2 usage error/);
    },
  );

  it("run's help lists --mart and every flag the command accepts", async () => {
    const { stdout } = await runCli(['run', '--help']);
    for (const flag of [
      '--month',
      '--crm',
      '--telemetry',
      '--clickhouse',
      '--engine',
      '--mart',
      '--raw-database',
      '--mart-database',
      '--pagination',
      '--insert-batch-size',
      '--pushdown-shard-rows',
    ]) {
      expect(stdout).toContain(`  ${flag} `);
    }
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await runCli(['--version']);
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(code).toBe(0);
    expect(stdout).toBe(`${manifest.version}\n`);
  });

  it('lists the commands with --help (exit 0) and without a command (exit 2, on stderr)', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /Commands:\n {2}kpis .*\n {2}run .*\n {2}init .*\n {2}load-files .*\n {2}read /,
    );
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^bionicpro-etl — BionicPRO batch ETL/);
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^bionicpro-etl: error: unknown command "frobnicate"; commands: kpis, run, init, load-files, read\n/,
    );
  });

  it.each([
    [
      ['--clickhouse', 'ftp://example.com'],
      /--clickhouse must be http\(s\):\/\/HOST:PORT or chdb:PATH, got "ftp:\/\/example.com"/,
    ],
    [['--raw-database', 'raw-db'], /--raw-database must be a plain identifier .* got "raw-db"/],
    [['--crm', 'mysql://x'], /--crm must be a postgres:\/\/… URL, got "mysql:\/\/x"/],
    [['--engine', 'spark'], /--engine must be one of ts, sql, got "spark"/],
    [
      ['--mart', 'telemetry_report'],
      /--mart must be one of user_monthly, prosthetic_monthly, hourly, got "telemetry_report"/,
    ],
  ])('run %j is a usage error (exit 2) without a stack trace', async (flags, message) => {
    const base: Record<string, string> = {
      '--month': '2024-01',
      '--crm': 'postgres://postgres@127.0.0.1:1/crm',
      '--telemetry': 'postgres://postgres@127.0.0.1:1/telemetry',
      '--clickhouse': `chdb:${join(work, 'never')}`,
    };
    const overrides = Object.fromEntries([[flags[0]!, flags[1]!]]);
    const args = Object.entries({ ...base, ...overrides }).flat();
    const { code, stderr } = await runCli(['run', ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^bionicpro-etl: error: run: /);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bionicpro-etl run', () => {
  const adminUrl = process.env.BIONICPRO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const suffix = `${process.pid}_${Date.now().toString(36)}`;
  const names = { crm: `etl_cli_crm_${suffix}`, telemetry: `etl_cli_telemetry_${suffix}` };
  const urlOf = (db: string) => {
    const url = new URL(adminUrl);
    url.pathname = `/${db}`;
    return url.toString();
  };
  const admin = new pg.Client({ connectionString: adminUrl });
  /** `run` of a month (default: last month) from the seeded databases into `clickhouse`. */
  const runArgs = (clickhouse: string, month: string = recentMonths()[1]) => [
    'run',
    '--month',
    month,
    '--crm',
    urlOf(names.crm),
    '--telemetry',
    urlOf(names.telemetry),
    '--clickhouse',
    clickhouse,
  ];

  beforeAll(async () => {
    await admin.connect();
    for (const db of Object.values(names)) await admin.query(`CREATE DATABASE ${db}`);
    const crm = await createExtractPool(urlOf(names.crm));
    const telemetry = await createExtractPool(urlOf(names.telemetry));
    await seedSources(crm, telemetry, kpiDataset(5, { users: 2, eventsPerDay: 4 }));
    await crm.end();
    await telemetry.end();
  });

  afterAll(async () => {
    for (const db of Object.values(names)) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
  });

  it('runs a month into chDB, reporting one monotonic progress as JSON lines when stderr is not a terminal', async () => {
    const month = recentMonths()[1];
    const chdb = join(work, 'chdb');
    const args = ['run', '--month', month, '--crm', urlOf(names.crm), '--telemetry', urlOf(names.telemetry)];
    const { code, stdout, stderr } = await runCli([
      ...args,
      '--clickhouse',
      `chdb:${chdb}`,
      '--engine',
      'ts',
    ]);
    expect(stderr).not.toMatch(/\r/);
    expect(code, stderr).toBe(0);
    const lines = stderr
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            fraction: number;
            rows: number;
            rows_per_second: number;
            eta_seconds: number | null;
            done: boolean;
          },
      );
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.type).toBe('progress');
    const fractions = lines.map((l) => l.fraction);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b)); // never moves backwards
    expect(lines.at(-1)).toMatchObject({ fraction: 1, done: true, eta_seconds: 0 });
    expect(lines.at(-1)!.rows).toBeGreaterThan(0);
    expect(lines.at(-1)!.rows_per_second).toBeGreaterThan(0);
    const summary = JSON.parse(stdout) as { period: string; marts: Record<string, number> };
    expect(summary.period).toBe(month);
    expect(summary.marts.report_prosthetic_monthly_metrics).toBeGreaterThan(0);
    expect(summary.marts.user_prosthesis_stats).toBeGreaterThan(0);
    // Every extracted row is counted once: the last reading's rows equal the summary's extracted rows.
    const extracted = Object.values(
      (JSON.parse(stdout) as { tables: Record<string, { extracted: number }> }).tables,
    ).reduce((s, t) => s + t.extracted, 0);
    expect(lines.at(-1)!.rows).toBeGreaterThanOrEqual(extracted);
  });

  it('reports an unreachable ClickHouse in one line, the client quiet; --debug adds the stack and the client log', async () => {
    const args = runArgs('http://127.0.0.1:1');
    const quiet = await runCli(args);
    expect(quiet.code).toBe(1);
    const text = quiet.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{"type":"progress"'));
    expect(text).toEqual([
      expect.stringMatching(
        /^bionicpro-etl: error: prepare of warehouse for \d{4}-\d\d failed after 5 attempts: connect ECONNREFUSED 127\.0\.0\.1:1$/,
      ),
    ]);
    const debug = await runCli([...args, '--debug']);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/^bionicpro-etl: (debug: )?clickhouse .*ECONNREFUSED/m);
    expect(debug.stderr).toMatch(/EtlStepError: prepare of warehouse[^\n]*\n\s+at /);
    expect(debug.stderr).toMatch(/Caused by:\nError: connect ECONNREFUSED/);
  });

  it('names the failed step, table and period when a source is unreachable', async () => {
    const month = recentMonths()[1];
    const { code, stderr } = await runCli([
      'run',
      '--month',
      month,
      '--crm',
      'postgres://postgres@127.0.0.1:1/none',
      '--telemetry',
      urlOf(names.telemetry),
      '--clickhouse',
      `chdb:${join(work, 'chdb-2')}`,
    ]);
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`extract of users for ${month} failed after 5 attempts`));
  });

  it('runs a month with ClickHouse reading PostgreSQL itself, and prints where the time went', async () => {
    const month = recentMonths()[1];
    const { code, stdout, stderr } = await runCli([
      ...runArgs(`chdb:${join(work, 'chdb-extract')}`, month),
      '--extract',
      'clickhouse',
      '--retention-days',
      'none',
    ]);
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout) as {
      extract: string;
      retentionDays: number | null;
      tables: Record<string, { extracted: number; loaded: number }>;
      marts: Record<string, number>;
      timings: Record<string, Record<string, { seconds: number; rows: number }>>;
    };
    expect(summary.extract).toBe('clickhouse');
    expect(summary.retentionDays).toBeNull();
    expect(summary.tables.telemetry_events?.loaded).toBeGreaterThan(0);
    expect(summary.timings.copy?.telemetry_events?.rows).toBe(summary.tables.telemetry_events?.loaded);
    expect(summary.timings.pushdown?.user_prosthesis_stats?.rows).toBe(summary.marts.user_prosthesis_stats);
  });

  it('refuses a month outside the retention before any work, naming month and retention (exit 1)', async () => {
    const { code, stdout, stderr } = await runCli(runArgs(`chdb:${join(work, 'chdb-4')}`, '2019-01'));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/month 2019-01 lies outside the 365-day retention of user_prosthesis_stats/);
  });

  it.each([
    ['--extract', 'bogus', 'run: --extract must be one of copy, cursor, keyset, clickhouse, got "bogus"'],
    ['--retention-days', '0', 'run: --retention-days must be an integer >= 1, got "0"'],
    ['--retention-days', 'forever', 'run: --retention-days must be an integer >= 1, got "forever"'],
  ])('exits 2 when %s is %s', async (flag, value, message) => {
    const { code, stderr } = await runCli([...runArgs(`chdb:${join(work, 'chdb-5')}`), flag, value]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('exits 2 when --extract clickhouse comes with the ts engine', async () => {
    const { code, stderr } = await runCli([
      ...runArgs(`chdb:${join(work, 'chdb-6')}`),
      '--extract',
      'clickhouse',
      '--engine',
      'ts',
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain('run: --extract clickhouse needs --engine sql');
  });

  it.each([
    ['--pushdown-shard-rows', '0'],
    ['--pushdown-shard-rows', 'many'],
    ['--insert-batch-size', '1.5'],
  ])('exits 2 naming %s when it is %s', async (flag, value) => {
    const { code, stderr } = await runCli([...runArgs(`chdb:${join(work, 'chdb-3')}`), flag, value]);
    expect(code).toBe(2);
    expect(stderr).toContain(`run: ${flag} must be an integer >= 1, got "${value}"`);
  });
});

/** A PGlite database served to `pg` over pglite-socket, as the first-hour guide runs it. */
async function servePglite() {
  const db = await PGlite.create();
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

describe('the first hour on embedded engines: init, load-files, run, read', () => {
  const telemetryFiles = {
    'device_events.csv': seedExample['device_events.csv'],
    'battery_metrics.jsonl':
      '{"id":1,"prosthetic_id":1,"metric_timestamp":"2024-01-10T09:00:00Z","charge_level":40,"current_ma":-80,"is_charging":false,"created_at":"2024-01-10T09:00:00Z"}\n',
    'telemetry_events.jsonl':
      '{"id":1,"event_uuid":"0f8fad5b-d9cb-469f-a165-70867728950e","user_id":1,"prosthesis_type":"hand","prosthetic_id":1,"muscle_group":"flexor","signal_frequency":170,"signal_duration":1000,"signal_amplitude":2,"event_timestamp":"2024-01-10T08:30:00Z","saved_ts":"2024-01-10T08:30:00Z"}\n',
  };
  let crm: Awaited<ReturnType<typeof servePglite>>;
  let telemetry: Awaited<ReturnType<typeof servePglite>>;
  const chdb = join(work, 'first-hour-chdb');

  beforeAll(async () => {
    crm = await servePglite();
    telemetry = await servePglite();
  });
  afterAll(async () => {
    await crm.close();
    await telemetry.close();
  });

  it('init creates the tables in foreign-key order and the warehouse, and is idempotent', async () => {
    const args = ['init', '--crm', crm.url, '--telemetry', telemetry.url, '--clickhouse', `chdb:${chdb}`];
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const { code, stdout, stderr } = await runCli(args);
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout)).toEqual({
        crm: {
          database_created: false,
          tables: ['users', 'prosthetics', 'subscriptions', 'payments', 'support_tickets'],
        },
        telemetry: {
          database_created: false,
          tables: ['telemetry_events', 'device_events', 'battery_metrics'],
        },
        clickhouse: { raw_database: 'bionicpro_raw', mart_database: 'bionicpro_reports' },
      });
    }
  });

  it('load-files refuses a row the database rejects and loads nothing of that database', async () => {
    const { 'device_events.csv': _telemetry, ...crmFiles } = seedExample;
    const dir = inputDir('orphan-payment', {
      ...crmFiles,
      'payments.csv':
        'id,user_id,subscription_id,payment_date,amount,payment_method,status,description,created_at\n900,77,5,2024-01-15 10:30:00,1.00,card,success,,2024-01-15 10:30:00\n',
    });
    const { code, stderr } = await runCli(['load-files', '--input', dir, '--crm', crm.url]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^bionicpro-etl: error: .*payments\.csv: PostgreSQL refused a row: .*foreign key.*nothing of this database was loaded/m,
    );
    const check = await runCli([
      'load-files',
      '--input',
      inputDir('users-only', { 'users.jsonl': seedExample['users.jsonl'] }),
      '--crm',
      crm.url,
    ]);
    expect(JSON.parse(check.stdout)).toMatchObject({ users: { rows: 1, inserted: 1, skipped: 0 } });
  });

  it('load-files asks for the database its files belong to', async () => {
    const dir = inputDir('needs-telemetry', telemetryFiles);
    const { code, stderr } = await runCli(['load-files', '--input', dir, '--crm', crm.url]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /--telemetry URL is required: the input holds telemetry_events, device_events, battery_metrics/,
    );
  });

  it('load-files, run and read give the marts that kpis computes from the same files', async () => {
    const dir = inputDir('first-hour', { ...seedExample, ...telemetryFiles });
    const load = await runCli(['load-files', '--input', dir, '--crm', crm.url, '--telemetry', telemetry.url]);
    expect(load.code, load.stderr).toBe(0);
    expect(JSON.parse(load.stdout)).toMatchObject({
      users: { rows: 1, inserted: 0, skipped: 1 }, // loaded by the test before
      payments: { rows: 3, inserted: 3 },
      device_events: { rows: 2, inserted: 2 },
      telemetry_events: { rows: 1, inserted: 1 },
    });
    const again = await runCli([
      'load-files',
      '--input',
      dir,
      '--crm',
      crm.url,
      '--telemetry',
      telemetry.url,
    ]);
    expect(JSON.parse(again.stdout)).toMatchObject({ payments: { inserted: 0, skipped: 3 } });

    const run = await runCli([
      'run',
      '--month',
      '2024-01',
      '--crm',
      crm.url,
      '--telemetry',
      telemetry.url,
      '--clickhouse',
      `chdb:${chdb}`,
      '--pagination',
      'keyset',
      // January 2024 lies outside the default 365-day retention of the hourly mart.
      '--retention-days',
      'none',
    ]);
    expect(run.code, run.stderr).toBe(0);

    const expected = (await runCli(['kpis', '--input', dir, '--month', '2024-01', '--mart', 'user_monthly']))
      .stdout;
    const { mart: _mart, last_updated: _u, ...expectedRow } = JSON.parse(expected) as Record<string, unknown>;
    const jsonl = await runCli([
      'read',
      '--month',
      '2024-01',
      '--mart',
      'user_monthly',
      '--clickhouse',
      `chdb:${chdb}`,
    ]);
    expect(jsonl.code, jsonl.stderr).toBe(0);
    expect(JSON.parse(jsonl.stdout)).toMatchObject(expectedRow);

    const csv = await runCli([
      'read',
      '--month',
      '2024-01',
      '--mart',
      'prosthetic_monthly',
      '--format',
      'csv',
      '--clickhouse',
      `chdb:${chdb}`,
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    const [header, row, ...rest] = csv.stdout.trim().split('\n');
    expect(rest).toEqual([]);
    const record = Object.fromEntries(header!.split(',').map((name, i) => [name, row!.split(',')[i]]));
    expect(record).toMatchObject({
      prosthetic_id: '1',
      power_on_count: '1',
      power_off_count: '1',
      total_active_hours: '12.5',
    });
  });
});

describe('bionicpro-etl init on a PostgreSQL server', () => {
  const adminUrl = process.env.BIONICPRO_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `etl_cli_init_${process.pid}_${Date.now().toString(36)}`;
  const url = (() => {
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    return u.toString();
  })();
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('creates a missing database, then its tables; a second run changes nothing', async () => {
    const first = await runCli(['init', '--crm', url]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ crm: { database_created: true } });
    const second = await runCli(['init', '--crm', url, '--verbose']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ crm: { database_created: false } });
    expect(second.stderr).toMatch(
      /^bionicpro-etl: crm: tables users, prosthetics, subscriptions, payments, support_tickets$/m,
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    await client.end();
    expect(rows.map((r) => r.table_name)).toEqual([
      'payments',
      'prosthetics',
      'subscriptions',
      'support_tickets',
      'users',
    ]);
  });
});
