/**
 * The three processes' `/metrics` endpoints scraped by a real Prometheus (the
 * test stack's, `scripts/infra/up.sh prometheus`): the reports service and the
 * ETL job of the embedded stack (PGlite + chDB), and a CDC consumer process fed
 * recorded Debezium messages plus one it cannot decode. The test registers the
 * endpoints through Prometheus' file_sd directory, then checks through the
 * HTTP API that the documented series exist and move after traffic: a JWKS
 * fetch that fails then succeeds, report requests (a cache miss, then a hit),
 * a further ETL month, CDC messages and a dead letter.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CdcConsumer, CdcMessage } from '@bionicpro/cdc';
import { createExtractPool, runMonthlyJob } from '@bionicpro/etl';
import { etlPrometheusMetrics } from '@bionicpro/etl/prometheus';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requireService } from '../../../test/services.js';
import { type ConsumerProcess, startConsumerProcess } from '../../cdc-consumer/src/consumer-process.js';
import { type MetricsEndpoint, serveMetrics } from '../../etl-job/src/metrics-endpoint.js';
import { readRecordedStream, RECORDED_STREAMS } from '../../reports-service/src/embedded/cdc-replay.js';
import {
  DEMO_AUDIENCE,
  DEMO_ISSUER,
  type EmbeddedStack,
  startEmbeddedStack,
} from '../../reports-service/src/embedded/embedded-stack.js';
import { silentLogger } from '../../reports-service/src/logger.js';

const prometheus = requireService('prometheus');
/** Every series of this run carries `run="<id>"`, so parallel runs on one Prometheus never mix. */
const run = `metrics-e2e-${process.pid}-${Date.now().toString(36)}`;
const targetsFile = join(prometheus.targetsDir, `${run}.json`);

let dir: string;
let stack: EmbeddedStack;
let jwksServer: Server;
let jwksBody: string | undefined; // undefined: the JWKS endpoint answers 503 (Keycloak down)
let etlEndpoint: MetricsEndpoint;
const etl = etlPrometheusMetrics();
let cdc: ConsumerProcess;
const queue: CdcMessage[] = [];

/** A Kafka stand-in the test feeds; messages carry high watermarks so the consumer reports lag. */
const pushedConsumer: CdcConsumer = {
  async poll(max, timeoutMs) {
    if (queue.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 50)));
      return [];
    }
    return queue.splice(0, max);
  },
  async commit() {},
  pause() {},
  resume() {},
};

async function query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`Prometheus rejected ${expr}: ${body.error}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}

/** Sum of an expression's samples of this run (0 when none). */
async function total(selector: string): Promise<number> {
  const result = await query(`sum(${selector})`);
  return result[0]?.value ?? 0;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits until Prometheus has scraped a value of `selector` above `floor`, and returns it. */
const risesAbove = (selector: string, floor: number) =>
  eventually(`${selector} > ${floor}`, async () => {
    const value = await total(selector);
    return value > floor ? value : undefined;
  });

const portOf = (url: string) => new URL(url).port;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-metrics-e2e-'));
  // The realm's JWKS endpoint, down until the test lets it answer.
  jwksServer = createServer((_req, res) => {
    if (jwksBody === undefined) res.writeHead(503).end('unavailable');
    else res.writeHead(200, { 'content-type': 'application/json' }).end(jwksBody);
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/certs`;

  etlEndpoint = await serveMetrics(etl.registry, { host: '127.0.0.1', port: 0 });
  const observers = new Map<string, ReturnType<typeof etl.observeJob>>();
  stack = await startEmbeddedStack({
    dir,
    dataset: {
      seed: 5,
      users: 2,
      months: 3,
      eventsPerDay: 4,
      deviceEventsPerDay: 2,
      batterySamplesPerDay: 4,
    },
    logger: silentLogger,
    keycloak: { issuer: DEMO_ISSUER, audience: DEMO_AUDIENCE, jwksUrl },
    onProgress(progress) {
      if (progress.phase === 'etl') {
        let observer = observers.get(progress.month);
        if (!observer) {
          observer = etl.observeJob();
          observers.set(progress.month, observer);
        }
        observer.onProgress(progress.event);
      } else if (progress.phase === 'etl-done') {
        observers.get(progress.month)?.succeeded(progress.summary);
      }
    },
  });
  cdc = await startConsumerProcess({
    consumer: pushedConsumer,
    clickhouse: stack.clickhouse,
    database: 'cdc_metrics',
    host: '127.0.0.1',
    port: 0,
    batch: { maxMessages: 50, maxWaitMs: 50 },
    log: () => {},
  });
  const target = (job: string, url: string) => ({
    targets: [`127.0.0.1:${portOf(url)}`],
    labels: { job, run },
  });
  await writeFile(
    targetsFile,
    JSON.stringify([
      target('bionicpro-reports', stack.url),
      target('bionicpro-etl', etlEndpoint.url),
      target('bionicpro-cdc', cdc.url),
    ]),
  );
  await eventually('Prometheus to scrape all three endpoints', async () => {
    const up = await query(`up{run="${run}"} == 1`);
    return up.length === 3 ? up : undefined;
  });
});

