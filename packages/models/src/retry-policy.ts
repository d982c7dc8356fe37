/**
 * The one retry policy of the BionicPRO packages: how a failed call to
 * ClickHouse, PostgreSQL, Kafka or the network is classified, and how it is
 * retried (exponential backoff with jitter, within an attempts and an elapsed
 * time budget). `@bionicpro/etl`'s `withRetry` and `@bionicpro/cdc`'s pipeline
 * both run on it; see docs/architecture.md, "One home per shared concept".
 *
 * The rule: **retry transient errors and unknown I/O errors; never data
 * errors, permanent errors or defects.** An error nobody recognises is most
 * likely an I/O failure the client did not label, so it gets another try
 * within the budget; an error that names its cause (a ClickHouse code, a
 * PostgreSQL SQLSTATE, a Kafka client's own verdict) is taken at its word.
 */
import { BionicProError } from './errors.js';

/**
 * What an error says about trying again:
 * - `transient`: the server or the network is temporarily unable (connection reset, timeout,
 *   overload, too many parts, serialization failure): retry;
 * - `unknown`: no code or verdict is recognised (an I/O failure nobody labelled): retry within the budget;
 * - `permanent`: the request itself is wrong for this server (unknown table, syntax, access denied),
 *   or a BionicPRO error raised by the caller's own code (its typed verdict on an input or a
 *   setting): the same call fails the same way;
 * - `data`: the server refused the values (parse error, type mismatch, overflow, constraint):
 *   isolate and reject the data;
 * - `defect`: a programming error (`TypeError`, `RangeError`, …): stop.
 */
export type ErrorClass = 'transient' | 'unknown' | 'permanent' | 'data' | 'defect';

