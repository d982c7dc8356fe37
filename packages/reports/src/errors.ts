import { BionicProError } from '@bionicpro/models';

/**
 * Error classes of @bionicpro/reports, all extending `BionicProError` of
 * `@bionicpro/models`. Every class carries a readonly `code`,
 * and the access-control errors carry the HTTP status a service should answer
 * with, so a thin HTTP adapter maps them without inspecting messages.
 */

/** Why a bearer token was refused. Logged, never sent to the client verbatim. */
export type AuthenticationFailure =
  | 'token_missing'
  | 'token_malformed'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'algorithm_not_allowed'
  | 'signature_invalid'
  | 'unknown_key'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'claim_invalid'
  | 'jwks_unavailable';

/**
 * The request carries no usable credentials (HTTP 401). `reason` is meant for
 * logs; {@link reportErrorResponse} only tells the client `invalid_token`.
 *
 * @example
 * ```ts
 * try { await verifier.verify(token); } catch (e) {
 *   if (e instanceof AuthenticationError) console.warn(e.reason);
 * }
 * ```
 */
export class AuthenticationError extends BionicProError {
  readonly code = 'authentication_failed' as const;
  readonly status = 401 as const;
  override readonly name = 'AuthenticationError';
  constructor(
    readonly reason: AuthenticationFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Internal reason for a 403; never part of the message, so callers cannot probe for users. */
export type AccessDenialReason = 'other_subject' | 'unknown_subject';

/**
 * A valid token asked for a report it may not read (HTTP 403). The message is
 * the same whatever the reason, and the requested user is never looked up, so
 * the answer reveals nothing about whether that user exists.
 *
 * @example
 * ```ts
 * const answer = (err: unknown) =>
 *   err instanceof AccessDeniedError ? new Response(null, { status: err.status }) : undefined;
 * ```
 */
export class AccessDeniedError extends BionicProError {
  readonly code = 'access_denied' as const;
  readonly status = 403 as const;
  override readonly name = 'AccessDeniedError';
  constructor(readonly reason: AccessDenialReason) {
    super('not allowed to read this report');
  }
}

/**
 * A request value failed validation before any query was built (HTTP 400):
 * names the parameter and the reason.
 *
 * @example
 * ```ts
 * new ReportParameterError('month', 'expected YYYY-MM', '2024-13');
 * ```
 */
export class ReportParameterError extends BionicProError {
  readonly code = 'invalid_report_parameter' as const;
  readonly status = 400 as const;
  override readonly name = 'ReportParameterError';
  constructor(
    readonly parameter: string,
    readonly reason: string,
    readonly value?: unknown,
    options: { cause?: unknown } = {},
  ) {
    super(`invalid report parameter "${parameter}": ${reason}`, { path: [parameter], cause: options.cause });
  }
}

/**
 * A report query was about to run without a subject scope issued by this
 * package. The type system already forbids it; this is the run-time guard for
 * JavaScript callers and casts.
 *
 * @example
 * ```ts
 * try {
 *   scopedQuery(reportTables().userMonthly, {} as never); // a scope not issued by resolveReportScope
 * } catch (error) {
 *   console.log(error instanceof UnscopedQueryError); // true
 * }
 * ```
 */
export class UnscopedQueryError extends BionicProError {
  readonly code = 'unscoped_query' as const;
  override readonly name = 'UnscopedQueryError';
  constructor(detail: string) {
    super(`report query without a valid subject scope: ${detail}`);
  }
}

/**
 * A query result did not have the shape a report needs, or the assembled
 * report failed its DTO schema. Carries the issues found.
 *
 * @example
 * ```ts
 * if (err instanceof ReportAssemblyError) console.error(err.report, err.issues);
 * ```
 */
export class ReportAssemblyError extends BionicProError {
  readonly code = 'report_assembly_failed' as const;
  override readonly name = 'ReportAssemblyError';
  constructor(
    readonly report: string,
    readonly issues: readonly { path: string; message: string }[],
    options?: { cause?: unknown },
  ) {
    super(
      `${report}: ${issues
        .slice(0, 5)
        .map((i) => `${i.path || '(root)'}: ${i.message}`)
        .join('; ')}${issues.length > 5 ? ` (+${issues.length - 5} more)` : ''}`,
      options,
    );
  }
}

/**
 * The report's subject has no data row that the report cannot do without
 * (EMG report needs the user's CRM row) (HTTP 404). Only reachable for a scope
 * the caller may read, so it reveals nothing about other users.
 *
 * @example
 * ```ts
 * const answer = (err: unknown) =>
 *   err instanceof ReportNotFoundError ? new Response(null, { status: err.status }) : undefined;
 * ```
 */
export class ReportNotFoundError extends BionicProError {
  readonly code = 'report_not_found' as const;
  readonly status = 404 as const;
  override readonly name = 'ReportNotFoundError';
  constructor(readonly report: string) {
    super(`${report}: no such user`);
  }
}
