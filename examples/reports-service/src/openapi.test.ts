import {
  DailyReport,
  IncomingTelemetryEvent,
  IncomingUser,
  ReportDates,
  ReportsOverview,
  TelemetryEvent,
  TelemetryReport,
  TelemetryReportRequest,
  User,
  UserMonthlyReport,
} from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { openApiDocument } from './openapi.js';
import { incomingTelemetryEventExample } from './openapi-examples.js';
import { renderDocsPage } from './routes/docs-routes.js';

describe('openApiDocument', () => {
  const doc = openApiDocument();

  it('describes every docs/reports.md and ingestion endpoint', () => {
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/reports/user/{user_id}',
        '/api/reports',
        '/api/reports/summary',
        '/api/reports/{date}',
        '/report',
        '/users',
        '/users/{id}',
        '/telemetry/events',
        '/populate_base',
        '/health',
        '/health/live',
        '/health/ready',
        '/metrics',
      ]),
    );
  });

  it('takes its body schemas from the models', () => {
    const user = doc.components.schemas.IncomingUser as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(Object.keys(user.properties)).toEqual(
      expect.arrayContaining(['name', 'email', 'age', 'ldap_username']),
    );
    expect(Object.keys(user.properties)).not.toContain('registered_at');
    expect(user.required).toEqual(expect.arrayContaining(['name', 'email']));
    const event = doc.components.schemas.IncomingTelemetryEvent as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(event.required).not.toContain('event_uuid');
    const report = doc.components.schemas.UserMonthlyReport as { properties: Record<string, unknown> };
    expect(Object.keys(report.properties)).toEqual(['period', 'user_id', 'financial', 'devices', 'status']);
  });

  it('resolves every $ref', () => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)].map(
      (m) => m[1],
    );
    expect(refs.length).toBeGreaterThan(10);
    for (const name of refs) expect(doc.components.schemas).toHaveProperty(name as string);
  });

  it('gives every operation an example of each JSON body it reads or answers, valid for its model', () => {
    const models: Record<string, z.ZodType> = {
      UserMonthlyReport,
      ReportDates,
      ReportsOverview,
      DailyReport,
      TelemetryReportRequest,
      TelemetryReport,
      IncomingUser,
      User,
      TelemetryEvent,
    };
    let checked = 0;
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(methods)) {
        const bodies = [
          ...Object.values(op.requestBody?.content ?? {}),
          ...Object.values(op.responses).flatMap((r) => Object.values(r.content ?? {})),
        ];
        for (const media of bodies) {
          if (
            media.schema === undefined ||
            (media as { schema: { type?: string } }).schema.type === 'string'
          ) {
            continue;
          }
          expect(media.example, `${method} ${path}`).toBeDefined();
          const name = /#\/components\/schemas\/(\w+)$/.exec(media.schema.$ref ?? '')?.[1];
          const model = name === undefined ? undefined : models[name];
          if (model !== undefined) {
            const result = model.safeParse(media.example);
            expect(result.success, `${method} ${path} ${name}: ${JSON.stringify(result.error?.issues)}`).toBe(
              true,
            );
            checked += 1;
          }
        }
        for (const param of op.parameters ?? []) {
          if (param.required) expect(param.example, `${method} ${path} ${param.name}`).toBeDefined();
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
    const event = IncomingTelemetryEvent.safeParse(incomingTelemetryEventExample);
    expect(event.success).toBe(true);
  });

  it('names a server only when one is configured, never from a request', () => {
    expect(doc).not.toHaveProperty('servers');
    expect(openApiDocument({ serverUrl: 'https://reports.example' }).servers).toEqual([
      { url: 'https://reports.example' },
    ]);
  });

  it('explains in markdown what each request gets', () => {
    expect(doc.info.description).toContain('**What each request gets**');
    expect(doc.info.description).toContain('`issue_count`');
  });
});

describe('docs page shell', () => {
  it('loads the viewer from the service itself, no CDN and no inline script', () => {
    const html = renderDocsPage();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources).toEqual(
      expect.arrayContaining([
        '/docs/assets/swagger-ui-bundle.js',
        '/docs/assets/swagger-ui.css',
        '/docs/assets/docs.js',
      ]),
    );
    for (const source of sources) expect(source).toMatch(/^(\/|data:)/);
    expect(html).not.toMatch(/<script>[^<]/);
  });
});

interface Operation {
  parameters?: { name: string; required?: boolean; example?: unknown }[];
  requestBody?: { content: Record<string, { schema?: { $ref?: string }; example?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string }; example?: unknown }> }>;
}
