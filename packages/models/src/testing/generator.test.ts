import { describe, expect, it } from 'vitest';
import { Payment, Prosthetic, Subscription, SupportTicket, User } from '../crm.js';
import { BatteryMetric, DeviceEvent, TelemetryEvent } from '../telemetry.js';
import { validateBatch } from '../validate.js';
import { generateDataset } from './generator.js';

const options = {
  seed: 11,
  users: 6,
  months: 2,
  start: '2024-01',
  eventsPerDay: 20,
  batterySamplesPerDay: 24,
};

describe('generateDataset', () => {
  it('is deterministic: the same seed gives the same rows, another seed other rows', () => {
    const a = generateDataset(options);
    const b = generateDataset(options);
    expect(b.users).toEqual(a.users);
    expect(b.payments).toEqual(a.payments);
    expect([...b.telemetryEvents()]).toEqual([...a.telemetryEvents()]);
    expect([...b.deviceEvents()]).toEqual([...a.deviceEvents()]);
    const c = generateDataset({ ...options, seed: 12 });
    expect(c.users.map((u) => u.user_uuid)).not.toEqual(a.users.map((u) => u.user_uuid));
  });

  it('produces rows that every model accepts', () => {
    const d = generateDataset(options);
    const checks = [
      validateBatch(User, d.users),
      validateBatch(Prosthetic, d.prosthetics),
      validateBatch(Subscription, d.subscriptions),
      validateBatch(Payment, d.payments),
      validateBatch(SupportTicket, d.supportTickets),
      validateBatch(TelemetryEvent, [...d.telemetryEvents()]),
      validateBatch(DeviceEvent, [...d.deviceEvents()]),
      validateBatch(BatteryMetric, [...d.batteryMetrics()]),
    ];
    for (const check of checks) expect(check.rejected).toEqual([]);
  });

  it('is internally consistent: keys resolve, ids are unique, streams are in time order per prosthesis', () => {
    const d = generateDataset(options);
    const userIds = new Set(d.users.map((u) => u.id));
    const prostheticIds = new Set(d.prosthetics.map((p) => p.id));
    expect(d.prosthetics.every((p) => userIds.has(p.user_id))).toBe(true);
    expect(d.payments.every((p) => userIds.has(p.user_id))).toBe(true);
    for (const stream of [d.deviceEvents(), d.batteryMetrics()]) {
      const ids = new Set<string>();
      let last = new Map<number, number>();
      for (const row of stream) {
        expect(prostheticIds.has(row.prosthetic_id)).toBe(true);
        expect(ids.has(row.id)).toBe(false);
        ids.add(row.id);
        const at = 'metric_timestamp' in row ? row.metric_timestamp.getTime() : row.event_timestamp.getTime();
        expect(at).toBeGreaterThanOrEqual(last.get(row.prosthetic_id) ?? 0);
        expect(at).toBeGreaterThanOrEqual(d.period.start.getTime());
        expect(at).toBeLessThan(d.period.end.getTime());
        last.set(row.prosthetic_id, at);
      }
      last = new Map();
    }
    const uuids = new Set<string>();
    for (const event of d.telemetryEvents()) {
      expect(uuids.has(event.event_uuid)).toBe(false);
      uuids.add(event.event_uuid);
      const owner = d.prosthetics.find((p) => p.id === event.prosthetic_id);
      expect(owner?.user_id).toBe(event.user_id);
    }
  });

  it('models realistic behaviour: sessions, faults with recovery, charge cycles, failed payments', () => {
    const d = generateDataset({ ...options, users: 20 });
    const types = new Map<string, number>();
    for (const event of d.deviceEvents())
      types.set(
        `${event.event_type}/${event.severity}`,
        (types.get(`${event.event_type}/${event.severity}`) ?? 0) + 1,
      );
    expect(types.get('power_on/info')).toBeGreaterThan(100);
    expect(types.get('power_off/info')).toBeGreaterThan(100);
    expect(types.get('warning/warning')).toBeGreaterThan(0);
    expect(types.get('error/error')).toBeGreaterThan(0);
    expect(types.get('charging_started/info')).toBeGreaterThan(0);
    const levels = [...d.batteryMetrics()].filter((m) => m.prosthetic_id === 1).map((m) => m.charge_level);
    expect(Math.min(...levels)).toBeLessThan(50);
    expect(Math.max(...levels)).toBeGreaterThan(95);
    expect(d.payments.some((p) => p.status === 'failed')).toBe(true);
    expect(d.subscriptions.some((s) => s.end_date !== null)).toBe(true);
  });

  it('rejects impossible scales', () => {
    expect(() => generateDataset({ seed: 1, users: -1 })).toThrow(RangeError);
    expect(() => generateDataset({ seed: 1, users: 1, months: 0 })).toThrow(RangeError);
  });
});
