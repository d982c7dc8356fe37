import { readFile } from 'node:fs/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { tables } from '@bionicpro/models';
import {
  createKeycloakVerifier,
  createMemoryReportStore,
  createReportService,
  createStoredReports,
  type KeycloakVerifier,
  type ReportStore,
  type ReportTables,
  type JwksFetchOutcome,
  reportTable,
  type StoredReports,
  type StoredReportsEvent,
} from '@bionicpro/reports';
import { connectRedisReportStore } from '@bionicpro/reports/redis';
import { type ReportsPrometheusMetrics, reportsPrometheusMetrics } from '@bionicpro/reports/prometheus';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type pg from 'pg';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { type App, createApp } from './app.js';
import type { ServiceConfig } from './config.js';
import { connectClickHouse, createPgPool } from './engines.js';
import { crmUsers } from './ingestion/crm-users.js';
import { telemetryEvents } from './ingestion/telemetry-events.js';
import type { Logger } from './logger.js';
import { type NodeServer, serveNode } from './node-server.js';
import { createDataVersions, type DataVersions } from './reporting/data-versions.js';
import { cachedSubjectDirectory } from './reporting/subject-directory-cache.js';
import type { Handler } from './request-context.js';
import type { Router } from './router.js';
import { registerDocsRoutes } from './routes/docs-routes.js';
import { type DependencyCheck, registerHealthRoutes } from './routes/health-routes.js';
import { registerIngestionRoutes } from './routes/ingestion-routes.js';
import { registerMetricsRoutes } from './routes/metrics-routes.js';
import { registerReportPageRoutes } from './routes/report-page-routes.js';
import { registerReportRoutes } from './routes/report-routes.js';

/** The version reported by `/health`. */
export const SERVICE_VERSION = '0.1.0';

/** Where the report tables are: marts in one database, raw copies in another (the ETL's layout). */
export function serviceReportTables(
  config: Pick<ServiceConfig, 'martDatabase' | 'rawDatabase'>,
): ReportTables {
  const mart = { database: config.martDatabase };
  const raw = { database: config.rawDatabase };
  return Object.freeze({
    userMonthly: reportTable(tables.report_user_monthly_metrics, mart),
    prostheticMonthly: reportTable(tables.report_prosthetic_monthly_metrics, mart),
    hourly: reportTable(tables.user_prosthesis_stats, mart),
    telemetryEvents: reportTable(tables.telemetry_events, raw),
    users: reportTable(tables.users, raw),
  });
}

/**
 * The token verifier of a configuration: the realm's JWKS over HTTPS, or in
 * demo mode a local development JWKS read from a file (never fetched).
 *
 * @example
 * ```ts
 * const verifier = await verifierFor(config);
 * ```
 */
export async function verifierFor(
  config: ServiceConfig,
  hooks: { readonly onJwksFetch?: (outcome: JwksFetchOutcome) => void } = {},
): Promise<KeycloakVerifier> {
  const common = {
    issuer: config.auth.issuer,
    audience: config.auth.audience,
    subjectClaim: config.subjectClaim,
    adminRoles: [config.adminRole],
  } as const;
  if (config.auth.kind === 'demo') {
    const jwks = JSON.parse(await readFile(config.auth.jwksFile, 'utf8')) as JSONWebKeySet;
    return createKeycloakVerifier({ ...common, keys: createLocalJWKSet(jwks) });
  }
  return createKeycloakVerifier({
    ...common,
    ...(config.auth.jwksUrl === undefined ? {} : { jwksUrl: config.auth.jwksUrl }),
    ...(hooks.onJwksFetch === undefined ? {} : { jwks: { onFetch: hooks.onJwksFetch } }),
  });
}

/** A running service and what it holds open. */
export interface RunningService {
  readonly app: App;
  readonly server: NodeServer;
  readonly url: string;
  readonly clickhouse: ClickHouseClient;
  readonly crm: pg.Pool;
  readonly telemetry: pg.Pool;
  readonly versions: DataVersions;
  /**
   * The report store and its counters (hits, misses, renders, lock waits,
   * store errors, degraded): `stored?.stats()` for metrics. Undefined when
   * the store is off (`REPORT_CACHE_MAX_ENTRIES=0` without Redis).
   */
  readonly stored: StoredReports | undefined;
  /** The Prometheus collectors behind `GET /metrics`. */
  readonly metrics: ReportsPrometheusMetrics;
  /** Graceful shutdown: drain, finish in-flight requests, close pools and the ClickHouse client. */
  stop(): Promise<void>;
}

