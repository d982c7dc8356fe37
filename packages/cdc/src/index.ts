/**
 * @bionicpro/cdc — Debezium envelopes and logical types, typed change streams
 * validated by `@bionicpro/models`, an exactly-once-effect Kafka-to-ClickHouse
 * sink, Kafka Connect management, and the ClickHouse Kafka-engine DDL (SPEC §5).
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
