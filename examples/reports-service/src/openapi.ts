import {
  DailyReport,
  IncomingTelemetryEvent,
  IncomingUser,
  ReportDates,
  ReportsOverview,
  TelemetryEvent,
  TelemetryReport,
  TelemetryReportRequest,
  toJsonSchema,
  User,
  UserMonthlyReport,
} from '@bionicpro/models';
import type { z } from 'zod';
import {
  dailyReportExample,
  healthExample,
  incomingTelemetryEventExample,
  incomingUserExample,
  ingestOutcomeExample,
  populateCsvExample,
  populateOutcomeExample,
  problemExamples,
  reportDatesExample,
  reportsOverviewExample,
  telemetryEventExample,
  telemetryReportExample,
  telemetryReportRequestExample,
  userExample,
  userMonthlyReportExample,
} from './openapi-examples.js';

type Schema = Record<string, unknown>;

function component(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { io });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema, example?: unknown) => ({
  'application/json': { schema, ...(example === undefined ? {} : { example }) },
});
const problem = (status: keyof typeof problemExamples, description: string) => ({
  description,
  content: json(ref('Problem'), problemExamples[status]),
});

const errors = {
  '400': problem(
    '400',
    'Invalid request: the first 100 problems are listed in `issues`, `issue_count` counts them all',
  ),
  '401': problem('401', 'No token, or the token is not valid for this realm (`WWW-Authenticate: Bearer`)'),
  '403': problem('403', 'The token may not read this resource'),
};

const userIdPath = {
  name: 'user_id',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
  example: 1,
  description: 'CRM user id (`users.id`): decimal digits, no sign or leading zeros',
};
const monthQuery = {
  name: 'month',
  in: 'query',
  required: true,
  schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' },
  example: '2024-01',
  description: 'UTC calendar month `YYYY-MM`',
};
const adminUserQuery = {
  name: 'user_id',
  in: 'query',
  required: false,
  schema: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
  description: 'Another user (admins only); default the caller',
};

const DESCRIPTION = `Per-user prosthesis reports behind Keycloak, and the CRM and telemetry ingestion APIs.
Every report is scoped to the token holder; the admin role reads any user.

**Authentication:** \`Authorization: Bearer <access token>\` of the configured realm and audience.

**What each request gets**

- \`400\` \`bad_request\` — invalid input; \`issues\` lists the first 100 problems (\`path\`, \`code\`, \`message\`), \`issue_count\` counts them all. Text holding U+0000 is refused here, naming the field. A malformed \`Host\` or request target is a 400 too.
- \`401\` — no token or an invalid one; \`403\` — another user's data (the same answer whether that user exists or not).
- \`404\` unknown path, \`405\` known path with another method (\`Allow\` lists the methods), \`501\` a method the service does not implement (\`TRACE\`, \`OPTIONS *\`).
- \`413\` — a body over the limit: 1 MiB for JSON, 8 MiB for a telemetry batch (up to 10,000 events), 64 MiB for a CSV.
- \`415\` — another media type than the endpoint reads.
- HTML pages (\`/docs\`, the report page and its error pages) send \`Content-Security-Policy\` with \`frame-ancestors 'none'\`, \`X-Content-Type-Options: nosniff\` and \`Referrer-Policy: no-referrer\`.`;

/**
 * The OpenAPI 3.1 document of the service. Request and response bodies are
 * the JSON Schemas of the `@bionicpro/models` zod models (the same schemas
 * that validate requests and assemble responses), so the document cannot
 * drift from the code.
 *
 * @example
 * ```ts
 * const doc = openApiDocument({ serverUrl: 'https://reports.bionicpro.example' });
 * doc.paths['/reports/user/{user_id}'].get.responses['200'];
 * ```
 */
