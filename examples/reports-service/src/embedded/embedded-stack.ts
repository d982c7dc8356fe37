import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  createExtractPool,
  ensureWarehouse,
  type JobSummary,
  type ProgressEvent,
  runMonthlyJob,
} from '@bionicpro/etl';
import { formatMonth, parseMonth, type SourceTableName } from '@bionicpro/models';
import { type Dataset, type DatasetOptions, generateDataset } from '@bionicpro/models/testing';
import pg from 'pg';
import { loadServiceConfig, type ServiceConfig } from '../config.js';
import { connectClickHouse, ensureOltpSchema } from '../engines.js';
import type { Logger } from '../logger.js';
import type { Handler } from '../request-context.js';
import type { Router } from '../router.js';
import { type RunningService, startService } from '../service.js';
import { DEMO_TOKEN_COOKIE, registerDemoRoutes } from './demo-routes.js';
import { createDevKeys, type DevKeys } from './dev-keys.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { seedOltp } from './seed-oltp.js';

/** Issuer and audience of the demo's development tokens. */
export const DEMO_ISSUER = 'http://bionicpro.demo/realms/bionicpro-demo';
export const DEMO_AUDIENCE = 'reports-api';
/** Realm roles of the demo. */
export const DEMO_ADMIN_ROLE = 'reports_admin';
export const DEMO_INGEST_ROLE = 'bionicpro_ingest';

/** What the stack is doing, for a progress bar. */
export type StackProgress =
  | { readonly phase: 'engines' }
  | { readonly phase: 'seed'; readonly table: SourceTableName; readonly rows: number; readonly total: number }
  | { readonly phase: 'etl'; readonly month: string; readonly event: ProgressEvent }
  | { readonly phase: 'etl-done'; readonly month: string; readonly summary: JobSummary }
  | { readonly phase: 'service'; readonly url: string };

/** Options of {@link startEmbeddedStack}. */
export interface EmbeddedStackOptions {
  /** Working directory: chDB data and the demo JWKS. */
  readonly dir: string;
  readonly dataset: DatasetOptions;
  readonly logger: Logger;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Report cache entries; 0 disables the cache. Default 10,000. */
  readonly cacheEntries?: number;
  /** ETL engine: SQL pushdown in chDB (default) or the TS transforms. */
  readonly engine?: 'sql' | 'ts';
  /** chDB engine arguments (default `LEAN_CHDB_ARGS`; `[]` for chDB's own defaults). */
  readonly chdbEngineArgs?: readonly string[];
  readonly onProgress?: (progress: StackProgress) => void;
  /** Adjusts the generated rows before they are written (e.g. give users the ids of a Keycloak realm's users). */
  readonly prepare?: (data: Dataset) => void;
  /**
   * Verify tokens of a real Keycloak realm instead of the demo key (no demo
   * routes, no cookie login): what production runs.
   */
  readonly keycloak?: { readonly issuer: string; readonly audience: string; readonly jwksUrl?: string };
}

/** The running demo: engines, data, keys and service. */
export interface EmbeddedStack {
  readonly service: RunningService;
  readonly url: string;
  readonly keys: DevKeys;
  readonly data: Dataset;
  readonly months: readonly string[];
  readonly config: ServiceConfig;
  readonly clickhouse: ClickHouseClient;
  readonly crmUrl: string;
  readonly telemetryUrl: string;
  /** Signs an access token for a generated user (optionally with realm roles). */
  tokenFor(userId: number, roles?: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Every month of a dataset, `YYYY-MM`. */
export function datasetMonths(data: Dataset): string[] {
  const first = parseMonth(data.options.start);
  return Array.from({ length: data.options.months }, (_, i) => {
    const index = first.year * 12 + (first.month - 1) + i;
    return formatMonth({ year: Math.floor(index / 12), month: (index % 12) + 1 });
  });
}

/**
 * The month `count` months before the current one (UTC), `YYYY-MM`: where a
 * demo or test dataset starts, so its months lie inside the hourly mart's
 * 365-day retention (docs/kpis.md).
 *
 * @example
 * ```ts
 * const start = monthsAgo(2); // the dataset covers the two months before this one
 * ```
 */
export function monthsAgo(count: number, now: Date = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - count, 1)).toISOString().slice(0, 7);
}

