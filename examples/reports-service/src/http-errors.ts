import { type ModelIssue, ModelValidationError } from '@bionicpro/models';
import { ReportParameterError, reportErrorResponse } from '@bionicpro/reports';
import { DuplicateUserError } from './ingestion/crm-users.js';

/** Where in the request a problem was found. */
export type RequestPart = 'body' | 'query' | 'path' | 'header';

/** One problem of a request, as sent back to the client. */
export interface RequestIssue {
  /** `body`, `query`, `path` or `header`, then the path inside it: `['body', 3, 'event_timestamp']`. */
  readonly path: readonly (string | number)[];
  readonly code: string;
  readonly message: string;
}

/**
 * Most issues one 400 answer lists; `issue_count` says how many were found.
 * Keeps an error body a few kilobytes whatever the request (30 KB of `[{},…]`
 * holds 70,000 problems).
 */
export const MAX_LISTED_ISSUES = 100;

/**
 * The request is invalid (HTTP 400). Carries the problems found, each with
 * where it is, a machine-readable code and a sentence; `total` counts the
 * problems found when a producer stopped keeping them (see
 * {@link MAX_LISTED_ISSUES}).
 *
 * @example
 * ```ts
 * throw RequestValidationError.fromModel('body', modelError);
 * ```
 */
export class RequestValidationError extends Error {
  readonly code = 'invalid_request' as const;
  readonly status = 400 as const;
  override readonly name = 'RequestValidationError';
  readonly total: number;
  constructor(
    readonly issues: readonly RequestIssue[],
    total?: number,
  ) {
    super(
      `invalid request: ${issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}${(total ?? issues.length) > 3 ? ` (+${(total ?? issues.length) - 3} more)` : ''}`,
    );
    this.total = Math.max(total ?? 0, issues.length);
  }

  /** Wraps the issues of a model validation, prefixed with the request part. */
  static fromModel(
    part: RequestPart,
    issues: readonly ModelIssue[],
    prefix: readonly (string | number)[] = [],
  ) {
    return new RequestValidationError(
      issues.map((issue) => ({
        path: [part, ...prefix, ...issue.path],
        code: issue.code,
        message: issue.message,
      })),
    );
  }
}

/** The body is larger than the configured limit (HTTP 413). */
export class PayloadTooLargeError extends Error {
  readonly code = 'payload_too_large' as const;
  readonly status = 413 as const;
  override readonly name = 'PayloadTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`request body exceeds ${limitBytes} bytes`);
  }
}

/** The body's media type is not one the endpoint reads (HTTP 415). */
export class UnsupportedMediaTypeError extends Error {
  readonly code = 'unsupported_media_type' as const;
  readonly status = 415 as const;
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(
    readonly expected: readonly string[],
    readonly received: string | null,
  ) {
    super(`expected content-type ${expected.join(' or ')}, got ${received ?? 'none'}`);
  }
}

/** A verified caller lacks the role an endpoint needs (HTTP 403). */
export class MissingRoleError extends Error {
  readonly code = 'missing_role' as const;
  readonly status = 403 as const;
  override readonly name = 'MissingRoleError';
  constructor(readonly role: string) {
    super(`requires the ${role} role`);
  }
}

/** No route matches the path (HTTP 404), or the resource is not visible to the caller. */
export class NotFoundError extends Error {
  readonly code = 'not_found' as const;
  readonly status = 404 as const;
  override readonly name = 'NotFoundError';
}

/** The path exists but not with this method (HTTP 405). */
export class MethodNotAllowedError extends Error {
  readonly code = 'method_not_allowed' as const;
  readonly status = 405 as const;
  override readonly name = 'MethodNotAllowedError';
  constructor(readonly allowed: readonly string[]) {
    super(`method not allowed; use ${allowed.join(', ')}`);
  }
}