export function openApiDocument(options: { readonly serverUrl?: string; readonly version?: string } = {}) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'BionicPRO reports service',
      version: options.version ?? '0.1.0',
      description: DESCRIPTION,
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths: { ...reportPaths(), ...crmPaths(), ...telemetryPaths(), ...operationsPaths() },
    components: {
      securitySchemes: { bearer: bearerScheme() },
      schemas: { ...modelSchemas(), ...outcomeSchemas(), Problem: problemSchema() },
    },
  };
}

/** The report endpoints: monthly, daily and EMG reports of one user. */
function reportPaths() {
  return {
    '/reports/user/{user_id}': {
      get: {
        operationId: 'getUserMonthlyReport',
        summary: 'Monthly report of a user: finance and devices',
        tags: ['reports'],
        parameters: [userIdPath, monthQuery],
        responses: {
          '200': {
            description: 'The report',
            content: json(ref('UserMonthlyReport'), userMonthlyReportExample),
          },
          ...errors,
        },
      },
    },
    '/reports/user/{user_id}/page': {
      get: {
        operationId: 'getUserReportPage',
        summary: 'The monthly report as an HTML page with SVG charts',
        tags: ['reports'],
        parameters: [userIdPath, { ...monthQuery, required: false }],
        responses: {
          '200': {
            description: 'HTML page; a month without data says so',
            content: { 'text/html': { schema: { type: 'string' } } },
          },
          '400': { description: 'An HTML page naming the bad parameter', content: { 'text/html': {} } },
          '401': { description: 'An HTML page explaining how to sign in', content: { 'text/html': {} } },
          '403': {
            description: 'An HTML page: this report belongs to another user',
            content: { 'text/html': {} },
          },
        },
      },
    },
    '/api/reports': {
      get: {
        operationId: 'listReportDates',
        summary: 'Dates with data for the caller, newest first, at most 30',
        tags: ['reports'],
        parameters: [adminUserQuery],
        responses: {
          '200': { description: 'Dates', content: json(ref('ReportDates'), reportDatesExample) },
          ...errors,
        },
      },
    },
    '/api/reports/summary': {
      get: {
        operationId: 'getReportsSummary',
        summary: "The caller's totals over every date with data",
        tags: ['reports'],
        parameters: [adminUserQuery],
        responses: {
          '200': { description: 'Summary', content: json(ref('ReportsOverview'), reportsOverviewExample) },
          ...errors,
        },
      },
    },
    '/api/reports/{date}': {
      get: {
        operationId: 'getDailyReport',
        summary: 'Hourly report of one date',
        tags: ['reports'],
        parameters: [
          {
            name: 'date',
            in: 'path',
            required: true,
            schema: { type: 'string', format: 'date' },
            example: '2024-01-15',
            description: 'UTC date `YYYY-MM-DD`',
          },
          adminUserQuery,
        ],
        responses: {
          '200': { description: 'The report', content: json(ref('DailyReport'), dailyReportExample) },
          ...errors,
        },
      },
    },
    '/report': {
      post: {
        operationId: 'postTelemetryReport',
        summary: 'EMG telemetry per prosthesis type in an optional window',
        tags: ['reports'],
        requestBody: {
          required: true,
          content: json(ref('TelemetryReportRequest'), telemetryReportRequestExample),
        },
        responses: {
          '200': {
            description: 'The report',
            content: json(ref('TelemetryReport'), telemetryReportExample),
          },
          '404': problem('404', 'The user has no CRM record'),
          '413': problem('413', 'Body over `MAX_BODY_BYTES`'),
          '415': problem('415', 'Not `application/json`'),
          ...errors,
        },
      },
    },
  };
}

/** The CRM ingestion endpoints for users. */
function crmPaths() {
  return {
    '/users': {
      post: {
        operationId: 'createUser',
        summary: 'Create a CRM user; id, user_uuid and registered_at are set by the server',
        tags: ['ingestion'],
        requestBody: { required: true, content: json(ref('IncomingUser'), incomingUserExample) },
        responses: {
          '201': { description: 'Created', content: json(ref('User'), userExample) },
          '409': problem('409', 'E-mail already registered'),
          '413': problem('413', 'Body over `MAX_BODY_BYTES`'),
          ...errors,
        },
      },
    },
    '/users/{id}': {
      get: {
        operationId: 'getUser',
        summary: 'A CRM user (the user themself, or the ingest/admin role)',
        tags: ['ingestion'],
        parameters: [{ ...userIdPath, name: 'id' }],
        responses: {
          '200': { description: 'The user', content: json(ref('User'), userExample) },
          '404': problem('404', 'No such user'),
          ...errors,
        },
      },
    },
  };
}

