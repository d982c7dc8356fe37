/**
 * End to end on embedded engines: PGlite (crm_db, telemetry_db) served over
 * pglite-socket, chDB, the ETL of @bionicpro/etl for every generated month,
 * and the service over real HTTP with real RS256 tokens. Report numbers are
 * compared with the ETL package's pure transforms run on the same dataset.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  prostheticMonthlyMetrics,
  telemetryReports,
  userMonthlyMetrics,
  userProsthesisHourlyStats,
} from '@bionicpro/etl';
import type { UserProsthesisHourlyStats } from '@bionicpro/models';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevKeys } from '../src/embedded/dev-keys.js';
import {
  DEMO_ADMIN_ROLE,
  DEMO_AUDIENCE,
  DEMO_INGEST_ROLE,
  DEMO_ISSUER,
  type EmbeddedStack,
  monthsAgo,
  startEmbeddedStack,
} from '../src/embedded/embedded-stack.js';
import { createLogger, type LogFields } from '../src/logger.js';

/** `last_updated` of the expected rows (not compared: the service's rows carry the ETL run's clock). */
const EXPECTED_LAST_UPDATED = new Date('2026-01-01T00:00:00Z');

let stack: EmbeddedStack;
let dir: string;
const logLines: Record<string, unknown>[] = [];
// The hourly mart keeps 365 days (docs/kpis.md TTL), so the dataset is the two months before this one.
const MONTH = monthsAgo(2);
const NEXT_MONTH = (() => {
  const [y, m] = MONTH.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 7);
})();

const round2 = (x: number) => Math.round(x * 100) / 100;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-e2e-'));
  stack = await startEmbeddedStack({
    dir,
    dataset: {
      seed: 11,
      users: 4,
      start: MONTH,
      months: 2,
      eventsPerDay: 30,
      deviceEventsPerDay: 6,
      batterySamplesPerDay: 24,
    },
    logger: createLogger({ level: 'info', write: (line) => logLines.push(JSON.parse(line) as LogFields) }),
  });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function call(
  path: string,
  init: RequestInit & { token?: string | undefined } = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('authorization', `Bearer ${init.token}`);
  const response = await fetch(`${stack.url}${path}`, { ...init, headers });
  const text = await response.text();
  let body: unknown = text;
  if (response.headers.get('content-type')?.includes('json')) body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body, text };
}

const postJson = (path: string, body: unknown, token?: string) =>
  call(path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    token,
  });

function hourlyRowsOf(userId: number): UserProsthesisHourlyStats[] {
  const data = stack.data;
  return stack.months.flatMap((month) =>
    userProsthesisHourlyStats(
      {
        users: data.users,
        prosthetics: data.prosthetics,
        telemetryEvents: [...data.telemetryEvents()],
        deviceEvents: [...data.deviceEvents()],
        batteryMetrics: [...data.batteryMetrics()],
      },
      { month, lastUpdated: EXPECTED_LAST_UPDATED },
    ).filter((row) => row.user_id === userId),
  );
}

describe('health', () => {
  it('reports every dependency up, liveness and readiness', async () => {
    const health = await call('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'ok',
      checks: { clickhouse: { status: 'up' }, crm_db: { status: 'up' }, telemetry_db: { status: 'up' } },
    });
    expect((await call('/health/live')).status).toBe(200);
    expect((await call('/health/ready')).body).toMatchObject({ status: 'ready' });
  });
});

