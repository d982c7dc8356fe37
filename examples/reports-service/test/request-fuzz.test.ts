/**
 * A seeded request fuzzer against the whole service on embedded engines, over
 * raw loopback sockets (so it can send what `fetch` cannot): methods, Host
 * values, request targets, headers, bodies and ids, with and without tokens.
 * Every answer must be a 2xx–4xx or 501 (503 only from readiness); no 500,
 * and no "request failed" log line. `FUZZ_SEED` and `FUZZ_REQUESTS` replay or
 * widen a run; a failure prints the seed and the requests that failed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '@bionicpro/models/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevKeys } from '../src/embedded/dev-keys.js';
import { DEMO_TOKEN_COOKIE } from '../src/embedded/demo-routes.js';
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
import { rawExchange } from './raw-http.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_261_206);
const REQUESTS = Number(process.env['FUZZ_REQUESTS'] ?? 3_000);
const CONCURRENCY = 6;
const MONTH = monthsAgo(1);

let stack: EmbeddedStack;
let dir: string;
let port: number;
const errorLines: LogFields[] = [];
let tokens: Record<string, string | undefined>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-fuzz-'));
  stack = await startEmbeddedStack({
    dir,
    dataset: {
      seed: 7,
      users: 3,
      start: MONTH,
      months: 1,
      eventsPerDay: 6,
      deviceEventsPerDay: 2,
      batterySamplesPerDay: 4,
    },
    logger: createLogger({
      level: 'error',
      write: (line) => errorLines.push(JSON.parse(line) as LogFields),
    }),
  });
  port = Number(new URL(stack.url).port);
  const stranger = await createDevKeys({ issuer: DEMO_ISSUER, audience: DEMO_AUDIENCE });
  tokens = {
    none: undefined,
    user1: await stack.tokenFor(1),
    user2: await stack.tokenFor(2),
    admin: await stack.tokenFor(1, [DEMO_ADMIN_ROLE]),
    ingest: await stack.tokenFor(1, [DEMO_INGEST_ROLE]),
    forged: await stranger.token({ sub: stack.data.users[0]?.user_uuid as string }),
    garbage: 'not.a.jwt',
  };
});

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface FuzzRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer | undefined;
  /** Frame the body with a correct Content-Length (false: the case sets its own framing). */
  readonly frame: boolean;
}

