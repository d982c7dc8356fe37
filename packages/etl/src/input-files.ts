import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { CsvError, parse as parseCsv } from 'csv-parse';
import {
  BatteryMetric,
  columnsOf,
  createRowParser,
  DeviceEvent,
  lenientModel,
  ModelValidationError,
  Payment,
  Prosthetic,
  type SourceTableName,
  Subscription,
  SupportTicket,
  TelemetryEvent,
  tables,
  User,
} from '@bionicpro/models';
import { InputDirectoryError, InputFileError } from './errors.js';

/** Tables the `kpis` command reads, one file each (`<table>.jsonl` or `<table>.csv`). */
export const INPUT_TABLES = [
  'users',
  'prosthetics',
  'subscriptions',
  'payments',
  'device_events',
  'battery_metrics',
  'telemetry_events',
] as const;
export type InputTable = (typeof INPUT_TABLES)[number];

const parsers = {
  users: createRowParser(User, 'users'),
  prosthetics: createRowParser(Prosthetic, 'prosthetics'),
  subscriptions: createRowParser(Subscription, 'subscriptions'),
  payments: createRowParser(Payment, 'payments'),
  device_events: createRowParser(lenientModel(DeviceEvent), 'device_events'),
  battery_metrics: createRowParser(BatteryMetric, 'battery_metrics'),
  telemetry_events: createRowParser(TelemetryEvent, 'telemetry_events'),
} as const;

export type InputRows = { [T in InputTable]: ReturnType<(typeof parsers)[T]>[] };

const supportTickets = createRowParser(SupportTicket, 'support_tickets');
type ParserOf<T extends SourceTableName> = T extends InputTable ? (typeof parsers)[T] : typeof supportTickets;
function parserOf<T extends SourceTableName>(table: T): ParserOf<T> {
  return (table === 'support_tickets' ? supportTickets : parsers[table as InputTable]) as ParserOf<T>;
}

/** Turns CSV text cells into the JSON types the models expect, by column type. */
function csvCoercer(table: SourceTableName): (name: string, text: string) => unknown {
  const types = new Map(columnsOf(tables[table]).map((c) => [c.name, c]));
  return (name, text) => {
    const column = types.get(name);
    if (column === undefined) return text;
    if (text === '' && column.nullable) return null;
    // 64-bit integers stay text (exact beyond 2^53; the models read canonical decimal text).
    if (/^U?Int64$/.test(column.ch)) return text;
    if (/^(U?Int\d+|Float\d+)$/.test(column.ch)) {
      const n = Number(text);
      return text.trim() === '' || Number.isNaN(n) ? text : n;
    }
    if (column.ch === 'Bool') {
      const lower = text.toLowerCase();
      if (['true', 't', '1'].includes(lower)) return true;
      if (['false', 'f', '0'].includes(lower)) return false;
    }
    return text;
  };
}

function validationError(file: string, line: number, error: unknown): InputFileError {
  if (error instanceof ModelValidationError) {
    const issue = error.issues[0];
    const field = issue?.path.map(String).join('.') || undefined;
    return new InputFileError(file, line, field, issue?.message ?? error.message);
  }
  return new InputFileError(file, line, undefined, error instanceof Error ? error.message : String(error));
}

/** Options of {@link readInputTable}, {@link readInputDirectory} and {@link streamInputFile}. */
export interface InputReadOptions {
  /**
   * Progress of large inputs: called every few thousand rows and at the end of
   * each file with the file, the bytes read from it so far and its rows so far.
   */
  readonly onProgress?: (progress: {
    readonly file: string;
    readonly bytes: number;
    readonly rows: number;
  }) => void;
}

/**
 * The table files of an input directory: `<table>.jsonl` or `<table>.csv` per
 * table, at most one per table. Throws {@link InputDirectoryError} when the
 * path is missing or not a directory, when it holds a `.jsonl`/`.csv` file that
 * names no table (`user.jsonl`), when a table has both forms, or when it holds
 * none of the tables at all — each an error naming what was expected, never
 * an empty result.
 */
