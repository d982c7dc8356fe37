import { codeGenerationCounts, configureCodeGeneration } from '@bionicpro/models';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type CopyColumn, compileCopyLineDecoder } from './pg-copy.js';
import { compileTabSeparatedEncoder } from './tab-separated-rows.js';

afterEach(() => configureCodeGeneration({ jitless: false }));

/** The function `compile` returns with generated code, then without (jitless), and the jitless fallbacks counted. */
function bothWays<T>(compile: () => T): { generated: T; fallback: T; counted: number } {
  const generated = compile();
  const before = codeGenerationCounts().jitless;
  configureCodeGeneration({ jitless: true });
  const fallback = compile();
  configureCodeGeneration({ jitless: false });
  return { generated, fallback, counted: codeGenerationCounts().jitless - before };
}

/** What a call gives: its value, or the thrown error's class and message. */
function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (error) {
    return { error: (error as Error).name, message: (error as Error).message };
  }
}

// One column of each decoder: int8 text, the integer and float types, bool, and text-like columns.
const columns: CopyColumn[] = Object.entries({
  event_id: 'int8',
  small: 'smallint',
  ratio: 'real',
  active: 'bool',
  amount: 'numeric(10,2)',
  device: 'uuid',
  day: 'date',
}).map(([name, pg]) => ({ name, pg }));
const copyField = fc.oneof(
  fc.constantFrom(
    '\\N',
    '7',
    '-3',
    '1.5',
    'NaN',
    't',
    'f',
    '2026-09-01 00:00:00.007+00',
    'a\\tb\\nc\\\\d',
    '',
  ),
  fc.string({ maxLength: 6 }),
);

describe('code paths without generated code (jitless)', () => {
  it('COPY lines decode to the same rows, and the same errors, as with the generated decoder', () => {
    const { generated, fallback, counted } = bothWays(() => compileCopyLineDecoder(columns));
    expect(counted).toBe(1);
    fc.assert(
      fc.property(fc.array(copyField, { minLength: 5, maxLength: 9 }), (fields) => {
        const line = fields.join('\t');
        expect(outcome(() => fallback(line))).toStrictEqual(outcome(() => generated(line)));
      }),
      { numRuns: 2000 },
    );
    expect(fallback('7\t-3\t1.5\tt\t12.50\t\\N\t2026-09-01')).toStrictEqual({
      event_id: '7',
      small: -3,
      ratio: 1.5,
      active: true,
      amount: '12.50',
      device: null,
      day: '2026-09-01',
    });
  });

  it('rows encode to the same TabSeparated lines, and the same errors, as with the generated encoder', () => {
    const { generated, fallback, counted } = bothWays(() =>
      compileTabSeparatedEncoder(['id', 'level', 'note'], { _is_deleted: 0 }),
    );
    expect(counted).toBe(1);
    const value = fc.oneof(
      fc.constantFrom(null, undefined, true, Number.NaN, Number.POSITIVE_INFINITY, 12n, { nested: 1 }),
      fc.constantFrom(new Date(Date.UTC(2024, 0, 15, 8)), new Date(Number.NaN)),
      fc.string({ maxLength: 6 }),
      fc.double(),
      fc.integer(),
    );
    fc.assert(
      fc.property(value, value, value, (id, level, note) => {
        const row = { id, level, note };
        expect(outcome(() => fallback(row))).toStrictEqual(outcome(() => generated(row)));
      }),
      { numRuns: 2000 },
    );
    expect(fallback({ id: 1, level: 'a\tb', note: null })).toBe('1\ta\\tb\t\\N\t0\n');
  });
});
