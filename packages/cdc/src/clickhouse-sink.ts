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
 *   the newest row of a key is inserted (fewer rows, same result): the fold is
 *   the pure `sink-fold.ts`, the rows are built by the pure `sink-rows.ts`, and
 *   this module does the reads and inserts;
 * - a column that arrived as the unchanged-TOAST placeholder takes its value
 *   from the previous version of the row: an earlier change of the same batch,
 *   else the current row in ClickHouse. With no previous row the change is
 *   rejected (dead-lettered) rather than written with a made-up value;
 * - a truncate deletes every row whose version is below the truncate's.
 *
 * Failures: ClickHouse errors that blame the data (parse errors, type
 * mismatches, overflow) are narrowed down by splitting the insert until the
 * offending rows are found and rejected; every other error (network, memory,
 * read-only, missing table) is thrown as a `sink_write_failed` {@link SinkError}
 * with the client's error as its cause, which the pipeline retries or not by the
 * one classification of `@bionicpro/models` (`isRetryableError`).
 */
import { classifyError } from '@bionicpro/models';
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
import { foldChanges, groupChanges, keyText, type StoredVersion } from './sink-fold.js';
import {
  type Layout,
  type OutRow,
  type Row,
  type WriteContext,
  fillUnavailable,
  layoutOf,
  rowOf,
  storedRowOf,
  toClickHouseValue,
} from './sink-rows.js';

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
  /**
   * Rows per INSERT statement (default 25,000). A larger table batch is sent as several
   * inserts, two in flight: the next one is serialised while ClickHouse parses the previous
   * one. `write` still resolves only after every insert was acknowledged.
   */
  readonly maxInsertRows?: number;
}

/** The ClickHouse side of the CDC pipeline. */
export interface ClickHouseSink {
  /** Writes a batch; resolves once ClickHouse acknowledged every row. Throws a retryable {@link SinkError}. */
  write(events: readonly (RowChange | TruncateEvent)[]): Promise<SinkWriteResult>;
}

/** The ClickHouse error code of an error from `@clickhouse/client` or chDB, if any. */
export function clickhouseErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return code;
  if (typeof code === 'number') return String(code);
  const message = error instanceof Error ? error.message : String(error);
  return /Code: (\d+)/.exec(message)?.[1];
}

/**
 * True when ClickHouse refused the data itself (retrying cannot help): the `data` class of
 * `classifyError` (`@bionicpro/models`), e.g. CANNOT_PARSE_TEXT, TYPE_MISMATCH, DECIMAL_OVERFLOW.
 */
export function isDataError(error: unknown): boolean {
  return classifyError(error) === 'data';
}

/** Rows per key lookup of the stored rows (one query each). */
const READ_CHUNK = 1000;
const READ_SETTINGS = { output_format_json_quote_64bit_integers: 1, output_format_json_quote_decimals: 1 };

/** The insert settings of a sink, with and without `date_time_input_format=best_effort`. */
interface InsertSettings {
  readonly bestEffort: ClickHouseSettingsLike;
  readonly plain: ClickHouseSettingsLike | undefined;
  readonly maxInsertRows: number;
}

/** One failed write of a table, as the retryable error the pipeline expects. */
function writeFailed(what: string, table: string, error: unknown): SinkError {
  return new SinkError('sink_write_failed', `${what} ${table} failed: ${(error as Error).message}`, {
    table,
    cause: error,
  });
}

/** The WHERE clause and parameters that select the stored rows of `keys`. */
function keyFilter(
  target: CdcTarget,
  keys: readonly (readonly unknown[])[],
): { where: string; params: Record<string, unknown> } {
  const params: Record<string, unknown> = {};
  if (target.key.length === 1) {
    params['keys'] = keys.map((k) => toClickHouseValue(k[0]));
    return { where: `${target.key[0]} IN {keys:Array(${target.keyTypes[0]})}`, params };
  }
  const where = keys
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
  return { where, params };
}

/** One target of the sink: its layout, and the reads and inserts of a batch of its changes. */
class SinkTable {
  private readonly layout: Layout;