export function inputFiles(dir: string, tableNames: readonly string[] = INPUT_TABLES): Map<string, string> {
  const expected = `a directory holding ${tableNames.map((t) => `${t}.jsonl|.csv`).join(', ')}`;
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(dir);
  } catch {
    throw new InputDirectoryError(dir, `no such directory; expected ${expected}`);
  }
  if (!stat.isDirectory()) throw new InputDirectoryError(dir, `is a file; expected ${expected}`);
  const found = new Map<string, string>();
  const unknown: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const match = /^(.*)\.(jsonl|csv)$/.exec(name);
    if (!match) continue;
    const table = match[1]!;
    if (!tableNames.includes(table)) {
      unknown.push(name);
      continue;
    }
    const previous = found.get(table);
    if (previous !== undefined) {
      throw new InputDirectoryError(dir, `both ${basename(previous)} and ${name}; keep one file per table`);
    }
    found.set(table, join(dir, name));
  }
  if (unknown.length > 0) {
    const hint = unknown
      .map((name) => {
        const stem = name.replace(/\.(jsonl|csv)$/, '');
        const near = tableNames.find(
          (t) => t === `${stem}s` || `${t}s` === stem || t.replace(/_/g, '') === stem.replace(/[_-]/g, ''),
        );
        return near ? `${name} (did you mean ${near}${name.slice(stem.length)}?)` : name;
      })
      .join(', ');
    throw new InputDirectoryError(
      dir,
      `unexpected file ${hint}; expected table files named ${tableNames.join(', ')} (.jsonl or .csv)`,
    );
  }
  if (found.size === 0) throw new InputDirectoryError(dir, `holds no table files; expected ${expected}`);
  return found;
}

/**
 * Streams the rows of one table file: `.jsonl` (one JSON object a line) or
 * `.csv` (a header of column names, then RFC 4180 records read by
 * `csv-parse`: quoted fields may hold commas, quotes and newlines). Every row
 * is validated by its model; the first bad row throws {@link InputFileError}
 * naming the file, line and field.
 */
export async function* streamInputFile<T extends SourceTableName>(
  file: string,
  table: T,
  options: InputReadOptions = {},
): AsyncGenerator<ReturnType<ParserOf<T>>> {
  const parse = parserOf(table);
  const input = createReadStream(file);
  let bytes = 0;
  input.on('data', (chunk) => {
    bytes += chunk.length;
  });
  const records = file.endsWith('.csv') ? csvRecords(file, table, input) : jsonlRecords(file, input);
  let rows = 0;
  for await (const { line, value } of records) {
    let row: ReturnType<ParserOf<T>>;
    try {
      row = parse(value) as ReturnType<ParserOf<T>>;
    } catch (error) {
      throw validationError(file, line, error);
    }
    rows += 1;
    if ((rows & 4095) === 0) options.onProgress?.({ file, bytes, rows });
    yield row;
  }
  options.onProgress?.({ file, bytes, rows });
}

async function* jsonlRecords(
  file: string,
  input: NodeJS.ReadableStream,
): AsyncGenerator<{ line: number; value: unknown }> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const raw of lines) {
    line += 1;
    const text = line === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) };
    } catch (error) {
      throw new InputFileError(file, line, undefined, `invalid JSON: ${(error as Error).message}`);
    }
  }
}

async function* csvRecords(
  file: string,
  table: SourceTableName,
  input: NodeJS.ReadableStream,
): AsyncGenerator<{ line: number; value: unknown }> {
  const coerce = csvCoercer(table);
  const parser = input.pipe(
    parseCsv({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true }),
  );
  let header: string[] | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: string[];
      info: { lines: number };
    }>) {
      if (header === undefined) {
        header = record.map((c) => c.trim());
        continue;
      }
      if (record.length !== header.length) {
        throw new InputFileError(
          file,
          info.lines,
          undefined,
          `expected ${header.length} fields, got ${record.length}`,
        );
      }
      const value: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i += 1) value[header[i]!] = coerce(header[i]!, record[i]!);
      yield { line: info.lines, value };
    }
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines ?? 0;
      throw new InputFileError(file, line, undefined, error.message.replace(/ at line \d+$/, ''));
    }
    throw error;
  }
}

/**
 * Reads one table's file from a directory (`<table>.jsonl` or `<table>.csv`,
 * see {@link streamInputFile}). A missing file is an empty table.
 */
export async function readInputTable<T extends InputTable>(
  dir: string,
  table: T,
  options: InputReadOptions = {},
): Promise<InputRows[T]> {
  const jsonl = join(dir, `${table}.jsonl`);
  const csv = join(dir, `${table}.csv`);
  const file = existsSync(jsonl) ? jsonl : existsSync(csv) ? csv : undefined;
  if (file === undefined) return [];
  const rows: InputRows[T] = [];
  for await (const row of streamInputFile(file, table, options)) rows.push(row as InputRows[T][number]);
  return rows;
}

/**
 * Reads every input table of a directory, checked by {@link inputFiles} first:
 * a missing directory, a file path, misnamed files or a directory without any
 * table file are errors. A table without a file is empty.
 */
export async function readInputDirectory(dir: string, options: InputReadOptions = {}): Promise<InputRows> {
  inputFiles(dir);
  const out: Partial<InputRows> = {};
  for (const table of INPUT_TABLES) {
    (out as Record<string, unknown>)[table] = await readInputTable(dir, table, options);
  }
  return out as InputRows;
}
