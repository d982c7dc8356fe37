/** How much the CLI says on stderr: errors only (default), `--verbose`, or `--debug`. */
export type CliLogLevel = 'error' | 'info' | 'debug';

const RANK: Record<CliLogLevel, number> = { error: 0, info: 1, debug: 2 };

/**
 * The CLI's one logger. Every line it writes starts with the program name;
 * engine clients (`@clickhouse/client`) log through it, so their output follows
 * the CLI's level instead of reaching the terminal on its own.
 */
export class CliLogger {
  constructor(
    private readonly program: string,
    private readonly stream: { write(text: string): unknown },
    readonly level: CliLogLevel,
  ) {}

  enabled(level: CliLogLevel): boolean {
    return RANK[level] <= RANK[this.level];
  }

  error(message: string): void {
    this.stream.write(`${this.program}: error: ${message}\n`);
  }

  info(message: string): void {
    if (this.enabled('info')) this.stream.write(`${this.program}: ${message}\n`);
  }

  debug(message: string): void {
    if (this.enabled('debug')) this.stream.write(`${this.program}: debug: ${message}\n`);
  }
}

interface ClickHouseLogParams {
  module: string;
  message: string;
  args?: Record<string, unknown>;
  err?: Error;
}

/** The logger interface of `@clickhouse/client` (its `log.LoggerClass` is instantiated without arguments). */
export interface ClickHouseClientLogger {
  trace(params: ClickHouseLogParams): void;
  debug(params: ClickHouseLogParams): void;
  info(params: ClickHouseLogParams): void;
  warn(params: ClickHouseLogParams): void;
  error(params: ClickHouseLogParams & { err: Error }): void;
}

/**
 * A `log.LoggerClass` for `@clickhouse/client` that routes the client's
 * messages through {@link CliLogger}: its warnings and errors (a failed
 * socket, a retried request) at `--verbose`, the rest at `--debug`. The job
 * reports the failure itself, once, in the CLI's own words.
 */
export function clickHouseLoggerClass(logger: CliLogger): new () => ClickHouseClientLogger {
  const line = ({ module, message, err }: ClickHouseLogParams) =>
    `clickhouse ${module}: ${message}${err ? `: ${err.message}` : ''}`;
  return class {
    trace(params: ClickHouseLogParams) {
      logger.debug(line(params));
    }
    debug(params: ClickHouseLogParams) {
      logger.debug(line(params));
    }
    info(params: ClickHouseLogParams) {
      logger.debug(line(params));
    }
    warn(params: ClickHouseLogParams) {
      logger.info(line(params));
    }
    error(params: ClickHouseLogParams & { err: Error }) {
      logger.info(line(params));
    }
  };
}
