/**
 * Example values of the OpenAPI document, one per request and response body.
 * `openapi.test.ts` validates each with the model the route uses, so an
 * example cannot drift from what the service accepts and answers.
 */

export const userMonthlyReportExample = {
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
      device_type: 'right_arm',
      usage_hours: 165.5,
      power_on_count: 31,
      battery_health: 'good',
      downtime_minutes: 12.5,
      errors: 2,
    },
  ],
  status: 'attention',
};

export const reportDatesExample = {
  reports: [{ date: '2024-01-31' }, { date: '2024-01-30' }],
  total: 2,
  user: 'ivan.petrov',
};

const summary = {
  total_movements: 1840,
  avg_response_time_ms: 41.2,
  avg_battery_level: 63.5,
  total_errors: 3,
  uptime_hours: 14,
};

export const reportsOverviewExample = {
  user: 'ivan.petrov',
  first_date: '2024-01-01',
  last_date: '2024-01-31',
  days_with_data: 31,
  summary,
};

export const dailyReportExample = {
  date: '2024-01-15',
  user: 'ivan.petrov',
  prosthesis_model: 'BionicPRO Hand 2',
  summary,
  hourly_data: [
    { hour: '08:00', movements_count: 120, avg_response_time: 40.5, battery_level: 88, error_count: 0 },
    { hour: '09:00', movements_count: 95, avg_response_time: null, battery_level: 84.5, error_count: 1 },
  ],
};

export const telemetryReportRequestExample = {
  user_id: 1,
  start_ts: '2024-01-01T00:00:00Z',
  end_ts: '2024-01-31T23:59:59Z',
};

export const telemetryReportExample = {
  user_name: 'Ivan Petrov',
  user_email: 'ivan.petrov@example.ru',
  total_events: 930,
  total_duration: 2_325_000,
  prosthesis_stats: [
    {
      prosthesis_type: 'hand',
      events_count: 930,
      total_duration: 2_325_000,
      avg_amplitude: 2.41,
      avg_frequency: 182.3,
    },
  ],
};

export const incomingUserExample = {
  name: 'Ivan Petrov',
  email: 'ivan.petrov@example.ru',
  age: 45,
  gender: 'male',
  country: 'RU',
  address: 'Moscow, Tverskaya 1',
  phone: '+7 900 000-00-01',
  ldap_username: 'ivan.petrov',
};

export const userExample = {
  id: 1,
  user_uuid: '5f0c3a52-7f3e-4a53-9d59-3e8b6c1c2f10',
  ...incomingUserExample,
  registered_at: '2024-01-05T10:00:00.000Z',
  updated_at: '2024-01-05T10:00:00.000Z',
};

export const incomingTelemetryEventExample = {
  user_id: 1,
  prosthetic_id: 1,
  prosthesis_type: 'hand',
  muscle_group: 'flexor',
  signal_frequency: 180,
  signal_duration: 2500,
  signal_amplitude: 2.4,
  event_timestamp: '2024-01-15T08:00:00Z',
};

export const telemetryEventExample = {
  /** A 64-bit id: decimal text in JSON. */
  id: '1',
  event_uuid: '6b0f2b4c-1f7e-4d3a-9a55-2f1f4b1c9e01',
  ...incomingTelemetryEventExample,
  event_timestamp: '2024-01-15T08:00:00.000Z',
  saved_ts: '2024-01-15T08:00:01.250Z',
};

export const ingestOutcomeExample = {
  received: 2,
  inserted: 1,
  duplicates: 1,
  events: [
    { event_uuid: '6b0f2b4c-1f7e-4d3a-9a55-2f1f4b1c9e01', status: 'inserted' },
    { event_uuid: '0e3d2c8a-5b1f-5c47-8f2e-9a4b6d1c3e22', status: 'duplicate' },
  ],
};

export const populateCsvExample =
  'name,email,age,country,registered_at\nOleg Sidorov,oleg.sidorov@example.ru,33,RU,2023-05-01T10:00:00Z\n';

export const populateOutcomeExample = { table: 'users', rows: 1, inserted: 1, skipped: 0 };

export const problemExamples = {
  '400': {
    error: 'bad_request',
    message: 'the request is invalid',
    issues: [{ path: ['query', 'month'], code: 'invalid_format', message: 'expected a month YYYY-MM' }],
    issue_count: 1,
  },
  '401': { error: 'unauthorized' },
  '403': { error: 'forbidden', message: 'not allowed to read this report' },
  '404': { error: 'not_found' },
  '409': { error: 'conflict', message: 'a user with this email already exists' },
  '413': {
    error: 'payload_too_large',
    message: 'request body exceeds 1048576 bytes',
    limit_bytes: 1_048_576,
  },
  '415': {
    error: 'unsupported_media_type',
    message: 'expected content-type application/json, got text/plain',
  },
} as const;

export const healthExample = {
  status: 'ok',
  version: '0.1.0',
  uptime_s: 3600,
  checks: {
    clickhouse: { status: 'up', latency_ms: 1.8 },
    crm_db: { status: 'up', latency_ms: 0.6 },
    telemetry_db: { status: 'up', latency_ms: 0.5 },
  },
};
