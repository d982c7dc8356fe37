import { describe, expect, it } from 'vitest';
import { IncomingUser, Payment, Prosthetic, Subscription, SupportTicket, User } from './crm.js';
import { BatchValidationError, ModelValidationError } from './errors.js';
import { TelemetryReport, UserMonthlyReport } from './reports.js';
import {
  BatteryMetric,
  DeviceEvent,
  IncomingTelemetryEvent,
  TelemetryEvent,
  withEventUuid,
} from './telemetry.js';
import { createRowParser, safeParseRow } from './row-parser.js';
import { lenientModel, validateBatch, validateRow } from './validate.js';

const uuid = '6f1c2a4e-8b3d-4f5a-9c7e-1d2b3a4c5e6f';
const now = '2024-01-15T10:00:00Z';

const valid = {
  user: {
    id: 1,
    user_uuid: uuid.toUpperCase(),
    name: ' Ivan Petrov ',
    email: 'Ivan.Petrov@Example.ru',
    registered_at: now,
    updated_at: new Date(now),
  },
  prosthetic: {
    id: 1,
    user_id: 1,
    prosthetic_uuid: uuid,
    device_type: 'left_arm',
    serial_number: 'BP-1',
    chip_id: 'CHIP-1',
    model: 'BionicPRO X2',
    purchase_date: '2023-05-01',
    warranty_end_date: '2025-05-01',
    is_active: true,
    created_at: now,
    updated_at: now,
  },
  subscription: {
    id: 1,
    user_id: 1,
    subscription_type: 'basic',
    start_date: '2024-01-01',
    end_date: null,
    is_active: true,
    monthly_cost: '2999.00',
    created_at: now,
    updated_at: now,
  },
  payment: {
    id: 1,
    user_id: 1,
    subscription_id: 1,
    payment_date: now,
    amount: '2999',
    payment_method: 'card',
    status: 'failed',
    description: 'basic',
    created_at: now,
  },
  ticket: {
    id: 1,
    user_id: 1,
    title: 'Grip weakens',
    description: '',
    status: 'open',
    created_at: now,
    updated_at: now,
  },
  telemetry: {
    id: '9007199254740991',
    event_uuid: uuid,
    user_id: 1,
    prosthesis_type: 'hand',
    muscle_group: 'flexor',
    signal_frequency: 180,
    signal_duration: 3000,
    signal_amplitude: 2.4,
    event_timestamp: '2024-01-15T08:00:00.123456Z',
    saved_ts: now,
  },
  device: {
    id: 5,
    prosthetic_id: 1,
    event_type: 'power_on',
    event_timestamp: now,
    event_value: 'battery_85%',
    severity: 'info',
    created_at: now,
  },
  battery: {
    id: 5,
    prosthetic_id: 1,
    metric_timestamp: now,
    charge_level: 85,
    current_ma: -420.5,
    is_charging: false,
    created_at: now,
  },
};

