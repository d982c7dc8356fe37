import { describe, expect, it } from 'vitest';
import { EtlStepError } from './errors.js';
import { isTransientError, withRetry } from './retry.js';

describe('withRetry', () => {
  const context = { step: 'load', table: 'device_events', period: '2024-01' } as const;

  it('retries transient errors with backoff and returns the eventual result', async () => {
    const delays: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3)
          throw Object.assign(new Error('Too many parts (300)'), { code: '252', type: 'TOO_MANY_PARTS' });
        return 'ok';
      },
      context,
      { baseDelayMs: 1, onRetry: ({ delayMs }) => delays.push(delayMs) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays[1]!).toBeGreaterThan(delays[0]! * 1.1);
  });

  it('fails at once on a permanent error, naming step, table and period', async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls += 1;
        throw Object.assign(new Error('Unknown column foo'), { code: '47', type: 'UNKNOWN_IDENTIFIER' });
      },
      context,
      { baseDelayMs: 1 },
    ).catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(EtlStepError);
    expect((error as EtlStepError).message).toBe(
      'load of device_events for 2024-01 failed: Unknown column foo',
    );
    expect((error as EtlStepError).transient).toBe(false);
  });

  it('gives up after the configured attempts on a transient error', async () => {
    const error = (await withRetry(
      async () => {
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      },
      context,
      { attempts: 3, baseDelayMs: 1 },
    ).catch((e: unknown) => e)) as EtlStepError;
    expect(error.attempts).toBe(3);
    expect(error.message).toMatch(/after 3 attempts: read ECONNRESET/);
  });

  it('classifies PostgreSQL and nested causes', () => {
    expect(isTransientError({ code: '40P01' })).toBe(true);
    expect(isTransientError({ code: '08006' })).toBe(true);
    expect(isTransientError({ code: '42P01' })).toBe(false);
    expect(isTransientError(new Error('wrapped', { cause: { code: 'ETIMEDOUT' } }))).toBe(true);
  });
});

describe('withRetry nesting', () => {
  it('retries a transient failure reported by a nested step and reports the root cause once', async () => {
    let calls = 0;
    const error = (await withRetry(
      () =>
        withRetry(
          async () => {
            calls += 1;
            throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          },
          { step: 'extract', table: 'users', period: '2024-01' },
          { attempts: 1 },
        ),
      { step: 'extract', table: 'users', period: '2024-01' },
      { attempts: 3, baseDelayMs: 1 },
    ).catch((e: unknown) => e)) as EtlStepError;
    expect(calls).toBe(3);
    expect(error.message).toBe('extract of users for 2024-01 failed after 3 attempts: connect ECONNREFUSED');
  });
});

describe('withRetry on the one retry policy of @bionicpro/models', () => {
  const context = { step: 'load', table: 'users', period: '2024-01' } as const;

  it('retries an error nobody recognises (an unlabelled I/O failure), like the CDC pipeline', async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('the server closed the stream');
        return calls;
      },
      context,
      { initialDelayMs: 1 },
    );
    expect(result).toBe(2);
  });

  it('fails at once on a defect and on a ClickHouse data error', async () => {
    for (const thrown of [
      new TypeError('x is not a function'),
      Object.assign(new Error('bad'), { code: '27' }),
    ]) {
      let calls = 0;
      const error = (await withRetry(
        async () => {
          calls += 1;
          throw thrown;
        },
        context,
        { maxAttempts: 4, initialDelayMs: 1 },
      ).catch((e: unknown) => e)) as EtlStepError;
      expect(calls).toBe(1);
      expect(error.transient).toBe(false);
      expect(error.cause).toBe(thrown);
    }
  });

  it('takes the shared field names, which win over the older ones', async () => {
    let calls = 0;
    const error = (await withRetry(
      async () => {
        calls += 1;
        throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      },
      context,
      { attempts: 5, maxAttempts: 2, baseDelayMs: 1000, initialDelayMs: 1 },
    ).catch((e: unknown) => e)) as EtlStepError;
    expect(calls).toBe(2);
    expect(error.attempts).toBe(2);
    expect(isTransientError(error.cause)).toBe(true);
  });
});
