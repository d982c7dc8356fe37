/**
 * A client for the Kafka Connect REST API: create or update a connector
 * idempotently, wait until it and its tasks run, restart failed tasks,
 * pause/resume, delete. Uses `fetch`; pass your own for proxies or auth.
 */
import { ConnectError } from './errors.js';

/** `RUNNING`, `PAUSED`, `FAILED`, `UNASSIGNED`, `RESTARTING`, `STOPPED`. */
export type ConnectorState = 'RUNNING' | 'PAUSED' | 'FAILED' | 'UNASSIGNED' | 'RESTARTING' | 'STOPPED';

/** `GET /connectors/{name}/status`. */
export interface ConnectorStatus {
  readonly name: string;
  readonly connector: { readonly state: ConnectorState; readonly worker_id: string; readonly trace?: string };
  readonly tasks: readonly {
    readonly id: number;
    readonly state: ConnectorState;
    readonly worker_id: string;
    readonly trace?: string;
  }[];
  readonly type?: string;
}

/** Options of {@link createConnectClient}. */
export interface ConnectClientOptions {
  /** Base URL of a Connect worker, e.g. `http://127.0.0.1:8083`. */
  readonly url: string;
  readonly fetch?: typeof fetch;
  readonly headers?: Record<string, string>;
  /** Per-request timeout (default 30 s). */
  readonly timeoutMs?: number;
}

/** What {@link ConnectClient.upsertConnector} did. */
export type UpsertAction = 'created' | 'updated' | 'unchanged';

/** The Kafka Connect REST client. */
export interface ConnectClient {
  /** `PUT /connectors/{name}/config`, skipped when the stored config is already equal. */
  upsertConnector(name: string, config: Readonly<Record<string, string>>): Promise<UpsertAction>;
  /** `GET /connectors/{name}/config`, or undefined when the connector does not exist. */
  getConfig(name: string): Promise<Record<string, string> | undefined>;
  /** `GET /connectors/{name}/status`, or undefined when the connector does not exist. */
  getStatus(name: string): Promise<ConnectorStatus | undefined>;
  listConnectors(): Promise<string[]>;
  /**
   * Polls until the connector and every task are RUNNING (at least one task).
   * Throws `connect_task_failed` with the task's trace when one FAILED, or
   * `connect_timeout`.
   */
  waitUntilRunning(
    name: string,
    options?: { timeoutMs?: number; intervalMs?: number },
  ): Promise<ConnectorStatus>;
  /** Restarts the FAILED tasks (and the connector if it failed); returns the restarted task ids. */
  restartFailed(name: string): Promise<number[]>;
  pause(name: string): Promise<void>;
  resume(name: string): Promise<void>;
  /** `DELETE /connectors/{name}`; deleting a missing connector is not an error. */
  delete(name: string): Promise<void>;
}

function sameConfig(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete('name');
  for (const key of keys) if (String(a[key]) !== String(b[key])) return false;
  return true;
}

/** Status code and parsed JSON body (the raw text when it is not JSON) of one Connect answer. */
interface ConnectResponse {
  readonly status: number;
  readonly body: unknown;
}

/** The HTTP side of the client: base URL, headers, timeout and the `fetch` to send with. */
class ConnectTransport {
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string> | undefined;

  constructor(options: ConnectClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.headers = options.headers;
  }

