/**
 * What a test imports to reach the real services the integration suite runs against
 * (PostgreSQL with logical replication, Kafka, Kafka Connect + Debezium, Keycloak, ClickHouse).
 *
 * `test/global-setup.ts` brings the services up once per run and hands their coordinates to the
 * test processes through vitest's `provide`/`inject` (key `bionicproStack`). A test asks for one:
 *
 * ```ts
 * import { requireService, postgresUrl } from '../../../test/services.js';
 * const kafka = requireService('kafka'); // { brokers: ['127.0.0.1:19092'], provider: 'local' }
 * ```
 *
 * `requireService` throws {@link ServiceUnavailableError} (the test fails; it is never skipped)
 * when the service could not be provided, naming the provider tried and the reason. Call it with a
 * string literal: global setup scans test files for `requireService('<name>')` to decide which
 * services to start, so a unit-only run starts no JVM.
 *
 * Outside vitest (a bench run with tsx), the same values are read from the environment variables
 * `BIONICPRO_PG_URL`, `KAFKA_BROKERS`, `KAFKA_CONNECT_URL`, `KEYCLOAK_URL`, `CLICKHOUSE_URL`, `REDIS_URL`,
 * `PROMETHEUS_URL` (with `PROMETHEUS_TARGETS_DIR`, its file_sd directory).
 */
import { inject } from 'vitest';
import type { ServiceName, StackServices } from './stack/types.js';
import { servicesFromEnv } from './stack/env-provider.js';

export type {
  ClickHouseService,
  ConnectService,
  KafkaService,
  KeycloakService,
  PostgresService,
  PrometheusService,
  ProviderName,
  RedisService,
  ServiceName,
  ServiceOf,
  StackServices,
} from './stack/types.js';
export { postgresUrl } from './stack/postgres-url.js';

/** A service a test needs was not provided; the message says which, by what, and why. */
export class ServiceUnavailableError extends Error {
  readonly code = 'SERVICE_UNAVAILABLE';
  constructor(
    readonly service: ServiceName,
    readonly reason: string,
  ) {
    super(
      `${service} is unavailable: ${reason}. Start it with scripts/infra/up.sh ${service === 'clickhouse' ? '' : service}` +
        ' or point the suite at a running one (docs/real-stack.md).',
    );
    this.name = 'ServiceUnavailableError';
  }
}

let cached: StackServices | undefined;

/** Every service global setup resolved (or, outside vitest, what the environment names). */
export function stackServices(): StackServices {
  if (cached) return cached;
  let provided: StackServices | undefined;
  try {
    provided = inject('bionicproStack');
  } catch {
    provided = undefined; // not inside a vitest worker
  }
  cached = provided ?? servicesFromEnv(process.env);
  return cached;
}

/** The coordinates of one service, or a {@link ServiceUnavailableError}. */
export function requireService<N extends ServiceName>(name: N): NonNullable<StackServices['services'][N]> {
  const stack = stackServices();
  const service = stack.services[name];
  if (service) return service as NonNullable<StackServices['services'][N]>;
  throw new ServiceUnavailableError(name, stack.unavailable[name] ?? 'global setup did not provide it');
}

declare module 'vitest' {
  export interface ProvidedContext {
    bionicproStack: StackServices;
  }
}
