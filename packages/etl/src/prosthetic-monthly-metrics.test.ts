import { describe, expect, it } from 'vitest';
import { battery, device, prosthetic, user } from '../test/support/rows.js';
import { UnsortedInputError } from './errors.js';
import { prostheticMonthlyMetrics, prostheticMonthlyMetricsAsync } from './prosthetic-monthly-metrics.js';

const users = [user(1)];
const prosthetics = [prosthetic(10, 1)];
const lastUpdated = new Date('2024-03-01T00:00:00Z');

function run(
  deviceEvents: ReturnType<typeof device>[],
  batteryMetrics: ReturnType<typeof battery>[] = [],
  month = '2024-01',
  order: 'sorted' | 'any' = 'any',
) {
  const rows = prostheticMonthlyMetrics(
    { users, prosthetics, deviceEvents, batteryMetrics },
    { month, order, lastUpdated },
  );
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe('prostheticMonthlyMetrics sessions (docs/kpis.md total_active_hours)', () => {
  it('counts a session from power_on to the next power_off', () => {
    const row = run([
      device(1, 10, 'power_on', '2024-01-10T08:00:00Z'),
      device(2, 10, 'power_off', '2024-01-10T10:30:00Z'),
    ]);
    expect(row.total_active_hours).toBe(2.5);
    expect(row.power_on_count).toBe(1);
    expect(row.power_off_count).toBe(1);
    expect(row.daily_usage_hours).toBe(2.5 / 31);
  });

  it('splits a session that crosses midnight on the 31st between the two months', () => {
    const events = [
      device(1, 10, 'power_on', '2024-01-31T22:00:00Z'),
      device(2, 10, 'power_off', '2024-02-01T02:00:00Z'),
    ];
    const jan = run(events, [], '2024-01');
    const feb = run(events, [], '2024-02');
    expect(jan.total_active_hours).toBe(2);
    expect(jan.power_on_count).toBe(1);
    expect(jan.power_off_count).toBe(0);
    expect(feb.total_active_hours).toBe(2);
    expect(feb.power_on_count).toBe(0);
    expect(feb.power_off_count).toBe(1);
  });

  it('closes a session at a second power_on, which opens the next session', () => {
    const row = run([
      device(1, 10, 'power_on', '2024-01-05T10:00:00Z'),
      device(2, 10, 'power_on', '2024-01-05T12:00:00Z'),
      device(3, 10, 'power_off', '2024-01-05T13:00:00Z'),
    ]);
    expect(row.total_active_hours).toBe(3);
    expect(row.power_on_count).toBe(2);
  });

  it('closes a session open at the end of the data at the last event seen', () => {
    const row = run([
      device(1, 10, 'power_on', '2024-01-05T10:00:00Z'),
      device(2, 10, 'calibration', '2024-01-05T15:00:00Z'),
    ]);
    expect(row.total_active_hours).toBe(5);
  });

  it("closes a session open at the end of the data at the month's end when that is earlier", () => {
    const events = [
      device(1, 10, 'power_on', '2024-01-31T20:00:00Z'),
      device(2, 10, 'calibration', '2024-02-02T00:00:00Z'),
    ];
    expect(run(events, [], '2024-01').total_active_hours).toBe(4);
    // February gets the part up to the last event seen.
    expect(run(events, [], '2024-02').total_active_hours).toBe(24);
  });

  it('ignores a power_off without an open session and orders same-instant events by id', () => {
    const row = run([
      device(1, 10, 'power_off', '2024-01-05T09:00:00Z'),
      device(3, 10, 'power_on', '2024-01-05T10:00:00Z'),
      device(2, 10, 'power_off', '2024-01-05T10:00:00Z'), // id 2 comes before id 3: no session yet
      device(4, 10, 'power_off', '2024-01-05T11:00:00Z'),
    ]);
    expect(row.total_active_hours).toBe(1);
    expect(row.power_off_count).toBe(3);
  });
});

describe('prostheticMonthlyMetrics battery (docs/kpis.md)', () => {
  it('splits discharge samples into active (inside a session) and idle', () => {
    const row = run(
      [device(1, 10, 'power_on', '2024-01-05T10:00:00Z'), device(2, 10, 'power_off', '2024-01-05T12:00:00Z')],
      [
        battery(1, 10, '2024-01-05T09:00:00Z', 80, -20), // idle
        battery(2, 10, '2024-01-05T10:00:00Z', 79, -100), // at the power_on instant: active
        battery(3, 10, '2024-01-05T11:00:00Z', 70, -80), // active
        battery(4, 10, '2024-01-05T12:00:00Z', 60, -30), // at the power_off instant: idle
        battery(5, 10, '2024-01-05T13:00:00Z', 65, 200, true), // charging
        battery(6, 10, '2024-01-05T14:00:00Z', 75, 100, true), // charging
      ],
    );
    expect(row.avg_discharge_rate_active).toBe(90);
    expect(row.avg_discharge_rate_idle).toBe(25);
    expect(row.avg_charge_rate).toBe(150);
  });

  it('treats samples after the last event of an open session as idle', () => {
    const row = run(
      [device(1, 10, 'power_on', '2024-01-05T10:00:00Z'), device(2, 10, 'error', '2024-01-05T11:00:00Z')],
      [battery(1, 10, '2024-01-05T10:30:00Z', 80, -40), battery(2, 10, '2024-01-05T11:30:00Z', 79, -60)],
    );
    expect(row.avg_discharge_rate_active).toBe(40);
    expect(row.avg_discharge_rate_idle).toBe(60);
  });

  it('leaves battery averages null without samples', () => {
    const row = run([device(1, 10, 'power_on', '2024-01-05T10:00:00Z')]);
    expect(row.avg_discharge_rate_active).toBeNull();
    expect(row.avg_discharge_rate_idle).toBeNull();
    expect(row.avg_charge_rate).toBeNull();
  });

  it('counts charge cycles with hysteresis: below 50 arms, above 95 counts once until below 50 again', () => {
    const levels = [40, 96, 97, 60, 96, 50, 95.5, 49.9, 95, 99, 30, 100];
    //               arm  1  no  no  no(not re-armed) no  no  arm  no(not >95) 2  arm  3
    const samples = levels.map((level, i) =>
      battery(
        i + 1,
        10,
        `2024-01-0${1 + Math.floor(i / 3)}T${String(10 + (i % 3)).padStart(2, '0')}:00:00Z`,
        level,
        50,
        true,
      ),
    );
    const row = run([], samples);
    expect(row.charge_cycles).toBe(3);
    expect(row.battery_health).toBe('worn');
  });

  it('carries the hysteresis state over from the month before', () => {
    const samples = [
      battery(1, 10, '2023-12-31T23:00:00Z', 20, -50),
      battery(2, 10, '2024-01-01T05:00:00Z', 98, 100),
    ];
    expect(run([], samples, '2024-01').charge_cycles).toBe(1);
    expect(run([], samples, '2023-12').charge_cycles).toBe(0);
  });
});

describe('prostheticMonthlyMetrics reliability and downtime (docs/kpis.md)', () => {
  it('measures downtime from a critical event to the next power_on', () => {
    const row = run([
      device(1, 10, 'error', '2024-01-10T10:00:00Z', { severity: 'critical' }),
      device(2, 10, 'power_on', '2024-01-10T10:30:00Z'),
    ]);
    expect(row.downtime_minutes).toBe(30);
    expect(row.critical_error_count).toBe(1);
    expect(row.status).toBe('critical');
  });

  it("runs downtime to the month's end when no power_on follows", () => {
    const row = run([device(1, 10, 'error', '2024-01-31T23:00:00Z', { severity: 'critical' })]);
    expect(row.downtime_minutes).toBe(60);
  });

  it('counts the part of a downtime from the month before that falls inside the month', () => {
    const events = [
      device(1, 10, 'error', '2023-12-31T23:00:00Z', { severity: 'critical' }),
      device(2, 10, 'power_on', '2024-01-01T01:30:00Z'),
    ];
    const jan = run(events, [], '2024-01');
    expect(jan.downtime_minutes).toBe(90);
    expect(jan.critical_error_count).toBe(0);
    expect(jan.status).toBe('attention');
    expect(run(events, [], '2023-12').downtime_minutes).toBe(60);
  });

  it('sums downtime per critical event, and a power_on at the same instant ends it at once', () => {
    const row = run([
      device(1, 10, 'error', '2024-01-10T10:00:00Z', { severity: 'critical' }),
      device(2, 10, 'error', '2024-01-10T10:20:00Z', { severity: 'critical' }),
      device(3, 10, 'power_on', '2024-01-10T11:00:00Z'),
      device(4, 10, 'error', '2024-01-10T11:00:00Z', { severity: 'critical' }),
      device(5, 10, 'power_off', '2024-01-10T12:00:00Z'),
    ]);
    expect(row.downtime_minutes).toBe(60 + 40);
  });

  it('derives reliability, clamps it at 0 and is null without power-ons', () => {
    const row = run([
      device(1, 10, 'power_on', '2024-01-10T10:00:00Z'),
      device(2, 10, 'error', '2024-01-10T10:10:00Z'),
      device(3, 10, 'error', '2024-01-10T10:20:00Z'),
      device(4, 10, 'warning', '2024-01-10T10:30:00Z'),
      device(5, 10, 'power_off', '2024-01-10T11:00:00Z'),
    ]);
    expect(row.error_count).toBe(2);
    expect(row.warning_count).toBe(1);
    expect(row.reliability_pct).toBe(0);
    expect(row.status).toBe('attention');
    const quiet = run([device(1, 10, 'calibration', '2024-01-10T10:00:00Z')]);
    expect(quiet.reliability_pct).toBeNull();
    expect(quiet.status).toBe('healthy');
    expect(quiet.battery_health).toBe('good');
  });
});

describe('prostheticMonthlyMetrics input handling', () => {
  const events = [
    device(1, 10, 'power_on', '2024-01-05T10:00:00Z'),
    device(2, 10, 'power_off', '2024-01-05T12:00:00Z'),
    device(3, 10, 'power_on', '2024-01-06T10:00:00Z'),
    device(4, 10, 'power_off', '2024-01-06T11:00:00Z'),
  ];

  it('gives the same result for out-of-order input', () => {
    const shuffled = [events[3]!, events[0]!, events[2]!, events[1]!];
    expect(run(shuffled)).toEqual(run(events, [], '2024-01', 'sorted'));
    expect(run(shuffled).total_active_hours).toBe(3);
  });

  it('counts a row repeated with the same id once, sorted or not', () => {
    const repeated = [events[0]!, events[0]!, events[1]!, events[2]!, events[3]!, events[3]!];
    expect(run(repeated, [], '2024-01', 'sorted').power_on_count).toBe(2);
    expect(run([...repeated].reverse()).power_off_count).toBe(2);
    expect(run(repeated).total_active_hours).toBe(3);
  });

  it('refuses out-of-order rows promised sorted, naming table and row', () => {
    expect(() => run([events[1]!, events[0]!], [], '2024-01', 'sorted')).toThrow(UnsortedInputError);
    expect(() => run([events[1]!, events[0]!], [], '2024-01', 'sorted')).toThrow(/device_events: row 1/);
  });

  it('streams async sources with the same result', async () => {
    async function* gen<T>(rows: T[]) {
      yield* rows;
    }
    const rows = await prostheticMonthlyMetricsAsync(
      { users: gen(users), prosthetics, deviceEvents: gen(events), batteryMetrics: gen([]) },
      { month: '2024-01', order: 'sorted', lastUpdated },
    );
    expect(rows).toEqual([run(events)]);
  });

  it('emits a zero row for an existing prosthesis without activity and skips prostheses of unknown users', () => {
    const rows = prostheticMonthlyMetrics(
      {
        users,
        prosthetics: [
          prosthetic(10, 1),
          prosthetic(11, 99),
          prosthetic(12, 1, { created_at: new Date('2024-05-01T00:00:00Z') }),
        ],
        deviceEvents: [device(1, 11, 'power_on', '2024-01-05T10:00:00Z')],
        batteryMetrics: [],
      },
      { month: '2024-01', lastUpdated },
    );
    expect(rows.map((r) => r.prosthetic_id)).toEqual([10]);
    expect(rows[0]).toMatchObject({
      power_on_count: 0,
      total_active_hours: 0,
      status: 'healthy',
      report_date: '2024-01-01',
    });
  });
});

describe('prostheticMonthlyMetrics README worked example', () => {
  it('reproduces the documented January figures', () => {
    const row = run(
      [
        device(1, 10, 'error', '2023-12-31T23:00:00Z', { severity: 'critical' }),
        device(2, 10, 'power_on', '2024-01-01T01:30:00Z'),
        device(3, 10, 'power_on', '2024-01-01T03:30:00Z'),
        device(4, 10, 'power_off', '2024-01-01T05:00:00Z'),
        device(5, 10, 'power_on', '2024-01-31T23:00:00Z'),
        device(6, 10, 'error', '2024-02-01T01:00:00Z'),
      ],
      [
        battery(1, 10, '2024-01-01T04:00:00Z', 40, -80),
        battery(2, 10, '2024-01-01T06:00:00Z', 97, 150, true),
      ],
    );
    expect(row).toMatchObject({
      power_on_count: 3,
      power_off_count: 1,
      total_active_hours: 4.5,
      daily_usage_hours: 4.5 / 31,
      avg_discharge_rate_active: 80,
      avg_discharge_rate_idle: null,
      avg_charge_rate: 150,
      charge_cycles: 1,
      critical_error_count: 0,
      downtime_minutes: 90,
      reliability_pct: 100,
      battery_health: 'good',
      status: 'attention',
    });
  });
});
