/**
 * Defects stop the consumer; bad data does not. Pure tests of the loop with an in-memory consumer
 * and sink (the adapters are tested against a real broker in test/kafka-adapters.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type {
  CdcConsumer,
  CdcMessage,
  PipelineHealth,
  RetryOptions,
  TopicPartitionOffset,
} from './cdc-pipeline.js';
import { createCdcPipeline } from './cdc-pipeline.js';
import type { ClickHouseSink } from './clickhouse-sink.js';
import type { ChangeDecoder } from './decode-change.js';
import { createChangeDecoder } from './decode-change.js';
import type { DeadLetter } from './dead-letter.js';
import { PipelineError, SinkError } from './errors.js';

function message(offset: number, value: string | null, key: string | null = `{"id":${offset}}`): CdcMessage {
  return { topic: 'crm.public.widgets', partition: 0, offset: String(offset), key, value };
}

const good = (id: number) =>
  JSON.stringify({ before: null, after: { id }, source: { table: 'widgets', lsn: 100 + id }, op: 'c' });

/** A consumer over a fixed list that records commits, pauses and whether it was abandoned. */
function listConsumer(messages: readonly CdcMessage[]) {
  let position = 0;
  const log = { commits: [] as TopicPartitionOffset[][], abandoned: false, paused: 0, resumed: 0 };
  const consumer: CdcConsumer = {
    async poll(max) {
      const out = messages.slice(position, position + max);
      position += out.length;
      if (out.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      return out;
    },
    async commit(offsets) {
      log.commits.push([...offsets]);
    },
    pause() {
      log.paused += 1;
    },
    resume() {
      log.resumed += 1;
    },
    abandon() {
      log.abandoned = true;
    },
  };
  return { consumer, log };
}

function recordingSink(
  fail?: (attempt: number) => unknown,
): ClickHouseSink & { written: number[]; attempts: number } {
  const sink = {
    written: [] as number[],
    attempts: 0,
    async write(events: Parameters<ClickHouseSink['write']>[0]) {
      sink.attempts += 1;
      const error = fail?.(sink.attempts);
      if (error !== undefined) throw error;
      for (const event of events)
        if (event.kind === 'change') sink.written.push(event.after?.['id'] as number);
      return { rows: events.length, rejected: [] };
    },
  };
  return sink;
}

/** Runs the pipeline until it stops by itself, failing the test instead of hanging if it never does. */
async function runToEnd(pipeline: { run(): Promise<void>; stop(): void }, ms = 5000): Promise<unknown> {
  const timer = setTimeout(() => pipeline.stop(), ms);
  try {
    await pipeline.run();
    return 'stopped without an error';
  } catch (error) {
    return error;
  } finally {
    clearTimeout(timer);
  }
}

describe('createCdcPipeline: defects stop the consumer, bad data does not', () => {
  it('accounts for every message of a batch: changes, dead letters, tombstones, heartbeats, control events', async () => {
    const { consumer } = listConsumer([]);
    const pipeline = createCdcPipeline({ consumer, sink: recordingSink(), deadLetters: async () => {} });
    const stats = await pipeline.processBatch([
      message(0, good(0)),
      message(1, '{"id":1}'),
      message(2, null),
      message(3, '{"ts_ms":5}'),
      message(
        4,
        '{"status":"BEGIN","id":"571:53195829","event_count":null,"data_collections":null,"ts_ms":1}',
      ),
      message(5, '{"op":"m","ts_ms":1,"source":{"lsn":9},"message":{"prefix":"p","content":"AA=="}}'),
      message(6, '{"op":"t","source":{"table":"widgets","lsn":10}}', null),
    ]);
    expect(stats).toMatchObject({
      messages: 7,
      changes: 2,
      deadLetters: 1,
      tombstones: 1,
      heartbeats: 1,
      controlEvents: 2,
    });
    expect(
      stats.changes + stats.deadLetters + stats.tombstones + stats.heartbeats + stats.controlEvents,
    ).toBe(stats.messages);
  });

  it('dead-letters classified bad data with its code and commits past it', async () => {
    const { consumer, log } = listConsumer([
      message(0, good(0)),
      message(1, '{"id":1}'),
      message(2, good(2)),
    ]);
    const letters: DeadLetter[] = [];
    const sink = recordingSink();
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: async (batch) => {
        letters.push(...batch);
      },
      batch: { maxMessages: 10, maxWaitMs: 20 },
      metrics: { onBatch: () => pipeline.stop() },
    });
    expect(await runToEnd(pipeline)).toBe('stopped without an error');
    expect(letters.map((l) => [l.offset, l.code])).toEqual([['1', 'invalid_envelope']]);
    expect(sink.written).toEqual([0, 2]);
    expect(log.commits.at(-1)).toEqual([{ topic: 'crm.public.widgets', partition: 0, offset: '3' }]);
    expect(pipeline.health()).toMatchObject({ state: 'stopped', healthy: true });
  });

  it('stops on a defect in decoding without committing that message, after writing and committing the ones before it', async () => {
    const real = createChangeDecoder();
    const buggy: ChangeDecoder = {
      decode(record) {
        if (record.offset === '2') throw new TypeError("Cannot read properties of undefined (reading 'x')");
        return real.decode(record);
      },
    };
    const messages = [0, 1, 2, 3, 4].map((i) => message(i, good(i)));
    const { consumer, log } = listConsumer(messages);
    const letters: DeadLetter[] = [];
    const failures: PipelineError[] = [];
    const sink = recordingSink();
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      decoder: buggy,
      deadLetters: async (batch) => {
        letters.push(...batch);
      },
      batch: { maxMessages: 10, maxWaitMs: 20 },
      metrics: { onFailure: (error) => failures.push(error) },
    });
    const error = await runToEnd(pipeline);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'defect', topic: 'crm.public.widgets', partition: 0, offset: '2' });
    expect((error as PipelineError).cause).toBeInstanceOf(TypeError);
    expect(letters).toEqual([]);
    expect(sink.written).toEqual([0, 1]);
    // Committed up to (not including) the defective message: a restart resumes at offset 2.
    expect(log.commits).toEqual([[{ topic: 'crm.public.widgets', partition: 0, offset: '2' }]]);
    expect(log.abandoned).toBe(true);
    expect(failures).toEqual([error]);
    const health: PipelineHealth = pipeline.health();
    expect(health).toMatchObject({ state: 'failed', healthy: false, error });
    // A stopped pipeline stays stopped.
    await expect(pipeline.run()).rejects.toBe(error);
  });

  it('stops on a defect at the first message without committing anything', async () => {
    const buggy: ChangeDecoder = {
      decode() {
        throw new RangeError('Invalid array length');
      },
    };
    const { consumer, log } = listConsumer([message(7, good(7))]);
    const pipeline = createCdcPipeline({
      consumer,
      sink: recordingSink(),
      decoder: buggy,
      deadLetters: async () => {},
    });
    await expect(pipeline.processBatch([message(7, good(7))])).rejects.toMatchObject({
      code: 'defect',
      offset: '7',
    });
    expect(log.commits).toEqual([]);
    expect(pipeline.health().healthy).toBe(false);
  });

  it('retries a failing sink with backoff up to maxAttempts, then stops unhealthy without committing', async () => {
    const { consumer, log } = listConsumer([message(0, good(0))]);
    const sink = recordingSink(
      () => new SinkError('sink_write_failed', 'connect ECONNREFUSED 127.0.0.1:8123'),
    );
    const retries: number[] = [];
    const states: string[] = [];
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: async () => {},
      retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 4 },
      batch: { maxMessages: 10, maxWaitMs: 20 },
      metrics: {
        onRetry: ({ attempt }) => {
          retries.push(attempt);
          states.push(pipeline.health().state);
        },
      },
    });
    const error = await runToEnd(pipeline);
    expect(error).toBeInstanceOf(PipelineError);
    expect(error).toMatchObject({ code: 'retries_exhausted' });
    expect((error as Error).message).toMatch(/writing to ClickHouse failed 4 time\(s\)/);
    expect(sink.attempts).toBe(4);
    expect(retries).toEqual([1, 2, 3]);
    expect(states).toEqual(['retrying', 'retrying', 'retrying']);
    expect(log.commits).toEqual([]);
    expect(log.paused).toBe(1);
    expect(log.resumed).toBe(1);
    expect(pipeline.health()).toMatchObject({ state: 'failed', healthy: false });
  });

  it('gives up when the time budget is spent', async () => {
    const { consumer } = listConsumer([message(0, good(0))]);
    const sink = recordingSink(() => new SinkError('sink_write_failed', 'timeout'));
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: async () => {},
      retry: { initialDelayMs: 20, maxDelayMs: 20, maxElapsedMs: 100 },
      batch: { maxMessages: 10, maxWaitMs: 20 },
    });
    const started = performance.now();
    expect(await runToEnd(pipeline)).toMatchObject({ code: 'retries_exhausted' });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(sink.attempts).toBeGreaterThanOrEqual(2);
  });

  it('does not retry a defect of the sink (an error other than its retryable SinkError)', async () => {
    const { consumer, log } = listConsumer([message(0, good(0))]);
    const sink = recordingSink(() => new TypeError('Do not know how to serialize a BigInt'));
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: async () => {},
      retry: { initialDelayMs: 1 },
      batch: { maxMessages: 10, maxWaitMs: 20 },
    });
    expect(await runToEnd(pipeline)).toMatchObject({ code: 'defect' });
    expect(sink.attempts).toBe(1);
    expect(log.commits).toEqual([]);
  });

  it('recovers from a short outage and reports healthy again', async () => {
    const { consumer, log } = listConsumer([message(0, good(0))]);
    const sink = recordingSink((attempt) =>
      attempt <= 2 ? new SinkError('sink_write_failed', 'ECONNRESET') : undefined,
    );
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: async () => {},
      retry: { initialDelayMs: 1, maxDelayMs: 2, maxAttempts: 5 },
      batch: { maxMessages: 10, maxWaitMs: 20 },
      metrics: { onBatch: () => pipeline.stop() },
    });
    expect(await runToEnd(pipeline)).toBe('stopped without an error');
    expect(sink.written).toEqual([0]);
    expect(log.commits).toHaveLength(1);
    expect(pipeline.health()).toMatchObject({ healthy: true, retry: undefined, batches: 1 });
  });

  it('stops when the consumer fails, reporting it', async () => {
    const consumer: CdcConsumer = {
      poll: async () => {
        throw new Error('broker connection lost');
      },
      commit: async () => {},
      pause() {},
      resume() {},
    };
    const pipeline = createCdcPipeline({ consumer, sink: recordingSink(), deadLetters: async () => {} });
    expect(await runToEnd(pipeline)).toMatchObject({ code: 'consumer_failed' });
    expect(pipeline.health().state).toBe('failed');
  });
});

