import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { App } from './app.js';
import { TextBodyResponse } from './http-errors.js';
import type { Logger } from './logger.js';

/**
 * The HTTP adapter: binds the framework-free {@link App} to `node:http`.
 * It only translates (IncomingMessage → Fetch `Request`, `Response` →
 * ServerResponse) and owns the socket life cycle: timeouts and graceful
 * shutdown that lets in-flight requests finish.
 */
export interface NodeServer {
  readonly server: Server;
  /** `http://host:port` the server listens on. */
  readonly url: string;
  /**
   * Stops accepting connections, marks the app as draining, waits for
   * in-flight requests (at most `timeoutMs`), then closes the remaining
   * connections. Resolves when the server is closed.
   */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Requests being answered right now. */
  readonly inFlight: number;
}

/** Options of {@link serveNode}. */
export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** Default for {@link NodeServer.shutdown}. Default 10 s. */
  readonly shutdownTimeoutMs?: number;
  /** Whole-request timeout (headers and body). Default 30 s. */
  readonly requestTimeoutMs?: number;
}

/**
 * Starts an HTTP server for an app.
 *
 * @example
 * ```ts
 * const server = await serveNode(app, { host: '0.0.0.0', port: 8080, logger });
 * process.once('SIGTERM', () => void server.shutdown());
 * ```
 */
export async function serveNode(app: App, options: ServeOptions): Promise<NodeServer> {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const server = createServer(
    {
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      headersTimeout: Math.min(options.requestTimeoutMs ?? 30_000, 20_000),
      keepAliveTimeout: 5_000,
    },
    (req, res) => {
      inFlight += 1;
      handle(app, req, res, options.logger).finally(() => {
        inFlight -= 1;
        if (inFlight === 0) idle?.();
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${address.port}`,
    get inFlight() {
      return inFlight;
    },
    shutdown(timeoutMs = options.shutdownTimeoutMs ?? 10_000) {
      closing ??= (async () => {
        app.startDraining();
        options.logger.info('shutdown started', { in_flight: inFlight });
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
        server.closeIdleConnections();
        const finished = new Promise<void>((resolve) => {
          if (inFlight === 0) resolve();
          else idle = resolve;
        });
        const timedOut = await Promise.race([
          finished.then(() => false),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(true), timeoutMs).unref()),
        ]);
        if (timedOut)
          options.logger.warn('shutdown timeout: closing busy connections', { in_flight: inFlight });
        server.closeAllConnections();
        await closed;
        options.logger.info('shutdown finished');
      })();
      return closing;
    },
  };
}

async function handle(app: App, req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
  let request: Request;
  try {
    request = toRequest(req);
  } catch (error) {
    if (!(error instanceof MalformedRequestError)) throw error;
    logger.info('malformed request', { status: error.status, reason: error.message, method: req.method });
    writeAdapterAnswer(res, req, error.status, error.code, error.message);
    return;
  }
  try {
    const response = await app.fetch(request);
    await writeResponse(response, res, req);
  } catch (error) {
    // app.fetch never throws; this is a broken socket or a body stream error.
    logger.warn('response not delivered', { error });
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal_error"}');
    } else {
      res.destroy();
    }
  }
}

/**
 * Methods passed to the app. Any other (TRACE, TRACK, WebDAV's, invented
 * ones) is answered 501 here: RFC 9110 §15.6.2 "not recognized or not
 * implemented", and Fetch's `Request` refuses some of them (TRACE) anyway.
 * OPTIONS reaches the router, which answers 405 with `Allow` for a known path.
 */
const IMPLEMENTED_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** `Host` per RFC 9112 §3.2: a DNS name or IPv4 address, or a bracketed IPv6 literal, then an optional port. */
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/** The request line or `Host` cannot be turned into a URL: answered by the adapter, the app never sees it. */
class MalformedRequestError extends Error {
  override readonly name = 'MalformedRequestError';
  constructor(
    readonly status: 400 | 501,
    readonly code: 'bad_request' | 'not_implemented',
    message: string,
  ) {
    super(message);
  }
}

function requestUrl(req: IncomingMessage): string {
  const target = req.url ?? '/';
  if (target.startsWith('/')) {
    // HTTP/1.0 may omit Host (Node refuses an HTTP/1.1 request without one).
    const host = req.headers.host ?? (req.httpVersion === '1.0' ? 'localhost' : undefined);
    const match = host === undefined ? null : HOST.exec(host);
    if (match === null || (match[1] !== undefined && Number(match[1]) > 65_535)) {
      throw new MalformedRequestError(400, 'bad_request', 'the Host header is not host[:port]');
    }
    // Origin-form is appended as text, never resolved: `//x/y` stays a path on this host.
    return `http://${host}${target}`;
  }
  // Absolute-form (RFC 9112 §3.2.2, sent through proxies): its authority replaces Host.
  if (/^https?:\/\//i.test(target)) return target;
  if (target === '*' && req.method === 'OPTIONS') {
    throw new MalformedRequestError(501, 'not_implemented', 'OPTIONS * is not implemented');
  }
  throw new MalformedRequestError(400, 'bad_request', 'the request target must be a path');
}

function toRequest(req: IncomingMessage): Request {
  const method = req.method ?? 'GET';
  if (!IMPLEMENTED_METHODS.has(method)) {
    throw new MalformedRequestError(501, 'not_implemented', `method ${method} is not implemented`);
  }
  let url: URL;
  try {
    url = new URL(requestUrl(req));
  } catch (error) {
    if (error instanceof MalformedRequestError) throw error;
    throw new MalformedRequestError(400, 'bad_request', 'the Host header and target do not form a URL');
  }
  const headers = new Headers();
  const raw = req.rawHeaders;
  try {
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  } catch {
    throw new MalformedRequestError(400, 'bad_request', 'a header is not a valid field');
  }
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  // A client that goes away mid-body aborts the body stream, so a handler reading it stops.
  const controller = new AbortController();
  req.once('close', () => {
    if (!req.complete) controller.abort();
  });
  return new Request(url, {
    method,
    headers,
    signal: controller.signal,
    body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
}

/** An answer written by the adapter itself (the request never reached the app). */
function writeAdapterAnswer(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  code: string,
  message: string,
): void {
  const body = JSON.stringify({ error: code, message });
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  };
  // The body (if any) was not read: this connection cannot carry another request.
  if (!req.complete) headers['connection'] = 'close';
  res.writeHead(status, headers).end(body);
}

async function writeResponse(response: Response, res: ServerResponse, req: IncomingMessage): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  // Answered before the body was read (401, 413, …): the rest of the body is
  // still on the wire, so this connection cannot carry another request.
  if (!req.complete) headers['connection'] = 'close';
  response.headers.forEach((value, key) => {
    if (key === 'set-cookie' || (key === 'connection' && headers['connection'])) return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (response instanceof TextBodyResponse && !response.bodyUsed) {
    const text = response.bodyText;
    headers['content-length'] = String(Buffer.byteLength(text));
    res.writeHead(response.status, headers).end(text);
    return;
  }
  if (response.body === null) {
    res.writeHead(response.status, headers).end();
    return;
  }
  // Small bodies (every JSON report) are written in one go with a length.
  const body = new Uint8Array(await response.arrayBuffer());
  headers['content-length'] = String(body.byteLength);
  res.writeHead(response.status, headers).end(body);
}
