import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DatasetOptions, generateDataset } from './generator.js';

/** SHA-256 of every table of a dataset, serialised in generation order. */
function datasetHash(options: DatasetOptions): string {
  const d = generateDataset(options);
  const hash = createHash('sha256');
  const table = (name: string, rows: Iterable<unknown>) => {
    hash.update(`#${name}\n`);
    for (const row of rows) hash.update(`${JSON.stringify(row)}\n`);
  };
  hash.update(JSON.stringify({ options: d.options, period: d.period }));
  table('users', d.users);
  table('prosthetics', d.prosthetics);
  table('subscriptions', d.subscriptions);
  table('payments', d.payments);
  table('support_tickets', d.supportTickets);
  table('telemetry_events', d.telemetryEvents());
  table('device_events', d.deviceEvents());
  table('battery_metrics', d.batteryMetrics());
  return hash.digest('hex');
}

// Pinned output: a change to the generator that alters any row (order, value or
// PRNG draw) changes these hashes. Update them only for a deliberate change of
// the generated data, never for a refactoring.
describe('generateDataset output is pinned', () => {
  it('gives the same rows, byte for byte, for seed 11 (2 months, 6 users)', () => {
    expect(
      datasetHash({
        seed: 11,
        users: 6,
        months: 2,
        start: '2024-01',
        eventsPerDay: 20,
        batterySamplesPerDay: 24,
      }),
    ).toBe('4ab4cc0be9c0cf4d3ea342afacfbd5f63cc646ebf1811b8624578e616aff33ec');
  });

  it('gives the same rows, byte for byte, for seed 4242 (Dec → Feb, 2.5 prostheses per user)', () => {
    expect(
      datasetHash({
        seed: 4242,
        users: 9,
        months: 3,
        start: '2023-12',
        prosthesesPerUser: 2.5,
        eventsPerDay: 30,
        deviceEventsPerDay: 12,
        batterySamplesPerDay: 48,
      }),
    ).toBe('3dd4e51eacc3cc09fc9431ab77efddc5a271105b9df1cda9721c6c5437a5afff');
  });
});
