import { compareInt64Text } from '@bionicpro/models';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectRowsClose } from '../test/support/compare.js';
import { naiveHourly, naiveProstheticMonthly, naiveUserMonthly } from '../test/support/naive-kpis.js';
import { battery, device, emg, payment, prosthetic, subscription, user } from '../test/support/rows.js';
import { prostheticMonthlyMetrics } from './prosthetic-monthly-metrics.js';
import { userMonthlyMetrics } from './user-monthly-metrics.js';
import { userProsthesisHourlyStats } from './user-prosthesis-hourly-stats.js';

// Instants on a 20-minute grid from 2023-12-30 to 2024-03-02, so that ties and
// month boundaries come up often.
/** The run's clock, passed in: the transforms never read it themselves. */
const lastUpdated = new Date('2024-03-01T00:00:00Z');
const GRID_START = Date.UTC(2023, 11, 30);
const STEP = 20 * 60_000;
const instant = fc
  .integer({ min: 0, max: (63 * 24 * 60) / 20 })
  .map((k) => new Date(GRID_START + k * STEP).toISOString());
const month = fc.constantFrom('2024-01', '2024-02');

const users = [user(1), user(2, { registered_at: new Date('2024-02-10T00:00:00Z') })];
const prosthetics = [
  prosthetic(1, 1),
  prosthetic(2, 1, { is_active: false }),
  prosthetic(3, 2, { created_at: new Date('2024-02-15T00:00:00Z') }),
  prosthetic(4, 9),
];

const deviceRow = fc
  .record({
    pid: fc.integer({ min: 1, max: 5 }),
    type: fc.constantFrom(
      'power_on',
      'power_on',
      'power_off',
      'power_off',
      'error',
      'calibration',
      'warning',
    ),
    severity: fc.constantFrom('info', 'info', 'warning', 'error', 'critical'),
    ts: instant,
    response: fc.option(fc.integer({ min: 1, max: 500 })),
  })
  .map((r) => ({ ...r, type: r.type as 'power_on' }));
const batteryRow = fc.record({
  pid: fc.integer({ min: 1, max: 4 }),
  ts: instant,
  level: fc.constantFrom(10, 49.99, 50, 70, 95, 95.01, 99, 100),
  current: fc.integer({ min: -300, max: 300 }),
  charging: fc.boolean(),
});

