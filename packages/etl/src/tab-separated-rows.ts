/**
 * ClickHouse `TabSeparated` bodies built from model rows: the compact insert
 * format both loaders accept. chDB's zero-copy `rawInsert` takes text formats
 * only (JSONEachRow, JSONCompactEachRow, TabSeparated, CSV), and
 * `@clickhouse/client` streams TabSeparated, CSV and Parquet but no RowBinary
 * or Native; TabSeparated is the one compact format common to both. A row is
 * one line of values in column order, with no keys: about half the bytes of
 * JSONEachRow, and ClickHouse parses it with no per-field name lookup.
 *
 * Encoding is exact: numbers are written in JavaScript's shortest round-trip
 * form (ClickHouse reads them back to the same double), 64-bit ids and money as
 * their decimal text, instants as `YYYY-MM-DD hh:mm:ss.mmm` UTC (the columns are
 * `DateTime64(3, 'UTC')`; whole seconds without the fraction), booleans as `true`/`false`, null as `\N`, and text
 * with TabSeparated's escapes (backslash, tab, newline, carriage return, NUL).
 */
import { BionicProError, civilFromDays } from '@bionicpro/models';
import { generateFunction } from '@bionicpro/models/internal';

/** A value the encoder cannot write (an object, a non-finite number): names the column. */
export class TabSeparatedEncodeError extends BionicProError {
  readonly code = 'tab_separated_encode' as const;
  constructor(
    readonly column: string,
    readonly value: unknown,
  ) {
    super(`column ${column}: cannot write ${describe(value)} as a ClickHouse TabSeparated value`, {
      path: [column],
    });
    this.name = 'TabSeparatedEncodeError';
  }
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value instanceof Date) return 'an invalid Date';
  return typeof value === 'object' ? 'an object' : typeof value;
}

const NEEDS_ESCAPE = /[\t\n\r\\\0]/;
const ESCAPE = /[\t\n\r\\\0]/g;
const ESCAPED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\', '\0': '\\0' };

/**
 * Text as a TabSeparated field.
 *
 * @example
 * ```ts
 * import { escapeTabSeparated } from '@bionicpro/etl';
 * escapeTabSeparated('a\tb'); // 'a\\tb'
 * ```
 */
export function escapeTabSeparated(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE, (c) => ESCAPED[c]!) : text;
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => `.${String(i).padStart(3, '0')}`);
const DAY_MS = 86_400_000;

/**
 * `YYYY-MM-DD hh:mm:ss[.mmm]` UTC of epoch milliseconds, without a `Date`
 * string round trip: the civil date from the day number (H. Hinnant's
 * days-from-civil inverse), the time of day by division. Half the cost of
 * `toISOString()` on the load path, where every row has two instants.
 */
function instantText(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  let rest = ms - days * DAY_MS;
  const { year, month, day } = civilFromDays(days);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  const yyyy = year >= 1000 && year <= 9999 ? String(year) : String(year).padStart(4, '0');
  return `${yyyy}-${PAD2[month]}-${PAD2[day]} ${PAD2[hour]}:${PAD2[minute]}:${PAD2[second]}${milli === 0 ? '' : PAD3[milli]}`;
}

/** One value as a TabSeparated field, or undefined when it has no TabSeparated form. */
function field(value: unknown): string | undefined {
  if (value === null || value === undefined) return '\\N';
  switch (typeof value) {
    case 'string':
      return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPE, (c) => ESCAPED[c]!) : value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return String(value);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms) || ms < 0 - 62_135_596_800_000 || ms > 253_402_300_799_999) return undefined;
    // Whole seconds without a fraction: `DateTime` columns (hour starts) take no fraction.
    return instantText(ms);
  }
  return undefined;
}

/** Encodes one row as a TabSeparated line (with its newline). */
export type TabSeparatedEncoder = (row: object) => string;

/**
 * Compiles an encoder for rows with the given columns (read by name, written in
 * this order), followed by `extra` columns whose values are the same for every
 * row (e.g. `{ _version: 17…, _is_deleted: 0 }`).
 *
 * @example
 * ```ts
 * import { compileTabSeparatedEncoder } from '@bionicpro/etl';
 * const encode = compileTabSeparatedEncoder(['id', 'note'], { _is_deleted: 0 });
 * encode({ id: 1, note: 'a\tb' }); // '1\ta\\tb\t0\n'
 * ```
 */