/** The telemetry ingestion endpoints, and the bulk CSV load of any table. */
function telemetryPaths() {
  return {
    '/telemetry/events': {
      post: {
        operationId: 'ingestTelemetryEvents',
        summary: 'Store a batch of EMG events; duplicates (by `event_uuid`) ignored',
        description:
          'An array of 1 to `MAX_BATCH_EVENTS` (10,000) events, or `{"events": [...]}`; the body may be up to `MAX_BATCH_BYTES` (8 MiB). ' +
          'An event without `event_uuid` gets a UUID v5 of its content (see the README), so re-sending the same batch stores nothing twice. ' +
          'A batch with any invalid event is refused whole.',
        tags: ['ingestion'],
        requestBody: {
          required: true,
          content: json(
            { type: 'array', items: ref('IncomingTelemetryEvent'), minItems: 1, maxItems: 10_000 },
            [incomingTelemetryEventExample],
          ),
        },
        responses: {
          '201': {
            description: 'At least one event stored',
            content: json(ref('IngestOutcome'), ingestOutcomeExample),
          },
          '200': {
            description: 'Every event was a duplicate',
            content: json(ref('IngestOutcome'), { ...ingestOutcomeExample, inserted: 0, duplicates: 2 }),
          },
          '413': problem('413', 'Body over `MAX_BATCH_BYTES`'),
          ...errors,
        },
      },
    },
    '/telemetry/events/{event_uuid}': {
      get: {
        operationId: 'getTelemetryEvent',
        summary: 'A stored EMG event',
        tags: ['ingestion'],
        parameters: [
          {
            name: 'event_uuid',
            in: 'path',
            required: true,
            schema: { type: 'string', format: 'uuid' },
            example: telemetryEventExample.event_uuid,
          },
        ],
        responses: {
          '200': { description: 'The event', content: json(ref('TelemetryEvent'), telemetryEventExample) },
          '404': problem('404', 'No such event'),
          ...errors,
        },
      },
    },
    '/populate_base': {
      post: {
        operationId: 'populateBase',
        summary:
          'Load a CSV dataset into one OLTP table; rows validated by the models, existing keys skipped',
        description:
          'A header of model columns, then data rows (up to `MAX_CSV_BYTES`, 64 MiB). Problems are named by line and column. ' +
          'For `telemetry_events` without an `event_uuid` column each row gets a UUID v5 of its content, so uploading the same file twice adds no rows.',
        tags: ['ingestion'],
        parameters: [
          {
            name: 'table',
            in: 'query',
            required: true,
            example: 'users',
            schema: {
              type: 'string',
              enum: [
                'users',
                'prosthetics',
                'subscriptions',
                'payments',
                'support_tickets',
                'telemetry_events',
                'device_events',
                'battery_metrics',
              ],
            },
          },
        ],
        requestBody: {
          required: true,
          content: { 'text/csv': { schema: { type: 'string' }, example: populateCsvExample } },
        },
        responses: {
          '200': { description: 'Loaded', content: json(ref('PopulateOutcome'), populateOutcomeExample) },
          '413': problem('413', 'Body over `MAX_CSV_BYTES`'),
          '415': problem('415', 'Not `text/csv`'),
          ...errors,
        },
      },
    },
  };
}

