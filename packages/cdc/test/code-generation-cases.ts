/**
 * The cases `src/code-generation.test.ts` runs with generated code and without (in its own
 * process too, under `--disallow-code-generation-from-strings`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRowParser, TelemetryEvent } from '@bionicpro/models';
import { generateDataset } from '@bionicpro/models/testing';
import { createChangeDecoder, type KafkaRecord } from '../src/decode-change.js';

// Every record captured from a real Debezium connector (test/fixtures/debezium), each also with
// one column's value swapped for another's, so that rows the models refuse are decoded too.
const dir = fileURLToPath(new URL('./fixtures/debezium/', import.meta.url));
const captured: KafkaRecord[] = readdirSync(dir)
  .filter((file) => file.endsWith('.jsonl'))
  .sort()
  .flatMap((file) =>
    readFileSync(`${dir}${file}`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as KafkaRecord),
  );
const records: KafkaRecord[] = [...captured, ...captured.map(withBadColumn)];

function withBadColumn(record: KafkaRecord): KafkaRecord {
  if (typeof record.value !== 'string') return record;
  // A wrong type in the first column that holds a string: the models (and often the decoders) refuse it.
  return { ...record, value: record.value.replace(/("[a-z_]+":)"[^"]*"/, '$1{"x":1}') };
}

/** What decoding every record gives: each event as JSON, or the error's name, code, path and message. */
export function decodeAll(): string[] {
  const decoder = createChangeDecoder();
  return records.map((record) => {
    try {
      return JSON.stringify(decoder.decode(record), (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
    } catch (error) {
      const e = error as { name: string; code?: string; path?: unknown; message: string };
      return JSON.stringify({ error: e.name, code: e.code, path: e.path, message: e.message });
    }
  });
}

const rows = [...generateDataset({ seed: 11, users: 2, eventsPerDay: 5 }).telemetryEvents()];

/** A row parse of generated telemetry rows, with a few made bad. */
export function parseAll(): string[] {
  const parse = createRowParser(TelemetryEvent, 'telemetry_events');
  return rows.map((row, i) => {
    try {
      return JSON.stringify(parse(i % 7 === 0 ? { ...row, signal_amplitude: 'x' } : row));
    } catch (error) {
      return (error as Error).message;
    }
  });
}
