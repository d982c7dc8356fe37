import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BigId,
  Bool,
  CalendarDate,
  Email,
  Id,
  IncomingTelemetryEvent,
  Money,
  MoneyTotal,
  modelForTable,
  RequiredText,
  safeParseRow,
  sourceTableNames,
  Text,
  Timestamp,
  toModelIssues,
  tryParseTimestampMs,
  Uuid,
} from '@bionicpro/models';
import { utcTextMs } from '@bionicpro/models/internal';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type CdcEvent,
  createChangeDecoder,
  type KafkaRecord,
  valueTypeOfModelColumn,
} from './decode-change.js';
import { compileRowType, type DecodeContext, decodeRowLoop, type ValueType } from './logical-types.js';
import { unavailableValueMatcher } from './unavailable-value.js';
import { validatedRowShapes } from './validated-row.js';

// Every record captured from a real Debezium connector (test/fixtures/debezium): crm and
// telemetry tables, with and without schemas, decimals precise/double/string, unwrapped.
const dir = fileURLToPath(new URL('../test/fixtures/debezium/', import.meta.url));
const records: KafkaRecord[] = readdirSync(dir)
  .filter((file) => file.endsWith('.jsonl'))
  .flatMap((file) =>
    readFileSync(`${dir}${file}`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as KafkaRecord),
  );

interface Parsed {
  readonly record: KafkaRecord;
  readonly value: Record<string, unknown>;
  /** The row object inside `value` (payload.after, or the unwrapped payload). */
  readonly row: (value: Record<string, unknown>) => Record<string, unknown>;
  readonly columns: readonly string[];
}

const changes: Parsed[] = records.flatMap((record) => {
  if (typeof record.value !== 'string') return [];
  const value = JSON.parse(record.value) as Record<string, unknown>;
  const payloadOf = (v: Record<string, unknown>) =>
    ('schema' in v && 'payload' in v ? v['payload'] : v) as Record<string, unknown>;
  const payload = payloadOf(value);
  if (payload === null || typeof payload !== 'object') return [];
  if (payload['after'] !== null && typeof payload['after'] === 'object') {
    const row = (v: Record<string, unknown>) => payloadOf(v)['after'] as Record<string, unknown>;
    return [{ record, value, row, columns: Object.keys(row(value)) }];
  }
  if ('__op' in payload || '__deleted' in payload) {
    const columns = Object.keys(payload).filter((key) => !key.startsWith('__'));
    return [{ record, value, row: payloadOf, columns }];
  }
  return [];
});