describe('createCdcPipeline: writes follow the one retry policy of @bionicpro/models', () => {
  /** A pipeline over `consumer` and `sink` with short retries and no dead letters. */
  const quickPipeline = (consumer: CdcConsumer, sink: ClickHouseSink, retry: RetryOptions = {}) =>
    createCdcPipeline({
      consumer,
      sink,
      deadLetters: async () => {},
      retry: { initialDelayMs: 1, ...retry },
      batch: { maxMessages: 10, maxWaitMs: 20 },
    });

  it('stops at once with write_refused when the sink fails with a permanent ClickHouse error', async () => {
    const { consumer, log } = listConsumer([message(0, good(0))]);
    const unknownTable = Object.assign(new Error('Code: 60. DB::Exception: Unknown table cdc.widgets'), {
      code: '60',
    });
    const sink = recordingSink(
      () => new SinkError('sink_write_failed', 'insert into cdc.widgets failed', { cause: unknownTable }),
    );
    const pipeline = quickPipeline(consumer, sink);
    const error = await runToEnd(pipeline);
    expect(error).toMatchObject({ code: 'write_refused' });
    expect((error as PipelineError).cause).toBeInstanceOf(SinkError);
    expect((error as Error).message).toMatch(
      /writing to ClickHouse failed with an error retrying cannot fix \(permanent\)/,
    );
    expect(sink.attempts).toBe(1);
    expect(log.commits).toEqual([]);
    expect(log.paused).toBe(0);
    expect(pipeline.health()).toMatchObject({ state: 'failed', healthy: false });
  });

  it('retries a transient cause of a SinkError and an unlabelled dead-letter failure, with retry.onRetry called', async () => {
    const { consumer, log } = listConsumer([message(0, good(0)), message(1, '{"id":1}')]);
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const sink = recordingSink((attempt) =>
      attempt === 1 ? new SinkError('sink_write_failed', 'insert failed', { cause: reset }) : undefined,
    );
    let storeCalls = 0;
    const seen: number[] = [];
    const pipeline = createCdcPipeline({
      consumer,
      sink,
      deadLetters: async () => {
        storeCalls += 1;
        if (storeCalls === 1) throw new Error('the dead-letter topic is not reachable');
      },
      retry: { initialDelayMs: 1, maxDelayMs: 2, onRetry: ({ attempt }) => void seen.push(attempt) },
      batch: { maxMessages: 10, maxWaitMs: 20 },
      metrics: { onBatch: () => pipeline.stop() },
    });
    expect(await runToEnd(pipeline)).toBe('stopped without an error');
    expect(sink.attempts).toBe(2);
    expect(storeCalls).toBe(2);
    expect(seen).toEqual([1, 1]);
    expect(log.commits).toEqual([[{ topic: 'crm.public.widgets', partition: 0, offset: '2' }]]);
    expect(pipeline.health()).toMatchObject({ healthy: true, retry: undefined });
  });

  it('does not retry a defect of the dead-letter destination (it was retried until the budget before)', async () => {
    const { consumer, log } = listConsumer([message(0, '{"id":0}')]);
    let storeCalls = 0;
    const pipeline = createCdcPipeline({
      consumer,
      sink: recordingSink(),
      deadLetters: async () => {
        storeCalls += 1;
        throw new TypeError("Cannot read properties of undefined (reading 'send')");
      },
      retry: { initialDelayMs: 1 },
      batch: { maxMessages: 10, maxWaitMs: 20 },
    });
    expect(await runToEnd(pipeline)).toMatchObject({ code: 'defect' });
    expect(storeCalls).toBe(1);
    expect(log.commits).toEqual([]);
  });

  it('lets retry.shouldRetry refuse what the classification would retry', async () => {
    const { consumer } = listConsumer([message(0, good(0))]);
    const sink = recordingSink(() => new SinkError('sink_write_failed', 'x', { cause: new Error('flaky') }));
    const pipeline = quickPipeline(consumer, sink, { shouldRetry: () => false });
    expect(await runToEnd(pipeline)).toMatchObject({ code: 'write_refused' });
    expect(sink.attempts).toBe(1);
  });
});
