import { describe, expect, it } from 'vitest';
import { ConfigError, loadServiceConfig } from './config.js';
import { LEAN_CHDB_ARGS } from './engines.js';
import { prewarmMonths } from './prewarm-main.js';

const base = {
  CRM_DATABASE_URL: 'postgres://crm@db:5432/crm_db',
  TELEMETRY_DATABASE_URL: 'postgres://tel@db:5432/telemetry_db',
  KEYCLOAK_ISSUER: 'https://sso.example/realms/bionicpro',
  KEYCLOAK_AUDIENCE: 'reports-api',
};

describe('shared report store settings', () => {
  it('keeps reports in the process unless REDIS_URL names a shared Redis', () => {
    const alone = loadServiceConfig({ ...base, CLICKHOUSE_URL: 'http://ch:8123' });
    expect(alone.cache).toMatchObject({
      redisUrl: undefined,
      redisKeyPrefix: 'bionicpro:reports:',
      renderLockMs: 5000,
    });
    const shared = loadServiceConfig({
      ...base,
      CLICKHOUSE_URL: 'http://ch:8123',
      REDIS_URL: 'redis://redis:6379/0',
      REDIS_KEY_PREFIX: 'bp:r:',
      REPORT_RENDER_LOCK_MS: '2000',
    });
    expect(shared.cache).toMatchObject({
      redisUrl: 'redis://redis:6379/0',
      redisKeyPrefix: 'bp:r:',
      renderLockMs: 2000,
    });
  });

  it('names REDIS_URL and REDIS_KEY_PREFIX when they are malformed', () => {
    try {
      loadServiceConfig({
        ...base,
        CLICKHOUSE_URL: 'http://ch:8123',
        REDIS_URL: 'http://redis',
        REDIS_KEY_PREFIX: 'a b',
      });
      throw new Error('expected a ConfigError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((p) => p.setting).sort()).toEqual([
        'REDIS_KEY_PREFIX',
        'REDIS_URL',
      ]);
    }
  });

  it('runs embedded chDB with the lean engine arguments unless CHDB_LEAN=0', () => {
    const lean = loadServiceConfig({ ...base, CLICKHOUSE_PATH: '/data/chdb' });
    expect(lean.clickhouse).toEqual({ kind: 'embedded', path: '/data/chdb' });
    const stock = loadServiceConfig({ ...base, CLICKHOUSE_PATH: '/data/chdb', CHDB_LEAN: '0' });
    expect(stock.clickhouse).toEqual({ kind: 'embedded', path: '/data/chdb', engineArgs: [] });
    expect(LEAN_CHDB_ARGS).toContain('--mark_cache_size=67108864');
    expect(LEAN_CHDB_ARGS.every((arg) => /^--[a-z_]+=\d+$/.test(arg))).toBe(true);
  });
});

describe('prewarm CLI months', () => {
  it('expands ranges and lists in order, across a year end', () => {
    expect(prewarmMonths('2023-11..2024-02,2024-05')).toEqual([
      '2023-11',
      '2023-12',
      '2024-01',
      '2024-02',
      '2024-05',
    ]);
  });

  it('refuses a reversed range and a malformed month', () => {
    expect(() => prewarmMonths('2024-03..2024-01')).toThrow(/empty month range/);
    expect(() => prewarmMonths('2024-13')).toThrow();
  });
});
