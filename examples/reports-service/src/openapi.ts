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

type Schema = Record<string, unknown>;

function component(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { io });
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });
const problem = (description: string) => ({ description, content: json(ref('Problem')) });

const errors = {
  '400': problem('Invalid request: every problem is listed in `issues`'),
  '401': problem('No token, or the token is not valid for this realm'),
  '403': problem('The token may not read this resource'),
};

const userIdPath = {
  name: 'user_id',
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1 },
  description: 'CRM user id (`users.id`)',
};
const monthQuery = {
  name: 'month',
  in: 'query',
  required: true,
  schema: { type: 'string', pattern: '^\\d{4}-(0[1-9]|1[0-2])$' },
  description: 'UTC calendar month YYYY-MM',
};
const adminUserQuery = {
  name: 'user_id',
  in: 'query',
  required: false,
  schema: { type: 'integer', minimum: 1 },
  description: 'Another user (admins only); default the caller',
};

/**
 * The OpenAPI 3.1 document of the service. Request and response bodies are
 * the JSON Schemas of the `@bionicpro/models` zod models (the same schemas
 * that validate requests and assemble responses), so the document cannot
 * drift from the code.
 *
 * @example
 * ```ts
 * const doc = openApiDocument({ serverUrl: 'http://127.0.0.1:8080' });
 * doc.paths['/reports/user/{user_id}'].get.responses['200'];
 * ```
 */
export function openApiDocument(options: { readonly serverUrl?: string; readonly version?: string } = {}) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'BionicPRO reports service',
      version: options.version ?? '0.1.0',
      description:
        'Per-user prosthesis reports (SPEC §4) behind Keycloak, and the CRM and telemetry ingestion APIs (seed 000). Every report is scoped to the token holder; an admin role reads any user.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ bearer: [] }],
    paths: {
      '/reports/user/{user_id}': {
        get: {
          operationId: 'getUserMonthlyReport',
          summary: 'Monthly report of a user: finance and devices (seed 002)',
          tags: ['reports'],
          parameters: [userIdPath, monthQuery],
          responses: {
            '200': { description: 'The report', content: json(ref('UserMonthlyReport')) },
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
          responses: { '200': { description: 'HTML page', content: { 'text/html': {} } }, ...errors },
        },
      },
      '/api/reports': {
        get: {
          operationId: 'listReportDates',
          summary: 'Dates with data for the caller, newest first, at most 30 (seed 003)',
          tags: ['reports'],
          parameters: [adminUserQuery],
          responses: { '200': { description: 'Dates', content: json(ref('ReportDates')) }, ...errors },
        },
      },
      '/api/reports/summary': {
        get: {
          operationId: 'getReportsSummary',
          summary: "The caller's totals over every date with data (seed 003)",
          tags: ['reports'],
          parameters: [adminUserQuery],
          responses: { '200': { description: 'Summary', content: json(ref('ReportsOverview')) }, ...errors },
        },
      },
      '/api/reports/{date}': {
        get: {
          operationId: 'getDailyReport',
          summary: 'Hourly report of one date (seed 003)',
          tags: ['reports'],
          parameters: [
            { name: 'date', in: 'path', required: true, schema: { type: 'string', format: 'date' } },
            adminUserQuery,
          ],
          responses: { '200': { description: 'The report', content: json(ref('DailyReport')) }, ...errors },
        },
      },
      '/report': {
        post: {
          operationId: 'postTelemetryReport',
          summary: 'EMG telemetry per prosthesis type in an optional window (seed 004)',
          tags: ['reports'],
          requestBody: { required: true, content: json(ref('TelemetryReportRequest')) },
          responses: {
            '200': { description: 'The report', content: json(ref('TelemetryReport')) },
            '404': problem('The user has no CRM record'),
            '413': problem('Body too large'),
            ...errors,
          },
        },
      },
      '/users': {
        post: {
          operationId: 'createUser',
          summary: 'Create a CRM user; id, user_uuid and registered_at are set by the server (seed 000)',
          tags: ['ingestion'],
          requestBody: { required: true, content: json(ref('IncomingUser')) },
          responses: {
            '201': { description: 'Created', content: json(ref('User')) },
            '409': problem('E-mail already registered'),
            ...errors,
          },
        },
      },
      '/users/{id}': {
        get: {
          operationId: 'getUser',
          summary: 'A CRM user (the user themself, or the ingest/admin role)',
          tags: ['ingestion'],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
          responses: {
            '200': { description: 'The user', content: json(ref('User')) },
            '404': problem('No such user'),
            ...errors,
          },
        },
      },
      '/telemetry/events': {
        post: {
          operationId: 'ingestTelemetryEvents',
          summary:
            'Store a batch of EMG events; event_uuid generated when absent, duplicates ignored (seed 000)',
          tags: ['ingestion'],
          requestBody: {
            required: true,
            content: json({ type: 'array', items: ref('IncomingTelemetryEvent'), minItems: 1 }),
          },
          responses: {
            '201': { description: 'At least one event stored', content: json(ref('IngestOutcome')) },
            '200': { description: 'Every event was a duplicate', content: json(ref('IngestOutcome')) },
            '413': problem('Body too large'),
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
            { name: 'event_uuid', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': { description: 'The event', content: json(ref('TelemetryEvent')) },
            '404': problem('No such event'),
            ...errors,
          },
        },
      },
      '/populate_base': {
        post: {
          operationId: 'populateBase',
          summary:
            'Load a CSV dataset into one OLTP table; rows validated by the models, existing keys skipped',
          tags: ['ingestion'],
          parameters: [
            {
              name: 'table',
              in: 'query',
              required: true,
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
          requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string' } } } },
          responses: {
            '200': { description: 'Loaded', content: json(ref('PopulateOutcome')) },
            '413': problem('Body too large'),
            ...errors,
          },
        },
      },
      '/health': {
        get: {
          operationId: 'health',
          summary: 'Status of the service and of each dependency',
          tags: ['health'],
          security: [],
          responses: { '200': { description: 'Healthy' }, '503': { description: 'A dependency is down' } },
        },
      },
      '/health/live': {
        get: {
          operationId: 'liveness',
          summary: 'The process answers',
          tags: ['health'],
          security: [],
          responses: { '200': { description: 'Alive' } },
        },
      },
      '/health/ready': {
        get: {
          operationId: 'readiness',
          summary: 'ClickHouse and PostgreSQL answer and the service is not draining',
          tags: ['health'],
          security: [],
          responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready or draining' } },
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
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A Keycloak access token (RS256/PS256/ES256) of the configured realm and audience',
        },
      },
      schemas: {
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
        Problem: {
          type: 'object',
          required: ['error'],
          properties: {
            error: { type: 'string', description: 'bad_request, unauthorized, forbidden, not_found, …' },
            message: { type: 'string' },
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
        },
      },
    },
  };
}

/** The document's type. */
export type OpenApiDocument = ReturnType<typeof openApiDocument>;
