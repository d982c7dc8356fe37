import { describe, expect, it } from 'vitest';
import {
  errorResponse,
  jsonResponse,
  MAX_LISTED_ISSUES,
  RequestValidationError,
  TextBodyResponse,
  withSecurityHeaders,
} from './http-errors.js';

describe('jsonResponse', () => {
  it('behaves like a Fetch Response: status, headers, json once', async () => {
    const response = jsonResponse(201, { id: 7 }, { location: '/users/7' });
    expect(response).toBeInstanceOf(Response);
    expect(response).toBeInstanceOf(TextBodyResponse);
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect(response.headers.get('location')).toBe('/users/7');
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ id: 7 });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
  });

  it('streams the same bytes to a reader of body, and clones', async () => {
    const response = jsonResponse(200, { city: 'Москва' });
    const copy = response.clone();
    const streamed = await new Response(response.body).text();
    expect(streamed).toBe('{"city":"Москва"}');
    expect(response.bodyUsed).toBe(true);
    expect(new TextDecoder().decode(await copy.arrayBuffer())).toBe('{"city":"Москва"}');
    expect((response as TextBodyResponse).bodyText).toBe(streamed);
  });
});

describe('errorResponse', () => {
  it('lists at most the first 100 issues and counts them all (30 KB of [{},…] is not a 6 MB answer)', async () => {
    const issues = Array.from({ length: 70_000 }, (_, i) => ({
      path: ['body', i, 'user_id'],
      code: 'invalid_type',
      message: 'expected number, received undefined',
    }));
    const response = errorResponse(new RequestValidationError(issues)) as Response;
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text.length).toBeLessThan(20_000);
    const body = JSON.parse(text) as { issues: { path: unknown[] }[]; issue_count: number };
    expect(body.issues).toHaveLength(MAX_LISTED_ISSUES);
    expect(body.issues[0]?.path).toEqual(['body', 0, 'user_id']);
    expect(body.issue_count).toBe(70_000);
  });

  it('counts issues that were found but not kept', async () => {
    const response = errorResponse(
      new RequestValidationError([{ path: ['body'], code: 'x', message: 'm' }], 5_000),
    ) as Response;
    expect(await response.json()).toMatchObject({ issue_count: 5_000 });
  });
});

describe('withSecurityHeaders', () => {
  it('gives every HTML answer frame-ancestors, nosniff and no-referrer, keeping its own policy', () => {
    const page = withSecurityHeaders(
      new Response('<p>hi</p>', {
        headers: { 'content-type': 'text/html', 'content-security-policy': "default-src 'none'" },
      }),
    );
    expect(page.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const bare = withSecurityHeaders(new Response('<p>hi</p>', { headers: { 'content-type': 'text/html' } }));
    expect(bare.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(bare.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('marks JSON nosniff and leaves its other headers alone', () => {
    const json = withSecurityHeaders(jsonResponse(200, {}));
    expect(json.headers.get('x-content-type-options')).toBe('nosniff');
    expect(json.headers.get('content-security-policy')).toBeNull();
  });
});
