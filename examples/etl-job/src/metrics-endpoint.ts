import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** A running `/metrics` endpoint. */
export interface MetricsEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (the registry in Prometheus text format; names in
 * docs/metrics.md) and `GET /health/live` on its own port, for a process that
 * has no HTTP server of its own (the ETL job). Anything else is a 404.
 *
 * @example
 * ```ts
 * const endpoint = await serveMetrics(etlPrometheusMetrics().registry, { host: '0.0.0.0', port: 9465 });
 * ```
 */
export async function serveMetrics(
  registry: Registry,
  options: { readonly host: string; readonly port: number; readonly onError?: (error: unknown) => void },
): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'application/json') =>
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, '{"error":"method_not_allowed"}');
    if (path === '/health/live') return send(200, '{"status":"alive"}');
    if (path !== '/metrics') return send(404, '{"error":"not_found"}');
    registry.metrics().then(
      (text) => send(200, text, registry.contentType),
      (error: unknown) => {
        options.onError?.(error);
        send(500, '{"error":"metrics_unavailable"}');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
