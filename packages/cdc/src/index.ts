/**
 * @bionicpro/cdc — Debezium envelopes and logical types, typed change streams
 * validated by `@bionicpro/models`, an exactly-once-effect Kafka-to-ClickHouse
 * sink, Kafka Connect management, and the ClickHouse Kafka-engine DDL (docs/data-contract.md).
 * Kafka client adapters: `@bionicpro/cdc/kafkajs`, `@bionicpro/cdc/platformatic`.
 */
export {
  type CdcPath,
  EnvelopeError,
  DecodeError,
  type ChangeIssue,
  ChangeValidationError,
  ConnectError,
  SinkError,
  PipelineError,
  ColumnTypeError,
  type MessageError,
  isMessageError,
} from './errors.js';
export { parseJsonLossless, stringifyJsonLossless, isUnsafeInteger } from './lossless-json.js';
export {
  decodeBase64,
  bytesToSignedInteger,
  formatScaledDecimal,
  decodeDecimal,
  normaliseDecimalText,
} from './decode-decimal.js';
export {
  type TimeUnit,
  formatEpochDay,
  decodeEpochDay,
  decodeEpochTimestamp,
  decodeTimeOfDay,
  decodeZonedTimestamp,
  decodeMicroDuration,
} from './decode-time.js';
export {
  DEFAULT_UNAVAILABLE_PLACEHOLDER,
  type UnavailableMatcher,
  unavailableValueMatcher,
} from './unavailable-value.js';
export {
  type ConnectSchema,
  type ValueType,
  type DecodeContext,
  type ValueDecoder,
  type RowDecoder,
  type DecodedRow,
  valueTypeOfSchema,
  decoderFor,
  compileRowType,
  compileRowSchema,
  decodeRow,
} from './logical-types.js';
export {
  type DebeziumOp,
  type SnapshotMarker,
  type SourceInfo,
  type TransactionPosition,
  type Envelope,
  type ClassifyOptions,
  unwrapSchema,
  parseSnapshotMarker,
  parseSequence,
  parseSource,
  classifyEnvelope,
} from './envelope.js';
export {
  type KafkaRecord,
  type RecordPosition,
  type RowChange,
  type TombstoneEvent,
  type TruncateEvent,
  type LogicalMessageEvent,
  type TransactionEvent,
  type HeartbeatEvent,
  type CdcEvent,
  type ChangeDecoderOptions,
  type ChangeDecoder,
  valueTypeOfModelColumn,
  createChangeDecoder,
} from './decode-change.js';
export { type ColumnTypes, parseColumnTypes, valueTypeOfTypeName } from './column-types.js';
export { STREAMED_VERSION_BASE, changeVersion } from './change-version.js';
export {
  type ClickHouseLike,
  type ClickHouseSettingsLike,
  type CdcTarget,
  type CdcTargetOptions,
  type CompiledQuery,
  type CurrentRowsOptions,
  VERSION_COLUMN,
  DELETED_COLUMN,
  cdcTargetOf,
  cdcTargetDdl,
  currentRowsQuery,
} from './clickhouse-target.js';
export {
  type SinkRejection,
  type SinkWriteResult,
  type ClickHouseSinkOptions,
  type ClickHouseSink,
  clickhouseErrorCode,
  isDataError,
  createClickHouseSink,
} from './clickhouse-sink.js';
export {
  type DeadLetter,
  type DeadLetterDestination,
  deadLettersToCallback,
  deadLetterTableDdl,
  deadLettersToClickHouse,
} from './dead-letter.js';
export {
  type CdcMessage,
  type TopicPartitionOffset,
  type CdcConsumer,
  type BatchStats,
  type CdcMetrics,
  type PartitionLag,
  type PipelineHealth,
  type RetryOptions,
  type CdcPipelineOptions,
  type CdcPipeline,
  createCdcPipeline,
} from './cdc-pipeline.js';
export {
  type ConnectorState,
  type ConnectorStatus,
  type ConnectClientOptions,
  type UpsertAction,
  type ConnectClient,
  createConnectClient,
} from './kafka-connect.js';
export {
  type PostgresSource,
  type DebeziumPostgresOptions,
  DEFAULT_SIGNAL_TABLE,
  debeziumPostgresConnectorConfig,
  signalTableDdl,
  type SnapshotSignalOptions,
  type SqlStatement,
  incrementalSnapshotSignal,
} from './debezium-connector.js';
export { type SqlExecutor, requestIncrementalSnapshot } from './snapshot-signal.js';
export {
  type KafkaEngineSelectOptions,
  type KafkaEngineOptions,
  kafkaEngineSelect,
  kafkaEngineDeadLetterSelect,
  kafkaEngineSourceDdl,
  kafkaEngineDdl,
} from './kafka-engine.js';
export {
  type PostgresQueryable,
  type VerifyKey,
  type VerifyReplicaOptions,
  type VerifyReport,
  VerifyError,
  verifyReplica,
} from './verify-replica.js';