describe('GET /reports/user/{user_id}', () => {
  it("returns the caller's own report with the ETL transforms' numbers", async () => {
    const data = stack.data;
    const response = await call(`/reports/user/1?month=${MONTH}`, { token: await stack.tokenFor(1) });
    expect(response.status).toBe(200);
    const finance = userMonthlyMetrics(
      { users: data.users, subscriptions: data.subscriptions, payments: data.payments },
      { month: MONTH, lastUpdated: EXPECTED_LAST_UPDATED },
    ).find((row) => row.user_id === 1);
    const devices = prostheticMonthlyMetrics(
      {
        users: data.users,
        prosthetics: data.prosthetics,
        deviceEvents: [...data.deviceEvents()],
        batteryMetrics: [...data.batteryMetrics()],
      },
      { month: MONTH, lastUpdated: EXPECTED_LAST_UPDATED },
    )
      .filter((row) => row.user_id === 1)
      .sort((a, b) => a.prosthetic_id - b.prosthetic_id);
    expect(finance).toBeDefined();
    expect(devices.length).toBeGreaterThan(0);
    const report = response.body as Record<string, unknown>;
    expect(report).toEqual({
      period: MONTH,
      user_id: 1,
      financial: {
        total_payments: finance?.total_payments,
        successful_payments: finance?.successful_payments,
        failed_payments_count: finance?.failed_payments_count,
        active_subscriptions: finance?.active_subscriptions_count,
        monthly_cost: finance?.subscription_cost_total,
      },
      devices: devices.map((d) => ({
        prosthetic_id: d.prosthetic_id,
        device_type: d.device_type,
        usage_hours: round2(d.total_active_hours),
        power_on_count: d.power_on_count,
        battery_health: d.battery_health,
        downtime_minutes: round2(d.downtime_minutes),
        errors: d.error_count + d.critical_error_count,
      })),
      status: devices.some((d) => d.status === 'critical')
        ? 'critical'
        : devices.some((d) => d.status === 'attention')
          ? 'attention'
          : 'healthy',
    });
    // Money is exact text, never a float.
    expect(typeof (report['financial'] as { total_payments: unknown }).total_payments).toBe('string');
  });

  it('serves the same report again from the cache', async () => {
    const token = await stack.tokenFor(2);
    const first = await call(`/reports/user/2?month=${MONTH}`, { token });
    const second = await call(`/reports/user/2?month=${MONTH}`, { token });
    expect(first.status).toBe(200);
    expect(second.body).toEqual(first.body);
  });

  it("answers 403 for another user's report, the same whether that user exists or not", async () => {
    const token = await stack.tokenFor(1);
    const other = await call(`/reports/user/2?month=${MONTH}`, { token });
    const missing = await call(`/reports/user/999999?month=${MONTH}`, { token });
    expect(other.status).toBe(403);
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual(other.body);
  });

  it('lets an admin read any user', async () => {
    const response = await call(`/reports/user/2?month=${MONTH}`, {
      token: await stack.tokenFor(1, [DEMO_ADMIN_ROLE]),
    });
    expect(response.status).toBe(200);
    expect((response.body as { user_id: number }).user_id).toBe(2);
  });

  it('answers 401 without a token, with a malformed one, or one signed by another key', async () => {
    const none = await call(`/reports/user/1?month=${MONTH}`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await call(`/reports/user/1?month=${MONTH}`, { token: 'not.a.jwt' })).status).toBe(401);
    const stranger = await createDevKeys({ issuer: DEMO_ISSUER, audience: DEMO_AUDIENCE });
    const forged = await stranger.token({ sub: stack.data.users[0]?.user_uuid as string });
    const rejected = await call(`/reports/user/1?month=${MONTH}`, { token: forged });
    expect(rejected.status).toBe(401);
    expect(rejected.body).toEqual({ error: 'unauthorized' });
  });

  it('answers 400 listing every problem of the query', async () => {
    const token = await stack.tokenFor(1);
    const response = await call('/reports/user/abc?month=2024-13&color=red', { token });
    expect(response.status).toBe(400);
    const issues = (response.body as { issues: { path: (string | number)[] }[] }).issues.map((i) => i.path);
    expect(issues).toEqual(
      expect.arrayContaining([
        ['path', 'user_id'],
        ['query', 'month'],
        ['query', 'color'],
      ]),
    );
    const missing = await call('/reports/user/1', { token });
    expect(missing.status).toBe(400);
    expect((missing.body as { issues: { path: string[] }[] }).issues[0]?.path).toEqual(['query', 'month']);
  });
});

