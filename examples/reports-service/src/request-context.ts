import type { ReportPrincipal } from '@bionicpro/reports';
import type { Logger } from './logger.js';

/** What a route handler receives: the request, its parsed URL and path parameters, and per-request helpers. */
export interface RequestContext {
  readonly request: Request;
  readonly url: URL;
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly log: Logger;
  /**
   * Verifies the request's bearer token (once per request) and returns the
   * caller, or throws `AuthenticationError` (401).
   */
  authenticate(): Promise<ReportPrincipal>;
}

/** A framework-free route handler: plain values in, a Fetch `Response` out. */
export type Handler = (context: RequestContext) => Promise<Response>;