afterAll(async () => {
  await rm(targetsFile, { force: true });
  await cdc?.stop();
  await etlEndpoint?.close();
  await stack?.stop();
  await new Promise((resolve) => jwksServer?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const of = (name: string, labels = '') => `${name}{run="${run}"${labels ? `,${labels}` : ''}}`;

it('reports service: requests by route and status, latency, cache hits and misses, JWKS refreshes and failures', async () => {
  const route = 'route="/reports/user/:user_id"';
  const before = await total(of('bionicpro_reports_http_requests_total', route));
  const month = stack.months[0] as string;
  const token = await stack.tokenFor(1);
  const get = () =>
    fetch(`${stack.url}/reports/user/1?month=${month}`, { headers: { authorization: `Bearer ${token}` } });

  // Keycloak's JWKS is down: the token cannot be verified, and the failed refresh is counted.
  expect((await get()).status).toBe(401);
  await risesAbove(of('bionicpro_reports_jwks_refresh_failures_total'), 0);
  expect(await total(of('bionicpro_reports_http_requests_total', `${route},status="401"`))).toBeGreaterThan(
    0,
  );

  // Keycloak is back: the next request refetches the keys; the report is computed, then served from the cache.
  jwksBody = JSON.stringify(stack.keys.jwks);
  expect((await get()).status).toBe(200);
  expect((await get()).status).toBe(200);
  await risesAbove(of('bionicpro_reports_http_requests_total', `${route},status="200"`), 1);
  expect(await total(of('bionicpro_reports_http_requests_total', route))).toBe(before + 3);
  expect(await total(of('bionicpro_reports_jwks_refreshes_total'))).toBe(2);
  expect(await total(of('bionicpro_reports_jwks_keys'))).toBe(1);
  expect(await total(of('bionicpro_reports_jwks_last_success_timestamp_seconds'))).toBeGreaterThan(
    Date.now() / 1000 - 120,
  );
  expect(await total(of('bionicpro_reports_cache_lookups_total', 'result="miss"'))).toBeGreaterThan(0);
  await risesAbove(of('bionicpro_reports_cache_lookups_total', 'result="hit"'), 0);
  const latency = await query(
    `histogram_quantile(0.5, sum by (le) (${of('bionicpro_reports_http_request_duration_seconds_bucket', route)}))`,
  );
  expect(latency[0]?.value).toBeGreaterThan(0);
});

it('ETL job: rows and seconds per step and table, last success per mart and month, runs by outcome', async () => {
  const [first, second, third] = stack.months as [string, string, string];
  // The embedded stack ran every month of its dataset while Prometheus was being pointed at us.
  const successes = await eventually('the stack ETL runs', async () => {
    const value = await total(of('bionicpro_etl_runs_total', 'outcome="success"'));
    return value === 3 ? value : undefined;
  });
  expect(successes).toBe(3);
  const rowsBefore = await total(of('bionicpro_etl_rows_total', 'step="extract"'));
  expect(rowsBefore).toBeGreaterThan(0);
  const lastSuccess = await query(of('bionicpro_etl_last_success_timestamp_seconds'));
  expect(new Set(lastSuccess.map((s) => s.metric['month']))).toEqual(new Set([first, second, third]));
  expect(new Set(lastSuccess.map((s) => s.metric['mart']))).toEqual(
    new Set(['report_user_monthly_metrics', 'report_prosthetic_monthly_metrics', 'user_prosthesis_stats']),
  );

  // Re-run a month: the counters move, the month's success time advances.
  const previous = Math.max(...lastSuccess.filter((s) => s.metric['month'] === first).map((s) => s.value));
  const crm = await createExtractPool(stack.crmUrl, { max: 1 });
  const telemetry = await createExtractPool(stack.telemetryUrl, { max: 1 });
  try {
    await etl.observeRun((onProgress) =>
      // The dataset's months lie in the past: keep every hourly row, as the embedded stack does.
      runMonthlyJob({
        month: first,
        crm,
        telemetry,
        clickhouse: stack.clickhouse,
        retentionDays: null,
        onProgress,
      }),
    );
  } finally {
    await Promise.all([crm.end(), telemetry.end()]);
  }
  await risesAbove(of('bionicpro_etl_runs_total', 'outcome="success"'), 3);
  expect(await total(of('bionicpro_etl_rows_total', 'step="extract"'))).toBeGreaterThan(rowsBefore);
  const advanced = await risesAbove(
    of('bionicpro_etl_last_success_timestamp_seconds', `month="${first}",mart="report_user_monthly_metrics"`),
    previous,
  );
  expect(advanced).toBeGreaterThan(previous);
  const steps = await query(`count by (step) (${of('bionicpro_etl_step_duration_seconds_count')})`);
  expect(new Set(steps.map((s) => s.metric['step']))).toEqual(
    new Set(['prepare', 'extract', 'load', 'pushdown']),
  );
  expect(await total(of('bionicpro_etl_runs_total', 'outcome="failure"'))).toBe(0);
});

it('CDC consumer: messages and rows, dead letters by code, lag per partition, batch latency, last commit', async () => {
  // The row changes of the crm tables (not the connector's signal table or logical messages).
  const recorded = (await readRecordedStream(RECORDED_STREAMS[0] as URL)).filter(
    (m) => m.topic.startsWith('crm.public.') && m.topic !== 'crm.public.debezium_signal',
  );
  const half = Math.floor(recorded.length / 2);
  const withWatermark = (m: CdcMessage, ahead: number): CdcMessage => ({
    ...m,
    highWatermark: String(BigInt(m.offset) + 1n + BigInt(ahead)),
  });
  queue.push(...recorded.slice(0, half).map((m) => withWatermark(m, 0)));
  await risesAbove(of('bionicpro_cdc_rows_written_total'), 0);
  const messages = await eventually('the first half consumed', async () => {
    const value = await total(of('bionicpro_cdc_messages_total'));
    return value === half ? value : undefined;
  });
  expect(await query(of('bionicpro_cdc_dead_letters_total'))).toEqual([]);

  // The rest, a message that is not a Debezium envelope, and a partition 7 messages behind.
  const users = recorded.find((m) => m.topic === 'crm.public.users') as CdcMessage;
  queue.push(...recorded.slice(half).map((m) => withWatermark(m, 0)), {
    ...users,
    partition: 3,
    offset: '100',
    key: null,
    value: '{"payload": 42}',
    highWatermark: '108',
  });
  await risesAbove(of('bionicpro_cdc_messages_total'), messages);
  const letters = await eventually('a dead letter', async () => {
    const found = await query(of('bionicpro_cdc_dead_letters_total'));
    return found.length > 0 ? found : undefined;
  });
  expect(letters).toHaveLength(1);
  expect(letters[0]?.metric).toMatchObject({ topic: 'crm.public.users' });
  expect(letters[0]?.metric['code']).toMatch(/^[a-z_]+$/);
  expect(letters[0]?.value).toBe(1);
  const lag = await query(
    of('bionicpro_cdc_consumer_lag_messages', 'topic="crm.public.users",partition="3"'),
  );
  expect(lag[0]?.value).toBe(7);
  expect(await total(of('bionicpro_cdc_batch_duration_seconds_count'))).toBeGreaterThan(1);
  expect(await total(of('bionicpro_cdc_last_commit_timestamp_seconds'))).toBeGreaterThan(
    Date.now() / 1000 - 120,
  );
  const age = await total(of('bionicpro_cdc_seconds_since_last_commit'));
  expect(age).toBeGreaterThanOrEqual(0);
  expect(age).toBeLessThan(120);
});

it("the example alert rules load in the stack's Prometheus and evaluate without errors on these series", async () => {
  const response = await fetch(`${prometheus.url}/api/v1/rules?type=alert`);
  const body = (await response.json()) as {
    data: { groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[] };
  };
  const rules = body.data.groups
    .filter((g) => g.name.startsWith('bionicpro-'))
    .flatMap((g) =>
      g.rules.map((r) => ({ group: g.name, name: r.name, health: r.health, error: r.lastError })),
    );
  expect(rules.map((r) => r.name)).toEqual(
    expect.arrayContaining([
      'BionicproCdcConsumerLagGrowing',
      'BionicproCdcDeadLetters',
      'BionicproEtlNoSuccessForAMonth',
      'BionicproReportsJwksRefreshFailing',
    ]),
  );
  for (const rule of rules) expect(rule, `${rule.group}/${rule.name}`).toMatchObject({ health: 'ok' });
});
