import { IncomingTelemetryEvent, IncomingUser, type ModelIssue, validateBatch } from '@bionicpro/models';
import type { ReportPrincipal } from '@bionicpro/reports';
import { z } from 'zod';
import {
  jsonResponse,
  MAX_LISTED_ISSUES,
  MissingRoleError,
  type RequestIssue,
  RequestValidationError,
} from '../http-errors.js';
import type { CrmUsers } from '../ingestion/crm-users.js';
import { type OltpDatabases, parseSourceTable, populateBase } from '../ingestion/populate-base.js';
import type { TelemetryEvents } from '../ingestion/telemetry-events.js';
import { readCsvBody, readJsonBody } from '../request-body.js';
import type { Handler } from '../request-context.js';
import { IdParameter, parseJsonBody, parseQuery } from '../request-input.js';
import type { Router } from '../router.js';

/** What the ingestion endpoints need. */
export interface IngestionRoutesDeps {
  readonly users: CrmUsers;
  readonly telemetry: TelemetryEvents;
  readonly oltp: OltpDatabases;
  /** Realm role allowed to write (CRM and telemetry back ends, import jobs). */
  readonly ingestRole: string;
  /** Realm role allowed to read anything. */
  readonly adminRole: string;
  readonly limits: {
    readonly maxBodyBytes: number;
    readonly maxCsvBytes: number;
    readonly maxBatchEvents: number;
    /** Body limit of `POST /telemetry/events` (a full batch is larger than an ordinary body). */
    readonly maxBatchBytes: number;
  };
}

const UserIdPath = z.strictObject({ id: IdParameter });
const EventUuidPath = z.strictObject({ event_uuid: z.uuid() });
const PopulateQuery = z.strictObject({ table: z.string() });

/**
 * Registers the CRM and Telemetry APIs on a router:
 * `POST /users`, `GET /users/:id`, `POST /telemetry/events`,
 * `GET /telemetry/events/:event_uuid` and `POST /populate_base?table=…`.
 * Writes need the ingest role; a user may read their own CRM record.
 *
 * @example
 * ```ts
 * registerIngestionRoutes(router, { users, telemetry, oltp, ingestRole: 'bionicpro_ingest', adminRole: 'reports_admin', limits });
 * ```
 */
export function registerIngestionRoutes(router: Router<Handler>, deps: IngestionRoutesDeps): void {
  const privileged = (principal: ReportPrincipal) =>
    principal.roles.includes(deps.ingestRole) || principal.roles.includes(deps.adminRole);
  const requireIngest = (principal: ReportPrincipal) => {
    if (!privileged(principal)) throw new MissingRoleError(deps.ingestRole);
  };

  router.add('POST', '/users', async (ctx) => {
    requireIngest(await ctx.authenticate());
    const incoming = await parseJsonBody(ctx.request, IncomingUser, deps.limits.maxBodyBytes);
    const user = await deps.users.create(incoming);
    ctx.log.info('user created', { user_id: user.id });
    return jsonResponse(201, user, { location: `/users/${user.id}` });
  });

  router.add('GET', '/users/:id', async (ctx) => {
    const principal = await ctx.authenticate();
    const { id } = parseQuery(UserIdPath, ctx.url, { id: ctx.params['id'] as string });
    const user = await deps.users.byId(id);
    if (!privileged(principal)) {
      // A user reads only their own record; the answer for anyone else is the
      // same 403 whether the id exists or not.
      const self =
        user !== undefined &&
        (principal.subject.kind === 'user_uuid'
          ? user.user_uuid === principal.subject.value
          : user.ldap_username === principal.subject.value);
      if (!self) return jsonResponse(403, { error: 'forbidden', message: 'not allowed to read this user' });
    }
    if (user === undefined) return jsonResponse(404, { error: 'not_found' });
    return jsonResponse(200, user);
  });

  router.add('POST', '/telemetry/events', async (ctx) => {
    requireIngest(await ctx.authenticate());
    const body = await readJsonBody(ctx.request, deps.limits.maxBatchBytes);
    // Either a bare array or `{ "events": [...] }`.
    const batch = Array.isArray(body)
      ? body
      : typeof body === 'object' && body !== null && Array.isArray((body as { events?: unknown }).events)
        ? ((body as { events: unknown[] }).events as unknown[])
        : undefined;
    if (batch === undefined) {
      throw new RequestValidationError([
        { path: ['body'], code: 'invalid_type', message: 'expected an array of telemetry events' },
      ]);
    }
    if (batch.length === 0 || batch.length > deps.limits.maxBatchEvents) {
      throw new RequestValidationError([
        {
          path: ['body'],
          code: batch.length === 0 ? 'too_small' : 'too_big',
          message: `expected 1 to ${deps.limits.maxBatchEvents} events, got ${batch.length}`,
        },
      ]);
    }
    // U+0000 anywhere in an event (keys too) is the models' `invalid_text`.
    const { valid, rejected } = validateBatch(IncomingTelemetryEvent, batch);
    if (rejected.length > 0) {
      // The batch is refused whole, so a client fixes it and retries; retries
      // are safe because stored event_uuids are never written twice.
      const issues: RequestIssue[] = [];
      let total = 0;
      for (const row of rejected) {
        total += row.issues.length;
        for (const issue of row.issues as readonly ModelIssue[]) {
          if (issues.length >= MAX_LISTED_ISSUES) break;
          issues.push({ path: ['body', row.index, ...issue.path], code: issue.code, message: issue.message });
        }
      }
      throw new RequestValidationError(issues, total);
    }
    const outcome = await deps.telemetry.ingest(valid);
    ctx.log.info('telemetry batch stored', {
      received: outcome.received,
      inserted: outcome.inserted,
      duplicates: outcome.duplicates,
    });
    return jsonResponse(outcome.inserted > 0 ? 201 : 200, outcome);
  });

  router.add('GET', '/telemetry/events/:event_uuid', async (ctx) => {
    requireIngest(await ctx.authenticate());
    const { event_uuid } = parseQuery(EventUuidPath, ctx.url, {
      event_uuid: ctx.params['event_uuid'] as string,
    });
    const event = await deps.telemetry.byUuid(event_uuid.toLowerCase());
    if (event === undefined) return jsonResponse(404, { error: 'not_found' });
    return jsonResponse(200, event);
  });

  router.add('POST', '/populate_base', async (ctx) => {
    requireIngest(await ctx.authenticate());
    const { table } = parseQuery(PopulateQuery, ctx.url);
    const name = parseSourceTable(table);
    const csv = await readCsvBody(ctx.request, deps.limits.maxCsvBytes);
    const outcome = await populateBase(deps.oltp, name, csv);
    ctx.log.info('populate_base loaded', { ...outcome });
    return jsonResponse(200, outcome);
  });
}