/** Adds copies of some rows (same id) and shuffles: what a re-delivering source looks like. */
function withCopiesShuffled<T>(rows: T[], copies: number[], order: number[]): T[] {
  const all = [...rows];
  for (const c of copies) if (rows.length > 0) all.push(rows[c % rows.length]!);
  return all
    .map((row, i) => ({ row, key: order[i % Math.max(order.length, 1)] ?? i }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.row);
}

describe('KPI transforms agree with the naive reference (fast-check)', () => {
  it('report_prosthetic_monthly_metrics, sorted streaming and any-order', () => {
    fc.assert(
      fc.property(
        month,
        fc.array(deviceRow, { maxLength: 40 }),
        fc.array(batteryRow, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 90 }),
        (m, devs, bats, copies, order) => {
          const deviceEvents = devs.map((d, i) =>
            device(i + 1, d.pid, d.type, d.ts, {
              severity: d.severity as 'info',
              response_time_ms: d.response,
            }),
          );
          const batteryMetrics = bats.map((b, i) =>
            battery(i + 1, b.pid, b.ts, b.level, b.current, b.charging),
          );
          const expected = naiveProstheticMonthly({ users, prosthetics, deviceEvents, batteryMetrics }, m);
          const shuffled = prostheticMonthlyMetrics(
            {
              users,
              prosthetics,
              deviceEvents: withCopiesShuffled(deviceEvents, copies, order),
              batteryMetrics: withCopiesShuffled(batteryMetrics, copies, order),
            },
            { month: m, lastUpdated },
          );
          expectRowsClose(shuffled, expected);
          const byTime =
            <T extends { id: string; prosthetic_id: number }>(ts: (r: T) => number) =>
            (a: T, b: T) =>
              a.prosthetic_id - b.prosthetic_id || ts(a) - ts(b) || compareInt64Text(a.id, b.id);
          const sorted = prostheticMonthlyMetrics(
            {
              users,
              prosthetics,
              deviceEvents: withCopiesShuffled(deviceEvents, copies, []).sort(
                byTime((r) => r.event_timestamp.getTime()),
              ),
              batteryMetrics: withCopiesShuffled(batteryMetrics, copies, []).sort(
                byTime((r) => r.metric_timestamp.getTime()),
              ),
            },
            { month: m, order: 'sorted', lastUpdated },
          );
          expectRowsClose(sorted, expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('report_user_monthly_metrics', () => {
    const money = fc
      .integer({ min: 0, max: 1_000_000 })
      .map((k) => `${Math.floor(k / 100)}.${String(k % 100).padStart(2, '0')}`);
    const day = fc
      .integer({ min: 0, max: 80 })
      .map((d) => new Date(Date.UTC(2023, 11, 15) + d * 86_400_000).toISOString().slice(0, 10));
    fc.assert(
      fc.property(
        month,
        fc.array(
          fc.record({
            user: fc.integer({ min: 1, max: 3 }),
            ts: instant,
            amount: money,
            status: fc.constantFrom('success', 'failed', 'pending'),
          }),
          { maxLength: 30 },
        ),
        fc.array(
          fc.record({ user: fc.integer({ min: 1, max: 3 }), start: day, end: fc.option(day), cost: money }),
          { maxLength: 6 },
        ),
        fc.array(fc.nat(), { maxLength: 5 }),
        (m, pays, subs, copies) => {
          const payments = pays.map((p, i) => payment(i + 1, p.user, p.ts, p.amount, p.status as 'success'));
          const subscriptions = subs.map((s, i) =>
            subscription(i + 1, s.user, { start_date: s.start, end_date: s.end, monthly_cost: s.cost }),
          );
          const data = { users, subscriptions, payments: withCopiesShuffled(payments, copies, copies) };
          expectRowsClose(userMonthlyMetrics(data, { month: m, lastUpdated }), naiveUserMonthly(data, m));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('user_prosthesis_stats (hourly)', () => {
    fc.assert(
      fc.property(
        month,
        fc.array(fc.record({ user: fc.integer({ min: 1, max: 3 }), ts: instant }), { maxLength: 30 }),
        fc.array(deviceRow, { maxLength: 20 }),
        fc.array(batteryRow, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (m, emgs, devs, bats, copies) => {
          const telemetryEvents = emgs.map((e, i) => emg(i + 1, e.user, e.ts));
          const deviceEvents = devs.map((d, i) =>
            device(i + 1, d.pid, d.type, d.ts, {
              severity: d.severity as 'info',
              response_time_ms: d.response,
            }),
          );
          const batteryMetrics = bats.map((b, i) =>
            battery(i + 1, b.pid, b.ts, b.level, b.current, b.charging),
          );
          const data = {
            users,
            prosthetics,
            telemetryEvents: withCopiesShuffled(telemetryEvents, copies, copies),
            deviceEvents: withCopiesShuffled(deviceEvents, copies, copies),
            batteryMetrics,
          };
          expectRowsClose(userProsthesisHourlyStats(data, { month: m, lastUpdated }), naiveHourly(data, m));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the sum of January and February active hours equals the hours of the whole data', () => {
    fc.assert(
      fc.property(
        fc.array(
          deviceRow.map((d) => ({ ...d, pid: 1 })),
          { maxLength: 30 },
        ),
        (devs) => {
          const deviceEvents = devs
            .filter((d) => d.ts >= '2024-01-01' && d.ts < '2024-03-01')
            .map((d, i) => device(i + 1, 1, d.type, d.ts));
          const hours = (m: string) =>
            prostheticMonthlyMetrics(
              { users, prosthetics: [prosthetics[0]!], deviceEvents, batteryMetrics: [] },
              { month: m, lastUpdated },
            )[0]!.total_active_hours;
          const whole = naiveProstheticMonthly(
            { users, prosthetics: [prosthetics[0]!], deviceEvents, batteryMetrics: [] },
            '2024-01',
          );
          const feb = naiveProstheticMonthly(
            { users, prosthetics: [prosthetics[0]!], deviceEvents, batteryMetrics: [] },
            '2024-02',
          );
          expect(hours('2024-01') + hours('2024-02')).toBeCloseTo(
            whole[0]!.total_active_hours + feb[0]!.total_active_hours,
            9,
          );
        },
      ),
    );
  });
});
