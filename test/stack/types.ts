/** Where a service came from: named by environment variables, started from Maven jars by
 * scripts/infra/up.sh, a Docker container started by testcontainers, or embedded in the process. */
export type ProviderName = 'env' | 'local' | 'testcontainers' | 'embedded';

export interface PostgresService {
  readonly provider: ProviderName;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** How Kafka Connect reaches the same server (differs from host/port inside a Docker network). */
  readonly hostForConnect: string;
  readonly portForConnect: number;
}

export interface KafkaService {
  readonly provider: ProviderName;
  readonly brokers: readonly string[];
  /** Bootstrap servers as Kafka Connect sees them (for connector configs that name the broker). */
  readonly brokersForConnect: readonly string[];
}

export interface ConnectService {
  readonly provider: ProviderName;
  /** REST endpoint, e.g. http://127.0.0.1:18083 */
  readonly url: string;
}

export interface KeycloakService {
  readonly provider: ProviderName;
  /** Base URL, e.g. http://127.0.0.1:18080 */
  readonly url: string;
  readonly realm: string;
  /** `${url}/realms/${realm}`: the `iss` of the realm's tokens. */
  readonly issuer: string;
}

export interface PrometheusService {
  readonly provider: ProviderName;
  /** HTTP API, e.g. http://127.0.0.1:19090 */
  readonly url: string;
  /**
   * The file_sd directory Prometheus watches (`*.json`, refreshed every second): a test writes a
   * uniquely named file there to have its endpoints scraped, and removes it afterwards.
   */
  readonly targetsDir: string;
}

export interface ClickHouseService {
  readonly provider: ProviderName;
  /** HTTP URL of a ClickHouse server; absent when the tests use embedded chDB. */
  readonly url?: string;
}

export interface RedisService {
  readonly provider: ProviderName;
  /** e.g. redis://127.0.0.1:6379 */
  readonly url: string;
}

export interface ServiceMap {
  postgres?: PostgresService;
  kafka?: KafkaService;
  connect?: ConnectService;
  keycloak?: KeycloakService;
  clickhouse?: ClickHouseService;
  redis?: RedisService;
  prometheus?: PrometheusService;
}

export type ServiceName = keyof ServiceMap;
export type ServiceOf<N extends ServiceName> = NonNullable<ServiceMap[N]>;

/** What global setup hands to the tests (serialisable: it crosses into the test processes). */
export interface StackServices {
  readonly services: ServiceMap;
  /** Why a service is missing, for the error a test gets when it asks for it. */
  readonly unavailable: Partial<Record<ServiceName, string>>;
}

export const SERVICE_NAMES: readonly ServiceName[] = [
  'postgres',
  'kafka',
  'connect',
  'keycloak',
  'clickhouse',
  'redis',
  'prometheus',
];
