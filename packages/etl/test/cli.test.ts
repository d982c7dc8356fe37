import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExtractPool } from '../src/index.js';
import { kpiDataset, recentMonths } from './support/edge-dataset.js';
import { seedSources } from './support/postgres-seed.js';

/** The `bionicpro-etl` binary, spawned as a user would run it. */
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

  it('exits 2 on a usage error', async () => {
    const { code, stderr } = await runCli(['kpis', '--month', '2024-13', '--input', work]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/invalid period "2024-13"/);
    const usage = await runCli(['kpis', '--month', '2024-01']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--input DIR is required/);
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

  it('runs a month into chDB, logging plain lines when stderr is not a terminal', async () => {
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
    expect(stderr).toMatch(/^\d+\.\ds load device_events: \d+ rows$/m);
    expect(stderr).toMatch(/transform report_prosthetic_monthly_metrics: \d+ rows/);
    const summary = JSON.parse(stdout) as { period: string; marts: Record<string, number> };
    expect(summary.period).toBe(month);
    expect(summary.marts.report_prosthetic_monthly_metrics).toBeGreaterThan(0);
    expect(summary.marts.user_prosthesis_stats).toBeGreaterThan(0);
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
      'run',
      '--month',
      month,
      '--crm',
      urlOf(names.crm),
      '--telemetry',
      urlOf(names.telemetry),
      '--clickhouse',
      `chdb:${join(work, 'chdb-extract')}`,
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
    const { code, stdout, stderr } = await runCli([
      'run',
      '--month',
      '2019-01',
      '--crm',
      urlOf(names.crm),
      '--telemetry',
      urlOf(names.telemetry),
      '--clickhouse',
      `chdb:${join(work, 'chdb-4')}`,
    ]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/month 2019-01 lies outside the 365-day retention of user_prosthesis_stats/);
  });

  it.each([
    ['--extract', 'bogus', 'run: --extract must be copy, cursor, keyset or clickhouse'],
    ['--retention-days', '0', 'run: --retention-days must be an integer >= 1, got "0"'],
    ['--retention-days', 'forever', 'run: --retention-days must be an integer >= 1, got "forever"'],
  ])('exits 2 when %s is %s', async (flag, value, message) => {
    const { code, stderr } = await runCli([
      'run',
      '--month',
      recentMonths()[1],
      '--crm',
      urlOf(names.crm),
      '--telemetry',
      urlOf(names.telemetry),
      '--clickhouse',
      `chdb:${join(work, 'chdb-5')}`,
      flag,
      value,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('exits 2 when --extract clickhouse comes with the ts engine', async () => {
    const { code, stderr } = await runCli([
      'run',
      '--month',
      recentMonths()[1],
      '--crm',
      urlOf(names.crm),
      '--telemetry',
      urlOf(names.telemetry),
      '--clickhouse',
      `chdb:${join(work, 'chdb-6')}`,
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
    const { code, stderr } = await runCli([
      'run',
      '--month',
      recentMonths()[1],
      '--crm',
      urlOf(names.crm),
      '--telemetry',
      urlOf(names.telemetry),
      '--clickhouse',
      `chdb:${join(work, 'chdb-3')}`,
      flag,
      value,
    ]);
    expect(code).toBe(2);
    expect(stderr).toContain(`run: ${flag} must be an integer >= 1, got "${value}"`);
  });
});
