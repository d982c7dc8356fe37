import { type TableDefinition, tables } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import { monthsAgo } from './embedded-stack.js';

describe('monthsAgo', () => {
  it('counts back across a year boundary, in UTC', () => {
    expect(monthsAgo(2, new Date('2026-01-15T12:00:00Z'))).toBe('2025-11');
    expect(monthsAgo(0, new Date('2026-03-31T23:59:59Z'))).toBe('2026-03');
    expect(monthsAgo(13, new Date('2026-03-01T00:00:00Z'))).toBe('2025-02');
  });
});

describe('one PGlite for both OLTP databases', () => {
  it('holds crm_db and telemetry_db side by side: no table name is in both', () => {
    const names = (home: string) =>
      (Object.values(tables) as TableDefinition[]).filter((t) => t.home === home).map((t) => t.name);
    const crm = names('crm');
    const telemetry = names('telemetry');
    expect(crm).toContain('users');
    expect(telemetry).toContain('telemetry_events');
    expect(crm.filter((name) => telemetry.includes(name))).toEqual([]);
  });
});
