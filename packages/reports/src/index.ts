/**
 * @bionicpro/reports — per-user reports of docs/reports.md: user-scoped, parameterised
 * ClickHouse queries over the marts and raw tables, assembly into the API
 * shapes validated by @bionicpro/models, Keycloak access control and caching.
 */
export { InvalidIdentifierError } from '@bionicpro/models';
export {
  AccessDeniedError,
  type AccessDenialReason,
  type AuthenticationFailure,
  AuthenticationError,
  ReportAssemblyError,
  ReportNotFoundError,
  ReportParameterError,
  UnscopedQueryError,
} from './errors.js';
export { MAX_ERROR_ISSUES, reportErrorResponse } from './error-response.js';
export {
  createJwksKeyStore,
  type JwksFetchOutcome,
  type JwksKeyStore,
  type JwksKeyStoreOptions,
} from './jwks-key-store.js';
export {
  ALLOWED_TOKEN_ALGORITHMS,
  bearerToken,
  createKeycloakVerifier,
  type KeycloakVerifier,
  type KeycloakVerifierOptions,
  type SubjectClaim,
  type TokenAlgorithm,
} from './keycloak-verifier.js';
export type { ReportPrincipal, ReportSubject } from './principal.js';
export {
  assertReportScope,
  parseUserId,
  type ReportScope,
  resolveReportScope,
  type SubjectDirectory,
  trustedReportScope,
} from './report-scope.js';
export {
  type BoundValue,
  type CompiledQuery,
  column,
  compileFragment,
  isSqlFragment,
  joinSql,
  param,
  type ParamType,
  type SqlFragment,
  type SqlValue,
  sql,
  tableName,
} from './sql-fragment.js';
export {
  type ReportTable,
  type ReportTableOptions,
  type ReportTables,
  reportTable,
  reportTables,
} from './report-table.js';
export {
  SCOPE_PARAM,
  SCOPE_USERS_PARAM,
  SCOPED_QUERY_SETTINGS,
  type ScopedQuery,
  type SelectExpression,
  scopedQuery,
  unionAll,
  unionAllForScopes,
} from './scoped-query.js';
export {
  dailyReportQuery,
  dataVersionQuery,
  dateEquals,
  dateFrom,
  monthHourlyRowsQuery,
  parseReportDate,
  parseReportMonth,
  parseTimeWindow,
  reportDatesQuery,
  reportsOverviewQuery,
  reportUserQuery,
  telemetryByProsthesisTypeQuery,
  timeWindowCondition,
  userMonthlyDevicesQuery,
  userMonthlyFinancialQuery,
} from './report-queries.js';
export {
  assembleDailyReport,
  assembleReportDates,
  assembleReportsOverview,
  assembleTelemetryReport,
  assembleUserMonthlyReport,
  roundMeasure,
  worstStatus,
} from './report-assembly.js';
export {
  clickhouseSubjectDirectory,
  createReportService,
  REPORT_QUERY_SETTINGS,
  type ReportQueryClient,
  type ReportService,
  runQuery,
  subjectLookupQuery,
} from './report-service.js';
export {
  cachedReport,
  createMemoryReportCache,
  dayPeriod,
  dayReportPeriod,
  type MemoryReportCache,
  type MemoryReportCacheOptions,
  monthPeriod,
  monthReportPeriod,
  periodsOverlap,
  type ReportCache,
  type ReportCacheKey,
  type ReportPeriod,
  reportCacheKey,
} from './report-cache.js';
export {
  dataVersionsFromRows,
  dayDataset,
  monthDataset,
  type ReportDataset,
  readReportDataVersions,
  reportDataVersionsQuery,
} from './report-data-versions.js';
export {
  createMemoryReportStore,
  createStoredReports,
  etagMatches,
  type MemoryReportStore,
  type MemoryReportStoreOptions,
  reportCacheHeaders,
  reportETag,
  type ReportStore,
  type ReportStoreKey,
  type ReportStoreRead,
  reportStoreId,
  type ServedReport,
  type ServeReportRequest,
  type StoredReport,
  type StoredReports,
  type StoredReportsEvent,
  type StoredReportsOptions,
  type StoredReportsStats,
} from './report-store.js';
export {
  type PrewarmOptions,
  type PrewarmProgress,
  type PrewarmReport,
  type PrewarmSummary,
  prewarmReports,
} from './prewarm.js';
