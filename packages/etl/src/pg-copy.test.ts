import { describe, expect, it } from 'vitest';
import { compileCopyLineDecoder, CopyLineSplitter, unescapeCopyText } from './pg-copy.js';
import { inlineParameters } from './postgres-extract.js';

describe('COPY text decoding', () => {
  const decode = compileCopyLineDecoder([
    { name: 'id', pg: 'bigint' },
    { name: 'n', pg: 'integer' },
    { name: 'x', pg: 'double precision' },
    { name: 'ok', pg: 'boolean' },
    { name: 'at', pg: 'timestamptz' },
    { name: 'note', pg: 'text' },
  ]);

  it('decodes numbers, booleans, NULL and text; bigint stays exact decimal text', () => {
    expect(decode('7\t-3\t1.5\tt\t2026-09-01 00:00:00.007+00\thello')).toEqual({
      id: '7',
      n: -3,
      x: 1.5,
      ok: true,
      at: '2026-09-01 00:00:00.007+00',
      note: 'hello',
    });
    expect(decode('9007199254740993\t0\tNaN\tf\t\\N\t\\N')).toEqual({
      id: '9007199254740993',
      n: 0,
      x: Number.NaN,
      ok: false,
      at: null,
      note: null,
    });
  });

  it('unescapes text fields, multi-byte characters included', () => {
    expect(decode('1\t1\t1\tt\tx\ta\\tb\\nc\\\\d\\\\N')).toMatchObject({ note: 'a\tb\nc\\d\\N' });
    expect(unescapeCopyText('\\101\\x42\\r\\b\\f\\v\\q')).toBe('AB\r\b\f\vq');
    expect(unescapeCopyText('мышь\\t\\320\\274')).toBe('мышь\tм');
  });

  it('refuses a line with the wrong number of fields', () => {
    expect(() => decode('1\t2\t3')).toThrow(/fewer fields/);
    expect(() => decode('1\t1\t1\tt\tx\ty\tz')).toThrow(/more fields/);
  });
});

describe('CopyLineSplitter', () => {
  it('joins lines (and UTF-8 sequences) cut across chunks', () => {
    const bytes = Buffer.from('1\tмышь\n2\tкот\n3\tёж\n', 'utf8');
    for (let cut = 1; cut < bytes.length; cut += 1) {
      const split = new CopyLineSplitter();
      const lines = [...split.push(bytes.subarray(0, cut)), ...split.push(bytes.subarray(cut))];
      split.end();
      expect(lines).toEqual(['1\tмышь', '2\tкот', '3\tёж']);
    }
  });

  it('fails when the stream ends inside a row', () => {
    const split = new CopyLineSplitter();
    expect(split.push(Buffer.from('1\t2\n3\t'))).toEqual(['1\t2']);
    expect(() => split.end()).toThrow(/inside a row/);
  });
});

describe('inlineParameters', () => {
  const quote = (v: string) => `'${v.replaceAll("'", "''")}'`;
  it('writes strings, numbers and dates as literals, each $n where it occurs', () => {
    expect(inlineParameters('a >= $1 AND b < $2 OR c = $1 AND d = $3', ["x'y", 5, new Date(0)], quote)).toBe(
      "a >= 'x''y' AND b < 5 OR c = 'x''y' AND d = '1970-01-01T00:00:00.000Z'",
    );
  });
  it('refuses missing and unsupported values', () => {
    expect(() => inlineParameters('a = $2', [1], quote)).toThrow(/\$2/);
    expect(() => inlineParameters('a = $1', [{}], quote)).toThrow(TypeError);
    expect(() => inlineParameters('a = $1', [Number.NaN], quote)).toThrow(TypeError);
  });
});
