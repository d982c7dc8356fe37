/**
 * Writes typed changes into ClickHouse so that the target holds exactly one
 * current row per primary key, whatever the delivery: duplicates, reordering
 * inside or across batches, consumer restarts, rebalances and re-snapshots.
 *
 * How:
 * - every row carries `_version` from the source position (`change-version.ts`)
 *   and `_is_deleted`; the engine keeps the highest version per key, and reads
 *   use FINAL (`currentRowsQuery`);
 * - a batch is folded per key in version order before it is written, so only
 *   the newest row of a key is inserted (fewer rows, same result);
 * - a column that arrived as the unchanged-TOAST placeholder takes its value
 *   from the previous version of the row: an earlier change of the same batch,
 *   else the current row in ClickHouse. With no previous row the change is
 *   rejected (dead-lettered) rather than written with a made-up value;
 * - a truncate deletes every row whose version is below the truncate's.
 *
 * Failures: ClickHouse errors that blame the data (parse errors, type
 * mismatches, overflow) are narrowed down by splitting the insert until the
 * offending rows are found and rejected; every other error (network, memory,
 * read-only, missing table) is thrown as a retryable {@link SinkError}, and the
 * caller retries the same batch.
 */
import { changeVersion } from './change-version.js';
import {
  type CdcTarget,
  type ClickHouseLike,
  type ClickHouseSettingsLike,
  DELETED_COLUMN,
  VERSION_COLUMN,
} from './clickhouse-target.js';
import type { RowChange, TruncateEvent } from './decode-change.js';
import { SinkError } from './errors.js';

/** A change the sink refused, with a reason a person can act on. */
export interface SinkRejection {
  readonly event: RowChange | TruncateEvent;
  readonly code:
    | 'no_target'
    | 'no_position'
    | 'no_key'
    | 'toast_without_previous_row'
    | 'clickhouse_rejected_row';
  readonly reason: string;
  readonly cause?: unknown;
}

/** What one {@link ClickHouseSink.write} did. */
export interface SinkWriteResult {
  /** Rows inserted (after folding versions of the same key). */
  readonly rows: number;
  readonly rejected: readonly SinkRejection[];
}

/** Options of {@link createClickHouseSink}. */
export interface ClickHouseSinkOptions {
  readonly client: ClickHouseLike;
  /** Targets by source table name (see `cdcTargetOf`). */
  readonly targets: readonly CdcTarget[];
  /** What to do with changes of tables without a target: reject them (default) or skip them. */
  readonly unknownTables?: 'reject' | 'ignore';
  /** Apply truncates (default) or ignore them. */
  readonly truncate?: 'apply' | 'ignore';
  /** Extra settings for inserts. */
  readonly insertSettings?: ClickHouseSettingsLike;
}

/** The ClickHouse side of the CDC pipeline. */
export interface ClickHouseSink {
  /** Writes a batch; resolves once ClickHouse acknowledged every row. Throws a retryable {@link SinkError}. */
  write(events: readonly (RowChange | TruncateEvent)[]): Promise<SinkWriteResult>;
}

/**
 * ClickHouse error codes that blame the inserted data, not the server:
 * retrying would fail forever, so the rows are isolated and rejected.
 */
const DATA_ERROR_CODES = new Set([
  '6', // CANNOT_PARSE_TEXT
  '26', // CANNOT_PARSE_QUOTED_STRING
  '27', // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  '32', // ATTEMPT_TO_READ_AFTER_EOF
  '38', // CANNOT_PARSE_DATE
  '41', // CANNOT_PARSE_DATETIME
  '53', // TYPE_MISMATCH
  '69', // ARGUMENT_OUT_OF_BOUND
  '70', // CANNOT_CONVERT_TYPE
  '72', // CANNOT_PARSE_NUMBER
  '117', // INCORRECT_DATA
  '131', // TOO_LARGE_STRING_SIZE
  '349', // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
  '407', // DECIMAL_OVERFLOW
  '457', // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  '691', // UNKNOWN_ELEMENT_OF_ENUM
]);

/** The ClickHouse error code of an error from `@clickhouse/client` or chDB, if any. */
export function clickhouseErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return code;
  if (typeof code === 'number') return String(code);
  const message = error instanceof Error ? error.message : String(error);
  return /Code: (\d+)/.exec(message)?.[1];
}

/** True when ClickHouse refused the data itself (retrying cannot help). */
export function isDataError(error: unknown): boolean {
  const code = clickhouseErrorCode(error);
  return code !== undefined && DATA_ERROR_CODES.has(code);
}

type Row = Record<string, unknown>;

interface PendingRow {
  readonly event: RowChange;
  readonly version: bigint;
  readonly key: string;
  readonly keyValues: readonly unknown[];
}

function toClickHouseValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  return value;
}

function keyText(values: readonly unknown[]): string {
  return values.length === 1 ? String(values[0]) : values.map((v) => String(v)).join('\u0000');
}

/**
 * Creates the sink.
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { cdcTargetOf, createClickHouseSink } from '@bionicpro/cdc';
 * const sink = createClickHouseSink({ client, targets: [cdcTargetOf(tables.payments, { database: 'cdc' })] });
 * const { rows, rejected } = await sink.write(changes);
 * ```
 */
export function createClickHouseSink(options: ClickHouseSinkOptions): ClickHouseSink {
  const { client } = options;
  const targets = new Map(options.targets.map((t) => [t.source, t]));
  const insertSettings = { date_time_input_format: 'best_effort', ...options.insertSettings };
  const readSettings = { output_format_json_quote_64bit_integers: 1, output_format_json_quote_decimals: 1 };

  async function readCurrentRows(
    target: CdcTarget,
    keys: readonly (readonly unknown[])[],
  ): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    for (let start = 0; start < keys.length; start += 1000) {
      const chunk = keys.slice(start, start + 1000);
      const params: Record<string, unknown> = {};
      let where: string;
      if (target.key.length === 1) {
        params['keys'] = chunk.map((k) => toClickHouseValue(k[0]));
        where = `${target.key[0]} IN {keys:Array(${target.keyTypes[0]})}`;
      } else {
        where = chunk
          .map(
            (k, i) =>
              `(${target.key
                .map((column, j) => {
                  params[`k${i}_${j}`] = toClickHouseValue(k[j]);
                  return `${column} = {k${i}_${j}:${target.keyTypes[j]}}`;
                })
                .join(' AND ')})`,
          )
          .join(' OR ');
      }
      const result = await client.query({
        // The newest version per key, deleted or not (FINAL would hide a delete, and a replayed older
        // update must be recognised as stale rather than as lacking a previous row).
        query: `SELECT * FROM ${target.table} WHERE ${where} ORDER BY ${VERSION_COLUMN} DESC LIMIT 1 BY ${target.key.join(', ')}`,
        query_params: params,
        format: 'JSONEachRow',
        clickhouse_settings: readSettings,
      });
      const rows = (await result.json<Row>()) as Row[];
      for (const row of rows) {
        const values = target.key.map((column) => row[column]);
        found.set(keyText(values), row);
      }
    }
    return found;
  }

  function rowOf(target: CdcTarget, event: RowChange, version: bigint, keyValues: readonly unknown[]): Row {
    const out: Row = {};
    if (event.op === 'd') {
      target.key.forEach((column, i) => {
        out[column] = toClickHouseValue(keyValues[i]);
      });
      out[VERSION_COLUMN] = version.toString();
      out[DELETED_COLUMN] = 1;
      return out;
    }
    const source = (event.row ?? event.after ?? {}) as Row;
    const columns = target.columns ?? Object.keys(source);
    for (const column of columns) {
      if (column in source) out[column] = toClickHouseValue(source[column]);
    }
    out[VERSION_COLUMN] = version.toString();
    out[DELETED_COLUMN] = 0;
    return out;
  }

  async function insertRows(
    target: CdcTarget,
    rows: readonly { row: Row; event: RowChange }[],
    rejected: SinkRejection[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    try {
      if (target.columns) {
        // Known columns: the compact format (arrays, no repeated keys) is cheaper to build and to parse.
        const columns: [string, ...string[]] = [VERSION_COLUMN, DELETED_COLUMN, ...target.columns];
        await client.insert({
          table: target.table,
          values: rows.map(({ row }) => columns.map((column) => row[column] ?? null)),
          format: 'JSONCompactEachRow',
          columns,
          clickhouse_settings: insertSettings,
        });
      } else {
        await client.insert({
          table: target.table,
          values: rows.map((r) => r.row),
          format: 'JSONEachRow',
          clickhouse_settings: insertSettings,
        });
      }
      return rows.length;
    } catch (error) {
      if (!isDataError(error)) {
        throw new SinkError(
          'sink_write_failed',
          `insert into ${target.table} failed: ${(error as Error).message}`,
          {
            table: target.table,
            cause: error,
          },
        );
      }
      if (rows.length === 1) {
        rejected.push({
          event: rows[0]!.event,
          code: 'clickhouse_rejected_row',
          reason: `ClickHouse refused the row: ${(error as Error).message.slice(0, 500)}`,
          cause: error,
        });
        return 0;
      }
      const middle = rows.length >> 1;
      return (
        (await insertRows(target, rows.slice(0, middle), rejected)) +
        (await insertRows(target, rows.slice(middle), rejected))
      );
    }
  }

  async function writeTable(
    target: CdcTarget,
    events: readonly RowChange[],
    rejected: SinkRejection[],
  ): Promise<number> {
    const pending: PendingRow[] = [];
    for (const event of events) {
      const version = changeVersion(event);
      if (version === undefined) {
        rejected.push({
          event,
          code: 'no_position',
          reason: `${event.op} change of ${event.table} has no source LSN; with ExtractNewRecordState add.fields must include lsn`,
        });
        continue;
      }
      const keyValues = target.key.map(
        (column) =>
          event.key?.[column] ?? event.row?.[column] ?? event.before?.[column] ?? event.after?.[column],
      );
      if (keyValues.some((v) => v === undefined || v === null)) {
        rejected.push({
          event,
          code: 'no_key',
          reason: `no value for key column(s) ${target.key.join(', ')} of ${event.table}`,
        });
        continue;
      }
      pending.push({ event, version, key: keyText(keyValues), keyValues });
    }
    // Fold per key in version order; equal versions are duplicates.
    const byKey = new Map<string, PendingRow[]>();
    for (const row of pending) {
      const list = byKey.get(row.key);
      if (list) list.push(row);
      else byKey.set(row.key, [row]);
    }
    const needPrevious: (readonly unknown[])[] = [];
    for (const list of byKey.values()) {
      list.sort((a, b) => (a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
      const first = list[0]!;
      if (first.event.op !== 'd' && first.event.unavailable.length > 0) needPrevious.push(first.keyValues);
    }
    const previous =
      needPrevious.length > 0 ? await readCurrentRows(target, needPrevious) : new Map<string, Row>();

    const toInsert: { row: Row; event: RowChange }[] = [];
    for (const [key, list] of byKey) {
      const stored = previous.get(key);
      let state: Row | undefined = stored && Number(stored[DELETED_COLUMN]) !== 1 ? stored : undefined;
      const storedVersion = stored === undefined ? -1n : BigInt(String(stored[VERSION_COLUMN]));
      let latest: { row: Row; event: RowChange } | undefined;
      for (const item of list) {
        const row = rowOf(target, item.event, item.version, item.keyValues);
        if (item.event.op !== 'd' && item.event.unavailable.length > 0) {
          if (!state) {
            // A replay of an update older than what ClickHouse holds (e.g. older than its delete)
            // loses to it anyway: nothing to write, nothing to report.
            if (item.version < storedVersion) continue;
            rejected.push({
              event: item.event,
              code: 'toast_without_previous_row',
              reason: `columns ${item.event.unavailable.join(', ')} of ${item.event.table} arrived as the unchanged-TOAST placeholder and no previous row exists to take them from; request a snapshot of the table or set REPLICA IDENTITY FULL`,
            });
            continue;
          }
          for (const column of item.event.unavailable) {
            if (target.columns === undefined || target.columns.includes(column)) row[column] = state[column];
          }
        }
        state = item.event.op === 'd' ? undefined : row;
        latest = { row, event: item.event };
      }
      if (latest) toInsert.push(latest);
    }
    return insertRows(target, toInsert, rejected);
  }

  return {
    async write(events) {
      const rejected: SinkRejection[] = [];
      const byTable = new Map<CdcTarget, RowChange[]>();
      const truncates: { target: CdcTarget; event: TruncateEvent; version: bigint }[] = [];
      for (const event of events) {
        const target = targets.get(event.table);
        if (!target) {
          if (options.unknownTables !== 'ignore') {
            rejected.push({
              event,
              code: 'no_target',
              reason: `no ClickHouse target configured for table ${event.table}`,
            });
          }
          continue;
        }
        if (event.kind === 'truncate') {
          if (options.truncate === 'ignore') continue;
          const version = changeVersion({ op: 't' as never, source: event.source });
          if (version === undefined) {
            rejected.push({
              event,
              code: 'no_position',
              reason: `truncate of ${event.table} has no source LSN`,
            });
            continue;
          }
          truncates.push({ target, event, version });
          continue;
        }
        const list = byTable.get(target);
        if (list) list.push(event);
        else byTable.set(target, [event]);
      }
      let rows = 0;
      for (const [target, list] of byTable) rows += await writeTable(target, list, rejected);
      for (const { target, version } of truncates) {
        try {
          await client.command({
            query: `DELETE FROM ${target.table} WHERE ${VERSION_COLUMN} < {version:UInt64}`,
            query_params: { version: version.toString() },
          });
        } catch (error) {
          throw new SinkError(
            'sink_write_failed',
            `truncate of ${target.table} failed: ${(error as Error).message}`,
            {
              table: target.table,
              cause: error,
            },
          );
        }
      }
      return { rows, rejected };
    },
  };
}
