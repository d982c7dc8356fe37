/**
 * Vitest global setup of the `integration` project: provides the real services once per run.
 *
 * 1. Which services: test files of this run that call `requireService('<name>')` (test/services.ts)
 *    name what they need; a run of files that need none starts nothing.
 * 2. From where, per service (printed at start):
 *    - `env`: an environment variable names a running one (BIONICPRO_PG_URL, KAFKA_BROKERS,
 *      KAFKA_CONNECT_URL, KEYCLOAK_URL, CLICKHOUSE_URL, REDIS_URL);
 *    - `local`: scripts/infra/up.sh starts it from Maven Central jars (needs java + mvn);
 *    - `testcontainers`: Docker containers (BIONICPRO_STACK=testcontainers, or auto when no JDK);
 *    - ClickHouse is embedded chDB unless CLICKHOUSE_URL names a server.
 *    BIONICPRO_STACK=auto|local|testcontainers|env forces the choice (default auto).
 * 3. Coordinates reach the tests through `provide('bionicproStack', …)`; read them with
 *    `requireService` from test/services.ts. They are also exported as the environment variables
 *    above (when not already set), which the test processes inherit.
 * 4. At the end, what this run started is stopped, unless BIONICPRO_KEEP_STACK=1.
 * A service that cannot be provided fails the run when CI=true; elsewhere the tests that ask for
 * it fail with the reason. Nothing is skipped.
 */
import { readFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { STACK_ENV, servicesFromEnv } from './stack/env-provider.js';
import { localStackAvailable, startLocalStack } from './stack/local-provider.js';
import { postgresUrl } from './stack/postgres-url.js';
import { SERVICE_NAMES, type ServiceMap, type ServiceName, type StackServices } from './stack/types.js';

const REQUIRE_RE =
  /requireService\(\s*['"](postgres|kafka|connect|keycloak|clickhouse|redis|prometheus)['"]\s*\)/g;

/** Services named by `requireService('…')` calls in the test files this run will execute. */
async function servicesNeeded(project: TestProject): Promise<Set<ServiceName>> {
  const needed = new Set<ServiceName>();
  let files: string[];
  try {
    // `filenamePattern` holds the CLI filters (`vitest run packages/cdc`); undefined means all files.
    const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern ?? [];
    files = (await project.globTestFiles(filters)).testFiles;
  } catch (error) {
    console.warn(`[stack] could not list this run's test files (${String(error)}); providing every service`);
    return new Set(SERVICE_NAMES);
  }
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(REQUIRE_RE)) needed.add(m[1] as ServiceName);
  }
  if (needed.has('connect')) needed.add('kafka').add('postgres');
  return needed;
}

type Teardown = () => Promise<void>;

function exportToEnv(services: ServiceMap): void {
  const set = (name: string, value: string) => {
    process.env[name] ??= value;
  };
  const { postgres, kafka, connect, keycloak, clickhouse, redis, prometheus } = services;
  if (postgres) set(STACK_ENV.postgres, postgresUrl(postgres, 'postgres'));
  if (kafka) set(STACK_ENV.kafka, kafka.brokers.join(','));
  if (connect) set(STACK_ENV.connect, connect.url);
  if (keycloak) {
    set(STACK_ENV.keycloak, keycloak.url);
    set('KEYCLOAK_REALM', keycloak.realm);
  }
  if (clickhouse?.url) set(STACK_ENV.clickhouse, clickhouse.url);
  if (redis) set(STACK_ENV.redis, redis.url);
  if (prometheus) {
    set(STACK_ENV.prometheus, prometheus.url);
    set('PROMETHEUS_TARGETS_DIR', prometheus.targetsDir);
  }
}

export default async function setup(project: TestProject): Promise<Teardown> {
  const t0 = performance.now();
  const needed = await servicesNeeded(project);
  const mode = process.env.BIONICPRO_STACK ?? 'auto';
  if (!['auto', 'local', 'testcontainers', 'env'].includes(mode)) {
    throw new Error(`BIONICPRO_STACK=${mode}: expected auto, local, testcontainers or env`);
  }
  const fromEnv = servicesFromEnv(process.env);
  const services: ServiceMap = {};
  const unavailable: StackServices['unavailable'] = {};
  const toStart: ServiceName[] = [];
  for (const name of needed) {
    const s = fromEnv.services[name];
    if (s && (name !== 'clickhouse' || s.provider === 'env' || mode !== 'testcontainers')) {
      Object.assign(services, { [name]: s });
    } else if (mode === 'env') {
      unavailable[name] = `${STACK_ENV[name]} is not set (BIONICPRO_STACK=env)`;
    } else {
      toStart.push(name);
    }
  }

  const teardowns: Teardown[] = [];
  if (toStart.length > 0) {
    let provider: 'local' | 'testcontainers' | undefined;
    let why = '';
    if (mode === 'testcontainers') provider = 'testcontainers';
    else {
      const local = localStackAvailable(toStart);
      if (local.ok) provider = 'local';
      else if (mode === 'local') why = local.reason;
      else {
        why = local.reason;
        provider = 'testcontainers';
      }
    }
    try {
      if (provider === 'local') {
        const stack = await startLocalStack(toStart);
        Object.assign(services, stack.services);
        teardowns.push(stack.stop);
      } else if (provider === 'testcontainers') {
        const { startContainerStack } = await import('./stack/testcontainers-provider.js');
        const stack = await startContainerStack(toStart);
        Object.assign(services, stack.services);
        teardowns.push(stack.stop);
      }
    } catch (error) {
      why = `${provider} provider failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    for (const name of toStart) {
      if (!services[name]) unavailable[name] = why || `the ${provider} provider did not start it`;
    }
  }

  const lines = [...needed].map((n) => {
    const s = services[n];
    if (!s) return `  ${n.padEnd(10)} UNAVAILABLE: ${unavailable[n]}`;
    const where =
      'url' in s && s.url
        ? s.url
        : 'brokers' in s
          ? s.brokers.join(',')
          : 'host' in s
            ? `${s.host}:${s.port}`
            : 'embedded chDB';
    return `  ${n.padEnd(10)} ${s.provider.padEnd(14)} ${where}`;
  });
  const seconds = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    needed.size === 0
      ? '[stack] this run needs no external service'
      : `[stack] services for this run (ready in ${seconds}s):\n${lines.join('\n')}`,
  );
  const missing = Object.keys(unavailable);
  if (missing.length > 0 && process.env.CI === 'true') {
    await Promise.allSettled(teardowns.map((t) => t()));
    throw new Error(`[stack] required services unavailable in CI: ${missing.join(', ')} (see above)`);
  }
  project.provide('bionicproStack', { services, unavailable });
  // Also as environment variables, for code that reads them directly (test processes inherit them).
  exportToEnv(services);

  return async () => {
    if (process.env.BIONICPRO_KEEP_STACK === '1') {
      console.log(
        '[stack] BIONICPRO_KEEP_STACK=1: leaving the services running (scripts/infra/down.sh stops them)',
      );
      return;
    }
    await Promise.allSettled(teardowns.map((t) => t()));
  };
}
