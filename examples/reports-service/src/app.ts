import { randomUUID } from 'node:crypto';
import type { KeycloakVerifier, ReportPrincipal } from '@bionicpro/reports';
import { errorResponse, jsonResponse, withSecurityHeaders } from './http-errors.js';
import type { Logger } from './logger.js';
import type { Handler, RequestContext } from './request-context.js';
import { createRouter, type Router } from './router.js';

/** What every request needs, whatever routes are registered. */
export interface AppOptions {
  readonly verifier: KeycloakVerifier;
  readonly logger: Logger;
  /**
   * Also accept the access token from this cookie when there is no
   * Authorization header (the demo's browser login). Off by default: in
   * production a BFF forwards the token as a Bearer header.
   */
  readonly tokenCookie?: string;
  /** Called once per answered request (metrics): method, route pattern, status and duration. */
  readonly onResponse?: (info: {
    readonly method: string;
    readonly route: string;
    readonly status: number;
    readonly durationMs: number;
  }) => void;
  /** Registers the routes; see `registerReportRoutes` and friends. */
  readonly routes: (router: Router<Handler>) => void;
}

/** The framework-free service: a Fetch handler plus what an HTTP adapter needs for shutdown. */
export interface App {
  /** Answers one request. Never throws: unexpected errors become a logged 500. */
  fetch(request: Request): Promise<Response>;
  /** Marks the service as draining (readiness turns 503); set by the adapter on shutdown. */
  startDraining(): void;
  readonly draining: boolean;
  readonly routes: readonly { readonly method: string; readonly pattern: string }[];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds the service core: routing, per-request id and JSON log line,
 * token verification on demand, and error mapping (400/401/403/404/405/413/415
 * from typed errors; anything else a 500 that names only the request id).
 *
 * @example
 * ```ts
 * const app = createApp({ verifier, logger, routes: (r) => registerReportRoutes(r, deps) });
 * const response = await app.fetch(new Request('http://svc/health/live'));
 * ```
 */
export function createApp(options: AppOptions): App {
  const router = createRouter<Handler>();
  options.routes(router);
  let draining = false;

  const tokenFromCookie = (request: Request): string | undefined => {
    if (options.tokenCookie === undefined) return undefined;
    const header = request.headers.get('cookie');
    if (header === null) return undefined;
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === options.tokenCookie) return part.slice(eq + 1).trim();
    }
    return undefined;
  };

  return {
    async fetch(request) {
      const started = performance.now();
      const given = request.headers.get('x-request-id');
      const requestId = given !== null && REQUEST_ID.test(given) ? given : randomUUID();
      const url = new URL(request.url);
      const log = options.logger.child({ request_id: requestId });
      let principal: Promise<ReportPrincipal> | undefined;
      let pattern = '(unmatched)';
      let response: Response;
      try {
        const match = router.match(request.method, url.pathname);
        pattern = match.pattern;
        const context: RequestContext = {
          request,
          url,
          params: match.params,
          requestId,
          log,
          authenticate() {
            if (principal === undefined) {
              const cookieToken = request.headers.has('authorization') ? undefined : tokenFromCookie(request);
              principal =
                cookieToken === undefined
                  ? options.verifier.authenticate(request)
                  : options.verifier.verify(cookieToken);
            }
            return principal;
          },
        };
        response = await match.handler(context);
      } catch (error) {
        const mapped = errorResponse(error);
        if (mapped) {
          response = mapped;
          if (mapped.status === 401) {
            log.info('authentication failed', { reason: (error as { reason?: string }).reason });
          } else if (mapped.status === 403) {
            log.info('access denied', {
              reason: (error as { reason?: string }).reason ?? (error as Error).message,
            });
          }
        } else {
          log.error('request failed', { error, method: request.method, route: pattern });
          response = jsonResponse(500, { error: 'internal_error', request_id: requestId });
        }
      }
      withSecurityHeaders(response);
      response.headers.set('x-request-id', requestId);
      const subject =
        principal === undefined
          ? undefined
          : await principal.then(
              (p) => p.subject.value,
              () => undefined,
            );
      const durationMs = performance.now() - started;
      options.onResponse?.({ method: request.method, route: pattern, status: response.status, durationMs });
      log.info('request', {
        method: request.method,
        path: url.pathname,
        route: pattern,
        status: response.status,
        duration_ms: Math.round(durationMs * 100) / 100,
        ...(subject === undefined ? {} : { subject }),
      });
      if (request.method === 'HEAD') {
        return new Response(null, { status: response.status, headers: response.headers });
      }
      return response;
    },
    startDraining() {
      draining = true;
    },
    get draining() {
      return draining;
    },
    routes: router.routes,
  };
}