describe('CRM models', () => {
  it('normalises a stored user: UUID lower-cased, email lower-cased, name trimmed, optional fields null', () => {
    const user = User.parse(valid.user);
    expect(user.user_uuid).toBe(uuid);
    expect(user.email).toBe('ivan.petrov@example.ru');
    expect(user.name).toBe('Ivan Petrov');
    expect(user.age).toBeNull();
    expect(user.registered_at.toISOString()).toBe('2024-01-15T10:00:00.000Z');
  });

  it('IncomingUser refuses server-set fields instead of accepting them', () => {
    const result = IncomingUser.safeParse({
      name: 'Anna',
      email: 'anna@example.ru',
      registered_at: now,
      id: 5,
    });
    expect(result.success).toBe(false);
    try {
      validateRow(IncomingUser, { name: 'Anna', email: 'anna@example.ru', registered_at: now });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ModelValidationError);
      expect((error as ModelValidationError).issues).toEqual([
        { path: ['registered_at'], code: 'unrecognized_key', message: 'is not accepted in this model' },
      ]);
    }
  });

  it('every User is an IncomingUser plus server fields', () => {
    const user = User.parse(valid.user);
    const { id, user_uuid, registered_at, updated_at, ...profile } = user;
    expect(IncomingUser.parse(profile)).toEqual(profile);
  });

  it('accepts each entity in its valid form', () => {
    expect(Prosthetic.parse(valid.prosthetic).device_type).toBe('left_arm');
    expect(Subscription.parse(valid.subscription).end_date).toBeNull();
    expect(Payment.parse(valid.payment).amount).toBe('2999.00');
    expect(SupportTicket.parse(valid.ticket).resolved_at).toBeNull();
    expect(DeviceEvent.parse(valid.device).response_time_ms).toBeNull();
    expect(BatteryMetric.parse(valid.battery).current_ma).toBe(-420.5);
    expect(TelemetryEvent.parse(valid.telemetry).id).toBe('9007199254740991');
  });

  it.each([
    ['a float amount', Payment, { ...valid.payment, amount: 2999.0 }, 'amount', 'invalid_money'],
    ['three decimals', Payment, { ...valid.payment, amount: '1.005' }, 'amount', 'invalid_money'],
    [
      'beyond numeric(10,2)',
      Payment,
      { ...valid.payment, amount: '123456789.00' },
      'amount',
      'invalid_money',
    ],
    [
      'an unknown payment status',
      Payment,
      { ...valid.payment, status: 'refunded' },
      'status',
      'invalid_value',
    ],
    [
      'an unknown device type',
      Prosthetic,
      { ...valid.prosthetic, device_type: 'tail' },
      'device_type',
      'invalid_value',
    ],
    [
      'an impossible date',
      Subscription,
      { ...valid.subscription, start_date: '2024-02-30' },
      'start_date',
      'invalid_date',
    ],
    [
      'a non-UTC-parsable timestamp',
      Payment,
      { ...valid.payment, payment_date: '15.01.2024' },
      'payment_date',
      'invalid_timestamp',
    ],
    [
      'an id beyond 2^63-1',
      TelemetryEvent,
      { ...valid.telemetry, id: '9223372036854775808' },
      'id',
      'invalid_id',
    ],
    ['an id in exponent form', TelemetryEvent, { ...valid.telemetry, id: '1e3' }, 'id', 'invalid_id'],
    [
      'a bad UUID',
      TelemetryEvent,
      { ...valid.telemetry, event_uuid: 'not-a-uuid' },
      'event_uuid',
      'invalid_format',
    ],
    [
      'a charge level above 100',
      BatteryMetric,
      { ...valid.battery, charge_level: 101 },
      'charge_level',
      'too_big',
    ],
    [
      'a negative duration',
      TelemetryEvent,
      { ...valid.telemetry, signal_duration: -1 },
      'signal_duration',
      'too_small',
    ],
    ['an empty title', SupportTicket, { ...valid.ticket, title: '  ' }, 'title', 'too_small'],
  ])('rejects %s, naming the field', (_name, schema, value, field, code) => {
    try {
      validateRow(schema, value);
      expect.unreachable();
    } catch (error) {
      const issues = (error as ModelValidationError).issues;
      expect(issues).toHaveLength(1);
      expect(issues[0]?.path).toEqual([field]);
      expect(issues[0]?.code).toBe(code);
      expect((error as Error).message).toContain(field);
    }
  });

  it('accepts bigint ids as numbers, bigints or decimal strings and returns exact decimal text', () => {
    expect(TelemetryEvent.parse({ ...valid.telemetry, id: 42n }).id).toBe('42');
    expect(TelemetryEvent.parse({ ...valid.telemetry, id: 42 }).id).toBe('42');
    expect(TelemetryEvent.parse({ ...valid.telemetry, id: '42' }).id).toBe('42');
    expect(TelemetryEvent.parse({ ...valid.telemetry, id: 9007199254740993n }).id).toBe('9007199254740993');
    expect(() => validateRow(TelemetryEvent, { ...valid.telemetry, id: 2 ** 53 })).toThrow(
      /id: expected an id from 1 to 9223372036854775807; a JS number beyond 2\^53-1/,
    );
  });

  it.each([
    ['9223372036854775807', '9223372036854775807'],
    ['9007199254740993', '9007199254740993'],
    [9223372036854775807n, '9223372036854775807'],
  ])('keeps the bigint id %s exact through validateRow and validateBatch', (id, text) => {
    expect(validateRow(TelemetryEvent, { ...valid.telemetry, id }).id).toBe(text);
    const batch = validateBatch(TelemetryEvent, [
      { ...valid.telemetry, id },
      { ...valid.telemetry, id: '0' },
    ]);
    expect(batch.valid.map((row) => row.id)).toEqual([text]);
    expect(batch.rejected.map((row) => [row.index, row.issues[0]?.code])).toEqual([[1, 'invalid_id']]);
  });

  it('reports a missing field as required', () => {
    const { amount, ...rest } = valid.payment;
    expect(() => validateRow(Payment, rest, { model: 'payments' })).toThrow('payments: amount: is required');
  });
});

