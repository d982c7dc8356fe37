import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type CdcConsumer, type CdcMessage, createCdcPipeline } from './cdc-pipeline.js';
import type { ClickHouseSink } from './clickhouse-sink.js';
import type { DeadLetter } from './dead-letter.js';
import { SinkError } from './errors.js';
import { examples } from './fixtures/debezium-examples.js';
import { cdcPrometheusMetrics } from './prometheus.js';

const noConsumer: CdcConsumer = {
  poll: async () => [],
  commit: async () => {},
  pause() {},
  resume() {},
};

function message(
  example: { topic: string; key: string | null; value: string | null },
  partition: number,
  offset: number,
  highWatermark: number,
): CdcMessage {
  return { ...example, partition, offset: String(offset), highWatermark: String(highWatermark) };
}

async function sample(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} is not registered`);
  const { values } = await metric.get();
  const found = values.find((v) =>
    Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want),
  );
  return found?.value;
}

describe('cdcPrometheusMetrics', () => {
  it('counts a real pipeline batch: messages, rows, dead letters by code, lag per partition, last commit', async () => {
    let clock = 1_700_000_000_000;
    const metrics = cdcPrometheusMetrics({ now: () => clock });
    const letters: DeadLetter[] = [];
    const sink: ClickHouseSink = { write: async (events) => ({ rows: events.length, rejected: [] }) };
    const pipeline = createCdcPipeline({
      consumer: noConsumer,
      sink,
      deadLetters: async (batch) => void letters.push(...batch),
      metrics: metrics.callbacks,
    });
    const topic = examples.createWithSchema.topic;
    await pipeline.processBatch([
      message(examples.createWithSchema, 0, 10, 20),
      message(examples.update, 0, 11, 20),
      message(examples.tombstone, 1, 5, 6),
      message({ topic, key: null, value: '{"not": "an envelope"' }, 1, 6, 9),
    ]);
    const { registry } = metrics;
    expect(await sample(registry, 'bionicpro_cdc_messages_total')).toBe(4);
    expect(await sample(registry, 'bionicpro_cdc_changes_total')).toBe(2);
    expect(await sample(registry, 'bionicpro_cdc_rows_written_total')).toBe(2);
    expect(await sample(registry, 'bionicpro_cdc_tombstones_total')).toBe(1);
    expect(letters).toHaveLength(1);
    const code = letters[0]?.code as string;
    expect(await sample(registry, 'bionicpro_cdc_dead_letters_total', { topic, code })).toBe(1);
    // Partition 0: next offset 12, watermark 20 → 8 behind; partition 1: next 7, watermark 9 → 2.
    expect(await sample(registry, 'bionicpro_cdc_consumer_lag_messages', { topic, partition: '0' })).toBe(8);
    expect(await sample(registry, 'bionicpro_cdc_consumer_lag_messages', { topic, partition: '1' })).toBe(2);
    expect(await sample(registry, 'bionicpro_cdc_last_commit_timestamp_seconds')).toBe(1_700_000_000);
    clock += 42_000;
    expect(await sample(registry, 'bionicpro_cdc_seconds_since_last_commit')).toBe(42);
    const text = await registry.metrics();
    expect(text).toContain('bionicpro_cdc_batch_duration_seconds_count 1\n');
    expect(text).toMatch(/# TYPE bionicpro_cdc_batch_write_duration_seconds histogram/);
  });

  it('does not move the last commit time when the commit failed, and counts retries and commit errors', async () => {
    let clock = 1_000_000;
    const metrics = cdcPrometheusMetrics({ now: () => clock });
    let failures = 1;
    const sink: ClickHouseSink = {
      async write(events) {
        if (failures-- > 0) throw new SinkError('sink_write_failed', 'ClickHouse down');
        return { rows: events.length, rejected: [] };
      },
    };
    let commitFails = false;
    const pipeline = createCdcPipeline({
      consumer: {
        ...noConsumer,
        async commit() {
          if (commitFails) throw new Error('rebalance in progress');
        },
      },
      sink,
      deadLetters: async () => {},
      retry: { initialDelayMs: 1, maxDelayMs: 1 },
      metrics: metrics.callbacks,
    });
    await pipeline.processBatch([message(examples.createWithSchema, 0, 1, 2)]);
    expect(await sample(metrics.registry, 'bionicpro_cdc_sink_retries_total')).toBe(1);
    expect(await sample(metrics.registry, 'bionicpro_cdc_last_commit_timestamp_seconds')).toBe(1000);
    clock = 5_000_000;
    commitFails = true;
    await pipeline.processBatch([message(examples.createWithSchema, 0, 2, 3)]);
    expect(await sample(metrics.registry, 'bionicpro_cdc_commit_errors_total')).toBe(1);
    expect(await sample(metrics.registry, 'bionicpro_cdc_last_commit_timestamp_seconds')).toBe(1000);
    expect(await sample(metrics.registry, 'bionicpro_cdc_seconds_since_last_commit')).toBe(4000);
    expect(await sample(metrics.registry, 'bionicpro_cdc_batches_total')).toBe(2);
  });

  it('registers in the registry it is given, never the global one, and twice in one process without clashing', async () => {
    const registry = new Registry();
    const first = cdcPrometheusMetrics({ registry });
    const second = cdcPrometheusMetrics();
    expect(first.registry).toBe(registry);
    expect(second.registry).not.toBe(registry);
    expect(registry.getSingleMetric('bionicpro_cdc_messages_total')).toBeDefined();
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('bionicpro_cdc_messages_total')).toBeUndefined();
    // Every line is valid text exposition.
    const lines = (await registry.metrics()).split('\n').filter((line) => line !== '');
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) {
      expect(line).toMatch(/^(# (HELP|TYPE) bionicpro_cdc_\w+ .+|bionicpro_cdc_\w+(\{[^}]*\})? [\d.e+-]+)$/);
    }
  });
});
