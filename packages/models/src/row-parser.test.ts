import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { IncomingUser, Payment, Prosthetic, Subscription, SupportTicket, User } from './crm.js';
import { ModelValidationError } from './errors.js';
import { ProstheticMonthlyMetrics, UserMonthlyMetrics, UserProsthesisHourlyStats } from './marts.js';
import { codeGenerationCounts } from './generated-function.js';
import { modelRuleOf } from './model-checker.js';
import { compileObjectParser, createRowParser, ROW_REFUSED, safeParseRow } from './row-parser.js';
import { BatteryMetric, DeviceEvent, IncomingTelemetryEvent, TelemetryEvent } from './telemetry.js';
import { generateDataset } from './testing/generator.js';

// Values that exercise every scalar's edges: valid and invalid money, ids,
// timestamps, dates, UUIDs, enums, and wrong types.
const anyValue = fc.oneof(
  fc.constantFrom(
    undefined,
    null,
    '',
    ' ',
    'x',
    0,
    -1,
    1,
    1.5,
    2 ** 31,
    2 ** 53,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    false,
    '2999.00',
    '12.345',
    '100000000.00',
    299900n,
    42n,
    9007199254740993n,
    '42',
    '9007199254740993',
    '2024-01-15T08:00:00Z',
    '2024-02-30T00:00:00Z',
    '2024-01-15 08:00:00.123456',
    '2024-01-15',
    '15.01.2024',
    new Date('2024-01-15T08:00:00Z'),
    new Date(Number.NaN),
    '6F1C2A4E-8B3D-4F5A-9C7E-1D2B3A4C5E6F',
    '6f1c2a4e-8b3d-0f5a-9c7e-1d2b3a4c5e6f',
    'hand',
    'left_arm',
    'success',
    'basic',
    'power_on',
    'critical',
    'card',
    'open',
    'good',
    'healthy',
    'a@example.ru',
    {},
    [],
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
);

const models: [string, z.ZodObject][] = [
  ['IncomingUser', IncomingUser],
  ['User', User],
  ['Prosthetic', Prosthetic],
  ['Subscription', Subscription],
  ['Payment', Payment],
  ['SupportTicket', SupportTicket],
  ['IncomingTelemetryEvent', IncomingTelemetryEvent],
  ['TelemetryEvent', TelemetryEvent],
  ['DeviceEvent', DeviceEvent],
  ['BatteryMetric', BatteryMetric],
  ['UserMonthlyMetrics', UserMonthlyMetrics],
  ['ProstheticMonthlyMetrics', ProstheticMonthlyMetrics],
  ['UserProsthesisHourlyStats', UserProsthesisHourlyStats],
];

const data = generateDataset({ seed: 7, users: 3, eventsPerDay: 3, batterySamplesPerDay: 4 });
const samples: Record<string, unknown> = {
  User: data.users[0],
  Prosthetic: data.prosthetics[0],
  Subscription: data.subscriptions[0],
  Payment: data.payments[0],
  TelemetryEvent: data.telemetryEvents()[Symbol.iterator]().next().value,
  DeviceEvent: data.deviceEvents()[Symbol.iterator]().next().value,
  BatteryMetric: data.batteryMetrics()[Symbol.iterator]().next().value,
};

/** Rows of a model's fields (and one it does not have) with any values, from scratch or over its sample. */
function mutatedRow(name: string, schema: z.ZodObject): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(schema.shape);
  const base = (samples[name] ?? {}) as Record<string, unknown>;
  return fc
    .tuple(
      fc.dictionary(fc.constantFrom(...keys, 'unexpected_field'), anyValue, { maxKeys: keys.length + 1 }),
      fc.boolean(),
    )
    .map(([patch, fromSample]) => (fromSample ? { ...base, ...patch } : patch));
}