const IDS = [
  '1',
  '2',
  '3',
  '0',
  '-1',
  '01',
  '+1',
  '1e0',
  '0x2',
  '%201',
  '%31',
  '1.0',
  '2147483647',
  '2147483648',
  '4294967296',
  '9007199254740991',
  '9007199254740993',
  '99999999999999999999',
  'NaN',
  'abc',
  '%00',
  '%',
  '%zz',
  '9'.repeat(300),
  '%E2%82%AC',
];
const MONTHS = [
  MONTH,
  '2024-01',
  '2019-01',
  '2024-13',
  '2024-00',
  '24-01',
  '',
  '%00',
  '2024-1',
  '9999-12',
  '0000-01',
  'x'.repeat(500),
];
const DATES = [
  `${MONTH}-15`,
  `${MONTH}-32`,
  '2024-02-30',
  '2024-02-29',
  'today',
  '',
  '0001-01-01',
  '9999-12-31',
  '2024-01-01T00:00:00Z',
  'summary',
];
const UUIDS = [
  '6b0f2b4c-1f7e-4d3a-9a55-2f1f4b1c9e01',
  'not-a-uuid',
  '6B0F2B4C-1F7E-4D3A-9A55-2F1F4B1C9E01',
  '00000000-0000-0000-0000-000000000000',
  '%00',
];
const TABLES = [
  'users',
  'telemetry_events',
  'device_events',
  'prosthetics',
  'payments',
  'marts',
  '',
  '%00',
  'users&table=users',
];
const ASSETS = ['docs.js', 'swagger-ui.css', 'swagger-ui-bundle.js', '..%2Fpackage.json', 'nope', '%00'];
const TEMPLATES = [
  '/reports/user/{id}?month={month}',
  '/reports/user/{id}',
  '/reports/user/{id}/page?month={month}',
  '/reports/user/{id}/page',
  '/api/reports',
  '/api/reports?user_id={id}',
  '/api/reports/summary?user_id={id}',
  '/api/reports/{date}',
  '/api/reports/{date}?user_id={id}',
  '/report',
  '/users',
  '/users/{id}',
  '/telemetry/events',
  '/telemetry/events/{uuid}',
  '/populate_base?table={table}',
  '/health',
  '/health/live',
  '/health/ready',
  '/openapi.json',
  '/docs',
  '/docs/assets/{asset}',
  '/demo',
  '/demo/login?user_id={id}',
  '/nowhere',
  '/',
];
const POST_TEMPLATES = ['/report', '/users', '/telemetry/events', '/populate_base?table={table}'];
const HOSTS = [
  'a b',
  '[::1',
  'x:99999',
  'x:',
  '',
  'a/b',
  'u@h',
  '[::1]:80',
  '127.0.0.1:8080',
  'h'.repeat(300),
  'évil',
  'x:-1',
  'x:+1',
];
const METHODS = [
  'GET',
  'GET',
  'GET',
  'POST',
  'POST',
  'POST',
  'HEAD',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'TRACE',
  'PROPFIND',
  'CONNECT',
  'BREW',
  'get',
];
const VALUES: unknown[] = [
  null,
  -1,
  0,
  1,
  2_147_483_648,
  2 ** 53,
  1e308,
  -1e308,
  1.5,
  '',
  '\u0000',
  'a\u0000b',
  'x'.repeat(10_000),
  [],
  {},
  true,
  '2024-13-01T00:00:00Z',
  '0026-11-20T08:00:00Z',
  'NaN',
  '1e0',
  '\ud800',
  { $ref: '#/x' },
  ['nested', ['deeper']],
  'ivan@example.ru',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'text/csv',
  'text/plain',
  'application/problem+json',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=x',
  '',
  '\u00e9/json',
];

function jsonSamples(n: number): Record<string, unknown>[] {
  return [
    { name: 'Fuzz User', email: `fuzz${n}@example.ru`, age: 30, country: 'RU' },
    {
      user_id: 1,
      prosthesis_type: 'hand',
      muscle_group: 'flexor',
      signal_frequency: 180,
      signal_duration: 2500,
      signal_amplitude: 2.4,
      event_timestamp: '2024-03-01T08:00:00Z',
    },
    { user_id: 1, start_ts: `${MONTH}-01T00:00:00Z`, end_ts: `${MONTH}-20T00:00:00Z` },
  ];
}

const CSV_SAMPLES = [
  'name,email,age\nCsv Fuzz,csv.fuzz@example.ru,40\n',
  'user_id,prosthesis_type,muscle_group,signal_frequency,signal_duration,signal_amplitude,event_timestamp\n1,hand,flexor,180,2500,2.4,2024-03-01T08:00:00Z\n',
];

