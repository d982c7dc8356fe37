import { etlPrometheusMetrics } from '@bionicpro/etl/prometheus';
import { expect, it } from 'vitest';
import { serveMetrics } from './metrics-endpoint.js';

it('serves the ETL registry at /metrics in text exposition format, and nothing else', async () => {
  const metrics = etlPrometheusMetrics();
  await metrics.observeRun(async (onProgress) => {
    onProgress({ step: 'load', table: 'payments', rows: 12, elapsedMs: 5, done: true });
    return {
      period: '2024-01',
      engine: 'sql',
      extract: 'copy',
      tables: {},
      marts: {},
      deleted: {},
      retentionDays: 365,
      warnings: [],
      timings: {},
      elapsedMs: 5,
    };
  });
  const endpoint = await serveMetrics(metrics.registry, { host: '127.0.0.1', port: 0 });
  try {
    const response = await fetch(`${endpoint.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('bionicpro_etl_rows_total{step="load",table="payments"} 12\n');
    expect(text).toContain('bionicpro_etl_runs_total{outcome="success"} 1\n');
    expect((await fetch(`${endpoint.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${endpoint.url}/other`)).status).toBe(404);
    expect((await fetch(`${endpoint.url}/metrics`, { method: 'POST' })).status).toBe(405);
  } finally {
    await endpoint.close();
  }
});