  /** Sends one request; a network failure or timeout is a `connect_http` error, any answer is returned. */
  async request(method: string, path: string, body?: unknown, connector?: string): Promise<ConnectResponse> {
    let response: Response;
    try {
      response = await this.doFetch(`${this.base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (cause) {
      throw new ConnectError('connect_http', `${method} ${path}: ${(cause as Error).message}`, {
        cause,
        ...(connector === undefined ? {} : { connector }),
      });
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // keep the text: an error page
    }
    return { status: response.status, body: parsed };
  }
}

/** Throws the `connect_http` error for an answer the caller did not expect, with Connect's message. */
function fail(method: string, path: string, result: ConnectResponse, connector?: string): never {
  const message = (result.body as { message?: string } | null)?.message ?? JSON.stringify(result.body);
  throw new ConnectError('connect_http', `${method} ${path} answered ${result.status}: ${message}`, {
    status: result.status,
    ...(connector === undefined ? {} : { connector }),
  });
}

const connectorPath = (name: string, suffix = '') => `/connectors/${encodeURIComponent(name)}${suffix}`;

/** GET of a connector resource: the body on 200, undefined on 404, an error otherwise. */
async function getResource(http: ConnectTransport, name: string, suffix: string): Promise<unknown> {
  const path = connectorPath(name, suffix);
  const result = await http.request('GET', path, undefined, name);
  if (result.status === 404) return undefined;
  if (result.status !== 200) fail('GET', path, result, name);
  return result.body;
}

async function upsertConnector(
  http: ConnectTransport,
  name: string,
  config: Readonly<Record<string, string>>,
): Promise<UpsertAction> {
  const current = (await getResource(http, name, '/config')) as Record<string, string> | undefined;
  if (current && sameConfig(current, config)) return 'unchanged';
  const path = connectorPath(name, '/config');
  // Connect answers 409 while a rebalance is in progress: try again shortly.
  for (let attempt = 0; ; attempt++) {
    const result = await http.request('PUT', path, config, name);
    if (result.status === 201) return 'created';
    if (result.status === 200) return current ? 'updated' : 'created';
    if (result.status === 409 && attempt < 10) {
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      continue;
    }
    fail('PUT', path, result, name);
  }
}

/** The FAILED parts of a status (the connector, then each task), with the first line of their trace. */
function failedParts(status: ConnectorStatus): string[] {
  return [
    ...(status.connector.state === 'FAILED' ? [{ what: 'connector', trace: status.connector.trace }] : []),
    ...status.tasks
      .filter((t) => t.state === 'FAILED')
      .map((t) => ({ what: `task ${t.id}`, trace: t.trace })),
  ].map((f) => `${f.what} FAILED${f.trace ? `: ${f.trace.split('\n')[0]}` : ''}`);
}

/** The connector and every task RUNNING, with at least one task. */
function isRunning(status: ConnectorStatus): boolean {
  return (
    status.connector.state === 'RUNNING' &&
    status.tasks.length > 0 &&
    status.tasks.every((t) => t.state === 'RUNNING')
  );
}

async function waitUntilRunning(
  http: ConnectTransport,
  name: string,
  waitOptions: { timeoutMs?: number; intervalMs?: number },
): Promise<ConnectorStatus> {
  const deadline = Date.now() + (waitOptions.timeoutMs ?? 60_000);
  const interval = waitOptions.intervalMs ?? 500;
  let last: ConnectorStatus | undefined;
  for (;;) {
    last = (await getResource(http, name, '/status')) as ConnectorStatus | undefined;
    if (last) {
      const failed = failedParts(last);
      if (failed.length > 0) {
        throw new ConnectError('connect_task_failed', `connector ${name}: ${failed.join('; ')}`, {
          connector: name,
        });
      }
      if (isRunning(last)) return last;
    }
    if (Date.now() >= deadline) {
      throw new ConnectError(
        'connect_timeout',
        `connector ${name} not RUNNING after ${waitOptions.timeoutMs ?? 60_000} ms (last status: ${JSON.stringify(last ?? 'missing')})`,
        { connector: name },
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

async function restartFailed(http: ConnectTransport, name: string): Promise<number[]> {
  const status = (await getResource(http, name, '/status')) as ConnectorStatus | undefined;
  if (!status)
    throw new ConnectError('connect_http', `connector ${name} does not exist`, {
      status: 404,
      connector: name,
    });
  if (status.connector.state === 'FAILED') await command(http, 'POST', name, '/restart');
  const restarted: number[] = [];
  for (const task of status.tasks) {
    if (task.state !== 'FAILED') continue;
    await command(http, 'POST', name, `/tasks/${task.id}/restart`);
    restarted.push(task.id);
  }
  return restarted;
}

/** A request without an answer body (pause, resume, restart, delete); `missingIsDone` accepts a 404. */
async function command(
  http: ConnectTransport,
  method: string,
  name: string,
  suffix: string,
  missingIsDone = false,
): Promise<void> {
  const path = connectorPath(name, suffix);
  const result = await http.request(method, path, undefined, name);
  if (result.status < 300 || (missingIsDone && result.status === 404)) return;
  fail(method, path, result, name);
}

/**
 * Creates a Kafka Connect client.
 *
 * @example
 * ```ts
 * import { createConnectClient, debeziumPostgresConnectorConfig } from '@bionicpro/cdc';
 * const connect = createConnectClient({ url: 'http://127.0.0.1:8083' });
 * await connect.upsertConnector('crm', debeziumPostgresConnectorConfig({ topicPrefix: 'crm', database, tables: ['public.users'] }));
 * await connect.waitUntilRunning('crm');
 * ```
 */
export function createConnectClient(options: ConnectClientOptions): ConnectClient {
  const http = new ConnectTransport(options);
  return {
    getConfig: async (name) =>
      (await getResource(http, name, '/config')) as Record<string, string> | undefined,
    upsertConnector: (name, config) => upsertConnector(http, name, config),
    getStatus: async (name) => (await getResource(http, name, '/status')) as ConnectorStatus | undefined,
    async listConnectors() {
      const result = await http.request('GET', '/connectors');
      if (result.status !== 200) fail('GET', '/connectors', result);
      return result.body as string[];
    },
    waitUntilRunning: (name, waitOptions = {}) => waitUntilRunning(http, name, waitOptions),
    restartFailed: (name) => restartFailed(http, name),
    pause: (name) => command(http, 'PUT', name, '/pause'),
    resume: (name) => command(http, 'PUT', name, '/resume'),
    delete: (name) => command(http, 'DELETE', name, '', true),
  };
}
