import { ID_MAX, InvalidIdError, parseIdText } from '@bionicpro/models';
import {
  AccessDeniedError,
  AuthenticationError,
  ReportParameterError,
  UnscopedQueryError,
} from './errors.js';
import type { ReportPrincipal, ReportSubject } from './principal.js';

const SCOPE_BRAND: unique symbol = Symbol.for('@bionicpro/reports/ReportScope') as never;

/**
 * The one user a report query is for. Only this package creates scopes (after
 * an access decision, or explicitly for a trusted back-office caller), and
 * every report query requires one: an unscoped query does not type-check and
 * is refused at run time.
 */
export interface ReportScope {
  /** `users.id` / `user_id` in every mart. */
  readonly userId: number;
  /** How the scope was granted, for audit logs. */
  readonly grantedBy: 'self' | 'admin' | 'trusted';
  readonly [SCOPE_BRAND]: true;
}

/** Looks up the CRM user id of a token subject; see `clickhouseSubjectDirectory`. */
export interface SubjectDirectory {
  userIdFor(subject: ReportSubject): Promise<number | null>;
}

/**
 * Decides which user a request may read and returns the scope for it.
 *
 * - An admin (configured realm role) may read `requestedUserId`, whoever it is.
 * - Anyone else reads only their own reports: their subject is looked up in the
 *   directory and compared with `requestedUserId`. The requested user is never
 *   looked up, so a 403 takes the same path and says the same thing whether
 *   that user exists or not.
 * - Without `requestedUserId` (daily usage report "my reports" endpoints) the caller's own
 *   user is the scope.
 *
 * @example
 * ```ts
 * const principal = await verifier.authenticate(request);
 * const scope = await resolveReportScope(principal, directory, { requestedUserId: 42 });
 * const report = await reports.userMonthly(scope, '2024-01'); // reports: createReportService(…)
 * ```
 */
export async function resolveReportScope(
  principal: ReportPrincipal,
  directory: SubjectDirectory,
  request: { readonly requestedUserId?: number | string | undefined } = {},
): Promise<ReportScope> {
  if (!principal || typeof principal !== 'object' || !principal.subject) {
    throw new AuthenticationError('token_missing', 'no verified principal');
  }
  const requested =
    request.requestedUserId === undefined ? undefined : parseUserId(request.requestedUserId, 'user_id');
  if (principal.isAdmin && requested !== undefined) return makeScope(requested, 'admin');
  const own = await directory.userIdFor(principal.subject);
  if (own === null) throw new AccessDeniedError('unknown_subject');
  if (requested !== undefined && requested !== own) throw new AccessDeniedError('other_subject');
  return makeScope(own, 'self');
}

/**
 * A scope for code that is not serving a request on behalf of a token holder
 * (ETL checks, back-office jobs, tests). Named loudly so reviews notice it.
 *
 * @example
 * ```ts
 * const scope = trustedReportScope(42);
 * ```
 */
export function trustedReportScope(userId: number): ReportScope {
  return makeScope(parseUserId(userId, 'user_id'), 'trusted');
}

/**
 * Run-time guard used by every query builder: returns the user id of a scope
 * issued by this package or throws {@link UnscopedQueryError}.
 *
 * @example
 * ```ts
 * assertReportScope(trustedReportScope(1)); // 1
 * ```
 */
export function assertReportScope(scope: unknown): number {
  if (typeof scope !== 'object' || scope === null) throw new UnscopedQueryError('scope is missing');
  if ((scope as Record<symbol, unknown>)[SCOPE_BRAND] !== true) {
    throw new UnscopedQueryError('scope was not issued by resolveReportScope or trustedReportScope');
  }
  const userId = (scope as ReportScope).userId;
  if (!Number.isSafeInteger(userId) || userId <= 0)
    throw new UnscopedQueryError('scope has no valid user id');
  return userId;
}

/**
 * Parses a user id from a path, query or body: an integer id of the `users` table (1 …
 * 2^31−1), given as a number or as canonical decimal digits (`parseIdText` of
 * `@bionicpro/models`: no sign, leading zero, exponent, spaces or hex); anything else is a
 * {@link ReportParameterError} naming the parameter, whose `cause` is the `InvalidIdError`.
 *
 * @example
 * ```ts
 * parseUserId('42', 'user_id'); // 42
 * ```
 */
export function parseUserId(value: unknown, parameter = 'user_id'): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 1 && value <= ID_MAX) return value;
    throw new ReportParameterError(parameter, `expected an integer id from 1 to ${ID_MAX}`, value);
  }
  if (typeof value !== 'string') {
    throw new ReportParameterError(parameter, `expected an integer id from 1 to ${ID_MAX}`, value);
  }
  try {
    return parseIdText(value, { max: ID_MAX, name: parameter });
  } catch (cause) {
    const reason =
      cause instanceof InvalidIdError ? cause.message.replace(`${parameter}: `, '') : String(cause);
    throw new ReportParameterError(parameter, reason, value, { cause });
  }
}

function makeScope(userId: number, grantedBy: ReportScope['grantedBy']): ReportScope {
  return Object.freeze({ userId, grantedBy, [SCOPE_BRAND]: true as const });
}
