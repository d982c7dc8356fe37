import { describe, expect, it } from 'vitest';
import { clickhouseSchemaDdl, postgresSchemaDdl } from './schema-ddl.js';
import { tables } from './tables.js';

const createdTable = (statement: string) =>
  /^CREATE TABLE IF NOT EXISTS (?:\w+\.)?(\w+)/.exec(statement)?.[1];

describe('postgresSchemaDdl', () => {
  it('creates each table after every table its foreign keys reference', () => {
    const order = postgresSchemaDdl('all')
      .map(createdTable)
      .filter((n) => n !== undefined);
    expect(new Set(order)).toEqual(
      new Set(
        Object.values(tables)
          .filter((t) => t.home !== 'warehouse')
          .map((t) => t.name),
      ),
    );
    for (const name of order) {
      for (const target of Object.values(tables[name as keyof typeof tables].references ?? {})) {
        expect(order.indexOf(target.table), `${name} → ${target.table}`).toBeLessThan(order.indexOf(name));
      }
    }
    // payments references subscriptions, which is defined after it would be alphabetically.
    expect(order.indexOf('subscriptions')).toBeLessThan(order.indexOf('payments'));
  });

  it('selects one database and qualifies names with the schema', () => {
    const crm = postgresSchemaDdl('crm', { schema: 'trial' }).map(createdTable);
    expect(crm).not.toContain('telemetry_events');
    expect(postgresSchemaDdl('crm', { schema: 'trial' })[0]).toMatch(
      /^CREATE TABLE IF NOT EXISTS trial\.users/,
    );
    expect(postgresSchemaDdl('telemetry').map(createdTable).filter(Boolean)).toEqual([
      'telemetry_events',
      'device_events',
      'battery_metrics',
    ]);
  });
});

describe('clickhouseSchemaDdl', () => {
  it('creates the database first, then every mart by default', () => {
    const statements = clickhouseSchemaDdl({ database: 'reports' });
    expect(statements[0]).toBe('CREATE DATABASE IF NOT EXISTS reports');
    expect(statements.slice(1).map(createdTable)).toEqual([
      'report_user_monthly_metrics',
      'report_prosthetic_monthly_metrics',
      'user_prosthesis_stats',
    ]);
  });

  it('refuses a database name that is not an identifier', () => {
    expect(() => clickhouseSchemaDdl({ database: 'reports; DROP' })).toThrow(/invalid database name/);
  });
});
