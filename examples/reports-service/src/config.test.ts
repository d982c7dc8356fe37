import { describe, expect, it } from 'vitest';
import { ConfigError, loadServiceConfig } from './config.js';

const base = {
  CLICKHOUSE_URL: 'http://clickhouse:8123',
  CRM_DATABASE_URL: 'postgres://crm@db:5432/crm_db',
  TELEMETRY_DATABASE_URL: 'postgres://tel@db:5432/telemetry_db',
  KEYCLOAK_ISSUER: 'https://sso.example/realms/bionicpro',
  KEYCLOAK_AUDIENCE: 'reports-api',
};

function problemsOf(env: Record<string, string | undefined>): { setting: string; message: string }[] {
  try {
    loadServiceConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('loadServiceConfig', () => {
  it('reads a complete environment with defaults for the optional settings', () => {
    const config = loadServiceConfig(base);
    expect(config.port).toBe(8080);
    expect(config.clickhouse).toEqual({
      kind: 'server',
      url: base.CLICKHOUSE_URL,
      username: undefined,
      password: undefined,
    });
    expect(config.auth).toEqual({
      kind: 'keycloak',
      issuer: base.KEYCLOAK_ISSUER,
      audience: ['reports-api'],
      jwksUrl: undefined,
    });
    expect(config.martDatabase).toBe('bionicpro_reports');
    expect(config.rawDatabase).toBe('bionicpro_raw');
    expect(config.cache.maxEntries).toBe(10_000);
    expect(config.limits.maxBodyBytes).toBe(1_048_576);
  });

  it('names every missing setting at once', () => {
    const settings = problemsOf({}).map((p) => p.setting);
    expect(settings).toEqual(
      expect.arrayContaining([
        'CLICKHOUSE_URL',
        'CRM_DATABASE_URL',
        'TELEMETRY_DATABASE_URL',
        'KEYCLOAK_ISSUER',
        'KEYCLOAK_AUDIENCE',
      ]),
    );
  });

  it('names malformed settings with the reason', () => {
    const problems = problemsOf({
      ...base,
      PORT: 'eighty',
      CRM_DATABASE_URL: 'mysql://x',
      CLICKHOUSE_MART_DATABASE: 'reports; DROP',
      KEYCLOAK_SUBJECT_CLAIM: 'email',
    });
    const bySetting = Object.fromEntries(problems.map((p) => [p.setting, p.message]));
    expect(bySetting['PORT']).toMatch(/whole number/);
    expect(bySetting['CRM_DATABASE_URL']).toMatch(/postgres:\/\//);
    expect(bySetting['CLICKHOUSE_MART_DATABASE']).toMatch(/identifier/);
    expect(Object.keys(bySetting)).toContain('KEYCLOAK_SUBJECT_CLAIM');
    expect(new ConfigError(problems).message).toContain('PORT');
  });

  it('accepts an embedded chDB path instead of a URL, but not both', () => {
    const { CLICKHOUSE_URL: _url, ...rest } = base;
    expect(loadServiceConfig({ ...rest, CLICKHOUSE_PATH: '/tmp/chdb' }).clickhouse).toEqual({
      kind: 'embedded',
      path: '/tmp/chdb',
    });
    expect(problemsOf({ ...base, CLICKHOUSE_PATH: '/tmp/chdb' }).map((p) => p.setting)).toEqual([
      'CLICKHOUSE_PATH',
    ]);
  });

  it('treats empty values as unset', () => {
    expect(problemsOf({ ...base, KEYCLOAK_ISSUER: '' })).toEqual([
      { setting: 'KEYCLOAK_ISSUER', message: 'is required' },
    ]);
  });

  it('enables demo mode only with a JWKS file and never with NODE_ENV=production', () => {
    const demo = loadServiceConfig({ ...base, BIONICPRO_DEMO: '1', DEMO_JWKS_FILE: '/tmp/jwks.json' });
    expect(demo.auth.kind).toBe('demo');
    expect(problemsOf({ ...base, BIONICPRO_DEMO: '1' }).map((p) => p.setting)).toEqual(['DEMO_JWKS_FILE']);
    expect(
      problemsOf({ ...base, BIONICPRO_DEMO: '1', DEMO_JWKS_FILE: '/tmp/j', NODE_ENV: 'production' }).map(
        (p) => p.setting,
      ),
    ).toEqual(['BIONICPRO_DEMO']);
    expect(problemsOf({ ...base, DEMO_JWKS_FILE: '/tmp/j' }).map((p) => p.setting)).toEqual([
      'DEMO_JWKS_FILE',
    ]);
  });
});
