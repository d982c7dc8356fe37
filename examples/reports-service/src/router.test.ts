import { describe, expect, it } from 'vitest';
import { MethodNotAllowedError, NotFoundError, RequestValidationError } from './http-errors.js';
import { createRouter } from './router.js';

const router = createRouter<string>()
  .add('GET', '/reports/user/:user_id', 'monthly')
  .add('GET', '/api/reports/summary', 'summary')
  .add('GET', '/api/reports/:date', 'daily')
  .add('POST', '/report', 'telemetry');

describe('router', () => {
  it('matches parameters and decodes them', () => {
    expect(router.match('GET', '/reports/user/42')).toEqual({
      handler: 'monthly',
      params: { user_id: '42' },
      pattern: '/reports/user/:user_id',
    });
    expect(router.match('GET', '/api/reports/2024%2D01%2D15').params).toEqual({ date: '2024-01-15' });
  });

  it('prefers the route registered first (summary is not a date)', () => {
    expect(router.match('GET', '/api/reports/summary').handler).toBe('summary');
  });

  it('answers HEAD with the GET route and ignores one trailing slash', () => {
    expect(router.match('HEAD', '/reports/user/1/').handler).toBe('monthly');
  });

  it('distinguishes an unknown path (404) from a wrong method (405 with Allow)', () => {
    expect(() => router.match('GET', '/nope')).toThrow(NotFoundError);
    expect(() => router.match('GET', '/reports/user/')).toThrow(NotFoundError);
    expect(() => router.match('GET', '/reports/user/1/extra')).toThrow(NotFoundError);
    try {
      router.match('GET', '/report');
      throw new Error('expected 405');
    } catch (error) {
      expect(error).toBeInstanceOf(MethodNotAllowedError);
      expect((error as MethodNotAllowedError).allowed).toEqual(['POST']);
    }
  });

  it('refuses broken percent-encoding as a 400 naming the parameter', () => {
    try {
      router.match('GET', '/reports/user/%E0%A4%A');
      throw new Error('expected 400');
    } catch (error) {
      expect(error).toBeInstanceOf(RequestValidationError);
      expect((error as RequestValidationError).issues[0]?.path).toEqual(['path', 'user_id']);
    }
  });
});
