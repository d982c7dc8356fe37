import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { register, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createJwksKeyStore } from './jwks-key-store.js';
import { createKeycloakVerifier } from './keycloak-verifier.js';
import { reportsPrometheusMetrics } from './prometheus.js';
import { cachedReport, createMemoryReportCache, monthReportPeriod } from './report-cache.js';
import { trustedReportScope } from './report-scope.js';

async function value(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric =
    registry.getSingleMetric(name) ?? registry.getSingleMetric(name.replace(/_(sum|count|bucket)$/, ''));
  if (!metric) throw new Error(`${name} is not registered`);
  const { values } = await metric.get();
  return values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === name &&
      Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  )?.value;
}

describe('reportsPrometheusMetrics', () => {
  it('counts requests by method, route and status and observes their latency', async () => {
    const metrics = reportsPrometheusMetrics();
    metrics.observeRequest({ method: 'GET', route: '/reports/user/:user_id', status: 200, durationMs: 20 });
    metrics.observeRequest({ method: 'GET', route: '/reports/user/:user_id', status: 200, durationMs: 40 });
    metrics.observeRequest({ method: 'GET', route: '/reports/user/:user_id', status: 403, durationMs: 1 });
    metrics.observeRequest({ method: 'BREW', route: '(unmatched)', status: 405, durationMs: 1 });
    const { registry } = metrics;
    const route = '/reports/user/:user_id';
    expect(await value(registry, 'bionicpro_reports_http_requests_total', { route, status: '200' })).toBe(2);
    expect(await value(registry, 'bionicpro_reports_http_requests_total', { route, status: '403' })).toBe(1);
    expect(
      await value(registry, 'bionicpro_reports_http_requests_total', { method: 'other', status: '405' }),
    ).toBe(1);
    expect(
      await value(registry, 'bionicpro_reports_http_request_duration_seconds_sum', { method: 'GET', route }),
    ).toBeCloseTo(0.061);
    expect(
      await value(registry, 'bionicpro_reports_http_request_duration_seconds_bucket', { route, le: '0.025' }),
    ).toBe(2);
  });

  it('counts hits and misses of an instrumented report cache, and keeps invalidation working', async () => {
    const metrics = reportsPrometheusMetrics();
    const cache = metrics.instrumentCache(createMemoryReportCache<string>());
    const key = {
      scope: trustedReportScope(7),
      report: 'user_monthly',
      period: monthReportPeriod('2024-01'),
      dataVersion: 'v1',
    };
    let computed = 0;
    const compute = async () => `report ${++computed}`;
    expect(await cachedReport(cache, key, compute)).toBe('report 1');
    expect(await cachedReport(cache, key, compute)).toBe('report 1');
    expect(await cache.invalidatePeriod(monthReportPeriod('2024-01'))).toBe(1);
    expect(await cachedReport(cache, key, compute)).toBe('report 2');
    const { registry } = metrics;
    expect(await value(registry, 'bionicpro_reports_cache_lookups_total', { result: 'hit' })).toBe(1);
    expect(await value(registry, 'bionicpro_reports_cache_lookups_total', { result: 'miss' })).toBe(2);
  });

  it('counts JWKS refreshes and failures of a real key store, with key count and last success time', async () => {
    const metrics = reportsPrometheusMetrics({ now: () => 1_700_000_000_000 });
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', use: 'sig', alg: 'RS256' };
    let keycloakUp = true;
    let clock = 0;
    const keys = createJwksKeyStore({
      url: 'http://keycloak.invalid/realms/bionicpro/protocol/openid-connect/certs',
      maxAgeMs: 1_000,
      now: () => clock,
      fetch: async () =>
        keycloakUp ? Response.json({ keys: [jwk] }) : new Response('unavailable', { status: 503 }),
      onFetch: metrics.onJwksFetch,
    });
    const verifier = createKeycloakVerifier({
      issuer: 'http://keycloak.invalid/realms/bionicpro',
      audience: 'reports-api',
      keys,
      now: () => clock,
    });
    const token = await new SignJWT({ typ: 'Bearer' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('http://keycloak.invalid/realms/bionicpro')
      .setAudience('reports-api')
      .setSubject('7a3b2c1d-0000-4000-8000-000000000001')
      .setExpirationTime(3_600)
      .sign(privateKey);
    await verifier.verify(token);
    keycloakUp = false;
    clock = 2_000; // the keys expired: the next request refetches, fails, and keeps the cached key
    await verifier.verify(token);
    const { registry } = metrics;
    expect(await value(registry, 'bionicpro_reports_jwks_refreshes_total')).toBe(2);
    expect(await value(registry, 'bionicpro_reports_jwks_refresh_failures_total')).toBe(1);
    expect(await value(registry, 'bionicpro_reports_jwks_keys')).toBe(1);
    expect(await value(registry, 'bionicpro_reports_jwks_last_success_timestamp_seconds')).toBe(
      1_700_000_000,
    );
  });

  it('uses the registry it is given and leaves the global one alone', () => {
    const registry = new Registry();
    expect(reportsPrometheusMetrics({ registry }).registry).toBe(registry);
    expect(registry.getSingleMetric('bionicpro_reports_http_requests_total')).toBeDefined();
    expect(register.getSingleMetric('bionicpro_reports_http_requests_total')).toBeUndefined();
  });
});
