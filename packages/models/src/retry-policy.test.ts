import { describe, expect, it } from 'vitest';
import { InvalidMoneyError } from './errors.js';
import {
  classifyError,
  type ErrorClass,
  isRetryableError,
  type RetryInfo,
  retryDelayMs,
  runWithRetry,
} from './retry-policy.js';

/** An error the way a client library builds one: a message plus own properties. */
function clientError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('classifyError', () => {
  const table: [string, unknown, ErrorClass][] = [
    // ClickHouse, by number (chDB and the HTTP client) and by name (`type` of @clickhouse/client).
    ['ClickHouse TOO_MANY_PARTS by number', { code: '252' }, 'transient'],
    [
      'ClickHouse TOO_MANY_PARTS by name',
      clientError('Too many parts', { type: 'TOO_MANY_PARTS' }),
      'transient',
    ],
    ['ClickHouse MEMORY_LIMIT_EXCEEDED as a number', { code: 241 }, 'transient'],
    ['ClickHouse TABLE_IS_READ_ONLY by name', { type: 'TABLE_IS_READ_ONLY' }, 'transient'],
    ['ClickHouse CANNOT_PARSE_TEXT', { code: '6', type: 'CANNOT_PARSE_TEXT' }, 'data'],
    ['ClickHouse TYPE_MISMATCH by name', { type: 'TYPE_MISMATCH' }, 'data'],
    ['ClickHouse DECIMAL_OVERFLOW', { code: '407' }, 'data'],
    ['ClickHouse UNKNOWN_IDENTIFIER', { code: '47', type: 'UNKNOWN_IDENTIFIER' }, 'permanent'],
    ['ClickHouse UNKNOWN_TABLE by name', { type: 'UNKNOWN_TABLE' }, 'permanent'],
    ['ClickHouse AUTHENTICATION_FAILED', { code: '516' }, 'permanent'],
    ['ClickHouse code in a chDB message', new Error('Code: 27. DB::Exception: Cannot parse input'), 'data'],
    ['ClickHouse code in a message', new Error('Code: 60. DB::Exception: Unknown table cdc.x'), 'permanent'],
    ['ClickHouse code not in the table', { code: '1001' }, 'unknown'],
    // PostgreSQL SQLSTATE, by class.
    ['PostgreSQL connection failure (08006)', { code: '08006' }, 'transient'],
    ['PostgreSQL too many connections (53300)', { code: '53300' }, 'transient'],
    ['PostgreSQL serialization failure (40001)', { code: '40001' }, 'transient'],
    ['PostgreSQL deadlock (40P01)', { code: '40P01' }, 'transient'],
    ['PostgreSQL admin shutdown (57P01)', { code: '57P01' }, 'transient'],
    ['PostgreSQL statement timeout (57014)', { code: '57014' }, 'transient'],
    ['PostgreSQL undefined table (42P01)', { code: '42P01' }, 'permanent'],
    ['PostgreSQL bad password (28P01)', { code: '28P01' }, 'permanent'],
    ['PostgreSQL numeric out of range (22003)', { code: '22003' }, 'data'],
    ['PostgreSQL unique violation (23505)', { code: '23505' }, 'data'],
    // Node.js and undici sockets.
    ['socket reset', clientError('read ECONNRESET', { code: 'ECONNRESET' }), 'transient'],
    ['connection refused', { code: 'ECONNREFUSED' }, 'transient'],
    ['broken pipe', { code: 'EPIPE' }, 'transient'],
    ['DNS lookup retry', { code: 'EAI_AGAIN' }, 'transient'],
    ['undici connect timeout', { code: 'UND_ERR_CONNECT_TIMEOUT' }, 'transient'],
    ['socket hang up without code', new Error('socket hang up'), 'transient'],
    ['pg connection terminated without code', new Error('Connection terminated unexpectedly'), 'transient'],
    // kafkajs: `retriable`; wrappers judged by their cause.
    [
      'kafkajs connection error',
      clientError('Connection timeout', { name: 'KafkaJSConnectionError', retriable: true }),
      'transient',
    ],
    [
      'kafkajs protocol error, not retriable',
      clientError('Topic authorization failed', { name: 'KafkaJSProtocolError', retriable: false }),
      'permanent',
    ],
    [
      'kafkajs retries exceeded over a retriable cause',
      clientError('retries exceeded', {
        name: 'KafkaJSNumberOfRetriesExceeded',
        retriable: false,
        cause: clientError('Connection error', { name: 'KafkaJSConnectionError', retriable: true }),
      }),
      'transient',
    ],
    // @platformatic/kafka: `canRetry`, network errors always worth another try.
    [
      'platformatic network error',
      clientError('Connection closed', { code: 'PLT_KFK_NETWORK', canRetry: true }),
      'transient',
    ],
    [
      'platformatic timeout',
      clientError('Timeout', { code: 'PLT_KFK_NETWORK', canRetry: false }),
      'transient',
    ],
    [
      'platformatic authentication',
      clientError('SASL failed', { code: 'PLT_KFK_AUTHENTICATION', canRetry: false }),
      'permanent',
    ],
    [
      'platformatic protocol error, retriable',
      clientError('Not leader', { code: 'PLT_KFK_PROTOCOL', canRetry: true }),
      'transient',
    ],
    // Causes: the outermost link that names a class decides.
    ['a wrapped socket error', new Error('query failed', { cause: { code: 'ETIMEDOUT' } }), 'transient'],
    [
      'undici: TypeError "fetch failed" over a socket error',
      new TypeError('fetch failed', { cause: clientError('connect ECONNREFUSED', { code: 'ECONNREFUSED' }) }),
      'transient',
    ],
    [
      'a wrapped data error two levels down',
      new Error('a', { cause: new Error('b', { cause: { code: '53' } }) }),
      'data',
    ],
    [
      'an AggregateError whose members are all transient',
      new AggregateError([{ code: 'ECONNREFUSED' }, { code: 'ETIMEDOUT' }], 'all brokers failed'),
      'transient',
    ],
    [
      'an AggregateError with one permanent member',
      new AggregateError([{ code: 'ECONNREFUSED' }, { code: '516' }], 'mixed'),
      'permanent',
    ],
    // Nothing recognised.
    ['a plain Error', new Error('the server went away'), 'unknown'],
    ['a string', 'boom', 'unknown'],
    ['undefined', undefined, 'unknown'],
    ['a TypeError (a bug)', new TypeError("Cannot read properties of undefined (reading 'x')"), 'defect'],
    ['a RangeError (a bug)', new RangeError('Invalid array length'), 'defect'],
    ['a BionicPRO error of the caller', new InvalidMoneyError('12.345', 'too many decimals'), 'permanent'],
    [
      'a plain wrapper of a BionicPRO error',
      new Error('load failed', { cause: new InvalidMoneyError('x', 'bad') }),
      'permanent',
    ],
  ];
  it.each(table)('%s', (_name, error, expected) => {
    expect(classifyError(error)).toBe(expected);
  });

  it('retries transient and unknown errors, never data, permanent or defect', () => {
    for (const [, error, kind] of table) {
      expect(isRetryableError(error)).toBe(kind === 'transient' || kind === 'unknown');
    }
  });

  it('stops following causes after a bounded chain (a cycle does not hang)', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(classifyError(a)).toBe('unknown');
  });
});

