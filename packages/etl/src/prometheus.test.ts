import { register, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EtlStepError } from './errors.js';
import type { JobSummary, ProgressEvent } from './monthly-job.js';
import { etlPrometheusMetrics } from './prometheus.js';

async function value(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  const { values } = await metric.get();
  return values.find((v) =>
    Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  )?.value;
}

const event = (
  step: ProgressEvent['step'],
  table: string,
  rows: number,
  elapsedMs: number,
  done = false,
): ProgressEvent => ({ step, table, rows, elapsedMs, done });

const summary: JobSummary = {
  period: '2024-01',
  engine: 'sql',
  extract: 'copy',
  tables: {},
  marts: { report_user_monthly_metrics: 3, user_prosthesis_stats: 40 },
  deleted: {},
  retentionDays: 365,
  warnings: [],
  timings: {},
  elapsedMs: 900,
};

describe('etlPrometheusMetrics', () => {
  it('turns cumulative progress into row increments and step seconds, and marks mart months successful', async () => {
    const metrics = etlPrometheusMetrics({ now: () => 1_706_745_600_000 });
    const result = await metrics.observeRun(async (onProgress) => {
      onProgress(event('prepare', 'warehouse', 0, 0));
      onProgress(event('prepare', 'warehouse', 0, 50, true));
      // A stream reports only once rows flow: its step starts where the previous one ended (50 ms).
      onProgress(event('extract', 'device_events', 10_000, 150));
      onProgress(event('extract', 'device_events', 20_000, 250));
      onProgress(event('extract', 'device_events', 25_000, 300, true));
      onProgress(event('pushdown', 'report_user_monthly_metrics', 0, 400));
      onProgress(event('pushdown', 'report_user_monthly_metrics', 3, 650, true));
      return summary;
    });
    expect(result).toBe(summary);
    const { registry } = metrics;
    expect(
      await value(registry, 'bionicpro_etl_rows_total', { step: 'extract', table: 'device_events' }),
    ).toBe(25_000);
    const step = registry.getSingleMetric('bionicpro_etl_step_duration_seconds');
    const { values } = (await step?.get()) ?? { values: [] };
    const sum = (table: string) =>
      values.find(
        (v) => (v as { metricName?: string }).metricName?.endsWith('_sum') && v.labels['table'] === table,
      )?.value;
    expect(sum('warehouse')).toBeCloseTo(0.05);
    expect(sum('device_events')).toBeCloseTo(0.25);
    expect(sum('report_user_monthly_metrics')).toBeCloseTo(0.25);
    const month = { mart: 'user_prosthesis_stats', month: '2024-01' };
    expect(await value(registry, 'bionicpro_etl_last_success_timestamp_seconds', month)).toBe(1_706_745_600);
    expect(await value(registry, 'bionicpro_etl_mart_rows', month)).toBe(40);
    expect(
      await value(registry, 'bionicpro_etl_last_success_timestamp_seconds', {
        mart: 'report_prosthetic_monthly_metrics',
      }),
    ).toBeUndefined();
    expect(await value(registry, 'bionicpro_etl_runs_total', { outcome: 'success' })).toBe(1);
    expect(await value(registry, 'bionicpro_etl_runs_total', { outcome: 'failure' })).toBe(0);
    expect(await value(registry, 'bionicpro_etl_runs_in_progress')).toBe(0);
    // Failure series exist at 0 from the start, so an alert on increase() sees the first failure.
    expect(await value(registry, 'bionicpro_etl_failures_total', { step: 'pushdown' })).toBe(0);
    expect(await value(registry, 'bionicpro_etl_failures_total', { step: 'unknown' })).toBe(0);
  });

  it('counts a failed run under the step its EtlStepError names, and rethrows the error', async () => {
    const metrics = etlPrometheusMetrics();
    const error = new EtlStepError('load', 'device_events', '2024-02', true, 5, { cause: new Error('down') });
    await expect(metrics.observeRun(async () => Promise.reject(error))).rejects.toBe(error);
    await expect(metrics.observeRun(async () => Promise.reject(new TypeError('a defect')))).rejects.toThrow(
      TypeError,
    );
    // An object that only looks like a step error but names no known step is not trusted.
    await expect(
      metrics.observeRun(async () => Promise.reject({ code: 'etl_step_failed', step: 'x{y}' })),
    ).rejects.toBeDefined();
    const { registry } = metrics;
    expect(await value(registry, 'bionicpro_etl_failures_total', { step: 'load' })).toBe(1);
    expect(await value(registry, 'bionicpro_etl_failures_total', { step: 'unknown' })).toBe(2);
    expect(await value(registry, 'bionicpro_etl_runs_total', { outcome: 'failure' })).toBe(3);
    expect(
      await value(registry, 'bionicpro_etl_last_success_timestamp_seconds', { month: '2024-02' }),
    ).toBeUndefined();
  });

  it('uses the registry it is given and leaves the global one alone', () => {
    const registry = new Registry();
    expect(etlPrometheusMetrics({ registry }).registry).toBe(registry);
    expect(registry.getSingleMetric('bionicpro_etl_rows_total')).toBeDefined();
    expect(register.getSingleMetric('bionicpro_etl_rows_total')).toBeUndefined();
  });
});
