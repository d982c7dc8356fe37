import { compareInt64Text } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import { battery, device, emg, prosthetic, user } from '../test/support/rows.js';
import { UnsortedInputError } from './errors.js';
import { userProsthesisHourlyStats, userProsthesisHourlyStatsAsync } from './user-prosthesis-hourly-stats.js';

const lastUpdated = new Date('2024-02-01T00:00:00Z');
const users = [user(1), user(2, { ldap_username: null })];
const prosthetics = [
  prosthetic(12, 1, { model: 'BionicPRO X3 Pro' }),
  prosthetic(11, 1, { is_active: false }),
  prosthetic(20, 2, { is_active: false }),
];

describe('userProsthesisHourlyStats (docs/kpis.md user_prosthesis_stats)', () => {
  const input = {
    users,
    prosthetics,
    telemetryEvents: [
      emg(1, 1, '2024-01-10T08:05:00Z'),
      emg(2, 1, '2024-01-10T08:59:59Z'),
      emg(2, 1, '2024-01-10T08:59:59Z'),
      emg(3, 1, '2024-01-10T09:00:00Z'),
      emg(4, 1, '2023-12-31T23:59:59Z'),
      emg(5, 99, '2024-01-10T08:00:00Z'),
    ],
    deviceEvents: [
      device(1, 11, 'error', '2024-01-10T08:10:00Z', { response_time_ms: 100 }),
      device(2, 12, 'calibration', '2024-01-10T08:20:00Z', { response_time_ms: 50, severity: 'critical' }),
      device(3, 12, 'calibration', '2024-01-10T08:30:00Z'),
      device(4, 20, 'power_on', '2024-01-10T08:30:00Z', { response_time_ms: 7 }),
    ],
    batteryMetrics: [
      battery(1, 12, '2024-01-10T08:00:00Z', 80, -10),
      battery(2, 11, '2024-01-10T08:45:00Z', 70, -10),
    ],
  };

  it('aggregates movements, response time, battery level and errors per user and hour', () => {
    const rows = userProsthesisHourlyStats(input, { month: '2024-01', lastUpdated });
    expect(rows).toEqual([
      {
        user_id: 1,
        date: '2024-01-10',
        hour: new Date('2024-01-10T08:00:00Z'),
        user_uuid: users[0]!.user_uuid,
        prosthetic_id: 12,
        chip_id: 'CHIP-12',
        ldap_username: 'user1',
        customer_name: 'User 1',
        customer_email: 'user1@example.ru',
        prosthesis_model: 'BionicPRO X3 Pro',
        movements_count: 2,
        avg_response_time: 75,
        avg_battery_level: 75,
        error_count: 2,
        error_rate: 1,
        last_updated: lastUpdated,
      },
      expect.objectContaining({
        user_id: 1,
        hour: new Date('2024-01-10T09:00:00Z'),
        movements_count: 1,
        error_count: 0,
        error_rate: 0,
        avg_battery_level: null,
        avg_response_time: null,
      }),
      expect.objectContaining({
        user_id: 2,
        hour: new Date('2024-01-10T08:00:00Z'),
        prosthetic_id: null,
        chip_id: null,
        ldap_username: null,
        movements_count: 0,
        error_rate: null,
        avg_response_time: 7,
      }),
    ]);
  });

  it('gives the same rows from sorted async input and from shuffled input', async () => {
    const sortedInput = {
      ...input,
      telemetryEvents: [...input.telemetryEvents].sort(
        (a, b) =>
          a.user_id - b.user_id ||
          a.event_timestamp.getTime() - b.event_timestamp.getTime() ||
          compareInt64Text(a.id, b.id),
      ),
      deviceEvents: [...input.deviceEvents].sort((a, b) => a.prosthetic_id - b.prosthetic_id),
      batteryMetrics: [...input.batteryMetrics].sort((a, b) => a.prosthetic_id - b.prosthetic_id),
    };
    async function* gen<T>(rows: T[]) {
      yield* rows;
    }
    const expected = userProsthesisHourlyStats(input, { month: '2024-01', lastUpdated });
    const streamed = await userProsthesisHourlyStatsAsync(
      { ...sortedInput, telemetryEvents: gen(sortedInput.telemetryEvents) },
      { month: '2024-01', lastUpdated, order: 'sorted' },
    );
    expect(streamed).toEqual(expected);
    const reversed = userProsthesisHourlyStats(
      { ...input, telemetryEvents: [...input.telemetryEvents].reverse() },
      { month: '2024-01', lastUpdated },
    );
    expect(reversed).toEqual(expected);
  });

  it('refuses unsorted EMG rows promised sorted', () => {
    expect(() =>
      userProsthesisHourlyStats(
        { ...input, telemetryEvents: [emg(2, 1, '2024-01-10T09:00:00Z'), emg(1, 1, '2024-01-10T08:00:00Z')] },
        { month: '2024-01', order: 'sorted', lastUpdated },
      ),
    ).toThrow(UnsortedInputError);
  });
});
