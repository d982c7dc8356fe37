/**
 * @bionicpro/etl — the batch side of the BionicPRO pipeline (SPEC §3): pure KPI
 * transforms, the same KPIs as ClickHouse SQL, extract from PostgreSQL,
 * idempotent load into ClickHouse, jobs and a CLI.
 */
export {
  UnsortedInputError,
  InvalidPeriodError,
  type EtlStep,
  EtlStepError,
  InputFileError,
} from './errors.js';
export { type MonthPeriod, monthPeriod, type TimeWindow, timeWindow, monthWindow } from './period.js';
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
  type CompiledQuery,
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
  toClickHouseRow,
  type InsertOptions,
  insertRows,
  replaceMonthPartition,
  deleteRawWindow,
  replaceRawWindow,
  BatchWriter,
  JsonEachRowBuffer,
  JSON_BODY_SETTINGS,
  type InsertBodyParams,
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
} from './postgres-extract.js';
export {
  type KpiEngine,
  type ProgressEvent,
  type MonthlyJobOptions,
  type JobSummary,
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
  splitCsvLine,
  readInputTable,
  readInputDirectory,
} from './input-files.js';
