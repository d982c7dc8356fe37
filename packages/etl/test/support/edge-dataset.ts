import type { BatteryMetric, DeviceEvent, Prosthetic, TelemetryEvent, User } from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import { battery, device, emg, prosthetic, user } from './rows.js';

/** A generated dataset (two consecutive months) plus hand-written edge cases of docs/kpis.md */
export interface KpiDataset {
  users: User[];
  prosthetics: Prosthetic[];
  subscriptions: ReturnType<typeof generateDataset>['subscriptions'];
  payments: ReturnType<typeof generateDataset>['payments'];
  telemetryEvents: TelemetryEvent[];
  deviceEvents: DeviceEvent[];
  batteryMetrics: BatteryMetric[];
}

/** The two months before the current one (`YYYY-MM`): recent enough for the hourly mart's 365-day TTL. */
export function recentMonths(now = new Date()): [string, string] {
  const label = (back: number) => {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    return d.toISOString().slice(0, 7);
  };
  return [label(2), label(1)];
}

const H = 3_600_000;
const D = 24 * H;

export function kpiDataset(
  seed: number,
  size: { users?: number; eventsPerDay?: number; start?: string } = {},
): KpiDataset {
  const start = size.start ?? recentMonths()[0];
  const data = generateDataset({
    seed,
    users: size.users ?? 4,
    prosthesesPerUser: 2,
    start,
    months: 2,
    eventsPerDay: size.eventsPerDay ?? 12,
    deviceEventsPerDay: 6,
    batterySamplesPerDay: 10,
  });
  const A = Date.parse(`${start}-01T00:00:00Z`);
  const first = new Date(A);
  const B = Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 1);
  const t = (ms: number) => new Date(ms).toISOString();
  const U = 9001;
  const P = 9001;
  const edgeDevices = [
    // power_on before the first month: a session open at its start
    device(9_000_001, P, 'power_on', t(A - 2 * H)),
    device(9_000_002, P, 'power_off', t(A + H)),
    // power_on after power_on
    device(9_000_003, P, 'power_on', t(A + 9 * D + 10 * H)),
    device(9_000_004, P, 'power_on', t(A + 9 * D + 12 * H)),
    device(9_000_005, P, 'power_off', t(A + 9 * D + 13 * H)),
    // same instant: power_off (lower id) then power_on
    device(9_000_007, P, 'power_on', t(A + 11 * D + 8 * H)),
    device(9_000_006, P, 'power_off', t(A + 11 * D + 8 * H)),
    // critical with downtime to the next power_on, and one at the same instant as a power_on
    device(9_000_008, P, 'error', t(A + 11 * D + 9 * H), { severity: 'critical' }),
    device(9_000_009, P, 'power_on', t(A + 11 * D + 9.75 * H)),
    device(9_000_010, P, 'error', t(A + 11 * D + 9.75 * H), { severity: 'critical' }),
    // a session crossing into the second month, then a critical with no later power_on
    device(9_000_011, P, 'power_on', t(B - H)),
    device(9_000_012, P, 'power_off', t(B + 3 * H)),
    device(9_000_013, P, 'error', t(B + 19 * D), { severity: 'critical', response_time_ms: 40 }),
    device(9_000_014, P, 'warning', t(B + 19 * D + H), { severity: 'warning', response_time_ms: 20 }),
    // an open session at the end of the data
    device(9_000_015, P, 'power_on', t(B + 24 * D + 10 * H)),
    device(9_000_016, P, 'calibration', t(B + 24 * D + 12.5 * H)),
  ];
  const edgeBattery = [
    battery(9_000_001, P, t(A - 4 * H), 30, -50), // arms the hysteresis before the first month
    battery(9_000_002, P, t(A + 0.5 * H), 97, -40), // inside the carried-over session; counts a cycle
    battery(9_000_003, P, t(A + 9 * D + 11 * H), 96, -80),
    battery(9_000_004, P, t(A + 9 * D + 12 * H), 40, -90), // at a power_on instant
    battery(9_000_005, P, t(A + 11 * D + 8 * H), 99, 150, true),
    battery(9_000_006, P, t(B - 0.5 * H), 60, -70),
    battery(9_000_007, P, t(B + 2 * H), 96.5, -60),
    battery(9_000_008, P, t(B + 24 * D + 11 * H), 45, -30), // open session, confirmed by the calibration
    battery(9_000_009, P, t(B + 24 * D + 13 * H), 99, -20), // after the last event: idle
  ];
  const edgeEmg = [
    emg(9_000_001, U, t(A + 9 * D + 10.25 * H), { prosthesis_type: 'arm' }),
    emg(9_000_002, U, t(A + 9 * D + 10.75 * H), { prosthesis_type: 'leg', signal_duration: 700 }),
    emg(9_000_003, U, t(B + 19 * D + 0.2 * H)),
  ];
  return {
    users: [...data.users, user(U)],
    prosthetics: [...data.prosthetics, prosthetic(P, U)],
    subscriptions: data.subscriptions,
    payments: data.payments,
    telemetryEvents: [...data.telemetryEvents(), ...edgeEmg],
    deviceEvents: [...data.deviceEvents(), ...edgeDevices],
    batteryMetrics: [...data.batteryMetrics(), ...edgeBattery],
  };
}
