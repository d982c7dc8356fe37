/**
 * Kafka record keys to key rows. Most keys are one integer column, so two shortcuts read them
 * without JSON.parse: a schema-less `{"<column>":<integer>}`, and (with schemas.enable=true, where
 * every key repeats its schema) a key whose text up to its value is the last such key's. Anything
 * else is parsed and decoded like a row.
 */
import { tryParseInt64 } from '@bionicpro/models';
import { generateFunction } from '@bionicpro/models/internal';
import { unwrapSchema } from './envelope.js';
import { EnvelopeError, describeValue } from './errors.js';
import {
  type ConnectSchema,
  type DecodeContext,
  compileRowType,
  decodeRow,
  isIntegerColumn,
  isPlainName,
  setColumn,
} from './logical-types.js';
import { parseText } from './record-text.js';
import type { RowDecoders } from './row-decoders.js';
import type { TableModels } from './table-models.js';

/** The start of a key of one column, up to its value: `{"id":`. */
const INTEGER_KEY_PREFIX = /^\{"([A-Za-z_][A-Za-z0-9_]*)":/;

/** Builds the key row `{ <column>: value }`. */
type KeyRow = (value: number | string) => Record<string, unknown>;

const keyRows = new Map<string, KeyRow>();

/** `(value) => ({ <column>: value })` for a plain column name (see INTEGER_KEY_PREFIX). */
function keyRowOf(column: string): KeyRow {
  let keyRow = keyRows.get(column);
  if (keyRow === undefined) {
    keyRow = generateFunction<KeyRow>({
      generated: 'cdc.key-row',
      bindings: new Map(),
      body: [`return function keyRow(value) { return { ${column}: value }; };`],
      fallback: () => (value) => {
        const row: Record<string, unknown> = {};
        row[column] = value;
        return row;
      },
    });
    if (keyRows.size < 1000) keyRows.set(column, keyRow);
  }
  return keyRow;
}

/** Connect types of integer columns (decoded to themselves when safe). */
const INTEGER_TYPES = new Set(['int8', 'int16', 'int32', 'int64']);

/**
 * The integer written in `text` from `at` to `end` (exclusive): an optional `-` and 1–15 digits
 * without a leading zero, as JSON writes it (exact as a double); undefined for anything else.
 */
function integerText(text: string, at: number, end: number): number | undefined {
  const negative = text.charCodeAt(at) === 45; /* - */
  const start = negative ? at + 1 : at;
  const digits = end - start;
  if (digits < 1 || digits > 15 || (digits > 1 && text.charCodeAt(start) === 48)) return undefined;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/**
 * A key payload with integer columns given as decimal text (`{"id":"1"}`, as Debezium's
 * documentation prints keys) read as integers, and int64 columns as exact decimal text (as in
 * rows); the payload itself when nothing changes.
 */
function normaliseKeyIntegers(
  kindOf: (column: string) => 'integer' | 'int64' | undefined,
  payload: Record<string, unknown>,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const column in payload) {
    const value = payload[column];
    if (value === null || typeof value === 'object' || typeof value === 'boolean') continue;
    const kind = kindOf(column);
    if (kind === undefined) continue;
    let normalised: unknown = value;
    if (kind === 'int64') {
      const result = tryParseInt64(value);
      if (result.ok) normalised = result.text;
    } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
      normalised = Number(value);
    }
    if (normalised === value) continue;
    out ??= { ...payload };
    setColumn(out, column, normalised);
  }
  return out ?? payload;
}

const INTEGER_TEXT = /^-?(?:0|[1-9]\d{0,14})$/;

const KEY_PATH: readonly (string | number)[] = ['key'];
const noKeyRow: KeyRow = () => ({});

/** The key decoder of one change decoder, with the last integer key's text at hand. */
export class KeyDecoder {
  readonly #models: TableModels;
  readonly #decoders: RowDecoders;
  // Schema-less keys: one decoder for all of them (compiling one per message cost a Map and a WeakMap entry each).
  readonly #schemalessKeyDecoder = compileRowType({}, undefined, true);
  // The column of the last `{"<column>":<integer>}` key (see #integerKey), its text up to the
  // value, and a function building the key row as an object literal.
  #keyColumn = '';
  #keyPrefix = '';
  #keyRow: KeyRow = noKeyRow;
  // With schemas.enable=true every key repeats its schema: the text of the last key of one
  // integer column up to its value (`{"schema":{…},"payload":{"id":`), and its row builder.
  #schemaKeyPrefix = '';
  #schemaKeyRow: KeyRow = noKeyRow;
  #schemaKeyText = false;

  constructor(models: TableModels, decoders: RowDecoders) {
    this.#models = models;
    this.#decoders = decoders;
  }

