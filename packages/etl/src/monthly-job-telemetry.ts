import { deleteRawWindow, type BatchWriter } from './clickhouse-load.js';
import { EtlStepError, InvalidSourceRowsError, LoadMismatchError } from './errors.js';
import { checkSourceWindow, expectLoaded, readBack } from './load-read-back.js';
import type { JobSummary } from './monthly-job.js';
import {
  extractOptions,
  type MonthlyJobContext,
  rawWindowOptions,
  rawWriter,
} from './monthly-job-context.js';
import {
  batteryMetricContext,
  type CrmExtract,
  deviceEventContext,
  streamBatteryMetricsForMonth,
  streamDeviceEventsForMonth,
  streamWindow,
} from './postgres-extract.js';
import { telemetryWindowFromPostgresSql } from './postgres-table-function.js';
import { prostheticMonthlyMetricsAsync } from './prosthetic-monthly-metrics.js';
import { withRetry } from './retry.js';
import type { TelemetrySourceTable } from './source-rules-sql.js';
import { HourlyStatsAccumulator } from './user-prosthesis-hourly-stats.js';

const TELEMETRY_TABLES = ['device_events', 'battery_metrics', 'telemetry_events'] as const;

/** What the TS engine computed while the telemetry streamed past (nothing for the SQL engine). */
export interface StreamedMarts {
  readonly prostheticRows?: Awaited<ReturnType<typeof prostheticMonthlyMetricsAsync>>;
  readonly hourly?: HourlyStatsAccumulator;
}

/**
 * The telemetry step: each raw window is deleted first, then re-imported,
 * copied by ClickHouse itself (`extract: 'clickhouse'`) or streamed through
 * this process. Fills `tablesSummary` for the three tables.
 */
export async function loadTelemetry(
  ctx: MonthlyJobContext,
  crm: CrmExtract,
  tablesSummary: JobSummary['tables'],
): Promise<StreamedMarts> {
  for (const table of TELEMETRY_TABLES) {
    await deleteRawWindow(ctx.clickhouse, table, ctx.window, rawWindowOptions(ctx));
  }
  if (ctx.extract === 'clickhouse') {
    // ClickHouse copies each window from PostgreSQL while PostgreSQL checks the same rows against the
    // models' rules; the context rows of the prosthetic mart (a handful per prosthesis) come through here.
    // One table at a time: each INSERT … SELECT already keeps PostgreSQL and ClickHouse busy, and one
    // pipeline at a time keeps the engine's memory at one table's.
    for (const table of TELEMETRY_TABLES) await copyTelemetryTable(ctx, table, tablesSummary);
    return {};
  }
  return streamTelemetry(ctx, crm, tablesSummary);
}

/**
 * `extract: 'clickhouse'`: one table's window copied by ClickHouse and checked
 * by PostgreSQL at the same time, then its context rows loaded from here. A
 * table that fails empties its window again before the error propagates.
 */
async function copyTelemetryTable(
  ctx: MonthlyJobContext,
  table: TelemetrySourceTable,
  tablesSummary: JobSummary['tables'],
): Promise<void> {
  const { recorder, period, window } = ctx;
  const source = ctx.source!;
  recorder.progress('extract', table, 0);
  const [check] = await Promise.all([
    recorder.timed('check', table, () =>
      checkSourceWindow(ctx.telemetry, table, window, period.label, ctx.retry),
    ),
    recorder.timed('copy', table, () =>
      withRetry(
        () =>
          ctx.clickhouse.command(
            telemetryWindowFromPostgresSql(table, window, source, {
              rawDatabase: ctx.layout.rawDatabase,
              version: ctx.version,
            }),
          ),
        { step: 'extract', table, period: period.label },
        ctx.retry,
      ),
    ),
  ]);
  const loaded = await readBack(ctx, table);
  recorder.time('copy', table, 0, loaded.rows);
  const bad = check.bad > 0 ? new InvalidSourceRowsError(table, check.bad, check.samples) : undefined;
  const mismatch =
    loaded.rows !== check.rows || loaded.first !== check.first || loaded.last !== check.last
      ? new LoadMismatchError(table, check, loaded)
      : undefined;
  if (bad || mismatch) {
    // Nothing half-checked stays behind: the window is emptied again.
    await deleteRawWindow(ctx.clickhouse, table, window, rawWindowOptions(ctx));
    throw new EtlStepError(bad ? 'extract' : 'load', table, period.label, false, 1, {
      cause: bad ?? mismatch,
    });
  }
  const context = table === 'telemetry_events' ? 0 : await loadContextRows(ctx, table);
  tablesSummary[table] = { extracted: check.rows + context, loaded: loaded.rows };
  recorder.progress('extract', table, check.rows + context, true);
  recorder.progress('load', table, loaded.rows, true);
}

/** The prosthetic mart's context rows before the month (a handful per prosthesis), read and loaded here. */
async function loadContextRows(
  ctx: MonthlyJobContext,
  table: 'device_events' | 'battery_metrics',
): Promise<number> {
  const rows = await ctx.recorder.timed(
    'extract',
    table,
    (): Promise<object[]> =>
      table === 'device_events'
        ? deviceEventContext(ctx.telemetry, ctx.period, extractOptions(ctx, table))
        : batteryMetricContext(ctx.telemetry, ctx.period, extractOptions(ctx, table)),
    (r) => r.length,
  );
  const writer = rawWriter(ctx, table);
  for (const row of rows) writer.add(row);
  await writer.close();
  ctx.recorder.writer(table, writer);
  return rows.length;
}

