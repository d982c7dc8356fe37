/**
 * @bionicpro/models — the entities, marts and report shapes of the BionicPRO
 * pipeline (docs/data-contract.md, docs/kpis.md, docs/reports.md) as zod schemas and types, exact money and UTC time
 * helpers, DDL for PostgreSQL and ClickHouse derived from the same models, and
 * JSON Schema export. The synthetic-data generator is at `@bionicpro/models/testing`;
 * `@bionicpro/models/internal` holds helpers for the other `@bionicpro/*` packages only
 * (unstable, no semver promise).
 */
export {
  BionicProError,
  isBionicProError,
  type ModelIssue,
  ModelValidationError,
  BatchValidationError,
  InvalidInputError,
  type InputErrorOptions,
  InvalidIdError,
  InvalidMoneyError,
  InvalidTimestampError,
  InvalidMonthError,
  InvalidArgumentError,
  UnknownColumnError,
  type RejectedRow,
  formatPath,
} from './errors.js';
export {
  NUMERIC_10_2_MAX_MINOR,
  DECIMAL_18_2_MAX_MINOR,
  type MoneyParseFailure,
  type MoneyParseResult,
  tryParseMoneyMinor,
  describeMoneyFailure,
  moneyToMinor,
  minorToMoney,
  parseMoney,
  sumMoney,
  multiplyMoney,
  moneyRatio,
} from './money.js';
export {
  type Int64Text,
  type Int64ParseFailure,
  type Int64ParseResult,
  INT64_MIN,
  INT64_MAX,
  UINT64_MAX,
  tryParseIntegerText,
  tryParseInt64,
  tryParseUInt64,
  isCanonicalIntegerText,
  compareInt64Text,
  describeInt64Failure,
} from './int64.js';
export { ID_MAX, BIG_ID_MAX, type ParseIdOptions, parseIdText } from './ids.js';
export {
  type Month,
  MIN_TIMESTAMP_MS,
  MAX_TIMESTAMP_MS,
  tryParseTimestampMs,
  type InstantParseFailure,
  type InstantParseResult,
  type EpochUnit,
  parseInstant,
  describeInstantFailure,
  parseTimestamp,
  isCalendarDate,
  parseMonth,
  formatMonth,
  monthRange,
  monthOf,
  monthsBetween,
  daysInMonth,
  type CivilDate,
  civilFromDays,
  daysFromCivil,
  formatCalendarDate,
} from './timestamp.js';
export {
  InvalidPeriodError,
  type MonthPeriod,
  monthPeriod,
  resolvePeriod,
  type TimeWindow,
  timeWindow,
  monthWindow,
  dayWindow,
  type PartialTimeWindow,
  windowFromInclusive,
} from './utc-period.js';
export type { CompiledQuery } from './compiled-query.js';
export type { ClickHouseSettingsLike, InsertBodyParams, ClickHouseLike } from './clickhouse-client.js';
export { type ColumnType, columnTypes, withColumnType, columnTypeOf, unwrapColumn } from './column-types.js';
export {
  Id,
  BigId,
  bigIdValue,
  Int32,
  Count,
  Float64,
  Bool,
  Text,
  RequiredText,
  Email,
  isStorableText,
  NUL_TEXT_MESSAGE,
  Uuid,
  Timestamp,
  CalendarDate,
  HourStart,
  Money,
  MoneyTotal,
} from './scalars.js';
export {
  DeviceType,
  SubscriptionType,
  SUBSCRIPTION_LIST_PRICES,
  PaymentMethod,
  PaymentStatus,
  TicketStatus,
  ProsthesisType,
  DeviceEventType,
  Severity,
  BatteryHealth,
  DeviceStatus,
} from './enums.js';
export {
  optionalColumn,
  IncomingUser,
  type IncomingUserInput,
  User,
  Prosthetic,
  Subscription,
  Payment,
  SupportTicket,
} from './crm.js';
export {
  ChargeLevel,
  IncomingTelemetryEvent,
  TelemetryEvent,
  withEventUuid,
  DeviceEvent,
  BatteryMetric,
} from './telemetry.js';
export { UserMonthlyMetrics, ProstheticMonthlyMetrics, UserProsthesisHourlyStats } from './marts.js';
export {
  UserMonthlyReportQuery,
  UserMonthlyReportDevice,
  UserMonthlyReport,
  ReportDates,
  ReportSummary,
  ReportsOverview,
  HourlyReportRow,
  DailyReport,
  TelemetryReportRequest,
  ProsthesisTypeStats,
  TelemetryReport,
} from './reports.js';
export {
  VERSION_COLUMN,
  DELETED_COLUMN,
  type TableHome,
  type ClickHouseLayout,
  type TableDefinition,
  tables,
  type Tables,
  type TableName,
  type SourceTableName,
  type MartTableName,
  type RowOf,
  sourceTableNames,
  martTableNames,
  modelForTable,
  tableByName,
} from './tables.js';
export {
  InvalidIdentifierError,
  assertIdentifier,
  type ColumnDefinition,
  columnsOf,
  type PostgresDdlOptions,
  postgresDdl,
  type ClickHouseDdlOptions,
  qualifiedTableName,
  clickhouseDdl,
  clickhouseDistributedDdl,
  InvalidRetentionError,
  tableTtl,
  defaultRetentionDays,
} from './ddl.js';
export {
  type PostgresSchemaDdlOptions,
  postgresSchemaDdl,
  type ClickHouseSchemaDdlOptions,
  clickhouseSchemaDdl,
} from './schema-ddl.js';
export { toModelIssues, validateRow, type BatchResult, validateBatch, lenientModel } from './validate.js';
export { toJsonSchema } from './json-schema.js';
export {
  ProgressDisplay,
  type ProgressDisplayOptions,
  type ProgressLine,
  type ProgressReading,
  type ProgressStream,
} from './progress-display.js';
export { type EnvironmentReading, readEnvironment } from './environment.js';
export {
  type RowParseResult,
  safeParseRow,
  createRowParser,
} from './row-parser.js';
export {
  type CodeGenerationCounts,
  CodeGenerationError,
  type CodeGenerationFallback,
  type CodeGenerationFallbackReason,
  type CodeGenerationSettings,
  codeGenerationCounts,
  configureCodeGeneration,
} from './generated-function.js';
export {
  type ErrorClass,
  classifyError,
  isRetryableError,
  type RetryInfo,
  type RetryPolicy,
  type RetryRuntime,
  type RetryOutcome,
  retryDelayMs,
  runWithRetry,
} from './retry-policy.js';
