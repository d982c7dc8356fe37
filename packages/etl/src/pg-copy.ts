import { InvalidArgumentError } from '@bionicpro/models';
import { generateFunction } from '@bionicpro/models/internal';
/**
 * `COPY (SELECT …) TO STDOUT` extraction: PostgreSQL streams the rows of one
 * statement in its text format, which is decoded here straight into the plain
 * objects the model row parsers take (no per-row protocol messages, no type
 * parser calls, instants left as text for the row parser to read once).
 */

/** The column of a COPY text row: its name and PostgreSQL type (`integer`, `timestamptz`, …). */
export interface CopyColumn {
  readonly name: string;
  readonly pg: string;
}

type FieldDecoder = (text: string) => unknown;

const decodeInt: FieldDecoder = (text) => Number(text);
/**
 * `bigint` stays PostgreSQL's decimal text, which is already canonical: the models carry
 * 64-bit integers as text (`Int64Text`), exact beyond 2^53 (as `extractTypeParsers` does).
 */
const decodeBigint: FieldDecoder = (text) => text;
const decodeFloat: FieldDecoder = (text) => Number(text);
const decodeBool: FieldDecoder = (text) => (text === 't' ? true : text === 'f' ? false : text);

const ESCAPES: Record<number, number> = { 98: 8, 102: 12, 110: 10, 114: 13, 116: 9, 118: 11 };

const isOctal = (c: number | undefined) => c !== undefined && c >= 48 && c <= 55;
function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Undoes COPY's text-format escapes (`\\`, `\t`, `\n`, `\r`, `\b`, `\f`, `\v`,
 * octal `\ooo`, hex `\xhh`; any other escaped character stands for itself).
 * Escaped bytes are decoded as UTF-8 together with the rest of the field.
 */
export function unescapeCopyText(text: string): string {
  if (!text.includes('\\')) return text;
  const input = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i += 1) {
    const c = input[i]!;
    if (c !== 92 || i + 1 >= input.length) {
      out[o++] = c;
      continue;
    }
    i += 1;
    const next = input[i]!;
    if (isOctal(next)) {
      let value = 0;
      let n = 0;
      while (n < 3 && isOctal(input[i])) {
        value = value * 8 + (input[i]! - 48);
        i += 1;
        n += 1;
      }
      i -= 1;
      out[o++] = value & 0xff;
    } else if (next === 120 && hexValue(input[i + 1]) >= 0) {
      let value = hexValue(input[i + 1]);
      i += 1;
      if (hexValue(input[i + 1]) >= 0) {
        value = value * 16 + hexValue(input[i + 1]);
        i += 1;
      }
      out[o++] = value;
    } else {
      out[o++] = ESCAPES[next] ?? next;
    }
  }
  return out.toString('utf8', 0, o);
}

function decoderOf(pgType: string): FieldDecoder {
  const type = pgType.toLowerCase();
  if (type === 'integer' || type === 'int' || type === 'int4' || type === 'smallint' || type === 'int2') {
    return decodeInt;
  }
  if (type === 'bigint' || type === 'int8') return decodeBigint;
  if (type === 'double precision' || type === 'real' || type === 'float8' || type === 'float4') {
    return decodeFloat;
  }
  if (type === 'boolean' || type === 'bool') return decodeBool;
  // Text, uuid, date (YYYY-MM-DD), numeric (decimal text), timestamps (ISO text, read by the row parser).
  return unescapeCopyText;
}

/** Decodes one line of COPY text format (no trailing newline) into an object keyed by column name. */
export type CopyLineDecoder = (line: string) => Record<string, unknown>;

/**
 * Compiles a decoder for COPY text lines of the given columns: `\N` is null,
 * integers and floats become numbers, booleans `true`/`false`, everything else
 * text (unescaped). A line with the wrong number of fields throws.
 */
export function compileCopyLineDecoder(columns: readonly CopyColumn[]): CopyLineDecoder {
  const decoders = columns.map((c) => decoderOf(c.pg));
  const names = columns.map((c) => c.name);
  if (!names.every((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))) {
    throw new InvalidArgumentError('columns', `COPY columns must be plain identifiers: ${names.join(', ')}`);
  }
  const n = columns.length;
  // One object literal per row: a single hidden class for the row parser to read.
  const body = [
    'return function decodeCopyLine(line) {',
    '  let start = 0;',
    '  let end;',
    '  let t;',
    ...names.flatMap((_name, i) => {
      const last = i === n - 1;
      return [
        last
          ? '  end = line.length; if (line.indexOf("\\t", start) !== -1) throw new RangeError("COPY line has more fields than columns");'
          : '  end = line.indexOf("\\t", start); if (end === -1) throw new RangeError("COPY line has fewer fields than columns");',
        `  t = line.slice(start, end);`,
        `  const v${i} = t === "\\\\N" ? null : d${i}(t);`,
        '  start = end + 1;',
      ];
    }),
    `  return { ${names.map((name, i) => `${name}: v${i}`).join(', ')} };`,
    '};',
  ];
  return generateFunction<CopyLineDecoder>({
    generated: 'etl.copy-line-decoder',
    bindings: new Map(decoders.map((decode, i) => [`d${i}`, decode])),
    body,
    fallback: () => copyLineLoop(names, decoders),
  });
}

/** {@link compileCopyLineDecoder}'s decoder without generated code: same rows, same errors. */
function copyLineLoop(names: readonly string[], decoders: readonly FieldDecoder[]): CopyLineDecoder {
  return (line) => {
    const row: Record<string, unknown> = {};
    let start = 0;
    for (let i = 0; i < names.length; i++) {
      let end: number;
      if (i === names.length - 1) {
        end = line.length;
        if (line.indexOf('\t', start) !== -1) throw new RangeError('COPY line has more fields than columns');
      } else {
        end = line.indexOf('\t', start);
        if (end === -1) throw new RangeError('COPY line has fewer fields than columns');
      }
      const text = line.slice(start, end);
      row[names[i]!] = text === '\\N' ? null : decoders[i]!(text);
      start = end + 1;
    }
    return row;
  };
}

/**
 * Splits a stream of COPY text chunks into lines. Chunks may end mid-line (and
 * mid UTF-8 sequence): the tail is kept until the next chunk; the newline byte
 * never occurs inside a multi-byte character, so cutting at it is exact.
 */
export class CopyLineSplitter {
  private rest: Buffer | undefined;

  /** The complete lines of `chunk` (plus the carried-over tail). */
  push(chunk: Buffer): string[] {
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      this.rest = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
      return [];
    }
    const head = chunk.subarray(0, last);
    const text = this.rest ? Buffer.concat([this.rest, head]).toString('utf8') : head.toString('utf8');
    this.rest = last + 1 < chunk.length ? Buffer.from(chunk.subarray(last + 1)) : undefined;
    return text.split('\n');
  }

  /** Throws if the stream ended inside a line. */
  end(): void {
    if (this.rest && this.rest.length > 0) throw new RangeError('COPY stream ended inside a row');
  }
}
