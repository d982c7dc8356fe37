import { describe, expect, it } from 'vitest';
import { createConsumerMetrics } from './metrics.js';

describe('consumer metrics', () => {
  it('accumulates batches and renders Prometheus text with dead letters by code', () => {
    const metrics = createConsumerMetrics(() => 1_700_000_000_000);
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
      offsets: [],
    };
    metrics.callbacks.onBatch?.(batch);
    metrics.callbacks.onBatch?.({ ...batch, lag: 0 });
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
    const text = metrics.render();
    expect(text).toContain('bionicpro_cdc_messages_total 20\n');
    expect(text).toContain('bionicpro_cdc_rows_written_total 14\n');
    expect(text).toContain('bionicpro_cdc_dead_letters_total{code="decode_failed"} 1\n');
    expect(text).toContain('bionicpro_cdc_dead_letters_total{code="invalid_row"} 2\n');
    expect(text).toContain('bionicpro_cdc_retries_total 1\n');
    expect(text).toContain('bionicpro_cdc_lag_messages 0\n');
    expect(text).toContain('bionicpro_cdc_last_batch_timestamp_seconds 1700000000\n');
    for (const line of text.trim().split('\n'))
      expect(line).toMatch(/^(# (HELP|TYPE) \w+ .+|\w+(\{[^}]*\})? \d+)$/);
  });
});
