import type { ServiceMap, StackServices } from './types.js';

/** The environment variables that name already-running services (docs/real-stack.md). */
export const STACK_ENV = {
  postgres: 'BIONICPRO_PG_URL',
  kafka: 'KAFKA_BROKERS',
  connect: 'KAFKA_CONNECT_URL',
  keycloak: 'KEYCLOAK_URL',
  clickhouse: 'CLICKHOUSE_URL',
  redis: 'REDIS_URL',
  prometheus: 'PROMETHEUS_URL',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads the services named by environment variables; a variable that is unset is simply absent. */
export function servicesFromEnv(env: Env): StackServices {
  const services: ServiceMap = {};
  const unavailable: StackServices['unavailable'] = {};
  const pg = env[STACK_ENV.postgres];
  if (pg) {
    const u = new URL(pg);
    const port = Number(u.port || 5432);
    services.postgres = {
      provider: 'env',
      host: u.hostname,
      port,
      user: decodeURIComponent(u.username || 'postgres'),
      password: decodeURIComponent(u.password),
      hostForConnect: env.BIONICPRO_PG_HOST_FOR_CONNECT ?? u.hostname,
      portForConnect: Number(env.BIONICPRO_PG_PORT_FOR_CONNECT ?? port),
    };
  }
  const kafka = env[STACK_ENV.kafka];
  if (kafka) {
    const brokers = kafka
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    const forConnect = env.KAFKA_BROKERS_FOR_CONNECT?.split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    services.kafka = { provider: 'env', brokers, brokersForConnect: forConnect ?? brokers };
  }
  const connect = env[STACK_ENV.connect];
  if (connect) services.connect = { provider: 'env', url: connect.replace(/\/+$/, '') };
  const keycloak = env[STACK_ENV.keycloak];
  if (keycloak) {
    const url = keycloak.replace(/\/+$/, '');
    const realm = env.KEYCLOAK_REALM ?? 'bionicpro';
    services.keycloak = { provider: 'env', url, realm, issuer: `${url}/realms/${realm}` };
  }
  const redis = env[STACK_ENV.redis];
  if (redis) services.redis = { provider: 'env', url: redis };
  const prometheus = env[STACK_ENV.prometheus];
  const targetsDir = env.PROMETHEUS_TARGETS_DIR;
  if (prometheus && targetsDir) {
    services.prometheus = { provider: 'env', url: prometheus.replace(/\/+$/, ''), targetsDir };
  } else if (prometheus) {
    unavailable.prometheus =
      'PROMETHEUS_URL is set but PROMETHEUS_TARGETS_DIR (its file_sd directory) is not';
  }
  const ch = env[STACK_ENV.clickhouse];
  services.clickhouse = ch ? { provider: 'env', url: ch } : { provider: 'embedded' };
  for (const [name, variable] of Object.entries(STACK_ENV)) {
    if (!(name in services)) unavailable[name as keyof ServiceMap] ??= `${variable} is not set`;
  }
  return { services, unavailable };
}
