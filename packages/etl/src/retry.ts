import {
  classifyError,
  isRetryableError,
  type RetryPolicy as SharedRetryPolicy,
  runWithRetry,
} from '@bionicpro/models';
import { type EtlStep, EtlStepError } from './errors.js';

/**
 * How a failing step is retried: the one retry policy of `@bionicpro/models`
 * (`maxAttempts`, `initialDelayMs`, `maxDelayMs`, `maxElapsedMs`,
 * `shouldRetry`, `onRetry`), plus this package's earlier names of three fields.
 */
export interface RetryPolicy extends SharedRetryPolicy {
  /** Attempts in total, the first included (default 5). The same as `maxAttempts`, which wins when both are set. */
  readonly attempts?: number;
  /** Delay before the first retry. The same as `initialDelayMs`, which wins when both are set (default 200 ms). */
  readonly baseDelayMs?: number;
  /** Overrides the classification. The same as `shouldRetry`, which wins when both are set. */
  readonly isTransient?: (error: unknown) => boolean;
}

/**
 * Whether an error is transient in the one classification of
 * `@bionicpro/models` (`classifyError(error) === 'transient'`): network
 * failures (connection reset or refused, timeouts), ClickHouse's
 * TOO_MANY_PARTS, timeouts and overload, PostgreSQL's connection-class (08…),
 * serialization/deadlock (40001/40P01), insufficient-resources (53…) and
 * shutdown (57P01–57P03) errors. `withRetry` retries these and also errors
 * nobody recognises (`isRetryableError`).
 */
export function isTransientError(error: unknown): boolean {
  return classifyError(error) === 'transient';
}

/**
 * Runs one step with the one retry policy of `@bionicpro/models`: transient and
 * unrecognised errors are retried with exponential backoff (±25 % jitter);
 * data errors, permanent errors (unknown table, syntax, access denied) and
 * defects fail at once. On such an error, or when the attempts are spent,
 * throws {@link EtlStepError} naming the step, table and period.
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
  const retryable = policy.shouldRetry ?? policy.isTransient ?? isRetryableError;
  const outcome = await runWithRetry(run, {
    ...policy,
    maxAttempts: policy.maxAttempts ?? policy.attempts ?? 5,
    initialDelayMs: policy.initialDelayMs ?? policy.baseDelayMs ?? 200,
    maxDelayMs: policy.maxDelayMs ?? 10_000,
    // A nested step already gave up: its verdict stands (transient ones are retried here).
    shouldRetry: (error) => (error instanceof EtlStepError ? error.transient : retryable(error)),
  });
  if (outcome.ok) return outcome.value;
  const { error, attempts, reason } = outcome;
  if (error instanceof EtlStepError && !error.transient) throw error;
  const cause = error instanceof EtlStepError ? error.cause : error;
  throw new EtlStepError(context.step, context.table, context.period, reason !== 'not_retryable', attempts, {
    cause,
  });
}