describe('daily-usage reports', () => {
  it('lists the dates with data, newest first, at most 30', async () => {
    const expected = [...new Set(hourlyRowsOf(1).map((r) => r.date))].sort().reverse();
    const response = await call('/api/reports', { token: await stack.tokenFor(1) });
    expect(response.status).toBe(200);
    const body = response.body as { reports: { date: string }[]; total: number; user: string };
    expect(body.reports.map((r) => r.date)).toEqual(expected.slice(0, 30));
    expect(body.total).toBe(expected.length);
    expect(body.user).toBe(stack.data.users[0]?.ldap_username);
  });

  it('sums every hour into the summary', async () => {
    const rows = hourlyRowsOf(1);
    const response = await call('/api/reports/summary', { token: await stack.tokenFor(1) });
    expect(response.status).toBe(200);
    const body = response.body as { summary: Record<string, number>; days_with_data: number };
    expect(body.summary['total_movements']).toBe(rows.reduce((a, r) => a + r.movements_count, 0));
    expect(body.summary['total_errors']).toBe(rows.reduce((a, r) => a + r.error_count, 0));
    expect(body.summary['uptime_hours']).toBe(rows.length);
    expect(body.days_with_data).toBe(new Set(rows.map((r) => r.date)).size);
  });

  it('returns the hours of one date, and 400 for a date that does not exist', async () => {
    const token = await stack.tokenFor(1);
    const rows = hourlyRowsOf(1).filter((r) => r.date === `${MONTH}-15`);
    const response = await call(`/api/reports/${MONTH}-15`, { token });
    expect(response.status).toBe(200);
    const body = response.body as { hourly_data: { movements_count: number; error_count: number }[] };
    expect(body.hourly_data.map((h) => h.movements_count)).toEqual(rows.map((r) => r.movements_count));
    expect(body.hourly_data.map((h) => h.error_count)).toEqual(rows.map((r) => r.error_count));
    const bad = await call(`/api/reports/${MONTH}-32`, { token });
    expect(bad.status).toBe(400);
    expect((bad.body as { issues: { path: string[] }[] }).issues[0]?.path).toEqual(['path', 'date']);
  });

  it("refuses another user's reports to a non-admin", async () => {
    expect((await call('/api/reports?user_id=2', { token: await stack.tokenFor(1) })).status).toBe(403);
  });
});

describe('POST /report', () => {
  it("returns the EMG report with the ETL transform's numbers", async () => {
    const data = stack.data;
    const window = { start_ts: `${MONTH}-10T00:00:00Z`, end_ts: `${NEXT_MONTH}-05T23:59:59Z` };
    const expected = telemetryReports(
      { users: data.users, telemetryEvents: [...data.telemetryEvents()] },
      { start_ts: new Date(window.start_ts), end_ts: new Date(window.end_ts) },
    ).find((r) => r.user_id === 3);
    const response = await postJson('/report', { user_id: 3, ...window }, await stack.tokenFor(3));
    expect(response.status).toBe(200);
    const body = response.body as {
      total_events: number;
      total_duration: number;
      prosthesis_stats: { prosthesis_type: string; events_count: number; avg_amplitude: number }[];
    };
    expect(body.total_events).toBe(expected?.total_events);
    expect(body.total_duration).toBe(expected?.total_duration);
    expect(body.prosthesis_stats.map((s) => [s.prosthesis_type, s.events_count])).toEqual(
      expected?.prosthesis_stats.map((s) => [s.prosthesis_type, s.events_count]),
    );
    for (const [i, s] of body.prosthesis_stats.entries()) {
      expect(s.avg_amplitude).toBeCloseTo(expected?.prosthesis_stats[i]?.avg_amplitude as number, 2);
    }
  });

  it('answers 400 listing every problem of the body, and for broken JSON', async () => {
    const token = await stack.tokenFor(3);
    const response = await postJson('/report', { user_id: 'x', start_ts: 'yesterday', extra: 1 }, token);
    expect(response.status).toBe(400);
    const paths = (response.body as { issues: { path: (string | number)[] }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        ['body', 'user_id'],
        ['body', 'start_ts'],
        ['body', 'extra'],
      ]),
    );
    const broken = await postJson('/report', '{"user_id": 3', token);
    expect(broken.status).toBe(400);
    const backwards = await postJson(
      '/report',
      { user_id: 3, start_ts: '2024-02-01T00:00:00Z', end_ts: '2024-01-01T00:00:00Z' },
      token,
    );
    expect(backwards.status).toBe(400);
  });

  it('answers 403 for another user and 413 for a body over the limit', async () => {
    const token = await stack.tokenFor(3);
    expect((await postJson('/report', { user_id: 1 }, token)).status).toBe(403);
    const huge = await postJson('/report', { user_id: 3, pad: 'x'.repeat(2 * 1024 * 1024) }, token);
    expect(huge.status).toBe(413);
  });
});