/**
 * The whole pipeline on embedded engines, in this process: one PGlite
 * holding the tables of both OLTP databases (crm_db, telemetry_db) served
 * over pglite-socket, chDB for ClickHouse. Seeds the OLTP databases with the models' generator, runs the
 * ETL (`runMonthlyJob` of `@bionicpro/etl`) for every generated month, and
 * starts the reports service in demo mode, trusting a fresh development key.
 *
 * @example
 * ```ts
 * const stack = await startEmbeddedStack({ dir: '/tmp/demo', dataset: { seed: 7, users: 12, months: 3 }, logger });
 * const token = await stack.tokenFor(1);
 * await fetch(`${stack.url}/reports/user/1?month=2024-01`, { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export async function startEmbeddedStack(options: EmbeddedStackOptions): Promise<EmbeddedStack> {
  const progress = options.onProgress ?? (() => {});
  await mkdir(options.dir, { recursive: true });
  progress({ phase: 'engines' });
  const stopping: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stopping.reverse()) await stop().catch(() => {});
  };
  try {
    // Data files on disk, not in memory:// (which keeps every page in JS memory for the process's life).
    // One PGlite holds both OLTP databases: their table names are disjoint, so crm_db's and telemetry_db's
    // tables sit side by side and each client still gets its own URL. A second PGlite would cost another
    // 128 MiB of WebAssembly memory that never shrinks (docs: examples/README.md, "A lean embedded service").
    // The service's two pools (up to 10 connections each) share it.
    const oltp = await startEmbeddedPostgres({ dataDir: join(options.dir, 'oltp-pg'), maxConnections: 32 });
    stopping.push(() => oltp.stop());
    const clickhouse = await connectClickHouse({
      kind: 'embedded',
      path: join(options.dir, 'chdb'),
      ...(options.chdbEngineArgs === undefined ? {} : { engineArgs: options.chdbEngineArgs }),
    });
    stopping.push(() => clickhouse.close());

    const data = generateDataset(options.dataset);
    options.prepare?.(data);
    const oltpPool = new pg.Pool({ connectionString: oltp.url, max: 2 });
    try {
      await ensureOltpSchema(oltpPool, 'crm');
      await ensureOltpSchema(oltpPool, 'telemetry');
      const totals = expectedRows(data);
      await seedOltp({ crm: oltpPool, telemetry: oltpPool }, data, (table, rows) =>
        progress({ phase: 'seed', table, rows, total: totals[table] ?? rows }),
      );
    } finally {
      await oltpPool.end();
    }

    await ensureWarehouse(clickhouse);
    const months = datasetMonths(data);
    await loadMonths(oltp.url, clickhouse, months, options.engine ?? 'sql', progress);

    const keys = await createDevKeys({ issuer: DEMO_ISSUER, audience: DEMO_AUDIENCE });
    const jwksFile = join(options.dir, 'demo-jwks.json');
    await keys.writeJwks(jwksFile);
    const config = stackServiceConfig(options, { oltpUrl: oltp.url, jwksFile });
    const service = await startService(config, {
      logger: options.logger,
      clickhouse,
      ...(options.keycloak
        ? {}
        : {
            tokenCookie: DEMO_TOKEN_COOKIE,
            extraRoutes: (router: Router<Handler>) => registerDemoRoutes(router, { keys, users: data.users }),
          }),
    });
    stopping.push(() => service.stop());
    progress({ phase: 'service', url: service.url });
    const users = new Map(data.users.map((u) => [u.id, u]));
    return {
      service,
      url: service.url,
      keys,
      data,
      months,
      config,
      clickhouse,
      crmUrl: oltp.url,
      telemetryUrl: oltp.url,
      async tokenFor(userId, roles = []) {
        const user = users.get(userId);
        if (!user) throw new RangeError(`no generated user ${userId}`);
        return keys.token({
          sub: user.user_uuid,
          ...(user.ldap_username === null ? {} : { preferred_username: user.ldap_username }),
          roles,
        });
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The ETL (`runMonthlyJob`) for every month, from the OLTP databases into chDB. */
async function loadMonths(
  oltpUrl: string,
  clickhouse: ClickHouseClient,
  months: readonly string[],
  engine: 'sql' | 'ts',
  progress: (progress: StackProgress) => void,
): Promise<void> {
  const extractCrm = await createExtractPool(oltpUrl, { max: 2 });
  const extractTelemetry = await createExtractPool(oltpUrl, { max: 2 });
  try {
    for (const month of months) {
      const summary = await runMonthlyJob({
        month,
        crm: extractCrm,
        telemetry: extractTelemetry,
        clickhouse,
        engine,
        // The demo's months may lie in the past: keep every hourly row rather than let the TTL drop them.
        retentionDays: null,
        onProgress: (event) => progress({ phase: 'etl', month, event }),
      });
      progress({ phase: 'etl-done', month, summary });
    }
  } finally {
    await Promise.all([extractCrm.end(), extractTelemetry.end()]);
  }
}