describe('fast row parser', () => {
  it.each(models)('%s: agrees with zod on mutated rows (never accepts what zod rejects)', (name, schema) => {
    fc.assert(
      fc.property(mutatedRow(name, schema), (row) => {
        const fast = safeParseRow(schema, row);
        const reference = schema.safeParse(row);
        expect(fast.success).toBe(reference.success);
        if (fast.success && reference.success) expect(fast.data).toEqual(reference.data);
      }),
      { numRuns: 300 },
    );
  });

  it.each(models.filter(([name]) => name in samples))(
    '%s: agrees with zod when exactly one field of a valid row changes',
    (name, schema) => {
      const keys = Object.keys(schema.shape);
      const base = samples[name] as Record<string, unknown>;
      fc.assert(
        fc.property(
          fc.constantFrom(...keys, 'unexpected_field'),
          anyValue,
          fc.boolean(),
          (key, value, remove) => {
            const row = { ...base, [key]: value };
            if (remove) delete row[key];
            const fast = safeParseRow(schema, row);
            const reference = schema.safeParse(row);
            expect(fast.success).toBe(reference.success);
            if (fast.success && reference.success) expect(fast.data).toEqual(reference.data);
          },
        ),
        { numRuns: 1000 },
      );
    },
  );

  it('accepts every generated row exactly as zod does', () => {
    for (const [name, rows, schema] of [
      ['TelemetryEvent', [...data.telemetryEvents()], TelemetryEvent],
      ['DeviceEvent', [...data.deviceEvents()], DeviceEvent],
      ['BatteryMetric', [...data.batteryMetrics()], BatteryMetric],
    ] as const) {
      for (const row of rows) {
        const fast = safeParseRow(schema, row);
        expect(fast.success, name).toBe(true);
        expect(fast.success && fast.data).toEqual(schema.parse(row));
      }
    }
  });

  it('createRowParser throws a ModelValidationError naming the model and field', () => {
    const parse = createRowParser(Payment, 'payments');
    expect(() => parse({ ...data.payments[0], amount: 0.5 })).toThrow(ModelValidationError);
    expect(() => parse({ ...data.payments[0], amount: 0.5 })).toThrow(/payments: amount/);
  });
});

describe('row parser without generated code', () => {
  const before = codeGenerationCounts();
  const parsers = models.map(([name, schema]) => {
    const rule = modelRuleOf(schema)!;
    return {
      name,
      schema,
      generated: compileObjectParser(rule, false),
      loop: compileObjectParser(rule, true),
    };
  });
  const after = codeGenerationCounts();

  it('is what a jitless compile returns, and the fallback is counted', () => {
    expect(after.generated - before.generated).toBe(models.length);
    expect(after.jitless - before.jitless).toBe(models.length);
    expect(after.fallbacks - before.fallbacks).toBe(models.length);
  });

  it.each(parsers.map((p) => [p.name, p] as const))(
    '%s: returns what the generated parser returns, on mutated rows and valid ones',
    (name, { schema, generated, loop }) => {
      fc.assert(
        fc.property(mutatedRow(name, schema), (row) => {
          const fast = generated(row);
          const slow = loop(row);
          if (fast === ROW_REFUSED || slow === ROW_REFUSED) expect(slow).toBe(fast);
          else expect(slow).toStrictEqual(fast);
        }),
        { numRuns: 300 },
      );
    },
  );

  const telemetry = samples['TelemetryEvent'] as Record<string, unknown>;
  const { id: _id, saved_ts: _saved, ...incoming } = telemetry;
  const validRows: Record<string, unknown> = { ...samples, IncomingTelemetryEvent: incoming };
  // Besides anyValue: text with spaces around it (trimmed by RequiredText), absent optional fields.
  const changed = fc.oneof(anyValue, fc.constantFrom(undefined, ' flexor ', '\tgrip\n', '   ', 'a\u0000b'));

  it.each(parsers.filter((p) => p.name in validRows).map((p) => [p.name, p] as const))(
    '%s: returns what the generated parser returns when one field of a valid row changes',
    (name, { schema, generated, loop }) => {
      const base = validRows[name] as Record<string, unknown>;
      expect(generated(base)).not.toBe(ROW_REFUSED);
      fc.assert(
        fc.property(
          fc.constantFrom(...Object.keys(schema.shape), 'unexpected_field'),
          changed,
          fc.boolean(),
          (key, value, remove) => {
            const row = { ...base, [key]: value };
            if (remove) delete row[key];
            const fast = generated(row);
            const slow = loop(row);
            if (fast === ROW_REFUSED || slow === ROW_REFUSED) expect(slow).toBe(fast);
            else expect(slow).toStrictEqual(fast);
          },
        ),
        { numRuns: 1000 },
      );
    },
  );

  it('accepts every generated dataset row as the generated parser does', () => {
    for (const [rows, schema] of [
      [[...data.telemetryEvents()], TelemetryEvent],
      [[...data.deviceEvents()], DeviceEvent],
      [[...data.batteryMetrics()], BatteryMetric],
      [data.payments, Payment],
      [data.users, User],
    ] as const) {
      const { generated, loop } = parsers.find((p) => p.schema === schema)!;
      for (const row of rows) {
        const parsed = generated(row);
        expect(parsed).not.toBe(ROW_REFUSED);
        expect(loop(row)).toStrictEqual(parsed);
      }
    }
  });
});