/** Node.js and undici socket error codes: the network failed, the request may never have arrived. */
const NODE_TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** ClickHouse error codes by number, with their names, grouped by what they say about a retry. */
const CLICKHOUSE_CODES: readonly (readonly [number, string, ErrorClass])[] = [
  // The server is busy, restarting or unreachable from where it stands.
  [159, 'TIMEOUT_EXCEEDED', 'transient'],
  [202, 'TOO_MANY_SIMULTANEOUS_QUERIES', 'transient'],
  [209, 'SOCKET_TIMEOUT', 'transient'],
  [210, 'NETWORK_ERROR', 'transient'],
  [225, 'NO_ZOOKEEPER', 'transient'],
  [241, 'MEMORY_LIMIT_EXCEEDED', 'transient'],
  [242, 'TABLE_IS_READ_ONLY', 'transient'],
  [252, 'TOO_MANY_PARTS', 'transient'],
  [279, 'ALL_CONNECTION_TRIES_FAILED', 'transient'],
  [319, 'UNKNOWN_STATUS_OF_INSERT', 'transient'],
  [425, 'SYSTEM_ERROR', 'transient'],
  [439, 'CANNOT_SCHEDULE_TASK', 'transient'],
  [999, 'KEEPER_EXCEPTION', 'transient'],
  // The values: retrying would fail forever, the rows must be isolated.
  [6, 'CANNOT_PARSE_TEXT', 'data'],
  [26, 'CANNOT_PARSE_QUOTED_STRING', 'data'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED', 'data'],
  [32, 'ATTEMPT_TO_READ_AFTER_EOF', 'data'],
  [38, 'CANNOT_PARSE_DATE', 'data'],
  [41, 'CANNOT_PARSE_DATETIME', 'data'],
  [53, 'TYPE_MISMATCH', 'data'],
  [69, 'ARGUMENT_OUT_OF_BOUND', 'data'],
  [70, 'CANNOT_CONVERT_TYPE', 'data'],
  [72, 'CANNOT_PARSE_NUMBER', 'data'],
  [117, 'INCORRECT_DATA', 'data'],
  [131, 'TOO_LARGE_STRING_SIZE', 'data'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN', 'data'],
  [407, 'DECIMAL_OVERFLOW', 'data'],
  [457, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE', 'data'],
  [691, 'UNKNOWN_ELEMENT_OF_ENUM', 'data'],
  // The request: a schema, a name, a setting or a credential that is wrong for this server.
  [8, 'THERE_IS_NO_COLUMN', 'permanent'],
  [16, 'NO_SUCH_COLUMN_IN_TABLE', 'permanent'],
  [36, 'BAD_ARGUMENTS', 'permanent'],
  [42, 'NUMBER_OF_ARGUMENTS_DOESNT_MATCH', 'permanent'],
  [43, 'ILLEGAL_TYPE_OF_ARGUMENT', 'permanent'],
  [44, 'ILLEGAL_COLUMN', 'permanent'],
  [46, 'UNKNOWN_FUNCTION', 'permanent'],
  [47, 'UNKNOWN_IDENTIFIER', 'permanent'],
  [48, 'NOT_IMPLEMENTED', 'permanent'],
  [50, 'UNKNOWN_TYPE', 'permanent'],
  [57, 'TABLE_ALREADY_EXISTS', 'permanent'],
  [60, 'UNKNOWN_TABLE', 'permanent'],
  [62, 'SYNTAX_ERROR', 'permanent'],
  [73, 'UNKNOWN_FORMAT', 'permanent'],
  [80, 'INCORRECT_QUERY', 'permanent'],
  [81, 'UNKNOWN_DATABASE', 'permanent'],
  [115, 'UNKNOWN_SETTING', 'permanent'],
  [164, 'READONLY', 'permanent'],
  [192, 'UNKNOWN_USER', 'permanent'],
  [193, 'WRONG_PASSWORD', 'permanent'],
  [194, 'REQUIRED_PASSWORD', 'permanent'],
  [497, 'ACCESS_DENIED', 'permanent'],
  [516, 'AUTHENTICATION_FAILED', 'permanent'],
];

const CLICKHOUSE_BY_CODE: ReadonlyMap<string, ErrorClass> = new Map(
  CLICKHOUSE_CODES.flatMap(([code, name, kind]) => [
    [String(code), kind],
    [name, kind],
  ]),
);

/** A PostgreSQL SQLSTATE: a two-character class (00–58, F0, HV, P0, XX) and three more characters. */
const SQLSTATE = /^(?:[0-5][0-9A-Z]|F0|HV|P0|XX)[0-9A-Z]{3}$/;

/** PostgreSQL SQLSTATEs by code or class (first two characters). */
function sqlstateClass(code: string): ErrorClass {
  const kind = code.slice(0, 2);
  // 08 connection exception, 53 insufficient resources (53300 too many connections).
  if (kind === '08' || kind === '53') return 'transient';
  // Serialization failure, deadlock, lock not available, statement timeout / cancel, shutdown.
  if (/^(?:40001|40P01|55P03|57014|57P0[1-3])$/.test(code)) return 'transient';
  // 22 data exception, 23 integrity constraint violation.
  if (kind === '22' || kind === '23') return 'data';
  return 'permanent';
}

/** Built-in errors that only a bug raises (an I/O failure is not a `TypeError` without a socket code under it). */
const DEFECT_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

/** Messages of errors that carry no code but name a network failure. */
const TRANSIENT_MESSAGE = /socket hang up|Connection terminated|timeout|timed out/i;

/** The class one link of an error chain names on its own, or `undefined` when it names none. */
function ownClass(link: object): ErrorClass | undefined {
  const { code, type, name, message, retriable, canRetry } = link as {
    code?: unknown;
    type?: unknown;
    name?: unknown;
    message?: unknown;
    retriable?: unknown;
    canRetry?: unknown;
  };
  const text = typeof code === 'number' ? String(code) : typeof code === 'string' ? code : '';
  if (NODE_TRANSIENT_CODES.has(text)) return 'transient';
  const clickhouse =
    CLICKHOUSE_BY_CODE.get(text) ?? (typeof type === 'string' ? CLICKHOUSE_BY_CODE.get(type) : undefined);
  if (clickhouse !== undefined) return clickhouse;
  if (SQLSTATE.test(text)) return sqlstateClass(text);
  // @platformatic/kafka: `canRetry`, and a network error is worth another try even when it says not.
  if (text === 'PLT_KFK_NETWORK' || canRetry === true) return 'transient';
  if (canRetry === false && text.startsWith('PLT_KFK_') && text !== 'PLT_KFK_MULTIPLE') return 'permanent';
  // kafkajs: `retriable`; "retries exceeded" and "non-retriable" wrappers are judged by their cause.
  if (typeof name === 'string' && name.startsWith('KafkaJS') && typeof retriable === 'boolean') {
    if (retriable) return 'transient';
    if (name !== 'KafkaJSNumberOfRetriesExceeded' && name !== 'KafkaJSNonRetriableError') return 'permanent';
    return undefined;
  }
  // chDB and other clients put ClickHouse's code in the message only: `Code: 60. DB::Exception: …`.
  if (typeof message === 'string') {
    const number = /\bCode: (\d+)/.exec(message)?.[1];
    const fromMessage = number === undefined ? undefined : CLICKHOUSE_BY_CODE.get(number);
    if (fromMessage !== undefined) return fromMessage;
    if (TRANSIENT_MESSAGE.test(message)) return 'transient';
  }
  return undefined;
}

/** How many `cause` links are followed before an error is judged by what was found. */
const MAX_CHAIN = 8;

/**
 * Classifies an error by its chain (`cause`, and the members of an `AggregateError`), outermost
 * first: the first link that names a class decides. A chain that names none is `permanent` when its
 * innermost error is a BionicPRO error (the caller's own typed verdict), a `defect` when it is a
 * built-in programming error (`TypeError`, `RangeError`, …), else `unknown`.
 *
 * @example
 * ```ts
 * import { classifyError } from '@bionicpro/models';
 * classifyError({ code: 'ECONNRESET' }); // 'transient'
 * classifyError({ code: '60', type: 'UNKNOWN_TABLE' }); // 'permanent'
 * classifyError(new Error('Code: 27. DB::Exception: Cannot parse input')); // 'data'
 * classifyError({ code: '40P01' }); // 'transient' (PostgreSQL deadlock)
 * ```
 */
export function classifyError(error: unknown): ErrorClass {
  let link: unknown = error;
  let innermost: unknown = error;
  for (let depth = 0; link !== null && typeof link === 'object' && depth < MAX_CHAIN; depth += 1) {
    const own = ownClass(link);
    if (own !== undefined) return own;
    if (link instanceof AggregateError && link.errors.length > 0) return aggregateClass(link.errors);
    innermost = link;
    link = (link as { cause?: unknown }).cause;
  }
  if (innermost instanceof BionicProError) return 'permanent';
  return DEFECT_ERRORS.some((kind) => innermost instanceof kind) ? 'defect' : 'unknown';
}

/** Several errors at once (one per broker or partition): retry only if every one is retryable. */
function aggregateClass(errors: readonly unknown[]): ErrorClass {
  let result: ErrorClass = 'unknown';
  for (const member of errors) {
    const kind = classifyError(member);
    if (!isRetryableClass(kind)) return kind;
    if (kind === 'transient') result = 'transient';
  }
  return result;
}

function isRetryableClass(kind: ErrorClass): boolean {
  return kind === 'transient' || kind === 'unknown';
}

/**
 * The one rule: retry `transient` and `unknown` errors, never `data`, `permanent` or `defect`
 * ones (see {@link classifyError}).
 *
 * @example
 * ```ts
 * import { isRetryableError } from '@bionicpro/models';
 * isRetryableError({ code: 'ETIMEDOUT' }); // true
 * isRetryableError(new Error('socket closed by a proxy')); // true: unknown I/O error
 * isRetryableError(new TypeError('x is undefined')); // false: a defect
 * ```
 */
export function isRetryableError(error: unknown): boolean {
  return isRetryableClass(classifyError(error));
}

/** What {@link RetryPolicy.onRetry} is told before each retry. */
export interface RetryInfo {
  /** Attempts that failed so far (1 before the first retry). */
  readonly attempt: number;
  /** The wait before the next attempt. */
  readonly delayMs: number;
  /** Time since the first failure. */
  readonly elapsedMs: number;
  readonly error: unknown;
}

/** How a failing call is retried. Every field is optional; the defaults are below. */
export interface RetryPolicy {
  /** Attempts in total, the first included (default 5; `Infinity` lets the time budget decide). */
  readonly maxAttempts?: number;
  /** Delay before the first retry; doubled per retry, with ±25 % jitter (default 200 ms). */
  readonly initialDelayMs?: number;
  /** Upper bound of one delay before jitter (default 10 s). */
  readonly maxDelayMs?: number;
  /** No retry starts whose delay would end later than this after the first failure (default: no limit). */
  readonly maxElapsedMs?: number;
  /** Overrides the classification (default {@link isRetryableError}). */
  readonly shouldRetry?: (error: unknown) => boolean;
  /** Called before each retry (logging, metrics, pausing a consumer); awaited when it returns a promise. */
  readonly onRetry?: (info: RetryInfo) => unknown;
}

/** Clock, sleep and randomness of {@link runWithRetry}; injectable so tests need not wait. */
export interface RetryRuntime {
  /** Milliseconds, monotonic (default `performance.now`). */
  readonly now?: () => number;
  /** Waits `ms`; should resolve early when `signal` aborts (the default does). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
  /** Stops retrying: no new attempt starts once it is aborted (the outcome is `aborted`). */
  readonly signal?: AbortSignal;
}

/** How {@link runWithRetry} ended. */
export type RetryOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number }
  | {
      readonly ok: false;
      /**
       * `not_retryable`: the policy refused to retry the error; `attempts` / `elapsed`: the
       * budget is spent; `aborted`: the signal stopped the retries.
       */
      readonly reason: 'not_retryable' | 'attempts' | 'elapsed' | 'aborted';
      /** The last error. */
      readonly error: unknown;
      /** Attempts made. */
      readonly attempts: number;
      /** Time from the first failure to giving up. */
      readonly elapsedMs: number;
    };

/** The policy with its defaults applied. */
interface ResolvedPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxElapsedMs: number;
}

function resolvePolicy(policy: RetryPolicy): ResolvedPolicy {
  return {
    maxAttempts: Math.max(1, policy.maxAttempts ?? 5),
    initialDelayMs: Math.max(0, policy.initialDelayMs ?? 200),
    maxDelayMs: Math.max(0, policy.maxDelayMs ?? 10_000),
    maxElapsedMs: policy.maxElapsedMs ?? Number.POSITIVE_INFINITY,
  };
}

/**
 * The wait after the `attempt`-th failure: `initialDelayMs · 2^(attempt−1)`, capped at
 * `maxDelayMs`, times a jitter factor in [0.75, 1.25) drawn from `random`.
 *
 * @example
 * ```ts
 * import { retryDelayMs } from '@bionicpro/models';
 * retryDelayMs({ initialDelayMs: 100 }, 3, () => 0.5); // 400
 * ```
 */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const { initialDelayMs, maxDelayMs } = resolvePolicy(policy);
  return Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)) * (0.75 + random() * 0.5);
}