/** The service's configuration on the stack: demo tokens (or a real realm's), both OLTP URLs on the one PGlite. */
function stackServiceConfig(
  options: EmbeddedStackOptions,
  at: { readonly oltpUrl: string; readonly jwksFile: string },
): ServiceConfig {
  const auth: Record<string, string> = options.keycloak
    ? {
        KEYCLOAK_ISSUER: options.keycloak.issuer,
        KEYCLOAK_AUDIENCE: options.keycloak.audience,
        ...(options.keycloak.jwksUrl === undefined ? {} : { KEYCLOAK_JWKS_URL: options.keycloak.jwksUrl }),
      }
    : {
        KEYCLOAK_ISSUER: DEMO_ISSUER,
        KEYCLOAK_AUDIENCE: DEMO_AUDIENCE,
        BIONICPRO_DEMO: '1',
        DEMO_JWKS_FILE: at.jwksFile,
        // The demo's sign-in is its list of users, each a login link.
        SIGN_IN_URL: '/demo',
      };
  return loadServiceConfig({
    ...auth,
    HOST: options.host ?? '127.0.0.1',
    PORT: String(options.port ?? 0),
    CLICKHOUSE_PATH: join(options.dir, 'chdb'),
    CRM_DATABASE_URL: at.oltpUrl,
    TELEMETRY_DATABASE_URL: at.oltpUrl,
    REPORTS_ADMIN_ROLE: DEMO_ADMIN_ROLE,
    INGEST_ROLE: DEMO_INGEST_ROLE,
    REPORT_CACHE_MAX_ENTRIES: String(options.cacheEntries ?? 10_000),
    SHUTDOWN_TIMEOUT_MS: '5000',
  });
}

/** Row counts of the generated tables, for the progress bar's totals (telemetry tables are estimated from the options). */
function expectedRows(data: Dataset): Partial<Record<SourceTableName, number>> {
  const days = Math.round((data.period.end.getTime() - data.period.start.getTime()) / 86_400_000);
  const o = data.options;
  return {
    users: data.users.length,
    prosthetics: data.prosthetics.length,
    subscriptions: data.subscriptions.length,
    payments: data.payments.length,
    support_tickets: data.supportTickets.length,
    telemetry_events: data.users.length * days * o.eventsPerDay,
    device_events: data.prosthetics.length * days * (o.deviceEventsPerDay + 4),
    battery_metrics: data.prosthetics.length * days * o.batterySamplesPerDay,
  };
}
