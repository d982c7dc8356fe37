/**
 * `@bionicpro/reports/prometheus`: metrics of a reports service as prom-client
 * collectors, named and documented in the project's `docs/metrics.md`
 * (reports service section). prom-client is an optional peer dependency: only
 * this entry point imports it.
 *
 * Collectors are registered in the `Registry` the caller passes (a new one by
 * default), never in prom-client's global registry.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { JwksFetchOutcome } from './jwks-key-store.js';
import type { ReportCache } from './report-cache.js';

/** Options of {@link reportsPrometheusMetrics}. */
export interface ReportsPrometheusOptions {
  /** Where the collectors are registered. Default: a new `Registry`. */
  readonly registry?: Registry;
  /** Upper bounds of the request latency histogram, seconds. */
  readonly latencyBuckets?: readonly number[];
  /** Clock in milliseconds (tests). Default `Date.now`. */
  readonly now?: () => number;
}

/** One answered HTTP request. `route` is the route pattern (`/reports/user/:user_id`), never the raw path. */
export interface ObservedRequest {
  readonly method: string;
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
}

/** The collectors of a reports service and the hooks that feed them. */
export interface ReportsPrometheusMetrics {
  readonly registry: Registry;
  /** Records a request (call it once per response, e.g. from the HTTP adapter). */
  observeRequest(request: ObservedRequest): void;
  /** Records one cache or report-store lookup of `cache` (e.g. `report`). */
  observeCacheLookup(cache: string, hit: boolean): void;
  /**
   * The same cache, counting each `get` as a hit or a miss under `name`
   * (default `report`); `set` and `invalidatePeriod` pass through.
   */
  instrumentCache<V>(cache: ReportCache<V>, name?: string): ReportCache<V>;
  /** Pass as `createJwksKeyStore({ onFetch })` or `createKeycloakVerifier({ jwks: { onFetch } })`. */
  readonly onJwksFetch: (outcome: JwksFetchOutcome) => void;
}

/** Report requests run one or a few ClickHouse queries: milliseconds when cached, seconds at worst. */
const DEFAULT_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Methods a label may take; anything else is `other`, so a client cannot mint series. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Prometheus metrics of a reports service: requests by method, route and
 * status, a latency histogram, cache (or report store) hits and misses, and
 * JWKS refreshes, failures, key count and last success.
 *
 * @example
 * ```ts
 * import { createKeycloakVerifier, createMemoryReportCache } from '@bionicpro/reports';
 * import { reportsPrometheusMetrics } from '@bionicpro/reports/prometheus';
 * const metrics = reportsPrometheusMetrics();
 * const verifier = createKeycloakVerifier({ issuer, audience: 'reports-api', jwks: { onFetch: metrics.onJwksFetch } });
 * const cache = metrics.instrumentCache(createMemoryReportCache<unknown>());
 * metrics.observeRequest({ method: 'GET', route: '/reports/user/:user_id', status: 200, durationMs: 12 });
 * // GET /metrics → await metrics.registry.metrics()
 * ```
 */
export function reportsPrometheusMetrics(options: ReportsPrometheusOptions = {}): ReportsPrometheusMetrics {
  const registry = options.registry ?? new Registry();
  const now = options.now ?? Date.now;
  const registers = [registry];

  const requests = new Counter({
    name: 'bionicpro_reports_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const latency = new Histogram({
    name: 'bionicpro_reports_http_request_duration_seconds',
    help: 'Time from a request arriving to its response, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)],
    registers,
  });
  const lookups = new Counter({
    name: 'bionicpro_reports_cache_lookups_total',
    help: 'Report cache or store lookups, by cache and result (hit, miss).',
    labelNames: ['cache', 'result'] as const,
    registers,
  });
  const jwksRefreshes = new Counter({
    name: 'bionicpro_reports_jwks_refreshes_total',
    help: 'JWKS fetches from Keycloak attempted (first use, expiry, unknown kid).',
    registers,
  });
  const jwksFailures = new Counter({
    name: 'bionicpro_reports_jwks_refresh_failures_total',
    help: 'JWKS fetches that failed (Keycloak unreachable, non-200, not a key set); cached keys keep working.',
    registers,
  });
  const jwksKeys = new Gauge({
    name: 'bionicpro_reports_jwks_keys',
    help: 'Signing keys in the JWKS cache after the last successful fetch.',
    registers,
  });
  const jwksLastSuccess = new Gauge({
    name: 'bionicpro_reports_jwks_last_success_timestamp_seconds',
    help: 'Unix time of the last successful JWKS fetch (0 before the first).',
    registers,
  });

  const observeCacheLookup = (cache: string, hit: boolean) =>
    lookups.inc({ cache, result: hit ? 'hit' : 'miss' });

  return {
    registry,
    observeRequest({ method, route, status, durationMs }) {
      const m = METHODS.has(method) ? method : 'other';
      requests.inc({ method: m, route, status: String(status) });
      latency.observe({ method: m, route }, durationMs / 1000);
    },
    observeCacheLookup,
    instrumentCache<V>(cache: ReportCache<V>, name = 'report'): ReportCache<V> {
      lookups.inc({ cache: name, result: 'hit' }, 0);
      lookups.inc({ cache: name, result: 'miss' }, 0);
      return {
        async get(key) {
          const value = await cache.get(key);
          observeCacheLookup(name, value !== undefined);
          return value;
        },
        set: (key, value) => cache.set(key, value),
        invalidatePeriod: (period, opts) => cache.invalidatePeriod(period, opts),
      };
    },
    onJwksFetch(outcome) {
      jwksRefreshes.inc();
      if (outcome.ok) {
        jwksKeys.set(outcome.keys);
        jwksLastSuccess.set(now() / 1000);
      } else {
        jwksFailures.inc();
      }
    },
  };
}