/** Options of {@link startService}. */
export interface StartOptions {
  readonly logger: Logger;
  /** Use this ClickHouse client instead of connecting (an embedded chDB already open in this process). */
  readonly clickhouse?: ClickHouseClient;
  /** Extra routes (the demo's login page). */
  readonly extraRoutes?: (router: Router<Handler>) => void;
  /** Accept the token from this cookie too (demo browser login). */
  readonly tokenCookie?: string;
  /** Every report-store event (hit, miss, render, lock wait, store error, degraded, recovered), e.g. for metrics. */
  readonly onReportStoreEvent?: (event: StoredReportsEvent) => void;
  /** Registry of `GET /metrics`; default a new one with prom-client's process metrics. */
  readonly registry?: Registry;
}

/** Hits, misses and the degraded state of the report store, to the log and the metrics. */
function storedReportsFor(
  reportStore: ServiceReportStore | undefined,
  config: ServiceConfig,
  to: { readonly logger: Logger; readonly metrics: ReportsPrometheusMetrics; readonly options: StartOptions },
): StoredReports | undefined {
  if (reportStore === undefined) return undefined;
  const { logger, metrics, options } = to;
  return createStoredReports({
    store: reportStore.store,
    lockMs: config.cache.renderLockMs,
    onEvent(event) {
      if (event.type === 'degraded') {
        logger.warn('report store unreachable: serving from ClickHouse (degraded)', {
          error: event.error,
        });
      } else if (event.type === 'recovered') {
        logger.info('report store reachable again', { degraded_ms: event.degradedMs });
      }
      if (event.type === 'hit' || event.type === 'miss') {
        metrics.observeCacheLookup('report', event.type === 'hit');
      }
      options.onReportStoreEvent?.(event);
    },
  });
}

/** Readiness checks: ClickHouse and both OLTP pools; the report store (Redis) as an optional one. */
function healthChecks(parts: {
  readonly clickhouse: ClickHouseClient;
  readonly crm: pg.Pool;
  readonly telemetry: pg.Pool;
  readonly reportStore: ServiceReportStore | undefined;
  readonly stored: StoredReports | undefined;
  readonly versions: DataVersions;
}): DependencyCheck[] {
  const { clickhouse, crm, telemetry, reportStore, stored, versions } = parts;
  return [
    {
      name: 'clickhouse',
      async check() {
        const result = await clickhouse.ping();
        if (!result.success) throw result.error;
      },
    },
    { name: 'crm_db', check: async () => void (await crm.query('SELECT 1')) },
    { name: 'telemetry_db', check: async () => void (await telemetry.query('SELECT 1')) },
    ...(reportStore?.connected === undefined
      ? []
      : [
          {
            name: 'report_store',
            // Reports are still served from ClickHouse without it: down means degraded, not unready.
            optional: true,
            async check() {
              if (!reportStore.connected?.()) throw new Error('redis is not connected');
              // Connected again after failures: one real (idempotent) command ends the degraded
              // state even when no request has used the store since.
              if (stored?.stats().degraded) await stored.publishDataVersions([['hourly', versions.hourly()]]);
              if (stored?.stats().degraded) throw new Error('redis commands are failing');
            },
          },
        ]),
  ];
}

/** The service's report store, with Redis's connection state when it is Redis. */
interface ServiceReportStore {
  readonly store: ReportStore;
  readonly connected?: () => boolean;
  close(): Promise<void>;
}

/** The report store of a configuration: Redis when `REDIS_URL` is set, else in this process (or none). */
async function reportStoreFor(
  config: ServiceConfig,
  logger: Logger,
): Promise<ServiceReportStore | undefined> {
  if (config.cache.redisUrl !== undefined) {
    let lastError = '';
    const store = await connectRedisReportStore({
      url: config.cache.redisUrl,
      prefix: config.cache.redisKeyPrefix,
      ...(config.cache.ttlMs === undefined ? {} : { reportTtlMs: config.cache.ttlMs }),
      onError(error) {
        // The client retries every few hundred ms while Redis is down: log each new reason once.
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastError) logger.warn('redis connection error', { error: message });
        lastError = message;
      },
    });
    return { store, connected: () => store.connected, close: () => store.close() };
  }
  if (config.cache.maxEntries === 0) return undefined;
  const store = createMemoryReportStore({
    maxEntries: config.cache.maxEntries,
    ...(config.cache.ttlMs === undefined ? {} : { ttlMs: config.cache.ttlMs }),
  });
  return { store, close: async () => {} };
}