const placeholder = '__debezium_unavailable_value';
// Values from other rows (valid ones of every type), edge cases, and the placeholder.
const harvested = [
  ...new Set(changes.flatMap(({ value, row }) => Object.values(row(value)).map((v) => JSON.stringify(v)))),
].map((text) => JSON.parse(text) as unknown);
const jsonValue = fc.oneof(
  fc.constantFrom(...harvested),
  fc.constantFrom<unknown>(
    null,
    '',
    '  ',
    'x',
    0,
    -1,
    1.5,
    2 ** 31,
    2 ** 53,
    2 ** 60,
    true,
    false,
    'NaN',
    '2024-01-15T10:00:00.123456Z',
    '2024-01-15T13:00:00+03:00',
    '2024-02-30T00:00:00Z',
    '2299-12-31T23:59:59.999999Z',
    '1899-12-31T23:59:59Z',
    '5B3E6A1C-1B2C-4D5E-8F90-123456789ABC',
    '5b3e6a1c-1b2c-0d5e-8f90-123456789abc',
    '00000000-0000-0000-0000-000000000000',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
    'BJN8',
    '2999.00',
    '12.345',
    'hand',
    'success',
    placeholder,
    Buffer.from(placeholder).toString('base64'),
    [placeholder],
    {},
    [],
  ),
  fc.string(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Values close to `value`: what a near-miss of a valid value looks like for each type. */
function nearMisses(value: unknown): unknown[] {
  if (typeof value === 'string') {
    const at = (i: number, c: string) => `${value.slice(0, i)}${c}${value.slice(i + 1)}`;
    return [
      ` ${value} `,
      `${value} `,
      value.toUpperCase(),
      value.slice(1),
      `${value}x`,
      at(14, '0'),
      at(19, 'c'),
      at(10, ' '),
      at(5, '1'),
      at(8, '3'),
      value.replace(/Z$/, '+03:00'),
      value.replace(/\.\d+/, ''),
    ];
  }
  if (typeof value === 'number') return [-value, value + 0.5, value * 1e6, value + 2 ** 31, 0, -1, 101];
  return [];
}

const valueNear = (value: unknown) =>
  fc.oneof(
    {
      weight: 3,
      arbitrary: nearMisses(value).length > 0 ? fc.constantFrom(...nearMisses(value)) : jsonValue,
    },
    { weight: 2, arbitrary: jsonValue },
  );

function describeError(error: unknown): unknown {
  const e = error as Error & { path?: unknown; issues?: unknown; table?: unknown };
  return { name: e.constructor.name, message: e.message, path: e.path, issues: e.issues, table: e.table };
}

/** What a change decodes to, keys in order: the fields the row validation touches. */
function summary(event: CdcEvent): unknown {
  if (event.kind !== 'change') return event;
  const keys = (row: Record<string, unknown> | null) => (row === null ? null : Object.keys(row));
  return {
    table: event.table,
    op: event.op,
    key: event.key,
    before: event.before,
    after: event.after,
    afterKeys: keys(event.after),
    row: event.row,
    rowKeys: keys(event.row as Record<string, unknown> | null),
    unavailable: event.unavailable,
  };
}

/** The decoder's outcome, validation done the general way: decode, then `safeParseRow`. */
function reference(decoder: ReturnType<typeof createChangeDecoder>, record: KafkaRecord): unknown {
  try {
    const event = decoder.decode(record);
    if (event.kind !== 'change' || event.after === null) return summary(event);
    const model = modelForTable(event.table);
    if (!model) return summary(event);
    const mask = Object.fromEntries(
      event.unavailable.filter((c) => c in model.shape).map((c) => [c, true as const]),
    );
    const schema = event.unavailable.length > 0 ? model.omit(mask as never) : model;
    const result = safeParseRow(schema, event.after);
    if (!result.success) {
      const base = event.unwrapped ? [] : ['after'];
      return {
        name: 'ChangeValidationError',
        issues: toModelIssues(result.error).map((issue) => ({
          path: [...base, ...issue.path],
          code: issue.code,
          message: issue.message,
        })),
        table: event.table,
      };
    }
    return summary({ ...event, row: result.data as Record<string, unknown> });
  } catch (error) {
    return describeError(error);
  }
}

function outcome(decoder: ReturnType<typeof createChangeDecoder>, record: KafkaRecord): unknown {
  try {
    return summary(decoder.decode(record));
  } catch (error) {
    const e = describeError(error) as { name: string; issues?: unknown; table?: unknown };
    return e.name === 'ChangeValidationError' ? { name: e.name, issues: e.issues, table: e.table } : e;
  }
}

describe('decoding and validating in one generated function', () => {
  it('decodes every captured record as decoding then validating does', () => {
    const decoder = createChangeDecoder();
    const general = createChangeDecoder({ validate: false });
    for (const record of records) expect(outcome(decoder, record)).toEqual(reference(general, record));
  });

  it('agrees on captured rows with one column changed, removed or added: rows, errors, paths', () => {
    fc.assert(
      fc.property(
        fc.tuple(fc.constantFrom(...changes), fc.nat()).chain(([change, pick]) => {
          const columns = [...change.columns, 'extra'];
          const column = columns[pick % columns.length]!;
          const current = change.row(change.value)[column];
          return fc.tuple(
            fc.constant(change),
            fc.constant(column),
            fc.oneof(
              { weight: 8, arbitrary: valueNear(current).map((value) => ({ set: value })) },
              { weight: 1, arbitrary: fc.constant({ remove: true }) },
            ),
          );
        }),
        ([change, column, edit]) => {
          const decoder = createChangeDecoder();
          const general = createChangeDecoder({ validate: false });
          // The unchanged record first: the generated function compiles for its shape.
          expect(outcome(decoder, change.record)).toEqual(reference(general, change.record));
          const value = structuredClone(change.value);
          const row = change.row(value);
          if ('remove' in edit) delete row[column];
          else row[column] = edit.set;
          const record = { ...change.record, value: JSON.stringify(value) };
          expect(outcome(decoder, record)).toEqual(reference(general, record));
        },
      ),
      { numRuns: 3000 },
    );
  });

  // Models the tables do not exercise: strict, optional and defaulted fields, zod-only rules.
  const synthetic: [string, z.ZodObject][] = [
    [
      'strict',
      z.strictObject({ id: BigId, name: RequiredText, note: Text.optional(), ok: Bool, day: CalendarDate }),
    ],
    [
      'defaults',
      z.object({
        id: Id,
        uuid: Uuid,
        at: Timestamp,
        tags: z.array(z.string()).default([]),
        level: z.number().int().multipleOf(5).default(10),
        email: Email.nullable(),
        total: MoneyTotal,
        price: Money.optional(),
        kind: z.enum(['a', 'b']).nullable().default(null),
      }),
    ],
    ['incoming telemetry (strict, optional uuid)', IncomingTelemetryEvent],
  ];
  const models: [string, z.ZodObject][] = [
    ...sourceTableNames.flatMap((name): [string, z.ZodObject][] => {
      const model = modelForTable(name);
      return model ? [[name, model]] : [];
    }),
    ...synthetic,
  ];
  // Valid values by column name, from the captured rows and for the synthetic models.
  const byColumn = new Map<string, unknown[]>();
  for (const { value, row } of changes) {
    for (const [column, v] of Object.entries(row(value)))
      byColumn.set(column, [...(byColumn.get(column) ?? []), v]);
  }
  for (const [column, values] of Object.entries({
    name: ['Ann', ' Ann ', ''],
    note: ['x', null],
    ok: [true, false],
    day: ['2024-01-15', '2024-02-30', 19737],
    uuid: ['5b3e6a1c-1b2c-4d5e-8f90-123456789abc', '5B3E6A1C-1B2C-4D5E-8F90-123456789ABC'],
    at: ['2024-01-15T10:00:00Z', '2024-01-15 10:00:00', 1705312800123456],
    tags: [['x'], []],
    level: [5, 7],
    email: ['A@Example.ru', 'nope'],
    total: ['2999.00', 'BJN8', '100000000000.00'],
    price: ['BJN8', '2999.00', null],
    kind: ['a', 'c'],
  })) {
    byColumn.set(column, [...(byColumn.get(column) ?? []), ...values]);
  }
  // Mostly valid values, so that rows are often accepted, with near-misses and anything else.
  const fieldValue = (column: string) => {
    const valid = fc.constantFrom(...(byColumn.get(column) ?? [null]));
    return fc.oneof(
      { weight: 16, arbitrary: valid },
      {
        weight: 2,
        arbitrary: valid.chain((v) =>
          nearMisses(v).length > 0 ? fc.constantFrom(...nearMisses(v)) : jsonValue,
        ),
      },
      { weight: 1, arbitrary: jsonValue },
    );
  };
  // Column types as the decoder derives them from the model, or none (every column `any`).
  const decoders = (model: z.ZodObject, typed: boolean) => {
    const fields: Record<string, ValueType> = {};
    for (const [column, schema] of Object.entries(model.shape)) {
      fields[column] = typed ? valueTypeOfModelColumn(schema) : { kind: 'any' };
    }
    return compileRowType(fields, unavailableValueMatcher(), true);
  };

  it.each(models)("%s: rows it accepts are the general path's rows and model rows", (_name, model) => {
    const keys = Object.keys(model.shape);
    fc.assert(
      fc.property(
        fc.boolean(),
        // One shape per batch: a subset of the model's columns, and maybe an unknown one.
        fc.shuffledSubarray([...keys, 'extra'], { minLength: 1 }).chain((columns) =>
          fc.array(fc.record(Object.fromEntries(columns.map((c) => [c, fieldValue(c)]))), {
            minLength: 1,
            maxLength: 20,
          }),
        ),
        (typed, rows) => {
          const decoder = decoders(model, typed);
          const shapes = validatedRowShapes(decoder, model)!;
          for (const value of rows) {
            const ctx: DecodeContext = { path: ['after'], unsafe: false };
            const out = { row: undefined as unknown };
            let after: Record<string, unknown> | undefined;
            let fastError: unknown;
            try {
              after = shapes.decode(value, ctx, out);
            } catch (error) {
              fastError = describeError(error);
            }
            const expectedCtx: DecodeContext = { path: ['after'], unsafe: false };
            let expected: ReturnType<typeof decodeRowLoop> | undefined;
            try {
              expected = decodeRowLoop(decoder, value, expectedCtx);
            } catch (error) {
              // A decode error is the general path's, whether or not the generated function met it.
              if (fastError !== undefined) expect(fastError).toEqual(describeError(error));
              else expect(after).toBeUndefined();
              continue;
            }
            expect(fastError).toBeUndefined();
            if (after === undefined) continue;
            expect(expected.unavailable).toEqual([]);
            expect(expectedCtx.unsafe).toBe(false);
            expect(after).toEqual(expected.row);
            expect(Object.keys(after)).toEqual(Object.keys(expected.row));
            const parsed = safeParseRow(model, expected.row);
            expect(parsed.success).toBe(true);
            expect(out.row).toEqual(parsed.success && parsed.data);
            expect(Object.keys(out.row as object)).toEqual(Object.keys(parsed.success ? parsed.data : {}));
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('applies the model UUID rule (version, variant, nil and max, case) as the model does', () => {
    const model = z.object({ u: Uuid, n: Uuid.nullable() });
    const values = [
      '5b3e6a1c-1b2c-4d5e-8f90-123456789abc',
      '5B3E6A1C-1B2C-4D5E-8F90-123456789ABC',
      '5b3e6a1c-1b2c-0d5e-8f90-123456789abc',
      '5b3e6a1c-1b2c-9d5e-8f90-123456789abc',
      '5b3e6a1c-1b2c-8d5e-bf90-123456789abc',
      '5b3e6a1c-1b2c-4d5e-cf90-123456789abc',
      '5b3e6a1c-1b2c-4d5e-7f90-123456789abc',
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
      'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
      '5b3e6a1c-1b2c-4d5e-8f90-123456789ab',
      '5b3e6a1c-1b2c-4d5e-8f90-123456789abg',
      '5b3e6a1c+1b2c-4d5e-8f90-123456789abc',
      null,
      42,
    ];
    for (const typed of [true, false]) {
      const decoder = decoders(model, typed);
      const shapes = validatedRowShapes(decoder, model)!;
      for (const u of values) {
        for (const n of [null, u]) {
          const value = { u, n };
          const out = { row: undefined as unknown };
          let expected: ReturnType<typeof decodeRowLoop> | undefined;
          try {
            expected = decodeRowLoop(decoder, value, { path: ['after'], unsafe: false });
          } catch {
            expect(() => shapes.decode(value, { path: ['after'], unsafe: false }, out)).toThrow();
            continue;
          }
          const after = shapes.decode(value, { path: ['after'], unsafe: false }, out);
          const parsed = safeParseRow(model, expected.row);
          expect(after === undefined ? undefined : out.row, `${typed} ${u} ${n}`).toEqual(
            parsed.success ? parsed.data : undefined,
          );
        }
      }
    }
  });

  it("reads a timestamp column once: where utcTextMs accepts a text, its value is the model rule's", () => {
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    const text = fc
      .record({
        year: fc.oneof(fc.integer({ min: 1890, max: 2310 }), fc.integer({ min: 0, max: 9999 })),
        month: fc.integer({ min: 0, max: 13 }),
        day: fc.integer({ min: 0, max: 32 }),
        hour: fc.integer({ min: 0, max: 25 }),
        minute: fc.integer({ min: 0, max: 61 }),
        second: fc.integer({ min: 0, max: 61 }),
        fraction: fc.oneof(fc.constant(''), fc.stringMatching(/^\.\d{0,11}$/)),
        separator: fc.constantFrom('T', 'T', 'T', 't', ' '),
        zone: fc.constantFrom('Z', 'Z', 'Z', 'z', '', '+03:00', '-00:30'),
      })
      .map(
        (t) =>
          `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}${t.separator}${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}${t.fraction}${t.zone}`,
      );
    const mutated = fc
      .tuple(text, fc.nat(), fc.constantFrom(...'0123456789-:.TZ x'.split('')))
      .map(([t, at, c]) => `${t.slice(0, at % t.length)}${c}${t.slice((at % t.length) + 1)}`);
    fc.assert(
      fc.property(fc.oneof(text, mutated), (value) => {
        expect(utcTextMs(value) ?? tryParseTimestampMs(value)).toBe(tryParseTimestampMs(value));
      }),
      { numRuns: 20_000 },
    );
    for (const value of [
      '1900-01-01T00:00:00Z',
      '1899-12-31T23:59:59.999Z',
      '2299-12-31T23:59:59.999999999Z',
      '2300-01-01T00:00:00Z',
      '2000-02-29T12:00:00.5Z',
      '1900-02-29T12:00:00Z',
      '2024-02-29T23:59:59.123456Z',
      '0099-01-01T00:00:00Z',
    ]) {
      expect(utcTextMs(value) ?? tryParseTimestampMs(value)).toBe(tryParseTimestampMs(value));
    }
  });

  it('accepts every captured schema-less row itself (the general path is the exception)', () => {
    const matcher = unavailableValueMatcher();
    let accepted = 0;
    for (const { record, value, row } of changes) {
      const table = record.topic.slice(record.topic.lastIndexOf('.') + 1);
      const model = modelForTable(table);
      if (!model || 'schema' in value || '__op' in value || '__deleted' in value) continue;
      const fields: Record<string, ValueType> = {};
      for (const [column, schema] of Object.entries(model.shape))
        fields[column] = valueTypeOfModelColumn(schema);
      const decoder = compileRowType(fields, matcher, true);
      const shapes = validatedRowShapes(decoder, model)!;
      const ctx: DecodeContext = { path: ['after'], unsafe: false };
      const out = { row: undefined as unknown };
      const after = shapes.decode(row(value), ctx, out);
      const expectedCtx: DecodeContext = { path: ['after'], unsafe: false };
      const expected = decodeRowLoop(decoder, row(value), expectedCtx);
      const parsed = safeParseRow(model, expected.row);
      // Placeholders, rounded integers (re-parsed losslessly) and model errors: the general path.
      if (expected.unavailable.length > 0 || expectedCtx.unsafe || !parsed.success) {
        expect(after).toBeUndefined();
        continue;
      }
      expect(after).toEqual(expected.row);
      expect(Object.keys(after!)).toEqual(Object.keys(expected.row));
      expect(parsed.success && parsed.data).toEqual(out.row);
      expect(Object.keys(out.row as object)).toEqual(Object.keys(parsed.success ? parsed.data : {}));
      accepted++;
    }
    expect(accepted).toBeGreaterThan(40);
  });
});
