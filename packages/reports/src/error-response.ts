import {
  AccessDeniedError,
  AuthenticationError,
  ReportNotFoundError,
  ReportParameterError,
} from './errors.js';

/**
 * Maps an error of this package to a Fetch `Response` a service can return
 * as is: 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750)
 * and no detail, 403 with one fixed message, 400 naming the parameter, 404.
 * Returns `undefined` for anything else, so the caller decides (500, log).
 *
 * @example
 * ```ts
 * try { … } catch (e) { return reportErrorResponse(e) ?? new Response(null, { status: 500 }); }
 * ```
 */
export function reportErrorResponse(error: unknown, realm = 'bionicpro'): Response | undefined {
  if (error instanceof AuthenticationError) {
    const challenge =
      error.reason === 'token_missing'
        ? `Bearer realm="${realm}"`
        : `Bearer realm="${realm}", error="invalid_token"`;
    return json(401, { error: 'unauthorized' }, { 'www-authenticate': challenge });
  }
  if (error instanceof AccessDeniedError) {
    return json(403, { error: 'forbidden', message: error.message });
  }
  if (error instanceof ReportParameterError) {
    return json(400, { error: 'bad_request', parameter: error.parameter, message: error.reason });
  }
  if (error instanceof ReportNotFoundError) {
    return json(404, { error: 'not_found' });
  }
  return undefined;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}
