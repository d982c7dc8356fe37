import { BatchValidationError, BionicProError, formatPath, ModelValidationError } from '@bionicpro/models';
import {
  AccessDeniedError,
  AuthenticationError,
  ReportAssemblyError,
  ReportNotFoundError,
  ReportParameterError,
  UnscopedQueryError,
} from './errors.js';

/** At most this many issues are listed in a 400 body; `issue_count` gives the total. */
export const MAX_ERROR_ISSUES = 100;

/**
 * Maps an error of the BionicPRO packages to a Fetch `Response` a service can return
 * as is: 401 with `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750)
 * and no detail, 403 with one fixed message, 404, and 400 for every other
 * `BionicProError` (bad input): `{ error: 'bad_request', code, parameter?, field?,
 * message, issues?, issue_count? }` naming the parameter or field (at most
 * {@link MAX_ERROR_ISSUES} issues). `UnscopedQueryError` and `ReportAssemblyError`
 * signal a defect, not bad input: 500 with their `code` and no detail. Returns
 * `undefined` for any other error, so the caller decides (500, log).
 *
 * @example
 * ```ts
 * import { UserMonthlyReportQuery } from '@bionicpro/models';
 * import { reportErrorResponse } from '@bionicpro/reports';
 * function handle(url: URL): Response {
 *   try {
 *     return Response.json(UserMonthlyReportQuery.parse(Object.fromEntries(url.searchParams)));
 *   } catch (error) {
 *     return reportErrorResponse(error) ?? new Response(null, { status: 500 });
 *   }
 * }
 * console.log(handle(new URL('http://svc/report?month=2024-13')).status); // 400
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
    return json(400, {
      error: 'bad_request',
      code: error.code,
      parameter: error.parameter,
      message: error.reason,
    });
  }
  if (error instanceof ReportNotFoundError) {
    return json(404, { error: 'not_found' });
  }
  if (error instanceof UnscopedQueryError || error instanceof ReportAssemblyError) {
    return json(500, { error: 'internal_error', code: error.code });
  }
  if (error instanceof ModelValidationError) {
    return json(400, {
      error: 'bad_request',
      code: error.code,
      field: formatPath(error.issues[0]?.path ?? []),
      message: error.issues[0]?.message ?? error.message,
      issues: error.issues
        .slice(0, MAX_ERROR_ISSUES)
        .map((issue) => ({ ...issue, field: formatPath(issue.path) })),
      issue_count: error.issues.length,
    });
  }
  if (error instanceof BatchValidationError) {
    const issues = error.rejected.flatMap((row) =>
      row.issues.map((issue) => ({ ...issue, path: [row.index, ...issue.path] })),
    );
    return json(400, {
      error: 'bad_request',
      code: error.code,
      field: formatPath(issues[0]?.path ?? []),
      message: error.message,
      issues: issues.slice(0, MAX_ERROR_ISSUES).map((issue) => ({ ...issue, field: formatPath(issue.path) })),
      issue_count: issues.length,
    });
  }
  if (error instanceof BionicProError) {
    return json(400, {
      error: 'bad_request',
      code: error.code,
      ...(error.path === undefined || error.path.length === 0 ? {} : { field: formatPath(error.path) }),
      message: error.message,
    });
  }
  return undefined;
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}
