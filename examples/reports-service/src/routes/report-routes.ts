import { Id, TelemetryReportRequest, UserMonthlyReportQuery } from '@bionicpro/models';
import {
  dayDataset,
  dayReportPeriod,
  etagMatches,
  monthDataset,
  monthReportPeriod,
  parseReportDate,
  type ReportDataset,
  type ReportPrincipal,
  type ReportService,
  type ReportStoreKey,
  reportCacheHeaders,
  reportETag,
  resolveReportScope,
  type StoredReports,
  type SubjectDirectory,
} from '@bionicpro/reports';
import { z } from 'zod';
import { jsonResponse, TextBodyResponse } from '../http-errors.js';
import type { DataVersions } from '../reporting/data-versions.js';
import type { Handler } from '../request-context.js';
import { IdParameter, parseJsonBody, parseQuery } from '../request-input.js';
import type { Router } from '../router.js';

/** What the report endpoints need. */
export interface ReportRoutesDeps {
  readonly reports: ReportService;
  /** Token subject → user id (cached); see `cachedSubjectDirectory`. */
  readonly directory: SubjectDirectory;
  /** The report store (shared with other instances when it is Redis); omitted to always compute. */
  readonly stored: StoredReports | undefined;
  readonly versions: DataVersions | undefined;
  readonly maxBodyBytes: number;
  /** The token may come from a cookie (demo login): responses vary by `Cookie` too. */
  readonly varyCookie?: boolean;
}

/**
 * Answers a report request through the store, with HTTP revalidation: the
 * ETag is derived from the user, report, period and data version, so an
 * `If-None-Match` naming it gets a 304 without the report being read or
 * rendered; per-user reports are `private, no-cache` and vary by the caller.
 */
async function revalidatedReport(
  ctx: { request: Request },
  deps: ReportRoutesDeps,
  key: ReportStoreKey,
  dataset: ReportDataset,
  localVersion: string | undefined,
  render: () => Promise<unknown>,
): Promise<Response> {
  const ifNoneMatch = ctx.request.headers.get('if-none-match');
  const options = { varyCookie: deps.varyCookie ?? false };
  if (deps.stored === undefined) {
    const version = localVersion ?? '-';
    const etag = reportETag(key, version);
    const headers = reportCacheHeaders(etag, options);
    if (etagMatches(ifNoneMatch, etag)) return new Response(null, { status: 304, headers });
    return jsonResponse(200, await render(), headers);
  }
  const served = await deps.stored.serve({ key, dataset, localVersion, ifNoneMatch, render });
  const headers = reportCacheHeaders(served.etag, options);
  if (served.status === 'not_modified') return new Response(null, { status: 304, headers });
  return new TextBodyResponse(served.body, {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** `?user_id=` lets an admin read another user's daily-usage reports; anyone else may only name themselves. */
const OwnReportsQuery = z.strictObject({ user_id: IdParameter.optional() });
/** Ids within the id columns' range (see `IdParameter`). */
const MonthlyQuery = UserMonthlyReportQuery.extend({ user_id: IdParameter });
const TelemetryRequest = TelemetryReportRequest.extend({ user_id: Id });

/** Label of daily-usage reports: the token's `preferred_username` (the mart's `ldap_username`). */
function userLabel(principal: ReportPrincipal): string | undefined {
  const name = principal.claims['preferred_username'];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * Registers the report endpoints of docs/reports.md on a router:
 * `GET /reports/user/:user_id`, `GET /api/reports`, `GET /api/reports/summary`,
 * `GET /api/reports/:date` and `POST /report`. Each authenticates (401),
 * validates its input with the models (400), resolves the caller's scope
 * (403 for another user's report, whether that user exists or not) and
 * returns the DTO assembled by `@bionicpro/reports`.
 *
 * @example
 * ```ts
 * registerReportRoutes(router, { reports, directory, stored, versions, maxBodyBytes: 1 << 20 });
 * ```
 */
export function registerReportRoutes(router: Router<Handler>, deps: ReportRoutesDeps): void {
  const { reports, directory, versions } = deps;

  router.add('GET', '/reports/user/:user_id', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(MonthlyQuery, ctx.url, { user_id: ctx.params['user_id'] as string });
    const scope = await resolveReportScope(principal, directory, { requestedUserId: query.user_id });
    return revalidatedReport(
      ctx,
      deps,
      { scope, report: 'user_monthly', period: monthReportPeriod(query.month) },
      monthDataset(query.month),
      versions?.month(query.month),
      () => reports.userMonthly(scope, query.month),
    );
  });

  // Registered before `/api/reports/:date`, which would otherwise match `summary`.
  router.add('GET', '/api/reports/summary', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(OwnReportsQuery, ctx.url);
    const scope = await resolveReportScope(principal, directory, { requestedUserId: query.user_id });
    const label = userLabel(principal);
    return revalidatedReport(
      ctx,
      deps,
      { scope, report: 'overview', period: { from: null, to: null } },
      'hourly',
      versions?.hourly(),
      () => reports.overview(scope, query.user_id === undefined ? label : undefined),
    );
  });

  router.add('GET', '/api/reports', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(OwnReportsQuery, ctx.url);
    const scope = await resolveReportScope(principal, directory, { requestedUserId: query.user_id });
    const label = query.user_id === undefined ? userLabel(principal) : undefined;
    return revalidatedReport(
      ctx,
      deps,
      { scope, report: 'dates', period: { from: null, to: null } },
      'hourly',
      versions?.hourly(),
      () => reports.reportDates(scope, label),
    );
  });

  router.add('GET', '/api/reports/:date', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(OwnReportsQuery.extend({ date: z.string() }), ctx.url, {
      date: ctx.params['date'] as string,
    });
    const scope = await resolveReportScope(principal, directory, { requestedUserId: query.user_id });
    const label = query.user_id === undefined ? userLabel(principal) : undefined;
    const date = parseReportDate(query.date); // 400 naming `date`
    return revalidatedReport(
      ctx,
      deps,
      { scope, report: 'daily', period: dayReportPeriod(date) },
      dayDataset(date),
      versions?.day(date),
      () => reports.daily(scope, date, label),
    );
  });

  router.add('POST', '/report', async (ctx) => {
    const principal = await ctx.authenticate();
    const body = await parseJsonBody(ctx.request, TelemetryRequest, deps.maxBodyBytes);
    const scope = await resolveReportScope(principal, directory, { requestedUserId: body.user_id });
    // Raw events change continuously (CDC), so this report is computed each time.
    const report = await reports.telemetry(scope, { start_ts: body.start_ts, end_ts: body.end_ts });
    return jsonResponse(200, report);
  });
}
