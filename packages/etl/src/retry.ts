import { type EtlStep, EtlStepError } from './errors.js';

/** How a failing step is retried. */
export interface RetryPolicy {
  /** Attempts in total, the first included (default 5). */
  readonly attempts?: number;
  /** Delay before the first retry; doubles each time, with ±25 % jitter (default 200 ms). */
  readonly baseDelayMs?: number;
  /** Upper bound of one delay (default 10 s). */
  readonly maxDelayMs?: number;
  /** Overrides the transient-error classification. */
  readonly isTransient?: (error: unknown) => boolean;
  /** Called before each retry (for logging). */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

const NODE_TRANSIENT = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
/** ClickHouse error names and numeric codes worth another try. */
const CLICKHOUSE_TRANSIENT = new Set([
  'TOO_MANY_PARTS',
  '252',
  'TIMEOUT_EXCEEDED',
  '159',
  'SOCKET_TIMEOUT',
  '209',
  'NETWORK_ERROR',
  '210',
  'TOO_MANY_SIMULTANEOUS_QUERIES',
  '202',
  'KEEPER_EXCEPTION',
  '999',
  'ALL_CONNECTION_TRIES_FAILED',
  '279',
  'TABLE_IS_READ_ONLY',
  '242',
]);

/**
 * Whether an error is worth retrying: network failures (connection reset or
 * refused, timeouts), ClickHouse's TOO_MANY_PARTS, timeouts and overload, and
 * PostgreSQL's connection-class (08…), serialization/deadlock (40001/40P01),
 * too-many-connections (53300) and shutdown (57P01–57P03) errors.
 */
export function isTransientError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth += 1) {
    const { code, type, message } = e as { code?: unknown; type?: unknown; message?: unknown };
    const c = code === undefined ? '' : String(code);
    if (NODE_TRANSIENT.has(c) || CLICKHOUSE_TRANSIENT.has(c)) return true;
    if (typeof type === 'string' && CLICKHOUSE_TRANSIENT.has(type)) return true;
    if (/^(08...|40001|40P01|53300|57P0[123])$/.test(c)) return true;
    if (typeof message === 'string' && /socket hang up|Connection terminated|timeout/i.test(message))
      return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one step with retries on transient errors and exponential backoff. On
 * a permanent error, or when retries are exhausted, throws {@link EtlStepError}
 * naming the step, table and period.
 *
 * @example
 * ```ts
 * import { withRetry } from '@bionicpro/etl';
 * await withRetry(() => client.insert({ table: 'raw.users', values, format: 'JSONEachRow' }),
 *   { step: 'load', table: 'users', period: '2024-01' });
 * ```
 */
export async function withRetry<T>(
  run: (attempt: number) => Promise<T>,
  context: { readonly step: EtlStep; readonly table: string; readonly period: string },
  policy: RetryPolicy = {},
): Promise<T> {
  const attempts = Math.max(1, policy.attempts ?? 5);
  const base = policy.baseDelayMs ?? 200;
  const max = policy.maxDelayMs ?? 10_000;
  const transient = policy.isTransient ?? isTransientError;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run(attempt);
    } catch (error) {
      // A nested step already gave up: permanent errors pass through; transient ones are retried here.
      if (error instanceof EtlStepError && !error.transient) throw error;
      const cause = error instanceof EtlStepError ? error.cause : error;
      const retryable = transient(cause);
      if (!retryable || attempt >= attempts) {
        throw new EtlStepError(context.step, context.table, context.period, retryable, attempt, { cause });
      }
      const delayMs = Math.min(max, base * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      policy.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs);
    }
  }
}
