/**
 * A few Kafka Connect REST calls the harness needs before @bionicpro/cdc's client exists in a
 * test (fixture capture, bring-up checks). Tests of the pipeline use the package's own client.
 */
export type ConnectorConfig = Readonly<Record<string, string>>;

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok && !(method === 'DELETE' && res.status === 404)) {
    throw new Error(`Kafka Connect ${method} ${path}: HTTP ${res.status} ${text}`);
  }
  return text ? JSON.parse(text) : undefined;
}

/** Creates or updates a connector (PUT /connectors/{name}/config is idempotent). */
export async function putConnector(base: string, name: string, config: ConnectorConfig): Promise<void> {
  await call(base, 'PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
}

export async function deleteConnector(base: string, name: string): Promise<void> {
  await call(base, 'DELETE', `/connectors/${encodeURIComponent(name)}`);
}

interface ConnectorStatus {
  connector: { state: string; trace?: string };
  tasks: { id: number; state: string; trace?: string }[];
}

/** Waits until the connector and its task run; throws with the worker's trace when one failed. */
export async function waitRunning(base: string, name: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const s = (await call(
        base,
        'GET',
        `/connectors/${encodeURIComponent(name)}/status`,
      )) as ConnectorStatus;
      const failed = [s.connector, ...s.tasks].find((x) => x.state === 'FAILED');
      if (failed) throw new Error(`connector ${name} FAILED: ${failed.trace ?? '(no trace)'}`);
      if (
        s.connector.state === 'RUNNING' &&
        s.tasks.length > 0 &&
        s.tasks.every((t) => t.state === 'RUNNING')
      )
        return;
      last = JSON.stringify(s);
    } catch (error) {
      if (error instanceof Error && error.message.includes('FAILED')) throw error;
      last = String(error);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`connector ${name} not running after ${timeoutMs} ms: ${last}`);
}
