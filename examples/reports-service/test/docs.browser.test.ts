/**
 * `/docs` in a real headless Chromium (Debian's package, driven by
 * playwright-core): Swagger UI from the service's own assets renders the
 * OpenAPI document with `$ref`s resolved, examples shown and markdown
 * rendered, under the page's Content-Security-Policy and without touching the
 * network beyond the service. A screenshot goes to test-output/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KeycloakVerifier } from '@bionicpro/reports';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { silentLogger } from '../src/logger.js';
import { type NodeServer, serveNode } from '../src/node-server.js';
import { registerDocsRoutes } from '../src/routes/docs-routes.js';
import { CHROMIUM_FLAGS, ensureChromium } from './chromium.js';

const OUTPUT = fileURLToPath(new URL('../../../test-output/examples/', import.meta.url));

let server: NodeServer;
let context: BrowserContext;
let dir: string;

beforeAll(async () => {
  const executablePath = ensureChromium();
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-docs-'));
  const app = createApp({
    // /docs and /openapi.json need no token.
    verifier: {} as KeycloakVerifier,
    logger: silentLogger,
    routes: (router) => registerDocsRoutes(router),
  });
  server = await serveNode(app, { host: '127.0.0.1', port: 0, logger: silentLogger });
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  await mkdir(OUTPUT, { recursive: true });
}, 600_000);

afterAll(async () => {
  await context?.close();
  await server?.shutdown(1_000);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('/docs in Chromium', () => {
  it('renders the document with Swagger UI: markdown, resolved schemas and examples, nothing blocked', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    const foreign: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (answer) => {
      if (answer.status() >= 400) problems.push(`${answer.status()} ${answer.url()}`);
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) {
        foreign.push(request.url());
      }
    });
    const response = await page.goto(`${server.url}/docs`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('BionicPRO reports service');

    // Markdown: the description's **bold** and `code` are elements, not literal marks.
    const info = page.locator('.swagger-ui .info .description');
    expect(await info.locator('strong', { hasText: 'What each request gets' }).count()).toBe(1);
    expect(await info.locator('code').count()).toBeGreaterThan(5);
    expect(await info.textContent()).not.toContain('`');

    // One operation: its parameter example and its response example are shown.
    const operation = page.locator('#operations-reports-getUserMonthlyReport');
    await operation.locator('.opblock-summary').click();
    await operation.locator('.responses-wrapper').waitFor();
    const opText = (await operation.textContent()) ?? '';
    expect(opText).toContain('UTC calendar month');
    const example = await operation
      .locator('.responses-wrapper .example, .responses-wrapper .highlight-code')
      .first()
      .textContent();
    expect(example).toContain('"successful_payments": "5998.00"');

    // Schemas: $refs resolved into their properties, never shown raw.
    await operation.locator('.responses-wrapper button[data-name="model"]').first().click();
    const model = (await operation.locator('.responses-wrapper .model-box').first().textContent()) ?? '';
    expect(model).toContain('UserMonthlyReport');
    expect(model).toContain('financial');
    expect(await page.textContent('body')).not.toContain('"$ref"');

    await page.screenshot({ path: join(OUTPUT, 'docs.png'), fullPage: false });
    expect(problems).toEqual([]);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