describe('telemetry models', () => {
  it('generates event_uuid only when the client sent none', () => {
    const { id, event_uuid, saved_ts, ...incoming } = valid.telemetry;
    const parsed = IncomingTelemetryEvent.parse(incoming);
    expect(parsed.event_uuid).toBeUndefined();
    expect(withEventUuid(parsed, () => uuid).event_uuid).toBe(uuid);
    const kept = IncomingTelemetryEvent.parse({ ...incoming, event_uuid: valid.telemetry.event_uuid });
    expect(withEventUuid(kept, () => 'other').event_uuid).toBe(uuid);
  });

  it('lenient readers accept a device event type from newer firmware; strict ones do not', () => {
    const event = { ...valid.device, event_type: 'self_test' };
    expect(DeviceEvent.safeParse(event).success).toBe(false);
    expect(lenientModel(DeviceEvent).parse(event).event_type).toBe('self_test');
    expect(lenientModel(DeviceEvent).safeParse({ ...event, severity: 42 }).success).toBe(false);
  });
});

describe('batch validation', () => {
  it('reports every bad row with its index and keeps the good ones', () => {
    const rows = [
      valid.payment,
      { ...valid.payment, amount: 1.5 },
      valid.payment,
      { ...valid.payment, status: 'x', user_id: 0 },
    ];
    const result = validateBatch(Payment, rows);
    expect(result.valid).toHaveLength(2);
    expect(result.validIndexes).toEqual([0, 2]);
    expect(result.rejected.map((r) => r.index)).toEqual([1, 3]);
    expect(result.rejected[1]?.issues.map((i) => i.path[0]).sort()).toEqual(['status', 'user_id']);
    const error = new BatchValidationError(result.rejected, { model: 'payments' });
    expect(error.message).toMatch(/2 invalid payments row/);
    expect(error.code).toBe('batch_validation');
  });
});

describe('report DTOs', () => {
  it('accepts the worked example of docs/kpis.md report', () => {
    const report = UserMonthlyReport.parse({
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
    expect(report.financial.total_payments).toBe('8997.00');
  });

  it('refuses a telemetry report whose totals are not the sums of its rows', () => {
    const report = {
      user_name: 'Ivan',
      user_email: 'ivan@example.ru',
      total_events: 3,
      total_duration: 10,
      prosthesis_stats: [
        {
          prosthesis_type: 'hand',
          events_count: 2,
          total_duration: 10,
          avg_amplitude: 1,
          avg_frequency: 100,
        },
      ],
    };
    const result = TelemetryReport.safeParse(report);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['total_events']);
  });
});

describe('text fields refuse U+0000 (PostgreSQL text cannot store it)', () => {
  it.each([
    ['a Text column', SupportTicket, { ...valid.ticket, description: 'a\u0000b' }, 'description'],
    ['a RequiredText column', SupportTicket, { ...valid.ticket, title: 'Grip\u0000' }, 'title'],
    ['an optional Text column', Payment, { ...valid.payment, description: '\u0000' }, 'description'],
    ['an Email column', User, { ...valid.user, email: 'ivan\u0000@example.ru' }, 'email'],
    [
      'a telemetry RequiredText column',
      TelemetryEvent,
      { ...valid.telemetry, muscle_group: '\u0000' },
      'muscle_group',
    ],
    ['an incoming user', IncomingUser, { name: 'Ivan\u0000', email: 'ivan@example.ru' }, 'name'],
    [
      'an incoming telemetry event',
      IncomingTelemetryEvent,
      (({ id: _id, saved_ts: _saved, ...rest }) => ({ ...rest, muscle_group: 'flexor\u0000' }))(
        valid.telemetry,
      ),
      'muscle_group',
    ],
  ])('in %s, with the code invalid_text naming the field', (_name, schema, value, field) => {
    for (const run of [
      () => validateRow(schema, value),
      () => createRowParser(schema)(value),
      () => {
        const { rejected } = validateBatch(schema, [value]);
        throw new ModelValidationError(rejected[0]?.issues ?? []);
      },
    ]) {
      try {
        run();
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ModelValidationError);
        const issues = (error as ModelValidationError).issues;
        expect(issues).toEqual([
          { path: [field], code: 'invalid_text', message: expect.stringMatching(/U\+0000.*PostgreSQL/) },
        ]);
      }
    }
    expect(safeParseRow(schema, value).success).toBe(false);
  });

  it('keeps other control characters, which PostgreSQL stores', () => {
    expect(validateRow(SupportTicket, { ...valid.ticket, description: 'tab\there\u0001' }).description).toBe(
      'tab\there\u0001',
    );
  });
});
