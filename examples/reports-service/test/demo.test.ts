/**
 * The demo command itself (src/demo/main.ts, what scripts/demo.sh runs after
 * install and build), as a smoke run with `--exit`: it must come up on
 * embedded engines, replay the CDC stream and print the URL, tokens and a
 * curl line per endpoint.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const demo = fileURLToPath(new URL('../src/demo/main.ts', import.meta.url));

it('starts everything, prints what a user needs, and stops with --exit', async () => {
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      demo,
      '--exit',
      '--users',
      '3',
      '--months',
      '1',
      '--events-per-day',
      '20',
      '--port',
      '0',
    ],
    { encoding: 'utf8', timeout: 240_000 },
  );
  expect(stderr).toMatch(/seeding telemetry_events/);
  expect(stderr).toMatch(/ETL \d{4}-\d{2} \(sql\)/);
  expect(stderr).toMatch(/CDC replay: \d+ recorded Debezium messages/);
  expect(stdout).toMatch(/Reports service: http:\/\/127\.0\.0\.1:\d+/);
  expect(stdout).toMatch(/\/demo\/login\?user_id=1/);
  expect(stdout).toMatch(/^export TOKEN=[\w-]+\.[\w-]+\.[\w-]+$/m);
  for (const path of [
    '/reports/user/1?month=',
    '/reports/user/1/page',
    '/api/reports',
    '/api/reports/summary',
    '/report',
    '/users',
    '/telemetry/events',
    '/populate_base?table=users',
    '/health',
    '/openapi.json',
  ]) {
    expect(stdout).toContain(path);
  }
});
