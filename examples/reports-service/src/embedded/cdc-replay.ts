import { readFile } from 'node:fs/promises';
import {
  type CdcMessage,
  type ClickHouseLike,
  cdcTargetDdl,
  cdcTargetOf,
  createCdcPipeline,
  createClickHouseSink,
  currentRowsQuery,
  type DeadLetter,
  deadLettersToCallback,
} from '@bionicpro/cdc';
import { assertIdentifier, type SourceTableName, sourceTableNames, tables } from '@bionicpro/models';

/** Where the recorded Debezium streams are (real connector output captured by the cdc package). */
export const RECORDED_STREAMS = [
  new URL('../../../../packages/cdc/test/fixtures/debezium/crm-schemas-precise.jsonl', import.meta.url),
  new URL('../../../../packages/cdc/test/fixtures/debezium/telemetry-schemas-precise.jsonl', import.meta.url),
];

/** What a replay did. */
export interface ReplayOutcome {
  readonly messages: number;
  readonly changes: number;
  /** Rows ClickHouse acknowledged (versions of one key folded). */
  readonly rows: number;
  readonly tombstones: number;
  readonly heartbeats: number;
  readonly deadLetters: readonly DeadLetter[];
  /** Current rows per target table after the replay (`FINAL`, deletes applied). */
  readonly current: Partial<Record<SourceTableName, number>>;
}

/**
 * Reads recorded Kafka records (one JSON object per line: `topic`,
 * `partition`, `offset`, `key`, `value`, as the Debezium JSON converter wrote
 * them).
 *
 * @example
 * ```ts
 * const messages = await readRecordedStream(RECORDED_STREAMS[0]);
 * ```
 */
export async function readRecordedStream(file: URL | string): Promise<CdcMessage[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const record = JSON.parse(line) as {
        topic: string;
        partition?: number;
        offset?: string;
        key: string | null;
        value: string | null;
      };
      return {
        topic: record.topic,
        partition: record.partition ?? 0,
        offset: record.offset ?? String(i),
        key: record.key,
        value: record.value,
      };
    });
}

/**
 * Replays recorded Debezium messages through the cdc package's pipeline
 * (decode, validate by the models, sink into ClickHouse with versions from
 * the LSN, dead letters for what cannot be applied), exactly as the Kafka
 * consumer would deliver them, but from a file: the CDC path without Kafka.
 * Targets are the models' source tables in `database`.
 *
 * @example
 * ```ts
 * const outcome = await replayRecordedCdc(client, await readRecordedStream(RECORDED_STREAMS[0]), { database: 'bionicpro_cdc' });
 * outcome.current.users; // current user rows after inserts, updates and deletes
 * ```
 */
export async function replayRecordedCdc(
  client: ClickHouseLike,
  messages: readonly CdcMessage[],
  options: { readonly database: string; readonly batchSize?: number },
): Promise<ReplayOutcome> {
  const database = assertIdentifier('database', options.database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  for (const name of sourceTableNames)
    await client.command({ query: cdcTargetDdl(tables[name], { database }) });
  const deadLetters: DeadLetter[] = [];
  const pipeline = createCdcPipeline({
    // The recorded stream is handed over batch by batch; there is no broker to poll or commit to.
    consumer: { poll: async () => [], commit: async () => {}, pause() {}, resume() {} },
    sink: createClickHouseSink({
      client,
      targets: sourceTableNames.map((name) => cdcTargetOf(tables[name], { database })),
      // The recording also holds tables without a model (type samples, the signal table).
      unknownTables: 'ignore',
    }),
    deadLetters: deadLettersToCallback((letters) => {
      deadLetters.push(...letters);
    }),
  });
  const totals = { messages: 0, changes: 0, rows: 0, tombstones: 0, heartbeats: 0 };
  const batchSize = options.batchSize ?? 500;
  for (let start = 0; start < messages.length; start += batchSize) {
    const stats = await pipeline.processBatch(messages.slice(start, start + batchSize));
    totals.messages += stats.messages;
    totals.changes += stats.changes;
    totals.rows += stats.rows;
    totals.tombstones += stats.tombstones;
    totals.heartbeats += stats.heartbeats;
  }
  const current: Partial<Record<SourceTableName, number>> = {};
  for (const name of sourceTableNames) {
    const query = currentRowsQuery(`${database}.${name}`, { columns: ['id'] });
    const rows = await (await client.query({ ...query, format: 'JSONEachRow' })).json();
    const count = Array.isArray(rows) ? rows.length : 0;
    if (count > 0) current[name] = count;
  }
  return { ...totals, deadLetters, current };
}