export function compileTabSeparatedEncoder(
  columns: readonly string[],
  extra: Readonly<Record<string, unknown>> = {},
): TabSeparatedEncoder {
  if (!columns.every((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))) {
    throw new TypeError(`TabSeparated columns must be plain identifiers: ${columns.join(', ')}`);
  }
  let tail = '';
  for (const [name, value] of Object.entries(extra)) {
    const text = field(value);
    if (text === undefined) throw new TabSeparatedEncodeError(name, value);
    tail += `\t${text}`;
  }
  // One property read per column on a fixed shape, no loop: the row parser's objects keep one hidden class.
  const body = [
    'return function encodeTabSeparated(row) {',
    ...columns.map(
      (name, i) =>
        `  const v${i} = f(row.${name}); if (v${i} === undefined) throw new E(${JSON.stringify(name)}, row.${name});`,
    ),
    `  return ${columns.map((_, i) => `v${i}`).join(' + "\\t" + ')} + ${JSON.stringify(`${tail}\n`)};`,
    '};',
  ];
  return generateFunction<TabSeparatedEncoder>({
    generated: 'etl.tab-separated-encoder',
    bindings: new Map<string, unknown>([
      ['f', field],
      ['E', TabSeparatedEncodeError],
    ]),
    body,
    fallback: () => (row) => {
      let line = '';
      for (let i = 0; i < columns.length; i++) {
        const value = (row as Record<string, unknown>)[columns[i]!];
        const text = field(value);
        if (text === undefined) throw new TabSeparatedEncodeError(columns[i]!, value);
        line += i === 0 ? text : `\t${text}`;
      }
      return `${line}${tail}\n`;
    },
  });
}

/**
 * Rows encoded as TabSeparated into one growable byte buffer. {@link take}
 * hands the bytes over (to an insert in flight) and continues in a second
 * buffer; {@link recycle} gives the first back once its insert is done. One
 * batch is inserted while the next is encoded, and memory stays at two batches.
 *
 * @example
 * ```ts
 * import { compileTabSeparatedEncoder, TabSeparatedBuffer } from '@bionicpro/etl';
 * const buffer = new TabSeparatedBuffer(compileTabSeparatedEncoder(['id']));
 * buffer.add({ id: 1 });
 * const { body, rows } = buffer.take(); // body: '1\n', rows: 1
 * buffer.recycle(body);
 * ```
 */
export class TabSeparatedBuffer {
  private buffer: Buffer;
  private spare: Buffer | undefined;
  /** Bytes used. */
  length = 0;
  /** Rows held. */
  rows = 0;

  constructor(
    private readonly encode: TabSeparatedEncoder,
    private readonly initialBytes = 1 << 20,
  ) {
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  add(row: object): void {
    const line = this.encode(row);
    // Worst case 3 UTF-8 bytes per UTF-16 unit.
    const need = this.length + line.length * 3;
    if (need > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, need));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(line, this.length, 'utf8');
    this.rows += 1;
  }

  /**
   * The rows so far as bytes, valid until they are {@link recycle}d; encoding
   * goes on in the spare buffer (or a new one).
   */
  take(): { readonly body: Buffer; readonly rows: number } {
    const taken = { body: this.buffer.subarray(0, this.length), rows: this.rows };
    this.buffer = this.spare ?? Buffer.allocUnsafe(this.initialBytes);
    this.spare = undefined;
    this.length = 0;
    this.rows = 0;
    return taken;
  }

  /** Takes back the memory of a body from {@link take} whose insert has finished. */
  recycle(body: Buffer): void {
    if (body.buffer.byteLength >= this.initialBytes && body.byteOffset === 0) {
      this.spare = Buffer.from(body.buffer, 0, body.buffer.byteLength);
    }
  }

  /** Drops the rows and gives the memory back. */
  release(): void {
    this.buffer = Buffer.alloc(0);
    this.spare = undefined;
    this.length = 0;
    this.rows = 0;
  }
}