/** One telemetry table streaming into its raw table: its writer and what passed through. */
class RawTableStream {
  readonly writer: BatchWriter;
  /** Rows read (the month and its context rows). */
  rows = 0;
  /** Rows of the month itself: what the raw window must hold afterwards. */
  inWindow = 0;
  /** Time spent in the stream loop (reading, encoding, waiting for INSERTs). */
  streamMs = 0;

  constructor(
    private readonly ctx: MonthlyJobContext,
    readonly table: TelemetrySourceTable,
  ) {
    this.writer = rawWriter(ctx, table);
  }

  /** Passes `source` on while writing each row to the raw table and counting it. */
  async *tee<T extends object>(
    source: AsyncIterable<T>,
    instant: (row: T) => Date,
    visit?: (row: T) => void,
  ): AsyncGenerator<T> {
    const { startMs, endMs } = this.ctx.period;
    let t = performance.now();
    try {
      for await (const row of source) {
        this.rows += 1;
        const ms = instant(row).getTime();
        if (ms >= startMs && ms < endMs) this.inWindow += 1;
        visit?.(row);
        if (this.writer.add(row)) await this.writer.flush();
        this.streamMs += performance.now() - t;
        yield row;
        t = performance.now();
      }
      await this.writer.close();
      this.streamMs += performance.now() - t;
    } finally {
      await this.writer.abandon();
    }
  }

  /** Records the table's timings, checks what ClickHouse holds and fills its summary. */
  async finish(tablesSummary: JobSummary['tables']): Promise<void> {
    const { ctx, table, writer } = this;
    ctx.recorder.writer(table, writer);
    // The extract's own time: the stream loop less encoding and waiting for INSERTs.
    ctx.recorder.time(
      'extract',
      table,
      Math.max(0, this.streamMs - writer.timings.encodeMs - writer.timings.waitMs),
      this.rows,
    );
    const loaded = await readBack(ctx, table);
    expectLoaded(table, ctx.period.label, this.inWindow, loaded.rows);
    tablesSummary[table] = { extracted: this.rows, loaded: loaded.rows };
    ctx.recorder.progress('extract', table, this.rows, true);
    ctx.recorder.progress('load', table, loaded.rows, true);
  }
}

/**
 * The telemetry read by this process: device and battery rows of the month
 * (with their context rows) streamed side by side into their raw tables and,
 * with the TS engine, through the prosthetic transform; then the EMG events.
 * The TS engine's hourly mart folds every row as it passes.
 */
async function streamTelemetry(
  ctx: MonthlyJobContext,
  crm: CrmExtract,
  tablesSummary: JobSummary['tables'],
): Promise<StreamedMarts> {
  const { period, lastUpdated } = ctx;
  const hourly =
    ctx.engine === 'ts' && ctx.marts.includes('user_prosthesis_stats')
      ? new HourlyStatsAccumulator(crm.users, crm.prosthetics, { month: period, lastUpdated })
      : undefined;
  const streams = TELEMETRY_TABLES.map((table) => new RawTableStream(ctx, table));
  const [deviceStream, batteryStream, eventStream] = streams as [
    RawTableStream,
    RawTableStream,
    RawTableStream,
  ];
  const devices = deviceStream.tee(
    streamDeviceEventsForMonth(ctx.telemetry, period, extractOptions(ctx, 'device_events')),
    (row) => row.event_timestamp,
    hourly ? (row) => hourly.deviceEvent(row) : undefined,
  );
  const battery = batteryStream.tee(
    streamBatteryMetricsForMonth(ctx.telemetry, period, extractOptions(ctx, 'battery_metrics')),
    (row) => row.metric_timestamp,
    hourly ? (row) => hourly.batteryMetric(row) : undefined,
  );
  let prostheticRows: StreamedMarts['prostheticRows'];
  if (ctx.engine === 'ts' && ctx.marts.includes('report_prosthetic_monthly_metrics')) {
    prostheticRows = await prostheticMonthlyMetricsAsync(
      { users: crm.users, prosthetics: crm.prosthetics, deviceEvents: devices, batteryMetrics: battery },
      { month: period, order: 'sorted', lastUpdated },
    );
  } else {
    await Promise.all([drain(devices), drain(battery)]);
  }
  await drain(
    eventStream.tee(
      streamWindow(ctx.telemetry, 'telemetry_events', ctx.window, extractOptions(ctx, 'telemetry_events')),
      (row) => row.event_timestamp,
      hourly ? (row) => hourly.telemetryEvent(row) : undefined,
    ),
  );
  for (const stream of streams) await stream.finish(tablesSummary);
  return { ...(prostheticRows ? { prostheticRows } : {}), ...(hourly ? { hourly } : {}) };
}

async function drain(source: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of source) {
    // consumed for its side effects (raw load)
  }
}