/** A `setTimeout` that resolves early (not rejects) when `signal` aborts. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `run` until it succeeds or the policy gives up, and says how it ended (it never throws what
 * `run` threw: the caller wraps the outcome in its own error). After a failure: an error the policy
 * does not retry ends it (`not_retryable`), then an aborted signal (`aborted`), then a spent budget
 * (`attempts`, or `elapsed` when the next delay would end past `maxElapsedMs`); otherwise `onRetry`
 * is awaited and the delay slept.
 *
 * @example
 * ```ts
 * import { runWithRetry } from '@bionicpro/models';
 * const outcome = await runWithRetry(() => client.query({ query: 'SELECT 1' }), { maxAttempts: 3 });
 * if (!outcome.ok) throw new Error(`gave up (${outcome.reason}) after ${outcome.attempts} attempts`, { cause: outcome.error });
 * ```
 */
export async function runWithRetry<T>(
  run: (attempt: number) => Promise<T>,
  policy: RetryPolicy = {},
  runtime: RetryRuntime = {},
): Promise<RetryOutcome<T>> {
  const budget = resolvePolicy(policy);
  const shouldRetry = policy.shouldRetry ?? isRetryableError;
  const now = runtime.now ?? (() => performance.now());
  const sleep = runtime.sleep ?? abortableSleep;
  const random = runtime.random ?? Math.random;
  const { signal } = runtime;
  let firstFailure = 0;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return { ok: true, value: await run(attempt), attempts: attempt };
    } catch (error) {
      if (attempt === 1) firstFailure = now();
      const elapsedMs = now() - firstFailure;
      const end = (reason: 'not_retryable' | 'attempts' | 'elapsed' | 'aborted') =>
        ({ ok: false, reason, error, attempts: attempt, elapsedMs }) as const;
      if (!shouldRetry(error)) return end('not_retryable');
      if (signal?.aborted) return end('aborted');
      const delayMs = retryDelayMs(budget, attempt, random);
      if (attempt >= budget.maxAttempts) return end('attempts');
      if (elapsedMs + delayMs > budget.maxElapsedMs) return end('elapsed');
      await policy.onRetry?.({ attempt, delayMs, elapsedMs, error });
      await sleep(delayMs, signal);
      if (signal?.aborted) return end('aborted');
    }
  }
}
