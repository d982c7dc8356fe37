/**
 * A single-partition Kafka log in memory, with a consumer that can shuffle and
 * duplicate messages inside a poll and be restarted from its committed offset,
 * as a real consumer is after a crash or rebalance. Used to drive the pipeline
 * against embedded chDB; the Kafka adapters themselves are tested against a
 * real broker (kafka-adapters.test.ts).
 */
import type { CdcConsumer, CdcMessage, TopicPartitionOffset } from '../src/index.js';

export interface LogRecord {
  readonly key: string | null;
  readonly value: string | null;
}

export class MemoryLog {
  readonly records: LogRecord[] = [];
  committed = 0n;
  constructor(readonly topic: string) {}

  append(record: LogRecord): void {
    this.records.push(record);
  }

  /** A consumer starting at `from` (default: the committed offset). */
  consumer(
    options: {
      from?: bigint;
      shuffle?: (n: number) => number;
      duplicate?: () => boolean;
      failCommit?: () => boolean;
    } = {},
  ): CdcConsumer & { position: bigint; paused: boolean } {
    const log = this;
    const state = { position: options.from ?? log.committed, paused: false };
    return {
      get position() {
        return state.position;
      },
      get paused() {
        return state.paused;
      },
      async poll(max) {
        const out: CdcMessage[] = [];
        const end = Math.min(log.records.length, Number(state.position) + max);
        for (let i = Number(state.position); i < end; i++) {
          const record = log.records[i]!;
          const message: CdcMessage = {
            topic: log.topic,
            partition: 0,
            offset: String(i),
            key: record.key,
            value: record.value,
            highWatermark: String(log.records.length),
          };
          out.push(message);
          if (options.duplicate?.()) out.push(message);
        }
        state.position = BigInt(end);
        if (options.shuffle) {
          for (let i = out.length - 1; i > 0; i--) {
            const j = options.shuffle(i + 1);
            [out[i], out[j]] = [out[j]!, out[i]!];
          }
        }
        return out;
      },
      async commit(offsets: readonly TopicPartitionOffset[]) {
        if (options.failCommit?.()) throw new Error('simulated commit failure (rebalance)');
        for (const offset of offsets) {
          if (BigInt(offset.offset) > log.committed) log.committed = BigInt(offset.offset);
        }
      },
      pause() {
        state.paused = true;
      },
      resume() {
        state.paused = false;
      },
    };
  }
}
