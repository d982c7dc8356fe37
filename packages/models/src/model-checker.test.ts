import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldRuleOf, modelRuleOf } from './model-checker.js';
import { Money, Timestamp } from './scalars.js';

/** The `_zod.def` of each check of a schema: what the compiler reads to trust a number's bounds. */
function checkDefs(schema: z.ZodType): unknown[] {
  return (schema.def.checks ?? []).map((check) => {
    const def = (check as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
    return { check: def['check'], inclusive: def['inclusive'], format: def['format'] };
  });
}

// model-checker.ts reads zod's definitions (`def.checks`, a check's `_zod.def`, `def.catchall`,
// `def.defaultValue`). These tests pin what they hold in the zod versions of models' peer range;
// when one fails after a zod upgrade, adapt model-checker.ts before widening the range.
describe('the zod definitions the model compiler reads', () => {
  it('are those of the zod version installed, which is in the peer range', () => {
    const range = (
      JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        peerDependencies: Record<string, string>;
      }
    ).peerDependencies['zod'];
    const installed = (
      JSON.parse(readFileSync(new URL(import.meta.resolve('zod/package.json')), 'utf8')) as {
        version: string;
      }
    ).version;
    expect(range).toBe('~4.6.7');
    expect(installed).toMatch(/^4\.6\.(?:[7-9]|[1-9]\d+)$/);
  });

  it('number bounds: inclusive and exclusive, safe-integer and int32 formats', () => {
    expect(checkDefs(z.number().min(1).max(9))).toEqual([
      { check: 'greater_than', inclusive: true, format: undefined },
      { check: 'less_than', inclusive: true, format: undefined },
    ]);
    expect(checkDefs(z.number().gt(0).lt(1))).toEqual([
      { check: 'greater_than', inclusive: false, format: undefined },
      { check: 'less_than', inclusive: false, format: undefined },
    ]);
    expect(checkDefs(z.number().int())).toEqual([
      { check: 'number_format', inclusive: undefined, format: 'safeint' },
    ]);
    expect(checkDefs(z.number().check(z.int32()))).toEqual([
      { check: 'number_format', inclusive: undefined, format: 'int32' },
    ]);
    expect(checkDefs(z.number().multipleOf(2))).toEqual([
      { check: 'multiple_of', inclusive: undefined, format: undefined },
    ]);
  });

  it('object catch-alls and checks, and default values', () => {
    expect(z.object({}).def.catchall).toBeUndefined();
    expect(z.strictObject({}).def.catchall).toBeInstanceOf(z.ZodNever);
    expect(z.looseObject({}).def.catchall).toBeInstanceOf(z.ZodUnknown);
    expect(z.object({}).def.checks ?? []).toHaveLength(0);
    expect(z.object({}).refine(() => true).def.checks).toHaveLength(1);
    expect(z.number().default(3).def.defaultValue).toBe(3);
    expect(z.array(z.number()).default([1]).def.defaultValue).toEqual([1]);
  });

  it('compile into the rules the checkers implement, and leave the rest to zod', () => {
    expect(fieldRuleOf(z.number().int().min(1).max(9))).toEqual({
      kind: 'number',
      min: 1,
      max: 9,
      integer: true,
    });
    expect(fieldRuleOf(z.number().gt(0)).kind).toBe('zod');
    expect(fieldRuleOf(z.number().multipleOf(2)).kind).toBe('zod');
    expect(fieldRuleOf(z.number().default(3))).toEqual({
      kind: 'default',
      value: 3,
      inner: { kind: 'number', min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY, integer: false },
    });
    expect(fieldRuleOf(z.array(z.number()).default([1])).kind).toBe('zod');
    expect(fieldRuleOf(Timestamp.nullable())).toEqual({ kind: 'nullable', inner: { kind: 'timestamp' } });
    expect(fieldRuleOf(Money.optional()).kind).toBe('optional');
    expect(modelRuleOf(z.strictObject({ a: Timestamp }))).toEqual({
      keys: ['a'],
      fields: [{ kind: 'timestamp' }],
      strict: true,
    });
    expect(modelRuleOf(z.object({ a: Timestamp }))?.strict).toBe(false);
    expect(modelRuleOf(z.looseObject({ a: Timestamp }))).toBeUndefined();
    expect(modelRuleOf(z.object({ a: Timestamp }).refine(() => true))).toBeUndefined();
    expect(modelRuleOf(z.string())).toBeUndefined();
  });
});

describe("the package's scalars", () => {
  it('are found by their tag, not by identity: a second copy of them compiles alike', async () => {
    // Each entry point of the built package has its own copy of scalars.ts; a query makes vite load a second one.
    const specifier = './scalars.js?second-copy';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof import('./scalars.js');
    expect(copy.Timestamp).not.toBe(Timestamp);
    const model = z.object({
      at: copy.Timestamp,
      amount: copy.Money.nullable(),
      total: copy.MoneyTotal,
      id: copy.BigId,
      uuid: copy.Uuid,
      name: copy.RequiredText,
      note: copy.Text,
      day: copy.CalendarDate,
    });
    expect(modelRuleOf(model)?.fields).toEqual([
      { kind: 'timestamp' },
      { kind: 'nullable', inner: { kind: 'money', maxMinor: 99_999_999_99n } },
      { kind: 'money', maxMinor: 9_999_999_999_999_999_99n },
      { kind: 'big-id' },
      { kind: 'uuid' },
      { kind: 'text', required: true },
      { kind: 'text', required: false },
      { kind: 'calendar-date' },
    ]);
  });

  it('a schema derived from a scalar is not the scalar: zod checks it', () => {
    expect(fieldRuleOf(Timestamp.refine(() => true)).kind).toBe('zod');
    expect(fieldRuleOf(Money.describe('price')).kind).toBe('zod');
  });
});