describe('retryDelayMs', () => {
  it('doubles from the initial delay, caps at the maximum and jitters ±25 %', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(policy, n, () => 0.5))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(retryDelayMs(policy, 2, () => 0)).toBe(150);
    expect(retryDelayMs(policy, 2, () => 0.999_999)).toBeCloseTo(250, 3);
  });
});

/** A clock that only moves when the retry loop sleeps. */
function fakeRuntime(random = () => 0.5) {
  let time = 1000;
  const sleeps: number[] = [];
  return {
    sleeps,
    runtime: {
      now: () => time,
      random,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        time += ms;
      },
    },
  };
}

describe('runWithRetry', () => {
  const transient = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

  it('returns the value of the first attempt that succeeds, after sleeping the backoff', async () => {
    const { sleeps, runtime } = fakeRuntime();
    const infos: RetryInfo[] = [];
    const outcome = await runWithRetry(
      async (attempt) => {
        if (attempt < 3) throw transient();
        return `ok on ${attempt}`;
      },
      { initialDelayMs: 10, onRetry: (info) => void infos.push(info) },
      runtime,
    );
    expect(outcome).toEqual({ ok: true, value: 'ok on 3', attempts: 3 });
    expect(sleeps).toEqual([10, 20]);
    expect(infos.map(({ attempt, delayMs, elapsedMs }) => [attempt, delayMs, elapsedMs])).toEqual([
      [1, 10, 0],
      [2, 20, 10],
    ]);
  });

  it('does not retry an error the classification refuses', async () => {
    const { sleeps, runtime } = fakeRuntime();
    let calls = 0;
    const error = Object.assign(new Error('Unknown table'), { code: '60' });
    const outcome = await runWithRetry(
      async () => {
        calls += 1;
        throw error;
      },
      {},
      runtime,
    );
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
    expect(outcome).toEqual({ ok: false, reason: 'not_retryable', error, attempts: 1, elapsedMs: 0 });
  });

  it('gives up after maxAttempts (default 5)', async () => {
    const { sleeps, runtime } = fakeRuntime();
    const outcome = await runWithRetry(() => Promise.reject(transient()), { initialDelayMs: 1 }, runtime);
    expect(outcome).toMatchObject({ ok: false, reason: 'attempts', attempts: 5 });
    expect(sleeps).toEqual([1, 2, 4, 8]);
  });

  it('gives up when the next delay would end past maxElapsedMs since the first failure', async () => {
    const { sleeps, runtime } = fakeRuntime();
    const outcome = await runWithRetry(
      () => Promise.reject(transient()),
      { initialDelayMs: 100, maxDelayMs: 100, maxAttempts: Number.POSITIVE_INFINITY, maxElapsedMs: 350 },
      runtime,
    );
    // 100 + 100 + 100 = 300 ms slept; a fourth delay would end at 400 > 350.
    expect(sleeps).toEqual([100, 100, 100]);
    expect(outcome).toMatchObject({ ok: false, reason: 'elapsed', attempts: 4, elapsedMs: 300 });
  });

  it('applies jitter from the injected random source', async () => {
    const { sleeps, runtime } = fakeRuntime(() => 0);
    await runWithRetry(() => Promise.reject(transient()), { initialDelayMs: 100, maxAttempts: 3 }, runtime);
    expect(sleeps).toEqual([75, 150]);
  });

  it('uses shouldRetry instead of the classification when given', async () => {
    const { runtime } = fakeRuntime();
    let calls = 0;
    const outcome = await runWithRetry(
      async () => {
        calls += 1;
        throw new TypeError('would be a defect');
      },
      { maxAttempts: 3, shouldRetry: () => true },
      runtime,
    );
    expect(calls).toBe(3);
    expect(outcome).toMatchObject({ ok: false, reason: 'attempts' });
  });

  it('awaits onRetry before sleeping', async () => {
    const { runtime } = fakeRuntime();
    const order: string[] = [];
    await runWithRetry(
      async (attempt) => {
        order.push(`run ${attempt}`);
        if (attempt === 1) throw transient();
      },
      {
        onRetry: async () => {
          await Promise.resolve();
          order.push('onRetry done');
        },
      },
      { ...runtime, sleep: async () => void order.push('sleep') },
    );
    expect(order).toEqual(['run 1', 'onRetry done', 'sleep', 'run 2']);
  });

  it('stops at an aborted signal, before sleeping and after waking', async () => {
    const { sleeps, runtime } = fakeRuntime();
    const before = new AbortController();
    before.abort();
    const early = await runWithRetry(
      () => Promise.reject(transient()),
      {},
      { ...runtime, signal: before.signal },
    );
    expect(early).toMatchObject({ ok: false, reason: 'aborted', attempts: 1 });
    expect(sleeps).toEqual([]);

    const during = new AbortController();
    let calls = 0;
    const late = await runWithRetry(
      async () => {
        calls += 1;
        throw transient();
      },
      {},
      { ...runtime, sleep: async () => during.abort(), signal: during.signal },
    );
    expect(late).toMatchObject({ ok: false, reason: 'aborted', attempts: 1 });
    expect(calls).toBe(1);
  });

  it('wakes the default sleep early when the signal aborts', async () => {
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 20);
    const outcome = await runWithRetry(
      () => Promise.reject(transient()),
      { initialDelayMs: 60_000 },
      { signal: controller.signal },
    );
    expect(outcome).toMatchObject({ ok: false, reason: 'aborted', attempts: 1 });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
