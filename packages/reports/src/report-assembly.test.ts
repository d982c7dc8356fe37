import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReportAssemblyError } from './errors.js';
import {
  assembleDailyReport,
  assembleReportDates,
  assembleTelemetryReport,
  assembleUserMonthlyReport,
  roundMeasure,
  worstStatus,
} from './report-assembly.js';

const device = (over: Record<string, unknown> = {}) => ({
  prosthetic_id: 1,
  device_type: 'left_arm',
  total_active_hours: 12.5,
  power_on_count: '28',
  battery_health: 'good',
  downtime_minutes: 0,
  error_count: '0',
  critical_error_count: '0',
  status: 'healthy',
  ...over,
});

describe('assembleUserMonthlyReport', () => {
  it('reproduces the worked example of docs/kpis.md of January 2024', () => {
    const report = assembleUserMonthlyReport({
      userId: 1,
      month: '2024-01',
      financial: [
        {
          total_payments: '8997',
          successful_payments: '5998',
          failed_payments_count: '1',
          active_subscriptions_count: '1',
          subscription_cost_total: '2999',
        },
      ],
      devices: [device()],
    });
    expect(report).toEqual({
      period: '2024-01',
      user_id: 1,
      financial: {
        total_payments: '8997.00',
        successful_payments: '5998.00',
        failed_payments_count: 1,
        active_subscriptions: 1,
        monthly_cost: '2999.00',
      },
      devices: [
        {
          prosthetic_id: 1,
          device_type: 'left_arm',
          usage_hours: 12.5,
          power_on_count: 28,
          battery_health: 'good',
          downtime_minutes: 0,
          errors: 0,
        },
      ],
      status: 'healthy',
    });
  });

  it('counts errors and criticals together and takes the worst device status', () => {
    const report = assembleUserMonthlyReport({
      userId: 1,
      month: '2024-01',
      financial: [],
      devices: [
        device({ error_count: 2, critical_error_count: 1, status: 'critical' }),
        device({ prosthetic_id: 2, status: 'attention' }),
      ],
    });
    expect(report.devices.map((d) => d.errors)).toEqual([3, 0]);
    // Rows may arrive in any order (the service's query has no ORDER BY): the report lists devices by id.
    const shuffled = assembleUserMonthlyReport({
      userId: 1,
      month: '2024-01',
      financial: [],
      devices: [device({ prosthetic_id: 9 }), device({ prosthetic_id: 2 }), device({ prosthetic_id: 5 })],
    });
    expect(shuffled.devices.map((d) => d.prosthetic_id)).toEqual([2, 5, 9]);
    expect(report.status).toBe('critical');
    expect(report.financial.total_payments).toBe('0.00');
  });

  it('refuses money that arrived as a binary float, and duplicate mart rows', () => {
    const row = {
      total_payments: 0.1,
      successful_payments: '0',
      failed_payments_count: 0,
      active_subscriptions_count: 0,
      subscription_cost_total: '0',
    };
    expect(() =>
      assembleUserMonthlyReport({ userId: 1, month: '2024-01', financial: [row], devices: [] }),
    ).toThrow(ReportAssemblyError);
    const ok = { ...row, total_payments: '0' };
    expect(() =>
      assembleUserMonthlyReport({ userId: 1, month: '2024-01', financial: [ok, ok], devices: [] }),
    ).toThrow(/at most one/);
  });

  it('names the field of a bad row', () => {
    try {
      assembleUserMonthlyReport({
        userId: 1,
        month: '2024-01',
        financial: [],
        devices: [device({ device_type: 'tail' })],
      });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ReportAssemblyError);
      expect((e as ReportAssemblyError).issues[0]?.path).toBe('devices.0.device_type');
    }
  });
});

describe('assembleTelemetryReport', () => {
  it('totals always equal the sums of the per-type rows', () => {
    const row = fc.record({
      prosthesis_type: fc.constantFrom('arm', 'hand', 'leg'),
      events_count: fc.integer({ min: 0, max: 1e9 }),
      total_duration: fc.integer({ min: 0, max: 1e12 }).map(String),
      avg_amplitude: fc.double({ min: 0, max: 100, noNaN: true }),
      avg_frequency: fc.double({ min: 0, max: 1000, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 3 }), (rows) => {
        const report = assembleTelemetryReport({ user: [{ name: 'Ivan', email: 'i@x.ru' }], rows });
        expect(report?.total_events).toBe(rows.reduce((a, r) => a + r.events_count, 0));
        expect(report?.total_duration).toBe(rows.reduce((a, r) => a + Number(r.total_duration), 0));
      }),
    );
  });

  it('is undefined without a user row, and empty (not an error) without events', () => {
    expect(assembleTelemetryReport({ user: [], rows: [] })).toBeUndefined();
    expect(assembleTelemetryReport({ user: [{ name: 'Ivan', email: 'i@x.ru' }], rows: [] })).toEqual({
      user_name: 'Ivan',
      user_email: 'i@x.ru',
      total_events: 0,
      total_duration: 0,
      prosthesis_stats: [],
    });
  });
});

describe('daily usage report assembly', () => {
  it('sums the hours into the summary and writes hours as UTC ISO', () => {
    const report = assembleDailyReport({
      date: '2024-01-15',
      user: 'fallback',
      rows: [
        {
          hour: '2024-01-15 08:00:00',
          movements_count: '145',
          avg_response_time: 42.1,
          avg_battery_level: 95,
          error_count: '0',
          prosthesis_model: 'BionicHand Pro X1',
          ldap_username: 'ivan.petrov',
        },
        {
          hour: '2024-01-15 09:00:00',
          movements_count: '189',
          avg_response_time: null,
          avg_battery_level: 92,
          error_count: '1',
          prosthesis_model: 'BionicHand Pro X1',
          ldap_username: 'ivan.petrov',
        },
      ],
    });
    expect(report.summary).toEqual({
      total_movements: 334,
      avg_response_time_ms: 42.1,
      avg_battery_level: 93.5,
      total_errors: 1,
      uptime_hours: 2,
    });
    expect(report.hourly_data[0]?.hour).toBe('2024-01-15T08:00:00Z');
    expect(report.user).toBe('ivan.petrov');
  });

  it('an empty list of dates is a valid report', () => {
    expect(assembleReportDates({ rows: [], user: 'ivan' })).toEqual({ reports: [], total: 0, user: 'ivan' });
  });
});

describe('helpers', () => {
  it('rounds half away from zero to two decimals', () => {
    expect(roundMeasure(1.005)).toBe(1.01);
    expect(roundMeasure(-1.005)).toBe(-1.01);
    expect(roundMeasure(12.5)).toBe(12.5);
    expect(roundMeasure(5e-324)).toBe(0);
    expect(roundMeasure(1e20)).toBe(1e20);
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (x) => {
        const r = roundMeasure(x);
        expect(Math.abs(r - x)).toBeLessThanOrEqual(0.005 + Math.abs(x) * 1e-15);
        expect(Math.round(r * 100) / 100).toBe(r);
      }),
    );
  });

  it('worstStatus orders critical > attention > healthy', () => {
    expect(worstStatus([])).toBe('healthy');
    expect(worstStatus(['attention', 'healthy'])).toBe('attention');
    expect(worstStatus(['attention', 'critical', 'healthy'])).toBe('critical');
  });
});
