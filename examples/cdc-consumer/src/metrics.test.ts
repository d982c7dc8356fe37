import { describe, expect, it } from 'vitest';
import { createConsumerMetrics } from './metrics.js';

const batch = {
  messages: 10,
  changes: 8,
  rows: 7,
  deadLetters: 1,
  tombstones: 1,
  heartbeats: 1,
  controlEvents: 0,
  latencyMs: 12,
  writeMs: 5,
  lag: 3,
  lagByPartition: [{ topic: 'crm.public.users', partition: 0, lag: 3 }],
  offsets: [{ topic: 'crm.public.users', partition: 0, offset: '11' }],
};

describe('consumer metrics', () => {
  it('feeds the cdc package collectors and keeps the figures the health endpoint shows', async () => {
    const metrics = createConsumerMetrics();
    metrics.callbacks.onBatch?.(batch);
    metrics.callbacks.onBatch?.({
      ...batch,
      lag: 0,
      lagByPartition: [{ ...batch.lagByPartition[0]!, lag: 0 }],
    });
    const letter = {
      topic: 't',
      partition: 0,
      offset: '1',
      key: null,
      value: null,
      reason: 'bad',
      failedAt: new Date(),
    };
    metrics.callbacks.onDeadLetter?.({ ...letter, code: 'invalid_row' });
    metrics.callbacks.onDeadLetter?.({ ...letter, code: 'invalid_row' });
    metrics.callbacks.onDeadLetter?.({ ...letter, code: 'decode_failed' });
    metrics.callbacks.onRetry?.({ attempt: 1, delayMs: 200, error: new Error('down') });
    expect(metrics.figures).toEqual({ messages: 20, rows: 14, lag: 0 });
    const text = await metrics.render();
    expect(text).toContain('bionicpro_cdc_messages_total 20\n');
    expect(text).toContain('bionicpro_cdc_rows_written_total 14\n');
    expect(text).toContain('bionicpro_cdc_dead_letters_total{topic="t",code="decode_failed"} 1\n');
    expect(text).toContain('bionicpro_cdc_dead_letters_total{topic="t",code="invalid_row"} 2\n');
    expect(text).toContain('bionicpro_cdc_sink_retries_total 1\n');
    expect(text).toContain('bionicpro_cdc_consumer_lag_messages{topic="crm.public.users",partition="0"} 0\n');
    expect(text).not.toContain('process_cpu');
  });

  it('adds the process metrics when asked', async () => {
    const text = await createConsumerMetrics({ processMetrics: true }).render();
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE bionicpro_cdc_messages_total counter');
  });
});
