import { formatMonth, parseMonth } from '@bionicpro/models';

/** When the monthly run happens: a day of the month and a UTC time. */
export interface MonthlySchedule {
  /** 1–28, so every month has it. */
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** A schedule value was out of range. */
export class ScheduleError extends Error {
  readonly code = 'invalid_schedule' as const;
  override readonly name = 'ScheduleError';
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/**
 * Checks a schedule.
 *
 * @example
 * ```ts
 * monthlySchedule({ day: 1, hour: 2, minute: 0 });
 * ```
 */
export function monthlySchedule(schedule: MonthlySchedule): MonthlySchedule {
  const check = (field: keyof MonthlySchedule, min: number, max: number) => {
    const v = schedule[field];
    if (!Number.isInteger(v) || v < min || v > max)
      throw new ScheduleError(field, `expected ${min}–${max}, got ${v}`);
  };
  check('day', 1, 28);
  check('hour', 0, 23);
  check('minute', 0, 59);
  return schedule;
}

/**
 * The first scheduled instant strictly after `now` (UTC).
 *
 * @example
 * ```ts
 * nextRun(new Date('2024-01-15T00:00:00Z'), { day: 1, hour: 2, minute: 0 }); // 2024-02-01T02:00:00Z
 * ```
 */
export function nextRun(now: Date, schedule: MonthlySchedule): Date {
  const { day, hour, minute } = monthlySchedule(schedule);
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const thisMonth = new Date(Date.UTC(y, m, day, hour, minute));
  return thisMonth.getTime() > now.getTime() ? thisMonth : new Date(Date.UTC(y, m + 1, day, hour, minute));
}

/**
 * The month a run at `at` computes: the last complete month (docs/kpis.md: a month
 * is a UTC calendar month, re-running it replaces it).
 *
 * @example
 * ```ts
 * monthToCompute(new Date('2024-02-01T02:00:00Z')); // '2024-01'
 * ```
 */
export function monthToCompute(at: Date): string {
  const previous = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() - 1, 1));
  return previous.toISOString().slice(0, 7);
}

/**
 * Expands `YYYY-MM` or `YYYY-MM..YYYY-MM` (inclusive) into months.
 *
 * @example
 * ```ts
 * monthRangeList('2023-11..2024-02'); // ['2023-11', '2023-12', '2024-01', '2024-02']
 * ```
 */
export function monthRangeList(range: string): string[] {
  const [fromText = '', toText = fromText] = range.split('..');
  let from: ReturnType<typeof parseMonth>;
  let to: ReturnType<typeof parseMonth>;
  try {
    from = parseMonth(fromText.trim());
    to = parseMonth(toText.trim());
  } catch {
    throw new ScheduleError('months', `expected YYYY-MM or YYYY-MM..YYYY-MM, got ${JSON.stringify(range)}`);
  }
  const start = from.year * 12 + from.month - 1;
  const end = to.year * 12 + to.month - 1;
  if (end < start) throw new ScheduleError('months', `range ends before it starts: ${range}`);
  if (end - start > 600) throw new ScheduleError('months', 'at most 600 months at once');
  return Array.from({ length: end - start + 1 }, (_, i) =>
    formatMonth({ year: Math.floor((start + i) / 12), month: ((start + i) % 12) + 1 }),
  );
}
