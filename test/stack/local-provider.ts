/**
 * The "local" provider: the services scripts/infra/up.sh runs from Maven Central jars on loopback.
 * Used when the machine has a JDK (17+) and Maven and no environment variable names a service.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { servicesFromEnv } from './env-provider.js';
import type { ServiceMap, ServiceName } from './types.js';

const ROOT = join(import.meta.dirname, '..', '..');
const INFRA_DIR = process.env.BIONICPRO_INFRA_DIR ?? join(ROOT, '.infra');
const RUN_DIR = join(INFRA_DIR, 'run');

/** The up.sh service names that provide a test service (clickhouse is embedded chDB unless named). */
const UP_NAMES: Partial<Record<ServiceName, string>> = {
  postgres: 'postgres',
  kafka: 'kafka',
  connect: 'connect',
  keycloak: 'keycloak',
  redis: 'redis',
  prometheus: 'prometheus',
};
const PROCESSES: Partial<Record<ServiceName, readonly string[]>> = {
  kafka: ['kafka'],
  connect: ['connect'],
  keycloak: ['keycloak'],
  redis: ['redis'],
  prometheus: ['prometheus'],
};
/** Services that run on the JVM (the others need no JDK: the machine's PostgreSQL, Debian's Prometheus). */
const JVM_SERVICES: ReadonlySet<ServiceName> = new Set(['kafka', 'connect', 'keycloak']);

/** Whether this machine can run the local stack (of `names`): a JVM and Maven (or jars already cached). */
export function localStackAvailable(
  names: readonly ServiceName[] = [...JVM_SERVICES],
): { ok: true } | { ok: false; reason: string } {
  if (!names.some((name) => JVM_SERVICES.has(name))) return { ok: true };
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.status !== 0) return { ok: false, reason: 'no `java` on PATH (JDK 17+ needed)' };
  const cached = existsSync(join(INFRA_DIR, 'kafka.stamp'));
  if (!cached && spawnSync('mvn', ['-v'], { stdio: 'ignore' }).status !== 0) {
    return { ok: false, reason: 'no `mvn` on PATH to fetch the jars from Maven Central' };
  }
  return { ok: true };
}

/** The process names (kafka, connect, keycloak) whose recorded pid is alive. */
export function runningProcesses(): Set<string> {
  const alive = new Set<string>();
  for (const name of ['kafka', 'connect', 'keycloak', 'redis', 'prometheus']) {
    const file = join(RUN_DIR, `${name}.pid`);
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, 'utf8').trim());
    try {
      process.kill(pid, 0);
      alive.add(name);
    } catch {
      // stale pid file
    }
  }
  return alive;
}

function run(script: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(ROOT, 'scripts', 'infra', script), ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`scripts/infra/${script} ${args.join(' ')} exited with ${code}`)),
    );
  });
}

export interface LocalStack {
  readonly services: ServiceMap;
  /** Stops what this call started (not what was already running). */
  stop(): Promise<void>;
}

/** Starts (or reuses) the named services with scripts/infra/up.sh and reads their coordinates. */
export async function startLocalStack(names: readonly ServiceName[]): Promise<LocalStack> {
  const upArgs = names.flatMap((n) => (UP_NAMES[n] ? [UP_NAMES[n]] : []));
  const before = runningProcesses();
  if (upArgs.length > 0) await run('up.sh', upArgs);
  const started = names
    .flatMap((n) => PROCESSES[n] ?? [])
    .concat(names.includes('connect') ? ['kafka'] : [])
    .filter((p, i, all) => all.indexOf(p) === i && !before.has(p));
  const envFile = join(RUN_DIR, 'env');
  const env: Record<string, string> = {};
  if (existsSync(envFile)) {
    for (const line of readFileSync(envFile, 'utf8').split('\n')) {
      const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
      if (m?.[1] && m[2] !== undefined) env[m[1]] = m[2];
    }
  }
  const fromEnv = servicesFromEnv(env).services;
  const services: ServiceMap = {};
  for (const n of names) {
    const s = fromEnv[n];
    if (s && n !== 'clickhouse') Object.assign(services, { [n]: { ...s, provider: 'local' } });
  }
  return {
    services,
    async stop() {
      if (started.length > 0) await run('down.sh', started);
    },
  };
}
