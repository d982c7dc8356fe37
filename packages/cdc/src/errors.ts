/**
 * Errors of the CDC package. Each is a small class with a readonly `code` a
 * program can switch on, the offending `path` where one exists, and `cause`;
 * all extend `BionicProError` of `@bionicpro/models`.
 */
import { BionicProError } from '@bionicpro/models';

/** Where in a message a problem was found, e.g. `['payload', 'after', 'amount']`. */
export type CdcPath = readonly (string | number)[];

function renderPath(path: CdcPath): string {
  if (path.length === 0) return '(root)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

function bigintAsText(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * A short JSON rendering of a bad value for an error message (bigints as their digits, at most
 * 60 characters). Never throws: a message about bad data must not fail on that data.
 *
 * @internal
 */
export function describeValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value, bigintAsText) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The Kafka record is not a Debezium message of any known form. */
export class EnvelopeError extends BionicProError {
  readonly code = 'invalid_envelope' as const;
  declare readonly path: CdcPath;
  constructor(message: string, path: CdcPath = [], options: { cause?: unknown } = {}) {
    super(`${renderPath(path)}: ${message}`, { ...options, path });
    this.name = 'EnvelopeError';
  }
}

/** Column types given for schema-less topics (`columns`, `--columns FILE`) name an unknown or malformed type. */
export class ColumnTypeError extends BionicProError {
  readonly code = 'invalid_column_type' as const;
  /** `[table, column, ...]` of the bad entry. */
  override readonly path: CdcPath;
  constructor(message: string, path: CdcPath, options: { cause?: unknown } = {}) {
    super(`${renderPath(path)}: ${message}`, { ...options, path });
    this.name = 'ColumnTypeError';
    this.path = path;
  }
}

/** A column value does not match its Debezium logical type. */
export class DecodeError extends BionicProError {
  readonly code = 'decode_failed' as const;
  declare readonly path: CdcPath;
  /** The Connect schema name or type the value was decoded as, e.g. `org.apache.kafka.connect.data.Decimal`. */
  readonly logicalType: string;
  constructor(message: string, path: CdcPath, logicalType: string, options: { cause?: unknown } = {}) {
    super(`${renderPath(path)} (${logicalType}): ${message}`, { ...options, path });
    this.name = 'DecodeError';
    this.logicalType = logicalType;
  }
}

/** One problem found while validating a decoded row against its model. */
export interface ChangeIssue {
  readonly path: CdcPath;
  readonly code: string;
  readonly message: string;
}

/**
 * A decoded row does not match the `@bionicpro/models` schema of its table. `path` is the
 * first issue's path (every issue is in `issues`).
 */
export class ChangeValidationError extends BionicProError {
  readonly code = 'invalid_row' as const;
  readonly table: string;
  readonly issues: readonly ChangeIssue[];
  constructor(table: string, issues: readonly ChangeIssue[], options: { cause?: unknown } = {}) {
    super(`${table}: ${issues.map((issue) => `${renderPath(issue.path)}: ${issue.message}`).join('; ')}`, {
      ...options,
      ...(issues[0] ? { path: issues[0].path } : {}),
    });
    this.name = 'ChangeValidationError';
    this.table = table;
    this.issues = issues;
  }
}

/** The Kafka Connect REST API answered with an error or the connector did not reach the wanted state. */
export class ConnectError extends BionicProError {
  readonly code: 'connect_http' | 'connect_timeout' | 'connect_task_failed';
  /** HTTP status, when the error came from a response. */
  readonly status: number | undefined;
  readonly connector: string | undefined;
  constructor(
    code: ConnectError['code'],
    message: string,
    options: { status?: number; connector?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ConnectError';
    this.code = code;
    this.status = options.status;
    this.connector = options.connector;
  }
}

/** The sink could not write a batch (ClickHouse refused it or was unreachable). */
export class SinkError extends BionicProError {
  readonly code: 'sink_write_failed' | 'sink_config' | 'sink_stopped';
  readonly table: string | undefined;
  constructor(code: SinkError['code'], message: string, options: { table?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'SinkError';
    this.code = code;
    this.table = options.table;
  }
}

/**
 * Why a CDC pipeline stopped: a defect met while handling a message (an exception that is not a
 * classified data error: the message is not committed, so a restart after the fix resumes at it),
 * a write that kept failing past the retry budget (`retries_exhausted`), a write refused with an
 * error retrying cannot fix (`write_refused`: a missing table, access denied; see `classifyError`
 * of `@bionicpro/models`), or the Kafka consumer failing.
 */
export class PipelineError extends BionicProError {
  readonly code: 'defect' | 'retries_exhausted' | 'write_refused' | 'consumer_failed';
  /** Where the message that met the defect came from (code `defect`). */
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly offset: string | undefined;
  constructor(
    code: PipelineError['code'],
    message: string,
    options: { topic?: string; partition?: number; offset?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.topic = options.topic;
    this.partition = options.partition;
    this.offset = options.offset;
  }
}

/** Any error this package raises for a bad message; what a dead-letter record's `reason` is built from. */
export type MessageError = EnvelopeError | DecodeError | ChangeValidationError;

/** True when the error is one of this package's per-message errors (route to dead letters, go on). */
export function isMessageError(error: unknown): error is MessageError {
  return (
    error instanceof EnvelopeError || error instanceof DecodeError || error instanceof ChangeValidationError
  );
}