/** A dependency (ClickHouse, PostgreSQL) is unreachable (HTTP 503). */
export class DependencyUnavailableError extends Error {
  readonly code = 'dependency_unavailable' as const;
  readonly status = 503 as const;
  override readonly name = 'DependencyUnavailableError';
  constructor(
    readonly dependency: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} is unavailable`, options);
  }
}

/**
 * A JSON response with `cache-control: no-store` (reports are per user).
 *
 * @example
 * ```ts
 * return jsonResponse(200, report);
 * ```
 */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new TextBodyResponse(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/**
 * A `Response` whose body is a string kept as is: `text()`/`json()` return it
 * directly and the body stream is only created if someone asks for `body`.
 * Building a Response from a string costs ~30 µs (a ReadableStream per body),
 * a measurable share of a cached report; the HTTP adapter writes `bodyText`.
 */
export class TextBodyResponse extends Response {
  #used = false;
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null | undefined;
  constructor(
    readonly bodyText: string,
    init: ResponseInit,
  ) {
    super(null, init);
  }
  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    this.#stream ??= new Response(this.bodyText).body;
    return this.#stream;
  }
  override get bodyUsed(): boolean {
    return this.#used || (this.#stream?.locked ?? false);
  }
  #take(): string {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.bodyText;
  }
  override async text(): Promise<string> {
    return this.#take();
  }
  override async json(): Promise<unknown> {
    return JSON.parse(this.#take());
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    return new TextEncoder().encode(this.#take()).buffer as ArrayBuffer;
  }
  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new TextEncoder().encode(this.#take()) as Uint8Array<ArrayBuffer>;
  }
  override clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    return new TextBodyResponse(this.bodyText, {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
    });
  }
}

/**
 * Maps an error to the response a client sees, or `undefined` for an
 * unexpected error (the caller answers 500 and logs it). Client errors never
 * leak internals: 401 says only `unauthorized`, 403 one fixed sentence.
 *
 * @example
 * ```ts
 * catch (e) { return errorResponse(e) ?? jsonResponse(500, { error: 'internal_error' }); }
 * ```
 */
export function errorResponse(error: unknown): Response | undefined {
  if (error instanceof RequestValidationError) {
    return badRequest(error.issues.slice(0, MAX_LISTED_ISSUES), error.total);
  }
  if (error instanceof ModelValidationError) {
    return badRequest(
      error.issues
        .slice(0, MAX_LISTED_ISSUES)
        .map((i) => ({ path: ['body', ...i.path], code: i.code, message: i.message })),
      error.issues.length,
    );
  }
  if (error instanceof ReportParameterError) {
    const part: RequestPart =
      error.parameter === 'start_ts' || error.parameter === 'end_ts'
        ? 'body'
        : error.parameter === 'month'
          ? 'query'
          : 'path';
    return jsonResponse(400, {
      error: 'bad_request',
      message: 'the request is invalid',
      issues: [{ path: [part, error.parameter], code: 'invalid_parameter', message: error.reason }],
    });
  }
  if (error instanceof PayloadTooLargeError) {
    return jsonResponse(413, {
      error: 'payload_too_large',
      message: error.message,
      limit_bytes: error.limitBytes,
    });
  }
  if (error instanceof UnsupportedMediaTypeError) {
    return jsonResponse(415, { error: 'unsupported_media_type', message: error.message });
  }
  if (error instanceof MissingRoleError) {
    return jsonResponse(403, { error: 'forbidden', message: error.message });
  }
  if (error instanceof NotFoundError) {
    return jsonResponse(404, { error: 'not_found' });
  }
  if (error instanceof MethodNotAllowedError) {
    return jsonResponse(405, { error: 'method_not_allowed' }, { allow: error.allowed.join(', ') });
  }
  if (error instanceof DuplicateUserError) {
    return jsonResponse(409, { error: 'conflict', message: error.message });
  }
  if (error instanceof DependencyUnavailableError) {
    return jsonResponse(503, { error: 'unavailable', message: error.message }, { 'retry-after': '5' });
  }
  return reportErrorResponse(error);
}

function badRequest(issues: readonly RequestIssue[], total: number): Response {
  return jsonResponse(400, {
    error: 'bad_request',
    message:
      total > issues.length
        ? `the request is invalid: ${total} problems, the first ${issues.length} listed`
        : 'the request is invalid',
    issues,
    issue_count: total,
  });
}

/** Policy of an HTML answer that sets none: nothing loads, nothing frames it. */
const DEFAULT_HTML_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/**
 * Adds the headers every answer of the service carries: `nosniff` always,
 * and for HTML (report page, /docs, error and demo pages) a
 * `Content-Security-Policy` with `frame-ancestors 'none'` (the page's own
 * policy is kept and extended), `X-Frame-Options: DENY` for older browsers and
 * `Referrer-Policy: no-referrer` (report URLs name user ids). Headers a
 * handler set are never overwritten.
 *
 * @example
 * ```ts
 * return withSecurityHeaders(await handler(context));
 * ```
 */
export function withSecurityHeaders(response: Response): Response {
  const headers = response.headers;
  if (!headers.has('x-content-type-options')) headers.set('x-content-type-options', 'nosniff');
  if (!(headers.get('content-type') ?? '').startsWith('text/html')) return response;
  const policy = headers.get('content-security-policy');
  if (policy === null) headers.set('content-security-policy', DEFAULT_HTML_POLICY);
  else if (!/(^|;)\s*frame-ancestors\s/i.test(policy)) {
    headers.set('content-security-policy', `${policy}; frame-ancestors 'none'`);
  }
  if (!headers.has('x-frame-options')) headers.set('x-frame-options', 'DENY');
  if (!headers.has('referrer-policy')) headers.set('referrer-policy', 'no-referrer');
  return response;
}

/**
 * An HTML answer, `no-store` (pages name a user and their data); the
 * security headers are added by the app ({@link withSecurityHeaders}).
 *
 * @example
 * ```ts
 * return htmlResponse(200, page, { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" });
 * ```
 */
export function htmlResponse(status: number, html: string, headers: Record<string, string> = {}): Response {
  return new TextBodyResponse(html, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}
