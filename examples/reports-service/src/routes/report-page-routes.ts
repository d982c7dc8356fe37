import {
  type ReportQueryClient,
  type ReportService,
  type ReportTables,
  resolveReportScope,
  type SubjectDirectory,
} from '@bionicpro/reports';
import { z } from 'zod';
import { loadReportPage, reportMonths } from '../report-page/report-page-data.js';
import { renderReportPage } from '../report-page/report-page.js';
import type { Handler } from '../request-context.js';
import { IdParameter, parseQuery } from '../request-input.js';
import type { Router } from '../router.js';

/** What the HTML report page needs. */
export interface ReportPageRoutesDeps {
  readonly reports: ReportService;
  readonly directory: SubjectDirectory;
  readonly client: ReportQueryClient;
  readonly tables: ReportTables;
}

const PageQuery = z.strictObject({
  user_id: IdParameter,
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected a month YYYY-MM')
    .optional(),
});

/**
 * Registers `GET /reports/user/:user_id/page?month=YYYY-MM`: the owner's
 * report as HTML with server-side SVG charts. Same access rules as the JSON
 * endpoint (401 without a token, 403 for another user's page); without
 * `month` it shows the newest month with data.
 *
 * @example
 * ```ts
 * registerReportPageRoutes(router, { reports, directory, client, tables });
 * ```
 */
export function registerReportPageRoutes(router: Router<Handler>, deps: ReportPageRoutesDeps): void {
  router.add('GET', '/reports/user/:user_id/page', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(PageQuery, ctx.url, { user_id: ctx.params['user_id'] as string });
    const scope = await resolveReportScope(principal, deps.directory, { requestedUserId: query.user_id });
    const month =
      query.month ??
      (await reportMonths(deps.client, deps.tables, scope))[0] ??
      new Date().toISOString().slice(0, 7);
    const data = await loadReportPage(deps, scope, month);
    const name = principal.claims['preferred_username'];
    const html = renderReportPage(data, {
      userLabel: typeof name === 'string' ? name : `user ${query.user_id}`,
      action: `/reports/user/${query.user_id}/page`,
    });
    return new Response(html, {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'",
        'x-content-type-options': 'nosniff',
      },
    });
  });
}
