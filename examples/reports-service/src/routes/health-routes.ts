import { jsonResponse } from '../http-errors.js';
import type { Handler } from '../request-context.js';
import type { Router } from '../router.js';

/** One dependency the service needs to answer requests (ClickHouse, the two PostgreSQL databases). */
export interface DependencyCheck {
  readonly name: string;
  /**
   * The service still answers without it (a shared report cache): when down
   * it is reported as `degraded` and readiness stays up.
   */
  readonly optional?: boolean;
  /** Resolves when the dependency answers; rejects (or times out) otherwise. */
  check(): Promise<void>;
}

/** What the health endpoints need. */
export interface HealthRoutesDeps {
  readonly checks: readonly DependencyCheck[];
  /** True once shutdown began: readiness fails so a load balancer stops sending traffic. */
  readonly draining: () => boolean;
  readonly version: string;
  readonly startedAt: number;
  /** Longest a dependency check may take. Default 2 s. */
  readonly timeoutMs?: number;
}

/**
 * Registers `GET /health` (status of every dependency), `GET /health/live`
 * (the process answers) and `GET /health/ready` (ClickHouse and PostgreSQL
 * answer and the service is not draining; 503 otherwise).
 *
 * @example
 * ```ts
 * registerHealthRoutes(router, { checks: [clickhouseCheck], draining: () => false, version: '1.0.0', startedAt: Date.now() });
 * ```
 */
export function registerHealthRoutes(router: Router<Handler>, deps: HealthRoutesDeps): void {
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const runChecks = async () => {
    const results = await Promise.all(
      deps.checks.map(async (dependency) => {
        const started = performance.now();
        try {
          await withTimeout(dependency.check(), timeoutMs, dependency.name);
          return [dependency.name, { status: 'up', latency_ms: round(performance.now() - started) }] as const;
        } catch (error) {
          return [
            dependency.name,
            {
              status: dependency.optional ? 'degraded' : 'down',
              error: error instanceof Error ? error.message : String(error),
            },
          ] as const;
        }
      }),
    );
    return Object.fromEntries(results) as Record<string, { status: string }>;
  };
  const allUp = (checks: Record<string, { status: string }>) =>
    Object.values(checks).every((c) => c.status === 'up' || c.status === 'degraded');

  router.add('GET', '/health', async () => {
    const checks = await runChecks();
    const ok = allUp(checks) && !deps.draining();
    return jsonResponse(ok ? 200 : 503, {
      status: ok
        ? Object.values(checks).some((c) => c.status === 'degraded')
          ? 'degraded'
          : 'ok'
        : deps.draining()
          ? 'draining'
          : 'degraded',
      version: deps.version,
      uptime_s: Math.round((Date.now() - deps.startedAt) / 1000),
      checks,
    });
  });

  router.add('GET', '/health/live', async () => jsonResponse(200, { status: 'alive' }));

  router.add('GET', '/health/ready', async () => {
    if (deps.draining()) return jsonResponse(503, { status: 'draining' });
    const checks = await runChecks();
    return jsonResponse(allUp(checks) ? 200 : 503, { status: allUp(checks) ? 'ready' : 'not_ready', checks });
  });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
