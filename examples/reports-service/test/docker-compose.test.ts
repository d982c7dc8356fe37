/**
 * docker-compose.yml cannot run here (no Docker engine), so this keeps it
 * consistent with what the tests do run: the services' configuration loaders
 * accept its environments, the versions are those scripts/infra starts, and
 * the realm it imports is the one the Keycloak tests use.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadServiceConfig } from '../src/config.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const compose = parse(readFileSync(`${root}docker-compose.yml`, 'utf8')) as {
  services: Record<
    string,
    { image?: string; environment?: Record<string, string | number>; volumes?: string[] }
  >;
};
const pom = readFileSync(`${root}scripts/infra/pom.xml`, 'utf8');
const pomVersion = (name: string) => new RegExp(`<${name}>([^<]+)</${name}>`).exec(pom)?.[1];
const env = (service: string) =>
  Object.fromEntries(
    Object.entries(compose.services[service]?.environment ?? {}).map(([k, v]) => [k, String(v)]),
  );

describe('docker-compose.yml', () => {
  it('has every piece of the real stack', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([
        'crm-db',
        'telemetry-db',
        'kafka',
        'connect',
        'clickhouse',
        'keycloak',
        'reports-service',
      ]),
    );
  });

  it("gives the reports service an environment its loader accepts, pointing at the stack's services", () => {
    const config = loadServiceConfig(env('reports-service'));
    expect(config.auth).toMatchObject({ kind: 'keycloak', audience: ['reports-api'] });
    expect(config.clickhouse).toMatchObject({ kind: 'server', url: 'http://clickhouse:8123' });
    expect(config.crmDatabaseUrl).toContain('@crm-db:5432/crm_db');
    expect(config.ensureSchema).toBe(true);
  });

  it('uses the versions scripts/infra runs the tests against', () => {
    expect(compose.services['kafka']?.image).toBe(`apache/kafka:${pomVersion('kafka.version')}`);
    expect(compose.services['connect']?.image).toBe(
      `quay.io/debezium/connect:${pomVersion('debezium.version')}`,
    );
    expect(compose.services['keycloak']?.image).toBe(
      `quay.io/keycloak/keycloak:${pomVersion('keycloak.version')}`,
    );
  });

  it('imports the realm the Keycloak tests use, whose client is the configured audience', () => {
    const mount = compose.services['keycloak']?.volumes?.[0]?.split(':')[0] as string;
    const realmFile = `${root}${mount.replace(/^\.\//, '')}`;
    expect(existsSync(realmFile)).toBe(true);
    const realm = JSON.parse(readFileSync(realmFile, 'utf8')) as {
      realm: string;
      clients: { clientId: string }[];
    };
    expect(env('reports-service')['KEYCLOAK_ISSUER']).toMatch(new RegExp(`/realms/${realm.realm}$`));
    expect(realm.clients.map((c) => c.clientId)).toContain(env('reports-service')['KEYCLOAK_AUDIENCE']);
  });

  it('shares one Redis between the reports service and the ETL job, under the same key prefix', () => {
    expect(compose.services['redis']?.image).toMatch(/^redis:/);
    const service = loadServiceConfig(env('reports-service'));
    expect(service.cache.redisUrl).toBe('redis://redis:6379');
    expect(env('etl-job')['REDIS_URL']).toBe(service.cache.redisUrl);
    expect(env('etl-job')['REDIS_KEY_PREFIX']).toBe(service.cache.redisKeyPrefix);
  });

  it('runs PostgreSQL with logical replication for Debezium', () => {
    for (const db of ['crm-db', 'telemetry-db']) {
      expect(JSON.stringify(compose.services[db])).toContain('wal_level=logical');
    }
  });
});