describe('routing', () => {
  it('answers 404 for an unknown route and 405 for a wrong method, with a request id', async () => {
    const unknown = await call('/nowhere', { headers: { 'x-request-id': 'req-test-1' } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-request-id')).toBe('req-test-1');
    const wrong = await call('/report');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });

  it('writes one JSON log line per request carrying the request id', async () => {
    await call('/health/live', { headers: { 'x-request-id': 'req-log-check' } });
    const line = logLines.find((l) => l['request_id'] === 'req-log-check' && l['msg'] === 'request');
    expect(line).toMatchObject({ level: 'info', route: '/health/live', status: 200, method: 'GET' });
    expect(typeof line?.['duration_ms']).toBe('number');
  });
});

describe('ingestion', () => {
  it('creates a user with server-set registered_at, refusing client-set fields and callers without the role', async () => {
    const ingest = await stack.tokenFor(1, [DEMO_INGEST_ROLE]);
    const before = Date.now();
    const created = await postJson(
      '/users',
      { name: 'Nina Orlova', email: 'Nina.Orlova@Example.ru', age: 41 },
      ingest,
    );
    expect(created.status).toBe(201);
    const user = created.body as { id: number; email: string; registered_at: string; user_uuid: string };
    expect(user.email).toBe('nina.orlova@example.ru');
    expect(Date.parse(user.registered_at)).toBeGreaterThanOrEqual(before - 5_000);
    expect(created.headers.get('location')).toBe(`/users/${user.id}`);
    expect(user.id).toBeGreaterThan(stack.data.users.length);

    const fetched = await call(`/users/${user.id}`, { token: ingest });
    expect(fetched.body).toEqual(created.body);

    const duplicate = await postJson(
      '/users',
      { name: 'Nina Again', email: 'nina.orlova@example.ru' },
      ingest,
    );
    expect(duplicate.status).toBe(409);
    const clientSet = await postJson(
      '/users',
      { name: 'X', email: 'not-an-email', registered_at: '2020-01-01T00:00:00Z', id: 5 },
      ingest,
    );
    expect(clientSet.status).toBe(400);
    const paths = (clientSet.body as { issues: { path: (string | number)[] }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        ['body', 'email'],
        ['body', 'registered_at'],
        ['body', 'id'],
      ]),
    );
    expect(
      (await postJson('/users', { name: 'Y', email: 'y@example.ru' }, await stack.tokenFor(1))).status,
    ).toBe(403);
  });

  it('lets a user read only their own CRM record', async () => {
    expect((await call('/users/1', { token: await stack.tokenFor(1) })).status).toBe(200);
    expect((await call('/users/2', { token: await stack.tokenFor(1) })).status).toBe(403);
    expect((await call('/users/987654', { token: await stack.tokenFor(1) })).status).toBe(403);
  });

  it('stores a telemetry batch once: generated uuids, duplicates by event_uuid ignored', async () => {
    const ingest = await stack.tokenFor(1, [DEMO_INGEST_ROLE]);
    const event = {
      user_id: 1,
      prosthesis_type: 'hand',
      muscle_group: 'flexor',
      signal_frequency: 180,
      signal_duration: 2500,
      signal_amplitude: 2.4,
      event_timestamp: '2024-03-01T08:00:00Z',
    };
    const uuid = '6b0f2b4c-1f7e-4d3a-9a55-2f1f4b1c9e01';
    const batch = [event, { ...event, event_uuid: uuid }, { ...event, event_uuid: uuid.toUpperCase() }];
    const first = await postJson('/telemetry/events', batch, ingest);
    expect(first.status).toBe(201);
    const outcome = first.body as {
      inserted: number;
      duplicates: number;
      events: { event_uuid: string; status: string }[];
    };
    expect(outcome).toMatchObject({ received: 3, inserted: 2, duplicates: 1 });
    expect(outcome.events[0]?.event_uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(outcome.events.map((e) => e.status)).toEqual(['inserted', 'inserted', 'duplicate']);

    const again = await postJson('/telemetry/events', { events: batch.slice(1) }, ingest);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ inserted: 0, duplicates: 2 });

    const stored = await call(`/telemetry/events/${uuid}`, { token: ingest });
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({ event_uuid: uuid, user_id: 1, signal_duration: 2500 });
    expect(Date.parse((stored.body as { saved_ts: string }).saved_ts)).toBeGreaterThan(
      Date.parse('2024-03-02'),
    );
  });

  it('refuses a batch with bad events whole, listing every problem with its index', async () => {
    const ingest = await stack.tokenFor(1, [DEMO_INGEST_ROLE]);
    const good = {
      user_id: 1,
      prosthesis_type: 'arm',
      muscle_group: 'biceps',
      signal_frequency: 150,
      signal_duration: 1000,
      signal_amplitude: 1.5,
      event_timestamp: '2024-03-01T09:00:00Z',
    };
    const response = await postJson(
      '/telemetry/events',
      [good, { ...good, prosthesis_type: 'tail', signal_duration: -1 }, { ...good, event_uuid: 'nope' }],
      ingest,
    );
    expect(response.status).toBe(400);
    const paths = (response.body as { issues: { path: (string | number)[] }[] }).issues.map((i) => i.path);
    expect(paths).toEqual([
      ['body', 1, 'prosthesis_type'],
      ['body', 1, 'signal_duration'],
      ['body', 2, 'event_uuid'],
    ]);
  });

  it('populate_base loads a CSV once and names the line and column of every bad cell', async () => {
    const ingest = await stack.tokenFor(1, [DEMO_INGEST_ROLE]);
    const csv =
      'name,email,age,country,registered_at\n' +
      'Oleg Sidorov,oleg.sidorov@example.ru,33,RU,2023-05-01T10:00:00Z\n' +
      '"Kira ""K"" Belova",kira.belova@example.ru,,RU,2023-06-01T10:00:00Z\n';
    const load = () =>
      call('/populate_base?table=users', {
        method: 'POST',
        body: csv,
        headers: { 'content-type': 'text/csv' },
        token: ingest,
      });
    const first = await load();
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ table: 'users', rows: 2, inserted: 2, skipped: 0 });
    expect((await load()).body).toEqual({ table: 'users', rows: 2, inserted: 0, skipped: 2 });

    const bad = await call('/populate_base?table=users', {
      method: 'POST',
      body: 'name,email,age\nA,a@example.ru,abc\n,b@example.ru,200\n',
      headers: { 'content-type': 'text/csv' },
      token: ingest,
    });
    expect(bad.status).toBe(400);
    const paths = (bad.body as { issues: { path: (string | number)[] }[] }).issues.map((i) => i.path);
    expect(paths).toEqual([
      ['body', 'line 2', 'age'],
      ['body', 'line 3', 'name'],
      ['body', 'line 3', 'age'],
    ]);
    const unknownTable = await call('/populate_base?table=marts', {
      method: 'POST',
      body: csv,
      headers: { 'content-type': 'text/csv' },
      token: ingest,
    });
    expect(unknownTable.status).toBe(400);
  });
});