  constructor(
    private readonly client: ClickHouseLike,
    readonly target: CdcTarget,
    private readonly settings: InsertSettings,
  ) {
    this.layout = layoutOf(target);
  }

  /** The newest stored version of each key, deleted or not, by {@link keyText}. */
  async readCurrentRows(keys: readonly (readonly unknown[])[]): Promise<Map<string, StoredVersion<OutRow>>> {
    const { target, layout } = this;
    const found = new Map<string, StoredVersion<OutRow>>();
    for (let start = 0; start < keys.length; start += READ_CHUNK) {
      const { where, params } = keyFilter(target, keys.slice(start, start + READ_CHUNK));
      let rows: Row[];
      try {
        const result = await this.client.query({
          // The newest version per key, deleted or not (FINAL would hide a delete, and a replayed older
          // update must be recognised as stale rather than as lacking a previous row).
          query: `SELECT * FROM ${target.table} WHERE ${where} ORDER BY ${VERSION_COLUMN} DESC LIMIT 1 BY ${target.key.join(', ')}`,
          query_params: params,
          format: 'JSONEachRow',
          clickhouse_settings: READ_SETTINGS,
        });
        rows = (await result.json<Row>()) as Row[];
      } catch (error) {
        // Retryable like a failed insert: the batch is written again from the start.
        throw writeFailed('reading the current rows of', target.table, error);
      }
      for (const row of rows) {
        found.set(keyText(target.key.map((column) => row[column])), {
          version: BigInt(String(row[VERSION_COLUMN])),
          row: Number(row[DELETED_COLUMN]) === 1 ? undefined : storedRowOf(layout, row),
        });
      }
    }
    return found;
  }

  /** Folds the table's changes (see `sink-fold.ts`) and inserts the rows; returns rows inserted. */
  async write(events: readonly RowChange[], rejected: SinkRejection[]): Promise<number> {
    const { layout, target } = this;
    const ctx: WriteContext = { bestEffort: false };
    const grouped = groupChanges(events, target.key);
    const previous =
      grouped.needPrevious.length > 0
        ? await this.readCurrentRows(grouped.needPrevious)
        : new Map<string, StoredVersion<OutRow>>();
    const folded = foldChanges(grouped, previous, {
      rowOf: (item) => rowOf(layout, target, item, ctx),
      fill: (row, state, columns) => fillUnavailable(layout, row, state, columns),
    });
    for (const rejection of folded.rejected) rejected.push(rejection);
    return this.insertChunked(ctx, folded.rows, folded.origins, rejected);
  }

