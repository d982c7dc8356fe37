import { InvalidPeriodError, TelemetryReport } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import { emg, user } from '../test/support/rows.js';
import { telemetryReports } from './telemetry-report.js';

describe('telemetryReports (docs/reports.md POST /report)', () => {
  const telemetryEvents = [
    emg(1, 1, '2026-01-01T00:00:00Z', {
      prosthesis_type: 'hand',
      signal_duration: 1000,
      signal_amplitude: 2,
      signal_frequency: 170,
    }),
    emg(2, 1, '2026-01-15T00:00:00Z', {
      prosthesis_type: 'hand',
      signal_duration: 3000,
      signal_amplitude: 3,
      signal_frequency: 180,
    }),
    emg(2, 1, '2026-01-15T00:00:00Z', {
      prosthesis_type: 'hand',
      signal_duration: 3000,
      signal_amplitude: 3,
      signal_frequency: 180,
    }),
    emg(3, 1, '2026-01-31T23:59:59Z', {
      prosthesis_type: 'arm',
      signal_duration: 500,
      signal_amplitude: 4,
      signal_frequency: 200,
    }),
    emg(4, 1, '2026-02-01T00:00:00Z', { prosthesis_type: 'leg' }),
    emg(5, 42, '2026-01-02T00:00:00Z'),
  ];

  it('counts an event at exactly end_ts and not one a millisecond after it', () => {
    const users = [user(1)];
    const at = (end: string) =>
      telemetryReports(
        { users, telemetryEvents },
        { start_ts: new Date('2026-01-31T00:00:00Z'), end_ts: new Date(end) },
      )[0]?.total_events ?? 0;
    expect(at('2026-01-31T23:59:59.000Z')).toBe(1);
    expect(at('2026-01-31T23:59:58.999Z')).toBe(0);
  });

  it('rejects a window whose start follows its end, or an invalid date, with a typed error', () => {
    const input = { users: [user(1)], telemetryEvents };
    expect(() =>
      telemetryReports(input, {
        start_ts: new Date('2026-02-01T00:00:00Z'),
        end_ts: new Date('2026-01-01T00:00:00Z'),
      }),
    ).toThrow(InvalidPeriodError);
    expect(() => telemetryReports(input, { end_ts: new Date(Number.NaN) })).toThrow(InvalidPeriodError);
  });

  it('groups by prosthesis type inside an inclusive window, totals equal the sums', () => {
    const reports = telemetryReports(
      { users: [user(1, { name: 'Ivan Ivanov', email: 'ivan.ivanov@example.ru' })], telemetryEvents },
      { start_ts: new Date('2026-01-01T00:00:00Z'), end_ts: new Date('2026-01-31T23:59:59Z') },
    );
    expect(reports).toEqual([
      {
        user_id: 1,
        user_name: 'Ivan Ivanov',
        user_email: 'ivan.ivanov@example.ru',
        total_events: 3,
        total_duration: 4500,
        prosthesis_stats: [
          {
            prosthesis_type: 'arm',
            events_count: 1,
            total_duration: 500,
            avg_amplitude: 4,
            avg_frequency: 200,
          },
          {
            prosthesis_type: 'hand',
            events_count: 2,
            total_duration: 4000,
            avg_amplitude: 2.5,
            avg_frequency: 175,
          },
        ],
      },
    ]);
    const { user_id: _id, ...body } = reports[0]!;
    expect(TelemetryReport.safeParse(body).success).toBe(true);
  });

  it('uses all events without a window and ignores events of unknown users', () => {
    const [report, ...rest] = telemetryReports({ users: [user(1)], telemetryEvents });
    expect(rest).toEqual([]);
    expect(report?.total_events).toBe(4);
    expect(report?.prosthesis_stats.map((s) => s.prosthesis_type)).toEqual(['arm', 'hand', 'leg']);
  });
});