describe('HTML report page and docs', () => {
  it('renders the owner page with the same access rules', async () => {
    const token = await stack.tokenFor(1);
    const page = await call(`/reports/user/1/page?month=${MONTH}`, { token });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    for (const chart of ['usage-hours', 'battery-level', 'charge-cycles', 'reliability', 'errors']) {
      expect(page.text).toContain(`data-chart="${chart}"`);
    }
    expect((await call(`/reports/user/2/page?month=${MONTH}`, { token })).status).toBe(403);
    expect((await call(`/reports/user/1/page?month=${MONTH}`)).status).toBe(401);
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await call('/openapi.json');
    expect(doc.status).toBe(200);
    expect((doc.body as { openapi: string }).openapi).toBe('3.1.0');
    const docs = await call('/docs');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('<div id="swagger-ui">');
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'docs.js']) {
      const file = await call(`/docs/assets/${asset}`);
      expect(file.status, asset).toBe(200);
      expect(file.text.length, asset).toBeGreaterThan(100);
    }
    expect((await call('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });
});

describe('every bad request gets a 4xx naming what was wrong', () => {
  type Issues = { issues: { path: (string | number)[]; code: string }[]; issue_count: number };
  const event = (i: number, extra: Record<string, unknown> = {}) => ({
    user_id: 1,
    prosthesis_type: 'hand',
    muscle_group: 'flexor',
    signal_frequency: 180,
    signal_duration: 2500,
    signal_amplitude: 2.4,
    event_timestamp: new Date(Date.parse('2023-02-01T00:00:00Z') + i * 1000).toISOString(),
    ...extra,
  });
  const csv = (path: string, text: string, token: string) =>
    call(path, { method: 'POST', body: text, headers: { 'content-type': 'text/csv' }, token });

  it('refuses U+0000 in any text field of a user, a telemetry batch or a CSV with 400 naming the field', async () => {
    const ingest = await stack.tokenFor(1, [DEMO_INGEST_ROLE]);
    const user = await postJson(
      '/users',
      { name: 'Nul\u0000Name', email: 'nul@example.ru', address: 'a\u0000' },
      ingest,
    );
    expect(user.status).toBe(400);
    expect((user.body as Issues).issues.map((i) => i.path)).toEqual([
      ['body', 'name'],
      ['body', 'address'],
    ]);
    // The models' text rule names it (one issue per field, not one per check).
    expect((user.body as Issues).issues[0]?.code).toBe('invalid_text');
    const batch = await postJson(
      '/telemetry/events',
      [event(0), event(1, { muscle_group: 'fl\u0000x' })],
      ingest,
    );
    expect(batch.status).toBe(400);
    expect((batch.body as Issues).issues.map((i) => i.path)).toEqual([['body', 1, 'muscle_group']]);
    const file = await csv('/populate_base?table=users', 'name,email\nA\u0000B,nul.csv@example.ru\n', ingest);
    expect(file.status).toBe(400);
    expect((file.body as Issues).issues.map((i) => i.path)).toEqual([['body', 'line 2', 'name']]);
  });

  it('answers 400 to ids outside Int32 or not in canonical digits, for admins too', async () => {
    const admin = await stack.tokenFor(1, [DEMO_ADMIN_ROLE]);
    for (const id of ['2147483648', '4294967296', '9007199254740991', '99999999999999999999']) {
      const json = await call(`/reports/user/${id}?month=${MONTH}`, { token: admin });
      expect(json.status, id).toBe(400);
      expect((json.body as Issues).issues[0]?.path).toEqual(['path', 'user_id']);
      expect((await call(`/reports/user/${id}/page?month=${MONTH}`, { token: admin })).status, id).toBe(400);
      expect((await call(`/api/reports?user_id=${id}`, { token: admin })).status, id).toBe(400);
      expect((await call(`/users/${id}`, { token: admin })).status, id).toBe(400);
      expect((await postJson('/report', { user_id: Number(id) }, admin)).status, id).toBe(400);
    }
    const own = await stack.tokenFor(1);
    for (const id of ['1e0', '%201', '0x2', '01', '+1', '1.0', '%31']) {
      expect((await call(`/reports/user/${id}?month=${MONTH}`, { token: own })).status, id).toBe(
        id === '%31' ? 200 : 400,
      );
    }
  });

  it('caps the error body: 10,000 empty events list 100 issues and count all 70,000', async () => {
    const ingest = await stack.tokenFor(1, [DEMO_INGEST_ROLE]);
    const body = `[${Array.from({ length: 10_000 }, () => '{}').join(',')}]`;
    const response = await postJson('/telemetry/events', body, ingest);
    expect(response.status).toBe(400);
    expect(response.text.length).toBeLessThan(30_000);
    const issues = response.body as Issues;
    expect(issues.issues).toHaveLength(100);
    expect(issues.issue_count).toBe(70_000);
  });

  it('accepts a batch of the documented maximum, 10,000 events (2.25 MB), and refuses 10,001', async () => {
    const ingest = await stack.tokenFor(1, [DEMO_INGEST_ROLE]);
    const events = Array.from({ length: 10_000 }, (_, i) =>
      event(i, { prosthetic_id: 1, muscle_group: 'max-batch flexor digitorum superficialis' }),
    );
    const body = JSON.stringify(events);
    expect(body.length).toBeGreaterThan(2_250_000);
    const response = await postJson('/telemetry/events', body, ingest);
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ received: 10_000, inserted: 10_000 });
    const over = await postJson('/telemetry/events', [...events, event(10_000)], ingest);
    expect(over.status).toBe(400);
    expect((over.body as Issues).issues[0]?.code).toBe('too_big');
  });

  it('stores a keyless telemetry CSV once: re-sending it adds no rows (event_uuid is a UUID v5 of the row)', async () => {
    const ingest = await stack.tokenFor(1, [DEMO_INGEST_ROLE]);
    const file =
      'user_id,prosthesis_type,muscle_group,signal_frequency,signal_duration,signal_amplitude,event_timestamp\n' +
      '1,hand,idempotent,180,2500,2.4,2023-03-01T08:00:00Z\n' +
      '1,hand,idempotent,181,2500,2.4,2023-03-01T08:00:01Z\n' +
      '1,hand,idempotent,182,2500,2.4,2023-03-01T08:00:02.000Z\n';
    const count = async () => {
      const client = new pg.Client({ connectionString: stack.telemetryUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ n: string }>(
          "SELECT count(*) AS n FROM telemetry_events WHERE muscle_group = 'idempotent'",
        );
        return Number(rows[0]?.n);
      } finally {
        await client.end();
      }
    };
    const first = await csv('/populate_base?table=telemetry_events', file, ingest);
    expect(first.body).toEqual({ table: 'telemetry_events', rows: 3, inserted: 3, skipped: 0 });
    const second = await csv('/populate_base?table=telemetry_events', file, ingest);
    expect(second.body).toEqual({ table: 'telemetry_events', rows: 3, inserted: 0, skipped: 3 });
    expect(await count()).toBe(3);
    // The same event through the JSON API is the same event.
    const json = await postJson(
      '/telemetry/events',
      [event(0, { muscle_group: 'idempotent', event_timestamp: '2023-03-01T08:00:00.000Z' })],
      ingest,
    );
    expect(json.body).toMatchObject({ inserted: 0, duplicates: 1 });
    expect(await count()).toBe(3);
  });

  it('answers a browser visit to the report page that cannot be served with an HTML page, JSON routes unchanged', async () => {
    const token = await stack.tokenFor(1);
    const anonymous = await call(`/reports/user/1/page?month=${MONTH}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('text/html');
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(anonymous.text).toContain('Sign in to see your report');
    expect(anonymous.text).toContain('href="/demo"');
    const other = await call(`/reports/user/2/page?month=${MONTH}`, { token });
    expect(other.status).toBe(403);
    expect(other.text).toContain('belongs to another account');
    const bad = await call('/reports/user/1/page?month=2024-13', { token });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('text/html');
    expect(bad.text).toContain('<code>month</code>');
    const json = await call(`/reports/user/1?month=${MONTH}`);
    expect(json.status).toBe(401);
    expect(json.body).toEqual({ error: 'unauthorized' });
  });

  it('says a month without prosthesis data has none, with no status and no charts', async () => {
    const page = await call('/reports/user/1/page?month=2019-01', { token: await stack.tokenFor(1) });
    expect(page.status).toBe(200);
    expect(page.text).toContain('data-empty="month"');
    expect(page.text).toContain('No prosthesis data for 2019-01');
    expect(page.text).not.toContain('data-chart=');
    expect(page.text).toContain('class="status-none">no data<');
  });

  it('never reflects Host into openapi.json, which no shared cache may keep', async () => {
    const doc = await call('/openapi.json', { headers: { 'x-forwarded-host': 'evil.example' } });
    expect(doc.text).not.toContain('evil.example');
    expect(doc.body).not.toHaveProperty('servers');
    expect(doc.headers.get('cache-control')).not.toContain('public');
  });

  it('sends frame-ancestors, nosniff and no-referrer with every HTML answer', async () => {
    const token = await stack.tokenFor(1);
    const pages = [
      await call('/docs'),
      await call(`/reports/user/1/page?month=${MONTH}`, { token }),
      await call(`/reports/user/1/page?month=${MONTH}`),
      await call('/demo'),
    ];
    for (const page of pages) {
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight, then refuses new connections', async () => {
    const token = await stack.tokenFor(3);
    const body = JSON.stringify({ user_id: 3 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 5)));
        await gate;
        controller.enqueue(new TextEncoder().encode(body.slice(5)));
        controller.close();
      },
    });
    const inFlight = fetch(`${stack.url}/report`, {
      method: 'POST',
      body: stream,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      duplex: 'half',
    } as RequestInit);
    // Wait (bounded) until the server holds the request, its body half sent.
    for (let waited = 0; stack.service.server.inFlight < 1 && waited < 10_000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(stack.service.server.inFlight).toBe(1);
    const stopping = stack.service.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    const response = await inFlight;
    expect(response.status).toBe(200);
    await stopping;
    await expect(fetch(`${stack.url}/health/live`)).rejects.toThrow();
  });
});