  /**
   * Inserts `rows`; when ClickHouse blames the data, splits them in halves until the offending rows
   * are found and rejected (`clickhouse_rejected_row`). Any other error is a retryable SinkError.
   */
  private async insertRows(
    settings: ClickHouseSettingsLike | undefined,
    rows: readonly OutRow[],
    events: readonly RowChange[],
    rejected: SinkRejection[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    const { layout, target } = this;
    try {
      await this.client.insert({
        table: target.table,
        values: rows,
        ...(layout.insertColumns
          ? { format: 'JSONCompactEachRow' as const, columns: layout.insertColumns }
          : { format: 'JSONEachRow' as const }),
        ...(settings && { clickhouse_settings: settings }),
      });
      return rows.length;
    } catch (error) {
      if (!isDataError(error)) throw writeFailed('insert into', target.table, error);
      if (rows.length === 1) {
        rejected.push({
          event: events[0]!,
          code: 'clickhouse_rejected_row',
          reason: `ClickHouse refused the row: ${(error as Error).message.slice(0, 500)}`,
          cause: error,
        });
        return 0;
      }
      const middle = rows.length >> 1;
      const first = await this.insertRows(settings, rows.slice(0, middle), events.slice(0, middle), rejected);
      return first + (await this.insertRows(settings, rows.slice(middle), events.slice(middle), rejected));
    }
  }

  /**
   * Inserts `rows` in statements of at most `maxInsertRows`, two in flight. Every statement is
   * awaited before this resolves or throws, so nothing is still being written when the caller
   * retries the batch (which is idempotent anyway: same versions).
   */
  private async insertChunked(
    ctx: WriteContext,
    rows: readonly OutRow[],
    events: readonly RowChange[],
    rejected: SinkRejection[],
  ): Promise<number> {
    const settings = ctx.bestEffort ? this.settings.bestEffort : this.settings.plain;
    const { maxInsertRows } = this.settings;
    if (rows.length <= maxInsertRows) return this.insertRows(settings, rows, events, rejected);
    let inserted = 0;
    let failure: { error: unknown } | undefined;
    let inFlight: Promise<number> | undefined;
    for (let start = 0; start < rows.length; start += maxInsertRows) {
      const end = start + maxInsertRows;
      // Started before the previous one is awaited: serialising this chunk overlaps with ClickHouse.
      const next = this.insertRows(settings, rows.slice(start, end), events.slice(start, end), rejected);
      // Handled now (it may fail while the previous one is awaited); its outcome is read below.
      next.catch(() => {});
      if (inFlight) {
        try {
          inserted += await inFlight;
        } catch (error) {
          failure = { error };
        }
      }
      inFlight = next;
      if (failure) break;
    }
    try {
      inserted += await inFlight!;
    } catch (error) {
      failure ??= { error };
    }
    if (failure) throw failure.error;
    return inserted;
  }

  /** Deletes every row whose version is below the truncate's. */
  async truncate(version: bigint): Promise<void> {
    try {
      await this.client.command({
        query: `DELETE FROM ${this.target.table} WHERE ${VERSION_COLUMN} < {version:UInt64}`,
        query_params: { version: version.toString() },
      });
    } catch (error) {
      throw writeFailed('truncate of', this.target.table, error);
    }
  }
}

/** A batch split by target: row changes per table, truncates in order; what has no target is rejected. */
function splitByTable(
  events: readonly (RowChange | TruncateEvent)[],
  tables: ReadonlyMap<string, SinkTable>,
  options: ClickHouseSinkOptions,
  rejected: SinkRejection[],
): { byTable: Map<SinkTable, RowChange[]>; truncates: { table: SinkTable; version: bigint }[] } {
  const byTable = new Map<SinkTable, RowChange[]>();
  const truncates: { table: SinkTable; version: bigint }[] = [];
  for (const event of events) {
    const table = tables.get(event.table);
    if (!table) {
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
        rejected.push({ event, code: 'no_position', reason: `truncate of ${event.table} has no source LSN` });
        continue;
      }
      truncates.push({ table, version });
      continue;
    }
    const list = byTable.get(table);
    if (list) list.push(event);
    else byTable.set(table, [event]);
  }
  return { byTable, truncates };
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
  // ISO-8601 text (`…T…Z`) in a date/time column needs best_effort; rows whose date/time values are
  // all `Date`s of `DateTime64(p, 'UTC')` columns are sent without it: with chDB every setting
  // becomes a `SET …;` statement in front of the INSERT, which makes ClickHouse split a
  // multi-statement query over the whole data (about a third of the insert time, measured).
  const settings: InsertSettings = {
    bestEffort: { date_time_input_format: 'best_effort', ...options.insertSettings },
    plain:
      options.insertSettings && Object.keys(options.insertSettings).length > 0
        ? options.insertSettings
        : undefined,
    maxInsertRows: Math.max(1, Math.trunc(options.maxInsertRows ?? 25_000)),
  };
  const tables = new Map(options.targets.map((t) => [t.source, new SinkTable(options.client, t, settings)]));
  return {
    async write(events) {
      const rejected: SinkRejection[] = [];
      const { byTable, truncates } = splitByTable(events, tables, options, rejected);
      let rows = 0;
      for (const [table, list] of byTable) rows += await table.write(list, rejected);
      for (const { table, version } of truncates) await table.truncate(version);
      return { rows, rejected };
    },
  };
}
