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
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function request(
    method: string,
    path: string,
    body?: unknown,
    connector?: string,
  ): Promise<{ status: number; body: unknown }> {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
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

  function fail(
    method: string,
    path: string,
    result: { status: number; body: unknown },
    connector?: string,
  ): never {
    const message = (result.body as { message?: string } | null)?.message ?? JSON.stringify(result.body);
    throw new ConnectError('connect_http', `${method} ${path} answered ${result.status}: ${message}`, {
      status: result.status,
      ...(connector === undefined ? {} : { connector }),
    });
  }

  const path = (name: string, suffix = '') => `/connectors/${encodeURIComponent(name)}${suffix}`;

  const client: ConnectClient = {
    async getConfig(name) {
      const result = await request('GET', path(name, '/config'), undefined, name);
      if (result.status === 404) return undefined;
      if (result.status !== 200) fail('GET', path(name, '/config'), result, name);
      return result.body as Record<string, string>;
    },
    async upsertConnector(name, config) {
      const current = await client.getConfig(name);
      if (current && sameConfig(current, config)) return 'unchanged';
      // Connect answers 409 while a rebalance is in progress: try again shortly.
      for (let attempt = 0; ; attempt++) {
        const result = await request('PUT', path(name, '/config'), config, name);
        if (result.status === 201) return 'created';
        if (result.status === 200) return current ? 'updated' : 'created';
        if (result.status === 409 && attempt < 10) {
          await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
          continue;
        }
        fail('PUT', path(name, '/config'), result, name);
      }
    },
    async getStatus(name) {
      const result = await request('GET', path(name, '/status'), undefined, name);
      if (result.status === 404) return undefined;
      if (result.status !== 200) fail('GET', path(name, '/status'), result, name);
      return result.body as ConnectorStatus;
    },
    async listConnectors() {
      const result = await request('GET', '/connectors');
      if (result.status !== 200) fail('GET', '/connectors', result);
      return result.body as string[];
    },
    async waitUntilRunning(name, waitOptions = {}) {
      const deadline = Date.now() + (waitOptions.timeoutMs ?? 60_000);
      const interval = waitOptions.intervalMs ?? 500;
      let last: ConnectorStatus | undefined;
      for (;;) {
        last = await client.getStatus(name);
        if (last) {
          const failed = [
            ...(last.connector.state === 'FAILED'
              ? [{ what: 'connector', trace: last.connector.trace }]
              : []),
            ...last.tasks
              .filter((t) => t.state === 'FAILED')
              .map((t) => ({ what: `task ${t.id}`, trace: t.trace })),
          ];
          if (failed.length > 0) {
            throw new ConnectError(
              'connect_task_failed',
              `connector ${name}: ${failed.map((f) => `${f.what} FAILED${f.trace ? `: ${f.trace.split('\n')[0]}` : ''}`).join('; ')}`,
              { connector: name },
            );
          }
          if (
            last.connector.state === 'RUNNING' &&
            last.tasks.length > 0 &&
            last.tasks.every((t) => t.state === 'RUNNING')
          ) {
            return last;
          }
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
    },
    async restartFailed(name) {
      const status = await client.getStatus(name);
      if (!status)
        throw new ConnectError('connect_http', `connector ${name} does not exist`, {
          status: 404,
          connector: name,
        });
      if (status.connector.state === 'FAILED') {
        const result = await request('POST', path(name, '/restart'), undefined, name);
        if (result.status >= 300) fail('POST', path(name, '/restart'), result, name);
      }
      const restarted: number[] = [];
      for (const task of status.tasks) {
        if (task.state !== 'FAILED') continue;
        const taskPath = path(name, `/tasks/${task.id}/restart`);
        const result = await request('POST', taskPath, undefined, name);
        if (result.status >= 300) fail('POST', taskPath, result, name);
        restarted.push(task.id);
      }
      return restarted;
    },
    async pause(name) {
      const result = await request('PUT', path(name, '/pause'), undefined, name);
      if (result.status >= 300) fail('PUT', path(name, '/pause'), result, name);
    },
    async resume(name) {
      const result = await request('PUT', path(name, '/resume'), undefined, name);
      if (result.status >= 300) fail('PUT', path(name, '/resume'), result, name);
    },
    async delete(name) {
      const result = await request('DELETE', path(name), undefined, name);
      if (result.status === 404 || result.status < 300) return;
      fail('DELETE', path(name), result, name);
    },
  };
  return client;
}
