import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { htmlResponse, NotFoundError, TextBodyResponse } from '../http-errors.js';
import { openApiDocument } from '../openapi.js';
import type { Handler } from '../request-context.js';
import type { Router } from '../router.js';

/** Options of {@link registerDocsRoutes}. */
export interface DocsRoutesOptions {
  /**
   * The public base URL given as the document's `servers`. Without it the
   * document names no server and clients resolve paths against where they
   * read it. Never taken from the request's `Host` (a client could poison a
   * cache with its own host).
   */
  readonly serverUrl?: string;
}

/** Swagger UI's own files, served from the installed `swagger-ui-dist` package: no CDN. */
const VIEWER_FILES = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
} as const;

/**
 * Starts Swagger UI on the page. An external file, so the page's policy
 * allows scripts from the service only (no inline script).
 * `validatorUrl: null` keeps the viewer from calling swagger.io.
 */
const VIEWER_START = `'use strict';
window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    docExpansion: 'list',
    defaultModelsExpandDepth: 1,
    defaultModelExpandDepth: 3,
    displayRequestDuration: true,
  });
});
`;

/**
 * What the docs page may load: its own scripts and styles (Swagger UI sets
 * inline styles, hence `'unsafe-inline'` for styles only), images from the
 * service or `data:` (the viewer's icons), requests to the service only.
 */
const DOCS_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function viewerFile(name: keyof typeof VIEWER_FILES): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve(`swagger-ui-dist/${name}`), 'utf8');
}

/**
 * Registers `GET /openapi.json` (the OpenAPI 3.1 document generated from the
 * models, with an example for every body and parameter) and `GET /docs`
 * (Swagger UI from the `swagger-ui-dist` package, served by the service
 * itself under `/docs/assets/`: `$ref`s resolved, examples shown, markdown
 * rendered).
 *
 * @example
 * ```ts
 * registerDocsRoutes(router, { serverUrl: 'https://reports.bionicpro.example' });
 * ```
 */
export function registerDocsRoutes(router: Router<Handler>, options: DocsRoutesOptions = {}): void {
  const document = JSON.stringify(
    openApiDocument(options.serverUrl === undefined ? {} : { serverUrl: options.serverUrl }),
  );
  const assets = new Map<string, { body: string; type: string }>([
    ['docs.js', { body: VIEWER_START, type: 'text/javascript; charset=utf-8' }],
    ...Object.entries(VIEWER_FILES).map(
      ([name, type]) => [name, { body: viewerFile(name as keyof typeof VIEWER_FILES), type }] as const,
    ),
  ]);
  const page = renderDocsPage();

  router.add(
    'GET',
    '/openapi.json',
    async () =>
      new TextBodyResponse(document, {
        status: 200,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          // The same for every client; `private` keeps shared caches out all the same.
          'cache-control': 'private, max-age=60',
        },
      }),
  );
  router.add('GET', '/docs', async () => htmlResponse(200, page, { 'content-security-policy': DOCS_POLICY }));
  router.add('GET', '/docs/assets/:file', async (ctx) => {
    const asset = assets.get(ctx.params['file'] as string);
    if (asset === undefined) throw new NotFoundError('no such docs asset');
    return new TextBodyResponse(asset.body, {
      status: 200,
      headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' },
    });
  });
}

/**
 * The docs page: a shell that loads Swagger UI and the document.
 *
 * @example
 * ```ts
 * renderDocsPage().includes('/docs/assets/swagger-ui-bundle.js'); // true
 * ```
 */
export function renderDocsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>BionicPRO reports service — API</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><noscript><p>The API documentation needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</p></noscript>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/docs.js"></script>
</body></html>`;
}
