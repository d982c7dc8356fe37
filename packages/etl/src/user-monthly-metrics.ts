import {
  InvalidMoneyError,
  minorToMoney,
  tryParseMoneyMinor,
  describeMoneyFailure,
  DECIMAL_18_2_MAX_MINOR,
  type UserMonthlyMetrics,
  resolvePeriod,
} from '@bionicpro/models';
import type { PaymentRow, SubscriptionRow, UserRow } from './kpi-inputs.js';
import type { MonthlyTransformOptions } from './monthly-transform-options.js';
import { collectRows, type RowSource } from './row-source.js';

/** Inputs of {@link userMonthlyMetrics}: the CRM tables (small; read fully). */
export interface UserMonthlyInput {
  readonly users: Iterable<Pick<UserRow, 'id' | 'user_uuid' | 'registered_at'>>;
  readonly subscriptions: Iterable<SubscriptionRow>;
  readonly payments: Iterable<PaymentRow>;
}

interface UserTotals {
  total: bigint;
  successful: bigint;
  failed: number;
  pending: number;
  activeSubscriptions: number;
  subscriptionCost: bigint;
}

/**
 * report_user_monthly_metrics (docs/kpis.md): finance KPIs of every user
 * for one UTC month. Money is summed exactly in kopecks.
 *
 * - `total_payments` sums payments dated inside the month with status success
 *   or failed; pending payments are only counted (`pending_payments_count`),
 *   never summed.
 * - A subscription is active when it is active on the month's last day:
 *   `start_date <= last_day` and (`end_date` null or `end_date >= last_day`),
 *   so one ending mid-month does not count; `is_active` is not consulted (it
 *   describes today, not the month).
 * - `payment_success_rate` = successful / total, null when total is 0;
 *   `arr` = subscription_cost_total × 12.
 *
 * A user gets a row when registered before the month's end or when they have a
 * payment in the month or an active subscription. Payments and subscriptions
 * repeated with the same id count once. O(n) time, O(users) memory; order of
 * input does not matter.
 *
 * @example
 * ```ts
 * import { userMonthlyMetrics } from '@bionicpro/etl';
 * const rows = userMonthlyMetrics(
 *   { users, subscriptions, payments },
 *   { month: '2024-01', lastUpdated: new Date('2024-02-01T03:00:00Z') },
 * );
 * rows[0]?.total_payments; // '8997.00'
 * ```
 */
export function userMonthlyMetrics(
  input: UserMonthlyInput,
  options: Pick<MonthlyTransformOptions, 'month' | 'lastUpdated'>,
): UserMonthlyMetrics[] {
  const period = resolvePeriod(options.month);
  const lastUpdated = options.lastUpdated;
  const totals = new Map<number, UserTotals>();
  const totalsOf = (userId: number): UserTotals => {
    let t = totals.get(userId);
    if (t === undefined) {
      t = { total: 0n, successful: 0n, failed: 0, pending: 0, activeSubscriptions: 0, subscriptionCost: 0n };
      totals.set(userId, t);
    }
    return t;
  };
  const seenPayments = new Set<number>();
  for (const payment of input.payments) {
    if (seenPayments.has(payment.id)) continue;
    seenPayments.add(payment.id);
    const t = payment.payment_date.getTime();
    if (t < period.startMs || t >= period.endMs) continue;
    const totalsOfUser = totalsOf(payment.user_id);
    if (payment.status === 'success') {
      const amount = rowMoney(payment.amount, 'payments', payment.id, 'amount');
      totalsOfUser.total += amount;
      totalsOfUser.successful += amount;
    } else if (payment.status === 'failed') {
      totalsOfUser.total += rowMoney(payment.amount, 'payments', payment.id, 'amount');
      totalsOfUser.failed += 1;
    } else if (payment.status === 'pending') {
      totalsOfUser.pending += 1;
    }
  }
  const seenSubscriptions = new Set<number>();
  for (const subscription of input.subscriptions) {
    if (seenSubscriptions.has(subscription.id)) continue;
    seenSubscriptions.add(subscription.id);
    // Calendar dates compare correctly as YYYY-MM-DD text.
    const active =
      subscription.start_date <= period.lastDay &&
      (subscription.end_date === null || subscription.end_date >= period.lastDay);
    if (!active) continue;
    const totalsOfUser = totalsOf(subscription.user_id);
    totalsOfUser.activeSubscriptions += 1;
    totalsOfUser.subscriptionCost += rowMoney(
      subscription.monthly_cost,
      'subscriptions',
      subscription.id,
      'monthly_cost',
    );
  }
  const users = [...input.users].sort((a, b) => a.id - b.id);
  const out: UserMonthlyMetrics[] = [];
  let previous = 0;
  for (const user of users) {
    if (user.id === previous) continue;
    previous = user.id;
    const t = totals.get(user.id);
    if (t === undefined && user.registered_at.getTime() >= period.endMs) continue;
    const total = t?.total ?? 0n;
    const successful = t?.successful ?? 0n;
    const cost = t?.subscriptionCost ?? 0n;
    out.push({
      user_id: user.id,
      report_date: period.firstDay,
      user_uuid: user.user_uuid,
      total_payments: minorToMoney(total),
      successful_payments: minorToMoney(successful),
      failed_payments_count: t?.failed ?? 0,
      pending_payments_count: t?.pending ?? 0,
      active_subscriptions_count: t?.activeSubscriptions ?? 0,
      subscription_cost_total: minorToMoney(cost),
      payment_success_rate: total === 0n ? null : Number(successful) / Number(total),
      arr: minorToMoney(cost * 12n),
      last_updated: lastUpdated,
    });
  }
  return out;
}

/** {@link userMonthlyMetrics} over async sources. */
export async function userMonthlyMetricsAsync(
  input: {
    readonly users: RowSource<Pick<UserRow, 'id' | 'user_uuid' | 'registered_at'>>;
    readonly subscriptions: RowSource<SubscriptionRow>;
    readonly payments: RowSource<PaymentRow>;
  },
  options: Pick<MonthlyTransformOptions, 'month' | 'lastUpdated'>,
): Promise<UserMonthlyMetrics[]> {
  return userMonthlyMetrics(
    {
      users: await collectRows(input.users),
      subscriptions: await collectRows(input.subscriptions),
      payments: await collectRows(input.payments),
    },
    options,
  );
}

/**
 * Kopecks of a row's money column; a bad value throws {@link InvalidMoneyError} naming the
 * table, the row's id and the column (path `[table, id, column]`), not only the value.
 */
function rowMoney(value: string, table: string, id: number, column: string): bigint {
  const result = tryParseMoneyMinor(value, DECIMAL_18_2_MAX_MINOR);
  if (result.ok) return result.minor;
  throw new InvalidMoneyError(
    `${table} row id ${id}: ${column}: ${describeMoneyFailure(result.reason, DECIMAL_18_2_MAX_MINOR)}, got ${JSON.stringify(String(value)).slice(0, 40)}`,
    value,
    { path: [table, id, column] },
  );
}
