import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.js';
import { renderDocsPage } from './routes/docs-routes.js';

describe('openApiDocument', () => {
  const doc = openApiDocument();

  it('describes every SPEC §4 and seed-000 endpoint', () => {
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

  it('renders a docs page listing every operation', () => {
    const html = renderDocsPage(doc);
    for (const path of Object.keys(doc.paths)) expect(html).toContain(path.replaceAll('{', '{'));
    expect(html).toContain('id="getUserMonthlyReport"');
  });
});
