import { type MonthlySchedule, monthToCompute, nextRun } from './schedule.js';

/** Log sink of the scheduler (JSON lines in `main.ts`). */
export type SchedulerLog = (
  level: 'info' | 'warn' | 'error',
  msg: string,
  fields?: Record<string, unknown>,
) => void;

/** Options of {@link createMonthlyScheduler}. */
export interface MonthlySchedulerOptions {
  readonly schedule: MonthlySchedule;
  /** Runs one month (e.g. `runMonthlyJob`); the scheduler never runs two at once. */
  readonly run: (month: string) => Promise<unknown>;
  readonly log: SchedulerLog;
  readonly now?: () => Date;
  /** Retries of a failed month before waiting for the next slot; default 3, backoff 1, 2, 4 … minutes. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
}

/** A running scheduler. */
export interface MonthlyScheduler {
  /** Arms the timer for the next slot. */
  start(): void;
  /** Runs a month now (backfill, manual trigger), after any run in progress; resolves true when it succeeded. */
  runNow(month: string): Promise<boolean>;
  /** Disarms the timer and waits for a run in progress to finish. */
  stop(): Promise<void>;
  /** The next scheduled instant, when armed. */
  readonly next: Date | undefined;
}

// setTimeout cannot wait longer than 2^31-1 ms (~24.8 days); longer waits are chained.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A plain-Node monthly scheduler: at each slot it computes the last complete
 * month, runs it with retries, and logs the outcome. Runs are serialised, so a
 * slow month never overlaps the next one; ETL months are idempotent, so a
 * retry or a manual re-run is harmless.
 *
 * @example
 * ```ts
 * const scheduler = createMonthlyScheduler({ schedule: { day: 1, hour: 2, minute: 0 }, run: (month) => runMonthlyJob({ month, … }), log });
 * scheduler.start();
 * process.once('SIGTERM', () => void scheduler.stop());
 * ```
 */
export function createMonthlyScheduler(options: MonthlySchedulerOptions): MonthlyScheduler {
  const now = options.now ?? (() => new Date());
  const retries = options.retries ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let next: Date | undefined;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;

  const runWithRetries = async (month: string): Promise<boolean> => {
    for (let attempt = 0; ; attempt += 1) {
      const started = Date.now();
      try {
        options.log('info', 'etl month started', { month, attempt });
        const summary = await options.run(month);
        options.log('info', 'etl month finished', { month, elapsed_ms: Date.now() - started, summary });
        return true;
      } catch (error) {
        const last = attempt >= retries || stopped;
        options.log(last ? 'error' : 'warn', 'etl month failed', {
          month,
          attempt,
          error: error instanceof Error ? error.message : String(error),
          ...(last ? {} : { retry_in_ms: retryDelayMs * 2 ** attempt }),
        });
        if (last) return false;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** attempt).unref());
      }
    }
  };

  const enqueue = (month: string): Promise<boolean> => {
    const result = chain.then(() => runWithRetries(month));
    chain = result.then(() => undefined);
    return result;
  };

  const arm = () => {
    if (stopped) return;
    next = nextRun(now(), options.schedule);
    const wait = () => {
      const remaining = (next as Date).getTime() - now().getTime();
      if (remaining > MAX_TIMER_MS) {
        timer = setTimeout(wait, MAX_TIMER_MS);
        return;
      }
      timer = setTimeout(
        () => {
          const slot = next as Date;
          void enqueue(monthToCompute(slot)).then(arm);
        },
        Math.max(0, remaining),
      );
    };
    wait();
    options.log('info', 'next etl run scheduled', { at: next.toISOString(), month: monthToCompute(next) });
  };

  return {
    start: arm,
    runNow: enqueue,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      next = undefined;
      await chain;
    },
    get next() {
      return next;
    },
  };
}
