import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
  TelemetryEvent,
  tables,
  User,
} from '@bionicpro/models';
import { InputFileError } from './errors.js';

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

/**
 * Splits one CSV record (RFC 4180 quoting: `"a, b"`, `""` for a quote).
 * Records spanning several lines are not supported.
 */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
    } else if (c === ',') {
      out.push(field);
      field = '';
    } else {
      field += c;
    }
  }
  if (quoted) throw new Error('unterminated quoted field');
  out.push(field);
  return out;
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

/**
 * Reads one table's file from a directory: `<table>.jsonl` (one JSON object a
 * line) or `<table>.csv` (a header line, then records). A missing file is an
 * empty table. Every row is validated by its model; the first bad row throws
 * {@link InputFileError} naming the file, line and field.
 */
export async function readInputTable<T extends InputTable>(dir: string, table: T): Promise<InputRows[T]> {
  const jsonl = join(dir, `${table}.jsonl`);
  const csv = join(dir, `${table}.csv`);
  const file = existsSync(jsonl) ? jsonl : existsSync(csv) ? csv : undefined;
  if (file === undefined) return [];
  const parse = parsers[table] as (row: unknown) => InputRows[T][number];
  const isCsv = file.endsWith('.csv');
  const coerce = csvCoercer(table);
  const rows: InputRows[T] = [];
  let header: string[] | undefined;
  let lineNumber = 0;
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const raw of lines) {
    lineNumber += 1;
    const line = lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    let value: unknown;
    if (isCsv) {
      let cells: string[];
      try {
        cells = splitCsvLine(line);
      } catch (error) {
        throw new InputFileError(file, lineNumber, undefined, (error as Error).message);
      }
      if (header === undefined) {
        header = cells.map((c) => c.trim());
        continue;
      }
      if (cells.length !== header.length) {
        throw new InputFileError(
          file,
          lineNumber,
          undefined,
          `expected ${header.length} fields, got ${cells.length}`,
        );
      }
      const record: Record<string, unknown> = {};
      header.forEach((name, i) => {
        record[name] = coerce(name, cells[i]!);
      });
      value = record;
    } else {
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new InputFileError(file, lineNumber, undefined, `invalid JSON: ${(error as Error).message}`);
      }
    }
    try {
      rows.push(parse(value));
    } catch (error) {
      throw validationError(file, lineNumber, error);
    }
  }
  return rows;
}

/** Reads every input table of a directory. */
export async function readInputDirectory(dir: string): Promise<InputRows> {
  const out: Partial<InputRows> = {};
  for (const table of INPUT_TABLES) {
    (out as Record<string, unknown>)[table] = await readInputTable(dir, table);
  }
  return out as InputRows;
}
