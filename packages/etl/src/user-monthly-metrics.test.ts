import { describe, expect, it } from 'vitest';
import { payment, subscription, user } from '../test/support/rows.js';
import { userMonthlyMetrics } from './user-monthly-metrics.js';

const lastUpdated = new Date('2024-02-01T00:00:00Z');

describe('userMonthlyMetrics (docs/kpis.md report_user_monthly_metrics)', () => {
  it('reproduces the seed example of January 2024', () => {
    const [row] = userMonthlyMetrics(
      {
        users: [user(1)],
        subscriptions: [subscription(5, 1)],
        payments: [
          payment(101, 1, '2024-01-05T10:30:00Z', '2999.00', 'success'),
          payment(102, 1, '2024-01-15T10:30:00Z', '2999.00', 'failed'),
          payment(103, 1, '2024-01-16T10:30:00Z', '2999.00', 'success'),
          payment(104, 1, '2024-02-15T10:30:00Z', '2999.00', 'success'),
        ],
      },
      { month: '2024-01', lastUpdated },
    );
    expect(row).toEqual({
      user_id: 1,
      report_date: '2024-01-01',
      user_uuid: user(1).user_uuid,
      total_payments: '8997.00',
      successful_payments: '5998.00',
      failed_payments_count: 1,
      pending_payments_count: 0,
      active_subscriptions_count: 1,
      subscription_cost_total: '2999.00',
      payment_success_rate: 5998 / 8997,
      arr: '35988.00',
      last_updated: lastUpdated,
    });
  });

  it('counts pending payments without summing them', () => {
    const [row] = userMonthlyMetrics(
      {
        users: [user(1)],
        subscriptions: [],
        payments: [
          payment(1, 1, '2024-01-05T00:00:00Z', '100.10', 'pending'),
          payment(2, 1, '2024-01-06T00:00:00Z', '0.20', 'success'),
        ],
      },
      { month: '2024-01', lastUpdated },
    );
    expect(row).toMatchObject({
      total_payments: '0.20',
      successful_payments: '0.20',
      pending_payments_count: 1,
    });
    expect(row?.payment_success_rate).toBe(1);
  });

  it('does not count a subscription ending mid-month, but counts one ending on the last day', () => {
    const [row] = userMonthlyMetrics(
      {
        users: [user(1)],
        subscriptions: [
          subscription(1, 1, { end_date: '2024-01-15', monthly_cost: '2999.00' }),
          subscription(2, 1, { end_date: '2024-01-31', monthly_cost: '5999.00' }),
          subscription(3, 1, { start_date: '2024-01-31', monthly_cost: '9999.00', is_active: false }),
          subscription(4, 1, { start_date: '2024-02-01', monthly_cost: '1.00' }),
        ],
        payments: [],
      },
      { month: '2024-01', lastUpdated },
    );
    expect(row).toMatchObject({
      active_subscriptions_count: 2,
      subscription_cost_total: '15998.00',
      arr: '191976.00',
    });
    expect(row?.payment_success_rate).toBeNull();
  });

  it('sums money exactly where binary floats would drift', () => {
    const payments = Array.from({ length: 10 }, (_, i) =>
      payment(i + 1, 1, '2024-01-05T00:00:00Z', '0.10', 'success'),
    );
    const [row] = userMonthlyMetrics(
      { users: [user(1)], subscriptions: [], payments },
      { month: '2024-01', lastUpdated },
    );
    expect(row?.total_payments).toBe('1.00');
  });

  it('counts a payment repeated with the same id once, in any order', () => {
    const p = payment(7, 1, '2024-01-05T00:00:00Z', '10.00', 'failed');
    const [row] = userMonthlyMetrics(
      { users: [user(1)], subscriptions: [subscription(1, 1), subscription(1, 1)], payments: [p, p] },
      { month: '2024-01', lastUpdated },
    );
    expect(row).toMatchObject({
      total_payments: '10.00',
      failed_payments_count: 1,
      active_subscriptions_count: 1,
    });
  });

  it('reports users registered before the month end or with activity, by user id', () => {
    const rows = userMonthlyMetrics(
      {
        users: [
          user(3, { registered_at: new Date('2024-03-01T00:00:00Z') }),
          user(2, { registered_at: new Date('2024-02-01T00:00:00Z') }),
          user(1),
        ],
        subscriptions: [],
        payments: [
          payment(1, 3, '2024-01-20T00:00:00Z', '5.00', 'success'),
          payment(2, 99, '2024-01-20T00:00:00Z', '5.00', 'success'),
        ],
      },
      { month: '2024-01', lastUpdated },
    );
    expect(rows.map((r) => r.user_id)).toEqual([1, 3]);
  });
});