function generate(rand: () => number, n: number): FuzzRequest {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const chance = (p: number) => rand() < p;
  const method = pick(METHODS);
  // Mostly a route that takes the method, so cases get past routing into the handlers.
  const routes = method === 'POST' ? POST_TEMPLATES : TEMPLATES.filter((t) => !POST_TEMPLATES.includes(t));
  let target = pick(chance(0.8) ? routes : TEMPLATES)
    .replace('{id}', pick(IDS))
    .replace('{month}', pick(MONTHS))
    .replace('{date}', pick(DATES))
    .replace('{uuid}', pick(UUIDS))
    .replace('{table}', pick(TABLES))
    .replace('{asset}', pick(ASSETS));
  if (chance(0.1))
    target += `${target.includes('?') ? '&' : '?'}${pick(['color=red', 'month=2024-01&month=2024-02', 'user_id=1&user_id=2', '%zz=1', 'a=%00', '=', '&&'])}`;
  if (chance(0.04)) target = `http://elsewhere.example${target}`;
  if (chance(0.02))
    target = pick([
      '*',
      'reports',
      '//double/slash',
      '/%',
      `/${'a/'.repeat(2_000)}`,
      'ftp://h/x',
      'http://[::1/x',
    ]);
  if (chance(0.03)) target = target.replace(/\?|$/, '/?');
  const headers: [string, string][] = [];
  if (!chance(0.02)) headers.push(['Host', chance(0.9) ? 'svc.local' : pick(HOSTS)]);
  if (chance(0.02)) headers.push(['Host', 'second.example']);
  // Weighted towards tokens that may write, so valid writes happen too.
  const auth = pick([
    'none',
    'user1',
    'user2',
    'admin',
    'admin',
    'ingest',
    'ingest',
    'ingest',
    'forged',
    'garbage',
  ]);
  const token = tokens[auth];
  if (token !== undefined) {
    if (chance(0.9)) headers.push(['Authorization', `Bearer ${token}`]);
    else headers.push(['Cookie', `${DEMO_TOKEN_COOKIE}=${token}`]);
  } else if (chance(0.1)) {
    headers.push([
      'Authorization',
      pick(['Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${'a'.repeat(9_000)}`, 'Bearer a.b.c']),
    ]);
  }
  if (chance(0.2)) headers.push(['X-Request-Id', pick(['ok-1', 'a b', 'x'.repeat(100), '../../etc', 'é'])]);
  if (chance(0.05)) headers.push(['Accept-Encoding', 'gzip, br']);
  if (chance(0.03)) headers.push(['Content-Encoding', 'gzip']);
  if (chance(0.03)) headers.push(['Expect', '100-continue']);

  let body: Buffer | undefined;
  let frame = true;
  if (method !== 'GET' && method !== 'HEAD' && !chance(0.1)) {
    const csv = target.startsWith('/populate_base');
    const contentType = chance(0.7) ? (csv ? 'text/csv' : 'application/json') : pick(CONTENT_TYPES);
    if (contentType !== '') headers.push(['Content-Type', contentType]);
    const route = ['/users', '/telemetry/events', '/report'].findIndex((path) => target.startsWith(path));
    body = contentType === 'text/csv' ? csvBody(rand, pick) : jsonBody(rand, pick, chance, n, route);
  }
  if (chance(0.02)) {
    // Broken framing: Node's parser answers these itself.
    frame = false;
    headers.push(
      pick([
        ['Content-Length', 'abc'],
        ['Content-Length', '-1'],
        ['Transfer-Encoding', 'chunked'],
      ] as const),
    );
    if (headers.at(-1)?.[0] === 'Transfer-Encoding')
      body = Buffer.from(pick(['zz\r\nabc\r\n0\r\n\r\n', '3\r\nabc\r\n0\r\n\r\n']));
  }
  return { method, target, headers, body, frame };
}

function jsonBody(
  rand: () => number,
  pick: <T>(list: readonly T[]) => T,
  chance: (p: number) => boolean,
  n: number,
  route: number,
): Buffer {
  const samples = jsonSamples(n);
  const sample = structuredClone(
    (route >= 0 && chance(0.8) ? samples[route] : pick(samples)) as Record<string, unknown>,
  );
  const keys = Object.keys(sample);
  for (let i = chance(0.4) ? 0 : 1 + Math.floor(rand() * 3); i > 0; i -= 1) {
    const key = pick(keys);
    if (chance(0.2)) delete sample[key];
    else sample[key] = pick(VALUES);
  }
  if (chance(0.1)) sample[pick(['extra', 'id', 'registered_at', '__proto__', 'k\u0000'])] = pick(VALUES);
  let value: unknown = sample;
  if (chance(0.3)) value = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => sample);
  if (chance(0.1)) value = { events: value };
  let text = JSON.stringify(value);
  if (chance(0.04)) text = `${'['.repeat(50_000)}1${']'.repeat(50_000)}`;
  if (chance(0.04)) text = `[${Array.from({ length: 10_000 }, () => '{}').join(',')}]`;
  // Numbers JSON.stringify cannot write: beyond 2^53, overflowing, negative zero.
  if (chance(0.05)) text = text.replace(/\b1\b/, pick(['9007199254740993', '1e999', '-0', '1E+2', '0.1e1']));
  if (chance(0.05)) text = text.slice(0, Math.floor(rand() * text.length));
  if (chance(0.03)) text = pick(['', ' ', 'null', '"str"', '123', 'true', '{"a":1,"a":2}']);
  // Over the 1 MiB JSON limit (a telemetry batch may be up to 8 MiB).
  if (chance(0.05)) text = `{"pad":"${'x'.repeat(1_100_000)}"}`;
  const bytes = Buffer.from(text, 'utf8');
  if (chance(0.03)) return Buffer.concat([bytes, Buffer.from([0xff, 0xfe, 0xc3])]);
  return bytes;
}

function csvBody(rand: () => number, pick: <T>(list: readonly T[]) => T): Buffer {
  let text = pick(CSV_SAMPLES);
  const mutation = Math.floor(rand() * 8);
  if (mutation === 0) text = text.replace(/,[^,\n]*\n$/, ',\u0000\n');
  if (mutation === 1) text = text.replace('\n', ',extra\n');
  if (mutation === 2) text = `${text}"unterminated,quote\n`;
  if (mutation === 3) text = text.replace(/[0-9]+/, String(pick(VALUES)));
  if (mutation === 4) text = text.split('\n')[0] as string;
  if (mutation === 5) text = '';
  if (mutation === 6) text = `\ufeff${text}`;
  return Buffer.from(text, 'utf8');
}

function serialize(request: FuzzRequest): Buffer {
  const lines = [`${request.method} ${request.target} HTTP/1.1`];
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  if (request.frame && request.body !== undefined) lines.push(`Content-Length: ${request.body.byteLength}`);
  lines.push('Connection: close', '', '');
  return Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), request.body ?? Buffer.alloc(0)]);
}

