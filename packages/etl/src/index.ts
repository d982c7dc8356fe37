/**
 * @bionicpro/etl — the batch side of the BionicPRO pipeline (docs/kpis.md): pure KPI
 * transforms, the same KPIs as ClickHouse SQL, extract from PostgreSQL,
 * idempotent load into ClickHouse, jobs and a CLI.
 */
export {
  UnsortedInputError,
  InvalidPeriodError,
  type EtlStep,
  EtlStepError,
  InputFileError,
  InputDirectoryError,
  OutsideRetentionError,
  type InvalidSourceRow,
  InvalidSourceRowsError,
  LoadMismatchError,
  type WindowCount,
} from './errors.js';
// Periods, compiled queries and the ClickHouse seam are defined once in @bionicpro/models; re-exported
// here under the names this package has always exported.
export {
  type MonthPeriod,
  monthPeriod,
  type TimeWindow,
  timeWindow,
  monthWindow,
  type CompiledQuery,
  type InsertBodyParams,
} from '@bionicpro/models';
export { clickhouseTimestamp } from './clickhouse-values.js';
export { type RowSource, type InputOrder, collectRows } from './row-source.js';
export type {
  UserRow,
  ProstheticRow,
  SubscriptionRow,
  PaymentRow,
  DeviceEventRow,
  BatteryMetricRow,
  TelemetryEventRow,
} from './kpi-inputs.js';
export { ProstheticMonthState } from './prosthetic-month-state.js';
export {
  DEVICE_EVENT_ORDER,
  BATTERY_METRIC_ORDER,
  type ProstheticMonthlyInput,
  prostheticMonthlyMetrics,
  prostheticMonthlyMetricsAsync,
} from './prosthetic-monthly-metrics.js';
export type { MonthlyTransformOptions } from './monthly-transform-options.js';
export {
  type UserMonthlyInput,
  userMonthlyMetrics,
  userMonthlyMetricsAsync,
} from './user-monthly-metrics.js';
export {
  TELEMETRY_EVENT_ORDER,
  type HourlyStatsInput,
  HourlyStatsAccumulator,
  userProsthesisHourlyStats,
  userProsthesisHourlyStatsAsync,
} from './user-prosthesis-hourly-stats.js';
export {
  type ReportWindow,
  type UserTelemetryReport,
  TelemetryReportAccumulator,
  telemetryReports,
  telemetryReportsAsync,
} from './telemetry-report.js';
export {
  type KpiShard,
  type KpiSqlOptions,
  type ProstheticKpiSqlOptions,
  userMonthlyMetricsSql,
  prostheticMonthlyMetricsSql,
  userProsthesisHourlyStatsSql,
  type TelemetryReportSqlRow,
  telemetryReportSql,
  telemetryReportsFromRows,
} from './kpi-sql.js';
export { type RetryPolicy, isTransientError, withRetry } from './retry.js';
export {
  type ClickHouseLike,
  type WarehouseLayout,
  DEFAULT_RAW_DATABASE,
  DEFAULT_MART_DATABASE,
  READ_SETTINGS,
  WINDOW_COLUMN,
  ensureWarehouse,
  type WarehouseOptions,
  toClickHouseRow,
  type InsertOptions,
  insertRows,
  replaceMonthPartition,
  deleteRawWindow,
  replaceRawWindow,
  BatchWriter,
  type BatchWriterTimings,
  JsonEachRowBuffer,
  JSON_BODY_SETTINGS,
  syncRawTable,
  removeOrphanTelemetry,
  readMonth,
} from './clickhouse-load.js';
export {
  type PgPoolLike,
  extractTypeParsers,
  createExtractPool,
  type ExtractOptions,
  type ExtractPagination,
  streamTable,
  streamQuery,
  type CrmExtract,
  extractCrm,
  streamWindow,
  streamDeviceEventsForMonth,
  streamBatteryMetricsForMonth,
  deviceEventContext,
  batteryMetricContext,
} from './postgres-extract.js';
export {
  TabSeparatedEncodeError,
  escapeTabSeparated,
  type TabSeparatedEncoder,
  compileTabSeparatedEncoder,
  TabSeparatedBuffer,
} from './tab-separated-rows.js';
export {
  type SourceRule,
  type TelemetrySourceTable,
  type SourceCheckRow,
  TELEMETRY_TIME_COLUMN,
  sourceRules,
  sourceCheckQuery,
} from './source-rules-sql.js';
export {
  type PostgresTableFunctionSource,
  postgresTableFunctionSource,
  telemetryWindowFromPostgresSql,
} from './postgres-table-function.js';
export {
  type KpiEngine,
  type ExtractMode,
  type ProgressEvent,
  type MonthlyJobOptions,
  type StepTiming,
  type JobTimings,
  type JobSummary,
  checkRetention,
  runMonthlyJob,
  WATERMARK_TABLE,
  readWatermark,
  writeWatermark,
  type TelemetryWindowImportOptions,
  importTelemetryWindow,
} from './monthly-job.js';
export {
  INPUT_TABLES,
  type InputTable,
  type InputRows,
  type InputReadOptions,
  inputFiles,
  streamInputFile,
  readInputTable,
  readInputDirectory,
} from './input-files.js';