/**
 * Wires the packages into the service and starts it: ClickHouse (server or
 * chDB), the two PostgreSQL pools, the Keycloak verifier, the report service
 * with its cache and data versions, every route, and the HTTP adapter.
 *
 * @example
 * ```ts
 * const service = await startService(loadServiceConfig(process.env), { logger: createLogger() });
 * process.once('SIGTERM', () => void service.stop());
 * ```
 */
export async function startService(config: ServiceConfig, options: StartOptions): Promise<RunningService> {
  const { logger } = options;
  const clickhouse = options.clickhouse ?? (await connectClickHouse(config.clickhouse));
  const crm = createPgPool(config.crmDatabaseUrl);
  const telemetry = createPgPool(config.telemetryDatabaseUrl);
  let registry = options.registry;
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  const metrics = reportsPrometheusMetrics({ registry });
  const verifier = await verifierFor(config, { onJwksFetch: metrics.onJwksFetch });
  const reportTablesOfConfig = serviceReportTables(config);
  const reports = createReportService({ client: clickhouse, tables: reportTablesOfConfig });
  const directory = cachedSubjectDirectory(reports.directory);
  const reportStore = await reportStoreFor(config, logger);
  const stored = storedReportsFor(reportStore, config, { logger, metrics, options });
  const versions = createDataVersions({
    client: clickhouse,
    database: config.martDatabase,
    pollMs: config.cache.versionPollMs,
    ...(stored === undefined ? {} : { publish: (changed) => stored.publishDataVersions(changed) }),
    logger,
  });
  await versions.refresh().catch((error: unknown) => logger.warn('data versions not read yet', { error }));
  versions.start();
  const startedAt = Date.now();

  const app: App = createApp({
    verifier,
    logger,
    ...(options.tokenCookie === undefined ? {} : { tokenCookie: options.tokenCookie }),
    onResponse: (info) => metrics.observeRequest(info),
    routes(router) {
      registerHealthRoutes(router, {
        checks: healthChecks({ clickhouse, crm, telemetry, reportStore, stored, versions }),
        draining: () => app.draining,
        version: SERVICE_VERSION,
        startedAt,
      });
      registerReportRoutes(router, {
        reports,
        directory,
        stored,
        versions,
        varyCookie: options.tokenCookie !== undefined,
        maxBodyBytes: config.limits.maxBodyBytes,
      });
      registerReportPageRoutes(router, {
        reports,
        directory,
        client: clickhouse,
        tables: reportTablesOfConfig,
        versions,
        varyCookie: options.tokenCookie !== undefined,
        ...(config.signInUrl === undefined ? {} : { signInUrl: config.signInUrl }),
      });
      registerIngestionRoutes(router, {
        users: crmUsers(crm),
        telemetry: telemetryEvents(telemetry),
        oltp: { crm, telemetry },
        ingestRole: config.ingestRole,
        adminRole: config.adminRole,
        limits: config.limits,
      });
      registerDocsRoutes(router, {
        ...(config.publicUrl === undefined ? {} : { serverUrl: config.publicUrl }),
      });
      registerMetricsRoutes(router, metrics.registry);
      options.extraRoutes?.(router);
    },
  });

  const server = await serveNode(app, {
    host: config.host,
    port: config.port,
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
  });
  logger.info('service listening', {
    url: server.url,
    clickhouse: config.clickhouse.kind,
    auth: config.auth.kind,
    cache_entries: config.cache.maxEntries,
    report_store: config.cache.redisUrl !== undefined ? 'redis' : stored ? 'memory' : 'off',
  });
  let stopping: Promise<void> | undefined;
  return {
    app,
    server,
    url: server.url,
    clickhouse,
    crm,
    telemetry,
    versions,
    stored,
    metrics,
    stop() {
      stopping ??= (async () => {
        await server.shutdown();
        versions.stop();
        await Promise.allSettled([crm.end(), telemetry.end(), reportStore?.close()]);
        if (!options.clickhouse) await clickhouse.close();
      })();
      return stopping;
    },
  };
}
