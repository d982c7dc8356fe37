import { describe, expect, it } from 'vitest';
import { postgresSource } from './connectors.js';

describe('postgresSource', () => {
  it('reads every Debezium database setting from a URL, decoding the password', () => {
    expect(postgresSource('postgres://debezium:s%40cret@crm-db:5433/crm_db')).toEqual({
      hostname: 'crm-db',
      port: 5433,
      user: 'debezium',
      password: 's@cret',
      dbname: 'crm_db',
    });
    expect(postgresSource('postgresql://u:p@h/db').port).toBe(5432);
    expect(() => postgresSource('mysql://u:p@h/db')).toThrow(/postgres/);
  });
});
