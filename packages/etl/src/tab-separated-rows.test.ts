import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileTabSeparatedEncoder,
  escapeTabSeparated,
  TabSeparatedBuffer,
  TabSeparatedEncodeError,
} from './tab-separated-rows.js';

/** An independent reader of ClickHouse's TabSeparated escapes, to check the encoder against. */
function readField(field: string): string | null {
  if (field === '\\N') return null;
  const map: Record<string, string> = { t: '\t', n: '\n', r: '\r', '\\': '\\', '0': '\0' };
  return field.replace(/\\(.)/g, (_, c: string) => map[c] ?? c);
}

describe('TabSeparated encoding', () => {
  it('writes one line per row in column order: numbers, money text, UTC instants, null, booleans, 64-bit ids', () => {
    const encode = compileTabSeparatedEncoder(['id', 'at', 'amount', 'note', 'ok', 'level'], {
      _version: 17,
      _is_deleted: 0,
    });
    expect(
      encode({
        level: 0.1,
        id: 9007199254740993n,
        at: new Date('2026-09-01T00:00:00.007Z'),
        amount: '2999.00',
        note: null,
        ok: true,
      }),
    ).toBe('9007199254740993\t2026-09-01 00:00:00.007\t2999.00\t\\N\ttrue\t0.1\t17\t0\n');
    // Whole seconds carry no fraction (`DateTime` columns take none); an absent key is null.
    expect(
      encode({
        id: '9223372036854775807',
        at: new Date('2024-01-10T08:00:00Z'),
        amount: '0.00',
        ok: false,
        level: -1e-300,
      }),
    ).toBe('9223372036854775807\t2024-01-10 08:00:00\t0.00\t\\N\tfalse\t-1e-300\t17\t0\n');
  });

  it('escapes what TabSeparated must (tab, newline, CR, backslash, NUL) and nothing else', () => {
    expect(escapeTabSeparated('a\tb\nc\rd\\e\0f "q" мышь')).toBe('a\\tb\\nc\\rd\\\\e\\0f "q" мышь');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const field = escapeTabSeparated(text);
        expect(field).not.toMatch(/[\t\n\r\0]/);
        expect(readField(field)).toBe(text);
      }),
    );
  });

  it('refuses values with no TabSeparated form, naming the column', () => {
    const encode = compileTabSeparatedEncoder(['id', 'level']);
    expect(() => encode({ id: 1, level: Number.NaN })).toThrow(TabSeparatedEncodeError);
    expect(() => encode({ id: 1, level: Number.POSITIVE_INFINITY })).toThrow(
      /column level: cannot write Infinity/,
    );
    expect(() => encode({ id: { nested: 1 }, level: 1 })).toThrow(/column id: cannot write an object/);
    expect(() => encode({ id: new Date(Number.NaN), level: 1 })).toThrow(
      /column id: cannot write an invalid Date/,
    );
    expect(() => compileTabSeparatedEncoder(['id; DROP'])).toThrow(/plain identifiers/);
  });

  it('hands a batch over and goes on in a second buffer, reusing the first once recycled', () => {
    const buffer = new TabSeparatedBuffer(compileTabSeparatedEncoder(['id', 'text']), 16);
    for (let i = 0; i < 1000; i += 1) buffer.add({ id: i, text: 'x'.repeat(i % 50) });
    const first = buffer.take();
    expect(first.rows).toBe(1000);
    const lines = first.body.toString('utf8').split('\n');
    expect(lines).toHaveLength(1001);
    expect(lines[999]).toBe(`999\t${'x'.repeat(999 % 50)}`);
    buffer.add({ id: 1, text: 'again' });
    expect(first.body.toString('utf8').split('\n')[0]).toBe('0\t'); // the handed-over bytes are untouched
    buffer.recycle(first.body);
    const second = buffer.take();
    expect(second.body.toString('utf8')).toBe('1\tagain\n');
    buffer.add({ id: 2, text: 'in the recycled buffer' });
    expect(buffer.take().body.toString('utf8')).toBe('2\tin the recycled buffer\n');
  });
});

describe('TabSeparated instants', () => {
  it('agree with Date#toISOString for every millisecond of years 0001 to 9999', () => {
    const encode = compileTabSeparatedEncoder(['at']);
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
        (ms) => {
          const iso = new Date(ms).toISOString();
          const expected = `${iso.slice(0, 10)} ${iso.slice(11, ms % 1000 === 0 ? 19 : 23)}\n`;
          expect(encode({ at: new Date(ms) })).toBe(expected);
        },
      ),
      { numRuns: 20_000 },
    );
    for (const iso of ['2024-02-29T23:59:59.999Z', '2299-12-31T23:59:59.999Z', '1969-12-31T23:59:59.001Z']) {
      expect(encode({ at: new Date(iso) })).toBe(`${iso.slice(0, 10)} ${iso.slice(11, 23)}\n`);
    }
    expect(encode({ at: new Date('1900-01-01T00:00:00.000Z') })).toBe('1900-01-01 00:00:00\n');
  });
});
