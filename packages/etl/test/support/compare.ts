import { expect } from 'vitest';

/**
 * Compares mart rows: every key equal, strings (money, dates, enums) exactly,
 * numbers within 1e-9 relative (sums of floats in another order), `Date`s by
 * instant. Keys listed in `ignore` (e.g. `last_updated`) are skipped.
 */
export function expectRowsClose(
  actual: readonly object[],
  expected: readonly object[],
  ignore: readonly string[] = ['last_updated'],
): void {
  expect(actual.length, 'row count').toBe(expected.length);
  for (let i = 0; i < expected.length; i += 1) {
    const a = actual[i] as Record<string, unknown>;
    const e = expected[i] as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(e)].filter((k) => !ignore.includes(k)));
    for (const key of keys) {
      const av = a[key];
      const ev = e[key];
      const where = `row ${i} (${JSON.stringify(pick(e))}) column ${key}`;
      if (typeof ev === 'number' && typeof av === 'number') {
        const scale = Math.max(Math.abs(ev), Math.abs(av), 1e-300);
        expect(Math.abs(av - ev) / scale <= 1e-9 || av === ev, `${where}: ${av} vs ${ev}`).toBe(true);
      } else if (ev instanceof Date || av instanceof Date) {
        expect((av as Date).getTime(), where).toBe((ev as Date).getTime());
      } else {
        expect(av, where).toEqual(ev);
      }
    }
  }
}

function pick(row: Record<string, unknown>) {
  const out: Record<string, unknown> = {};
  for (const k of ['user_id', 'prosthetic_id', 'hour', 'report_date']) if (k in row) out[k] = row[k];
  return out;
}