function acceptable(request: FuzzRequest, status: number): boolean {
  if (request.method === 'CONNECT') return status === 0 || (status >= 400 && status < 500);
  if (status === 503) return request.target.includes('/health');
  return (status >= 200 && status < 500) || status === 501;
}

describe('request fuzzer', () => {
  it(`answers ${REQUESTS} mutated requests (seed ${SEED}) without a single 500`, async () => {
    const random = new Random(SEED);
    const rand = () => random.next();
    const requests = Array.from({ length: REQUESTS }, (_, n) => generate(rand, n));
    const statuses = new Map<number, number>();
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++] as FuzzRequest;
        const answer = await rawExchange(port, serialize(request), 30_000);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        if (!acceptable(request, answer.status)) {
          failures.push(
            `${answer.status}${answer.error ? ` (${answer.error})` : ''} ${request.method} ${request.target.slice(0, 120)} ${JSON.stringify(request.headers).slice(0, 200)} body=${request.body?.subarray(0, 120).toString('latin1')} → ${answer.body.slice(0, 200)}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures, `seed ${SEED}`).toEqual([]);
    expect(errorLines.filter((line) => line['msg'] === 'request failed')).toEqual([]);
    // The cases reached every kind of answer, not only the adapter's refusals.
    const seen = JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
    for (const status of [200, 201, 400, 401, 403, 404, 405, 413, 415, 501]) {
      expect(statuses.get(status) ?? 0, `answers with status ${status} (all: ${seen})`).toBeGreaterThan(0);
    }
    console.info(`request fuzzer, seed ${SEED}: statuses ${seen}`);
    expect(
      (await rawExchange(port, 'GET /health/live HTTP/1.1\r\nHost: svc\r\nConnection: close\r\n\r\n')).status,
    ).toBe(200);
  }, 600_000);
});
