/**
 * The "testcontainers" provider, for machines with a Docker engine (BIONICPRO_STACK=testcontainers,
 * or auto when there is no JDK): PostgreSQL with logical replication, a KRaft Kafka broker, a
 * Debezium Kafka Connect worker, ClickHouse server and Keycloak, all on one Docker network.
 * Connect reaches PostgreSQL and Kafka by their network aliases, which is why services carry
 * `hostForConnect` / `brokersForConnect` beside the host-side addresses the tests use.
 *
 * Images can be overridden: BIONICPRO_TC_{POSTGRES,KAFKA,CONNECT,CLICKHOUSE,KEYCLOAK,REDIS}_IMAGE.
 */
import { join } from 'node:path';
import { ClickHouseContainer } from '@testcontainers/clickhouse';
import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import {
  GenericContainer,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';
import type { ServiceMap, ServiceName } from './types.js';

const ROOT = join(import.meta.dirname, '..', '..');
const image = (name: string, fallback: string): string =>
  process.env[`BIONICPRO_TC_${name}_IMAGE`] ?? fallback;

export const CONTAINER_IMAGES = {
  postgres: image('POSTGRES', 'postgres:15-alpine'),
  kafka: image('KAFKA', 'confluentinc/cp-kafka:8.1.0'),
  connect: image('CONNECT', 'quay.io/debezium/connect:3.4.3.Final'),
  clickhouse: image('CLICKHOUSE', 'clickhouse/clickhouse-server:25.8-alpine'),
  keycloak: image('KEYCLOAK', 'quay.io/keycloak/keycloak:26.7.3'),
  redis: image('REDIS', 'redis:7-alpine'),
} as const;

export interface ContainerStack {
  readonly services: ServiceMap;
  stop(): Promise<void>;
}

/** Starts the named services as containers; Connect implies PostgreSQL and Kafka. */
export async function startContainerStack(names: readonly ServiceName[]): Promise<ContainerStack> {
  const want = new Set(names);
  if (want.has('connect')) want.add('kafka').add('postgres');
  const network: StartedNetwork = await new Network().start();
  const started: StartedTestContainer[] = [];
  const services: ServiceMap = {};
  const stop = async () => {
    await Promise.allSettled(started.reverse().map((c) => c.stop()));
    await network.stop();
  };
  try {
    const jobs: Promise<void>[] = [];
    if (want.has('postgres')) {
      jobs.push(
        (async () => {
          const pg = await new PostgreSqlContainer(CONTAINER_IMAGES.postgres)
            .withNetwork(network)
            .withNetworkAliases('postgres')
            .withUsername('postgres')
            .withPassword('postgres')
            .withDatabase('postgres')
            .withCommand([
              'postgres',
              '-c',
              'wal_level=logical',
              '-c',
              'max_replication_slots=20',
              '-c',
              'max_wal_senders=20',
            ])
            .start();
          started.push(pg);
          for (const db of ['crm_db', 'telemetry_db']) {
            const r = await pg.exec(['psql', '-U', 'postgres', '-c', `create database ${db}`]);
            if (r.exitCode !== 0) throw new Error(`create database ${db}: ${r.output}`);
          }
          services.postgres = {
            provider: 'testcontainers',
            host: pg.getHost(),
            port: pg.getPort(),
            user: 'postgres',
            password: 'postgres',
            hostForConnect: 'postgres',
            portForConnect: 5432,
          };
        })(),
      );
    }
    if (want.has('kafka')) {
      jobs.push(
        (async () => {
          const kafka = await new KafkaContainer(CONTAINER_IMAGES.kafka)
            .withNetwork(network)
            .withNetworkAliases('kafka')
            .start();
          started.push(kafka);
          services.kafka = {
            provider: 'testcontainers',
            brokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
            brokersForConnect: ['kafka:9092'],
          };
        })(),
      );
    }
    if (want.has('clickhouse')) {
      jobs.push(
        (async () => {
          const ch = await new ClickHouseContainer(CONTAINER_IMAGES.clickhouse).withNetwork(network).start();
          started.push(ch);
          services.clickhouse = { provider: 'testcontainers', url: ch.getConnectionUrl() };
        })(),
      );
    }
    if (want.has('redis')) {
      jobs.push(
        (async () => {
          const redis = await new GenericContainer(CONTAINER_IMAGES.redis)
            .withNetwork(network)
            .withExposedPorts(6379)
            .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'))
            .start();
          started.push(redis);
          services.redis = {
            provider: 'testcontainers',
            url: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
          };
        })(),
      );
    }
    if (want.has('keycloak')) {
      jobs.push(
        (async () => {
          const kc = await new GenericContainer(CONTAINER_IMAGES.keycloak)
            .withNetwork(network)
            .withExposedPorts(8080)
            .withEnvironment({ KC_BOOTSTRAP_ADMIN_USERNAME: 'admin', KC_BOOTSTRAP_ADMIN_PASSWORD: 'admin' })
            .withCopyFilesToContainer([
              {
                source: join(ROOT, 'scripts', 'infra', 'realm', 'bionicpro-realm.json'),
                target: '/opt/keycloak/data/import/bionicpro-realm.json',
              },
            ])
            .withCommand(['start-dev', '--import-realm', '--hostname-strict=false'])
            .withWaitStrategy(Wait.forHttp('/realms/bionicpro/.well-known/openid-configuration', 8080))
            .withStartupTimeout(240_000)
            .start();
          started.push(kc);
          const url = `http://${kc.getHost()}:${kc.getMappedPort(8080)}`;
          services.keycloak = {
            provider: 'testcontainers',
            url,
            realm: 'bionicpro',
            issuer: `${url}/realms/bionicpro`,
          };
        })(),
      );
    }
    await Promise.all(jobs);
    if (want.has('connect')) {
      const connect = await new GenericContainer(CONTAINER_IMAGES.connect)
        .withNetwork(network)
        .withExposedPorts(8083)
        .withEnvironment({
          BOOTSTRAP_SERVERS: 'kafka:9092',
          GROUP_ID: 'bionicpro-connect',
          CONFIG_STORAGE_TOPIC: 'bionicpro-connect-configs',
          OFFSET_STORAGE_TOPIC: 'bionicpro-connect-offsets',
          STATUS_STORAGE_TOPIC: 'bionicpro-connect-status',
          CONNECT_OFFSET_FLUSH_INTERVAL_MS: '1000',
          CONNECT_CONNECTOR_CLIENT_CONFIG_OVERRIDE_POLICY: 'All',
        })
        .withWaitStrategy(Wait.forHttp('/connector-plugins', 8083).forStatusCode(200))
        .withStartupTimeout(180_000)
        .start();
      started.push(connect);
      services.connect = {
        provider: 'testcontainers',
        url: `http://${connect.getHost()}:${connect.getMappedPort(8083)}`,
      };
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { services, stop };
}
