import { MethodNotAllowedError, NotFoundError, RequestValidationError } from './http-errors.js';

/** HTTP methods the service routes. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

/** A matched request: the route's handler and the decoded path parameters. */
export interface RouteMatch<H> {
  readonly handler: H;
  readonly params: Readonly<Record<string, string>>;
  /** The route pattern, e.g. `/reports/user/:user_id` (for logs and metrics). */
  readonly pattern: string;
}

interface Route<H> {
  readonly method: Method;
  readonly pattern: string;
  readonly segments: readonly string[];
  readonly handler: H;
}

/** A method + path router with `:param` segments. Framework-free, no regexes built from input. */
export interface Router<H> {
  add(method: Method, pattern: string, handler: H): Router<H>;
  /**
   * Finds the route of a request; throws {@link NotFoundError} (no such path),
   * {@link MethodNotAllowedError} (path exists with other methods) or
   * {@link RequestValidationError} (a parameter is not valid percent-encoding).
   * HEAD is answered by a GET route.
   */
  match(method: string, pathname: string): RouteMatch<H>;
  readonly routes: readonly { readonly method: Method; readonly pattern: string }[];
}

/**
 * Creates an empty router.
 *
 * @example
 * ```ts
 * const router = createRouter<Handler>().add('GET', '/reports/user/:user_id', userMonthly);
 * router.match('GET', '/reports/user/42').params.user_id; // '42'
 * ```
 */
export function createRouter<H>(): Router<H> {
  const routes: Route<H>[] = [];
  const router: Router<H> = {
    add(method, pattern, handler) {
      if (!pattern.startsWith('/')) throw new TypeError(`route pattern must start with /: ${pattern}`);
      routes.push({ method, pattern, segments: split(pattern), handler });
      return router;
    },
    match(method, pathname) {
      const segments = split(pathname);
      const allowed = new Set<string>();
      const wanted = method === 'HEAD' ? 'GET' : method;
      for (const route of routes) {
        const params = matchSegments(route.segments, segments);
        if (params === undefined) continue;
        if (route.method !== wanted) {
          allowed.add(route.method);
          continue;
        }
        return { handler: route.handler, params, pattern: route.pattern };
      }
      if (allowed.size > 0) throw new MethodNotAllowedError([...allowed]);
      throw new NotFoundError(`no route for ${pathname}`);
    },
    get routes() {
      return routes.map(({ method, pattern }) => ({ method, pattern }));
    },
  };
  return router;
}

function split(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/').slice(1);
}

function matchSegments(
  pattern: readonly string[],
  path: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i += 1) {
    const expected = pattern[i] as string;
    const actual = path[i] as string;
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      const name = expected.slice(1);
      try {
        params[name] = decodeURIComponent(actual);
      } catch {
        throw new RequestValidationError([
          { path: ['path', name], code: 'invalid_encoding', message: 'not valid percent-encoding' },
        ]);
      }
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