  /** The key row of a key's text; null for a JSON null key (or payload). */
  decode(text: string, table: string): Record<string, unknown> | null {
    const fast = this.#integerKey(text, table) ?? this.#schemaIntegerKey(text);
    if (fast !== undefined) return fast;
    const parsed = parseText(text, 'key', true);
    if (parsed === null) return null;
    const { payload, schema } = unwrapSchema(parsed);
    if (payload === null) return null;
    if (typeof payload !== 'object' || Array.isArray(payload)) {
      throw new EnvelopeError(`expected a key struct, got ${describeValue(payload)}`, ['key']);
    }
    const ctx: DecodeContext = { path: KEY_PATH, unsafe: false };
    if (schema === undefined) {
      const int64 = this.#models.int64ColumnsOf(table);
      const integers = this.#models.integerColumnsOf(table);
      const row = normaliseKeyIntegers(
        (column) => (int64.has(column) ? 'int64' : integers.has(column) ? 'integer' : undefined),
        payload as Record<string, unknown>,
      );
      return decodeRow(this.#schemalessKeyDecoder, row, ctx).row;
    }
    if (schema.type !== 'struct') {
      throw new EnvelopeError(`expected a struct schema for the key, got ${describeValue(schema.type)}`, [
        'key',
        'schema',
        'type',
      ]);
    }
    const decoder = this.#decoders.forSchema(schema, undefined);
    const row = decodeRow(
      decoder,
      normaliseKeyIntegers(
        (column) => (isIntegerColumn(decoder, column) ? 'integer' : undefined),
        payload as Record<string, unknown>,
      ),
      ctx,
    ).row;
    this.#learnSchemaKey(text, schema, row);
    return row;
  }

  /**
   * A schema-less key of one integer column, `{"<column>":<integer of at most 15 digits>}`, the
   * usual primary key, read without JSON.parse: the row the general path decodes it to (the
   * integer is exact, so no lossless re-parse is needed). Undefined for any other text.
   */
  #integerKey(text: string, table: string): Record<string, unknown> | undefined {
    const end = text.length - 1;
    if (end > 80 || text.charCodeAt(end) !== 125 /* } */) return undefined;
    let column = this.#keyColumn;
    let at = this.#keyPrefix.length;
    if (at === 0 || !text.startsWith(this.#keyPrefix)) {
      const prefix = INTEGER_KEY_PREFIX.exec(text);
      if (prefix === null || prefix[1] === '__proto__') return undefined;
      column = prefix[1]!;
      at = prefix[0].length;
    }
    const value = integerText(text, at, end);
    if (value === undefined) return undefined;
    if (column !== this.#keyColumn) {
      this.#keyColumn = column;
      this.#keyPrefix = text.slice(0, at);
      this.#keyRow = keyRowOf(column);
    }
    // A bigint column is decimal text, as in the row (Object.is keeps -0 out of it: "-0" is not canonical).
    if (this.#models.int64ColumnsOf(table).has(column)) {
      return Object.is(value, -0) ? undefined : this.#keyRow(String(value));
    }
    return this.#keyRow(value);
  }

  /**
   * A key with the text of the last one up to its value and an integer of at most 15 digits
   * after it (then `}}`): the row the general path decodes it to, without parsing its schema
   * again (it is the same text, already parsed and checked). Undefined for any other text.
   */
  #schemaIntegerKey(text: string): Record<string, unknown> | undefined {
    const at = this.#schemaKeyPrefix.length;
    if (
      at === 0 ||
      text.length > at + 18 ||
      !text.startsWith(this.#schemaKeyPrefix) ||
      !text.endsWith('}}')
    ) {
      return undefined;
    }
    const value = integerText(text, at, text.length - 2);
    if (value === undefined) return undefined;
    if (!this.#schemaKeyText) return this.#schemaKeyRow(value);
    return Object.is(value, -0) ? undefined : this.#schemaKeyRow(String(value));
  }

  /** Remembers the text of a key whose schema is one integer column, for {@link #schemaIntegerKey}. */
  #learnSchemaKey(text: string, schema: ConnectSchema, row: Record<string, unknown>): void {
    const fields = schema.fields ?? [];
    const field = fields[0];
    if (
      fields.length !== 1 ||
      field?.field === undefined ||
      field.name !== undefined ||
      !INTEGER_TYPES.has(field.type) ||
      !isPlainName(field.field)
    ) {
      return;
    }
    const decoded = row[field.field];
    const asText = field.type === 'int64';
    if (typeof decoded !== (asText ? 'string' : 'number')) return;
    const marker = `"payload":{"${field.field}":`;
    const at = text.lastIndexOf(marker) + marker.length;
    if (at < marker.length || !text.endsWith('}}')) return;
    const value = integerText(text, at, text.length - 2);
    if (value === undefined || !Object.is(asText ? String(value) : value, decoded)) return;
    this.#schemaKeyPrefix = text.slice(0, at);
    this.#schemaKeyRow = keyRowOf(field.field);
    this.#schemaKeyText = asText;
  }
}
