import type { Registry } from 'prom-client';
import type { Handler } from '../request-context.js';
import type { Router } from '../router.js';

/**
 * Registers `GET /metrics`: the registry in Prometheus text exposition format
 * (names in docs/metrics.md). Unauthenticated like the health endpoints;
 * expose the port to the scraper only.
 *
 * @example
 * ```ts
 * registerMetricsRoutes(router, reportsPrometheusMetrics().registry);
 * ```
 */
export function registerMetricsRoutes(router: Router<Handler>, registry: Registry): void {
  router.add(
    'GET',
    '/metrics',
    async () =>
      new Response(await registry.metrics(), {
        status: 200,
        headers: { 'content-type': registry.contentType, 'cache-control': 'no-store' },
      }),
  );
}