/** Health checks and metrics, open without a token. */
function operationsPaths() {
  return {
    '/health': {
      get: {
        operationId: 'health',
        summary: 'Status of the service and of each dependency',
        tags: ['health'],
        security: [],
        responses: {
          '200': { description: 'Healthy', content: json({ type: 'object' }, healthExample) },
          '503': {
            description: 'A dependency is down',
            content: json(
              { type: 'object' },
              {
                ...healthExample,
                status: 'degraded',
                checks: {
                  ...healthExample.checks,
                  clickhouse: { status: 'down', error: 'connect ECONNREFUSED' },
                },
              },
            ),
          },
        },
      },
    },
    '/health/live': {
      get: {
        operationId: 'liveness',
        summary: 'The process answers',
        tags: ['health'],
        security: [],
        responses: {
          '200': { description: 'Alive', content: json({ type: 'object' }, { status: 'alive' }) },
        },
      },
    },
    '/health/ready': {
      get: {
        operationId: 'readiness',
        summary: 'ClickHouse and PostgreSQL answer and the service is not draining',
        tags: ['health'],
        security: [],
        responses: {
          '200': {
            description: 'Ready',
            content: json({ type: 'object' }, { status: 'ready', checks: healthExample.checks }),
          },
          '503': {
            description: 'Not ready or draining',
            content: json({ type: 'object' }, { status: 'draining' }),
          },
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition; names in docs/metrics.md)',
        tags: ['health'],
        security: [],
        responses: { '200': { description: 'Prometheus text format 0.0.4' } },
      },
    },
  };
}

/** Keycloak access tokens. */
function bearerScheme() {
  return {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Keycloak access token (RS256/PS256/ES256) of the configured realm and audience',
  };
}

/** Bodies defined by the `@bionicpro/models` zod models. */
function modelSchemas() {
  return {
    UserMonthlyReport: component(UserMonthlyReport, 'output'),
    ReportDates: component(ReportDates, 'output'),
    ReportsOverview: component(ReportsOverview, 'output'),
    DailyReport: component(DailyReport, 'output'),
    TelemetryReportRequest: component(TelemetryReportRequest, 'input'),
    TelemetryReport: component(TelemetryReport, 'output'),
    IncomingUser: component(IncomingUser, 'input'),
    User: component(User, 'output'),
    IncomingTelemetryEvent: component(IncomingTelemetryEvent, 'input'),
    TelemetryEvent: component(TelemetryEvent, 'output'),
  };
}

/** Bodies of the ingestion answers. */
function outcomeSchemas() {
  return {
    IngestOutcome: {
      type: 'object',
      required: ['received', 'inserted', 'duplicates', 'events'],
      properties: {
        received: { type: 'integer' },
        inserted: { type: 'integer' },
        duplicates: { type: 'integer' },
        events: {
          type: 'array',
          items: {
            required: ['event_uuid', 'status'],
            type: 'object',
            properties: {
              event_uuid: { type: 'string', format: 'uuid' },
              status: { type: 'string', enum: ['inserted', 'duplicate'] },
            },
          },
        },
      },
    },
    PopulateOutcome: {
      type: 'object',
      required: ['table', 'rows', 'inserted', 'skipped'],
      properties: {
        table: { type: 'string' },
        rows: { type: 'integer' },
        inserted: { type: 'integer' },
        skipped: { type: 'integer' },
      },
    },
  };
}

/** The problem document of every error answer. */
function problemSchema() {
  return {
    type: 'object',
    required: ['error'],
    properties: {
      error: { type: 'string', description: 'bad_request, unauthorized, forbidden, not_found, …' },
      message: { type: 'string' },
      issue_count: {
        type: 'integer',
        description: 'Problems found; `issues` lists at most the first 100',
      },
      limit_bytes: { type: 'integer', description: '413: the limit that was exceeded' },
      issues: {
        type: 'array',
        items: {
          type: 'object',
          required: ['path', 'code', 'message'],
          properties: {
            path: {
              type: 'array',
              items: { type: ['string', 'integer'] },
              description: 'body/query/path/header, then the path inside it',
            },
            code: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
    },
  };
}

/** The document's type. */
export type OpenApiDocument = ReturnType<typeof openApiDocument>;
