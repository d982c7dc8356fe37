import { Id, TelemetryReportRequest, UserMonthlyReportQuery } from '@bionicpro/models';
import {
  cachedReport,
  dayPeriod,
  monthPeriod,
  parseReportDate,
  type ReportCache,
  type ReportPrincipal,
  type ReportService,
  resolveReportScope,
  type SubjectDirectory,
} from '@bionicpro/reports';
import { z } from 'zod';
import { jsonResponse } from '../http-errors.js';
import type { DataVersions } from '../reporting/data-versions.js';
import type { Handler } from '../request-context.js';
import { IdParameter, parseJsonBody, parseQuery } from '../request-input.js';
import type { Router } from '../router.js';

/** What the report endpoints need. */
export interface ReportRoutesDeps {
  readonly reports: ReportService;
  /** Token subject → user id (cached); see `cachedSubjectDirectory`. */
  readonly directory: SubjectDirectory;
  /** Report cache; omitted to always compute. */
  readonly cache: ReportCache<unknown> | undefined;
  readonly versions: DataVersions | undefined;
  readonly maxBodyBytes: number;
}

/** `?user_id=` lets an admin read another user's seed-003 reports; anyone else may only name themselves. */
const OwnReportsQuery = z.strictObject({ user_id: IdParameter.optional() });
/** Ids within the id columns' range (see `IdParameter`). */
const MonthlyQuery = UserMonthlyReportQuery.extend({ user_id: IdParameter });
const TelemetryRequest = TelemetryReportRequest.extend({ user_id: Id });

/** Label of seed-003 reports: the token's `preferred_username` (the mart's `ldap_username`). */
function userLabel(principal: ReportPrincipal): string | undefined {
  const name = principal.claims['preferred_username'];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * Registers the report endpoints of SPEC §4 on a router:
 * `GET /reports/user/:user_id`, `GET /api/reports`, `GET /api/reports/summary`,
 * `GET /api/reports/:date` and `POST /report`. Each authenticates (401),
 * validates its input with the models (400), resolves the caller's scope
 * (403 for another user's report, whether that user exists or not) and
 * returns the DTO assembled by `@bionicpro/reports`.
 *
 * @example
 * ```ts
 * registerReportRoutes(router, { reports, directory, cache, versions, maxBodyBytes: 1 << 20 });
 * ```
 */
export function registerReportRoutes(router: Router<Handler>, deps: ReportRoutesDeps): void {
  const { reports, directory, cache, versions } = deps;

  router.add('GET', '/reports/user/:user_id', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(MonthlyQuery, ctx.url, { user_id: ctx.params['user_id'] as string });
    const scope = await resolveReportScope(principal, directory, { requestedUserId: query.user_id });
    const compute = () => reports.userMonthly(scope, query.month);
    const report =
      cache && versions
        ? await cachedReport(
            cache,
            {
              scope,
              report: 'user_monthly',
              period: monthPeriod(query.month),
              dataVersion: versions.month(query.month),
            },
            compute,
          )
        : await compute();
    return jsonResponse(200, report);
  });

  // Registered before `/api/reports/:date`, which would otherwise match `summary`.
  router.add('GET', '/api/reports/summary', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(OwnReportsQuery, ctx.url);
    const scope = await resolveReportScope(principal, directory, { requestedUserId: query.user_id });
    const label = userLabel(principal);
    const compute = () => reports.overview(scope, query.user_id === undefined ? label : undefined);
    const report =
      cache && versions
        ? await cachedReport(
            cache,
            { scope, report: 'overview', period: { from: null, to: null }, dataVersion: versions.hourly() },
            compute,
          )
        : await compute();
    return jsonResponse(200, report);
  });

  router.add('GET', '/api/reports', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(OwnReportsQuery, ctx.url);
    const scope = await resolveReportScope(principal, directory, { requestedUserId: query.user_id });
    const label = query.user_id === undefined ? userLabel(principal) : undefined;
    const compute = () => reports.reportDates(scope, label);
    const report =
      cache && versions
        ? await cachedReport(
            cache,
            { scope, report: 'dates', period: { from: null, to: null }, dataVersion: versions.hourly() },
            compute,
          )
        : await compute();
    return jsonResponse(200, report);
  });

  router.add('GET', '/api/reports/:date', async (ctx) => {
    const principal = await ctx.authenticate();
    const query = parseQuery(OwnReportsQuery.extend({ date: z.string() }), ctx.url, {
      date: ctx.params['date'] as string,
    });
    const scope = await resolveReportScope(principal, directory, { requestedUserId: query.user_id });
    const label = query.user_id === undefined ? userLabel(principal) : undefined;
    const date = parseReportDate(query.date); // 400 naming `date`
    const compute = () => reports.daily(scope, date, label);
    const report =
      cache && versions
        ? await cachedReport(
            cache,
            { scope, report: 'daily', period: dayPeriod(date), dataVersion: versions.day(date) },
            compute,
          )
        : await compute();
    return jsonResponse(200, report);
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
