/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Fields of a log line besides `time`, `level` and `msg`. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger writing one JSON object per line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `bindings` (e.g. the request id). */
  child(bindings: LogFields): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go; default stdout. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

/**
 * A JSON-lines logger: `{"time":"…","level":"info","msg":"…",…fields}`.
 * Errors in fields are expanded to `{ name, message, code, stack }`.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'info' }).child({ request_id: 'r-1' });
 * log.info('request finished', { status: 200, duration_ms: 3.1 });
 * ```
 */
export function createLogger(options: LoggerOptions = {}, bindings: LogFields = {}): Logger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (LEVELS[level] < threshold) return;
    write(
      JSON.stringify({ time: now().toISOString(), level, msg, ...bindings, ...fields }, (_key, value) =>
        value instanceof Error ? describeError(value) : typeof value === 'bigint' ? value.toString() : value,
      ),
    );
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
    child: (more) => createLogger(options, { ...bindings, ...more }),
  };
}

function describeError(error: Error): Record<string, unknown> {
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(error.cause === undefined
      ? {}
      : { cause: error.cause instanceof Error ? describeError(error.cause) : error.cause }),
  };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
