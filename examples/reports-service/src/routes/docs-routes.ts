import { jsonResponse } from '../http-errors.js';
import { type OpenApiDocument, openApiDocument } from '../openapi.js';
import { escapeXml } from '../report-page/svg-charts.js';
import type { Handler } from '../request-context.js';
import type { Router } from '../router.js';

/**
 * Registers `GET /openapi.json` (the OpenAPI 3.1 document generated from the
 * models) and `GET /docs` (a self-contained page rendering it: every
 * operation with its parameters, bodies and responses, and every schema).
 *
 * @example
 * ```ts
 * registerDocsRoutes(router);
 * ```
 */
export function registerDocsRoutes(router: Router<Handler>): void {
  const document = openApiDocument();
  const page = renderDocsPage(document);
  router.add('GET', '/openapi.json', async (ctx) =>
    jsonResponse(
      200,
      { ...document, servers: [{ url: ctx.url.origin }] },
      { 'cache-control': 'public, max-age=60' },
    ),
  );
  router.add(
    'GET',
    '/docs',
    async () =>
      new Response(page, {
        status: 200,
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
        },
      }),
  );
}

function pretty(value: unknown): string {
  return escapeXml(JSON.stringify(value, null, 2));
}

/**
 * Renders an OpenAPI document as one HTML page (no script, no external assets).
 *
 * @example
 * ```ts
 * renderDocsPage(openApiDocument()).includes('/reports/user/{user_id}'); // true
 * ```
 */
export function renderDocsPage(document: OpenApiDocument): string {
  const operations = Object.entries(document.paths as Record<string, Record<string, Record<string, unknown>>>)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => {
        const params =
          (op['parameters'] as
            | { name: string; in: string; required?: boolean; description?: string }[]
            | undefined) ?? [];
        const body = op['requestBody'] as { content: Record<string, { schema?: unknown }> } | undefined;
        const responses = op['responses'] as Record<
          string,
          { description: string; content?: Record<string, { schema?: unknown }> }
        >;
        const paramRows = params
          .map(
            (p) =>
              `<li><code>${escapeXml(p.name)}</code> (${escapeXml(p.in)}${p.required ? ', required' : ''})${p.description ? ` — ${escapeXml(p.description)}` : ''}</li>`,
          )
          .join('');
        const bodyBlock = body
          ? Object.entries(body.content)
              .map(
                ([type, c]) =>
                  `<p>Body <code>${escapeXml(type)}</code></p>${c.schema ? `<pre>${pretty(c.schema)}</pre>` : ''}`,
              )
              .join('')
          : '';
        const responseRows = Object.entries(responses)
          .map(([status, r]) => {
            const schema = r.content ? Object.values(r.content)[0]?.schema : undefined;
            return `<li><b>${escapeXml(status)}</b> ${escapeXml(r.description)}${schema ? ` <code>${escapeXml(JSON.stringify(schema))}</code>` : ''}</li>`;
          })
          .join('');
        const security =
          Array.isArray(op['security']) && (op['security'] as unknown[]).length === 0
            ? ' · no token'
            : ' · Bearer token';
        return `<details id="${escapeXml(String(op['operationId']))}"><summary><span class="m m-${method}">${method.toUpperCase()}</span> <code>${escapeXml(path)}</code> — ${escapeXml(String(op['summary']))}</summary><p class="sec">${escapeXml(String(op['operationId']))}${security}</p>${paramRows ? `<ul>${paramRows}</ul>` : ''}${bodyBlock}<ul>${responseRows}</ul></details>`;
      }),
    )
    .join('\n');
  const schemas = Object.entries(document.components.schemas)
    .map(
      ([name, schema]) =>
        `<details id="schema-${escapeXml(name)}"><summary><code>${escapeXml(name)}</code></summary><pre>${pretty(schema)}</pre></details>`,
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeXml(document.info.title)} — API</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:0 auto;padding:12px;color:#1f2937}details{border:1px solid #e2e8f0;border-radius:6px;margin:6px 0;padding:6px 10px}summary{cursor:pointer}pre{background:#f8fafc;padding:8px;overflow:auto;font-size:12px}.m{display:inline-block;min-width:48px;font-weight:700}.m-get{color:#2563eb}.m-post{color:#16a34a}.sec{color:#64748b;font-size:.85rem}</style></head>
<body><h1>${escapeXml(document.info.title)} <small>${escapeXml(document.info.version)}</small></h1><p>${escapeXml(document.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escapeXml(document.openapi)}).</p>
<h2>Operations</h2>${operations}<h2>Schemas</h2>${schemas}</body></html>`;
}
