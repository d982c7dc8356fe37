import {
  etagMatches,
  monthReportPeriod,
  type ReportQueryClient,
  type ReportService,
  type ReportTables,
  reportCacheHeaders,
  reportETag,
  resolveReportScope,
  type SubjectDirectory,
} from '@bionicpro/reports';
import type { DataVersions } from '../reporting/data-versions.js';
import { z } from 'zod';
import { loadReportPage, reportMonths } from '../report-page/report-page-data.js';
import { errorResponse, htmlResponse, type RequestIssue } from '../http-errors.js';
import { renderReportErrorPage, renderReportPage } from '../report-page/report-page.js';
import type { Handler, RequestContext } from '../request-context.js';
import { IdParameter, parseQuery } from '../request-input.js';
import type { Router } from '../router.js';

/** What the HTML report page needs. */
export interface ReportPageRoutesDeps {
  readonly reports: ReportService;
  readonly directory: SubjectDirectory;
  readonly client: ReportQueryClient;
  readonly tables: ReportTables;
  /** Data versions of the marts: the page's ETag changes with them. Without them every request renders. */
  readonly versions?: DataVersions;
  /** The token may come from a cookie (demo login): responses vary by `Cookie` too. */
  readonly varyCookie?: boolean;
  /** Where a visitor without a session signs in; named on the 401/403 page. */
  readonly signInUrl?: string;
}

/** What the page lets a browser load: inline styles, its own SVG, and a form back to itself. */
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'";

const PageQuery = z.strictObject({
  user_id: IdParameter,
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month YYYY-MM')
    .optional(),
});

/**
 * Registers `GET /reports/user/:user_id/page?month=YYYY-MM`: the owner's
 * report as HTML with server-side SVG charts. Same access rules and statuses
 * as the JSON endpoint (401 without a token, 403 for another user's page,
 * 400 for a bad id or month), but every answer is a page a browser shows:
 * what happened and how to sign in. Without `month` it shows the newest
 * month with data.
 *
 * @example
 * ```ts
 * registerReportPageRoutes(router, { reports, directory, client, tables });
 * ```
 */
export function registerReportPageRoutes(router: Router<Handler>, deps: ReportPageRoutesDeps): void {
  router.add('GET', '/reports/user/:user_id/page', async (ctx) => {
    try {
      return await reportPage(ctx, deps);
    } catch (error) {
      const mapped = errorResponse(error);
      if (mapped === undefined) throw error;
      ctx.log.info('report page refused', { status: mapped.status });
      const body = (await mapped.json()) as { issues?: RequestIssue[] };
      const headers: Record<string, string> = { 'content-security-policy': PAGE_POLICY };
      for (const name of ['www-authenticate', 'retry-after']) {
        const value = mapped.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      const details = {
        ...(deps.signInUrl === undefined ? {} : { signInUrl: deps.signInUrl }),
        ...(body.issues === undefined ? {} : { issues: body.issues }),
      };
      return htmlResponse(mapped.status, renderReportErrorPage(mapped.status, details), headers);
    }
  });
}

async function reportPage(ctx: RequestContext, deps: ReportPageRoutesDeps): Promise<Response> {
  const principal = await ctx.authenticate();
  const query = parseQuery(PageQuery, ctx.url, { user_id: ctx.params['user_id'] as string });
  const scope = await resolveReportScope(principal, deps.directory, { requestedUserId: query.user_id });
  const month =
    query.month ??
    (await reportMonths(deps.client, deps.tables, scope))[0] ??
    new Date().toISOString().slice(0, 7);
  const name = principal.claims['preferred_username'];
  const userLabel = typeof name === 'string' ? name : `user ${query.user_id}`;
  // The page shows the month's marts (monthly and hourly) and the caller's label: all are in the ETag.
  const revalidation =
    deps.versions === undefined
      ? undefined
      : reportCacheHeaders(
          reportETag(
            { scope, report: `page/${encodeURIComponent(userLabel)}`, period: monthReportPeriod(month) },
            `${deps.versions.month(month)}|${deps.versions.hourly()}`,
          ),
          { varyCookie: deps.varyCookie ?? false },
        );
  if (revalidation && etagMatches(ctx.request.headers.get('if-none-match'), revalidation.etag)) {
    return new Response(null, { status: 304, headers: revalidation });
  }
  const data = await loadReportPage(deps, scope, month);
  const html = renderReportPage(data, { userLabel, action: `/reports/user/${query.user_id}/page` });
  return htmlResponse(200, html, { ...revalidation, 'content-security-policy': PAGE_POLICY });
}
