/**
 * The decoder against mutated real envelopes: every record captured from a real Debezium
 * connector (test/fixtures/debezium) and the documented shapes (src/fixtures), truncated, with
 * values of the wrong type, fields dropped or duplicated, huge numbers, deep nesting and reserved
 * names. For every input exactly one outcome: a change, a counted control event, or a classified
 * error with a code and a reason (what the pipeline dead-letters). Anything else thrown is a
 * defect and fails the test, and so does a change whose columns are an envelope's own fields.
 * Deterministic: a seeded generator, so a failure names an input that can be replayed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Random } from '@bionicpro/models/testing';
import { describe, expect, it } from 'vitest';
import { type CdcEvent, createChangeDecoder, type KafkaRecord } from './decode-change.js';
import { formatDecodedEvent } from './decode-command.js';
import { isMessageError } from './errors.js';
import { examples } from './fixtures/debezium-examples.js';
import { stringifyJsonLossless } from './lossless-json.js';

const SEED = 20261206;
const INPUTS = 12_000;

interface Sample {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string | null;
}

const fixtureDir = fileURLToPath(new URL('../test/fixtures/debezium/', import.meta.url));
const captured: Sample[] = readdirSync(fixtureDir)
  .filter((file) => file.endsWith('.jsonl'))
  .flatMap((file) =>
    readFileSync(`${fixtureDir}${file}`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Sample),
  );
const documented: Sample[] = Object.values(examples).map((e) => ({
  topic: e.topic,
  key: e.key,
  value: e.value,
}));
const samples = [...captured, ...documented];

/** Marks a value that the serialiser below writes as raw JSON text (huge numbers, deep nesting). */
class Raw {
  constructor(readonly text: string) {}
}
/** Marks an object whose serialisation repeats one of its keys with another value. */
const DUPLICATE = Symbol('duplicate');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json } | Raw;

function serialise(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (Array.isArray(value)) return `[${value.map(serialise).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${serialise(v)}`);
    const duplicate = (value as { [DUPLICATE]?: [string, unknown] })[DUPLICATE];
    if (duplicate) entries.push(`${JSON.stringify(duplicate[0])}:${serialise(duplicate[1])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const HUGE = [
  '1e308',
  '-1e308',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '9007199254740993',
  '123456789012345678901234567890',
  '0.000000000000000000001',
  '-0',
];
const RESERVED = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__op',
  '__deleted',
  'op',
];
const OPS = ['c', 'u', 'd', 'r', 't', 'm', 'x', '', 'C', null];
const ENVELOPE_FIELDS = ['op', 'before', 'after', 'source', 'payload', 'schema'];

function otherValue(rand: () => number, depth = 0): Json {
  switch (Math.floor(rand() * 11)) {
    case 0:
      return null;
    case 1:
      return rand() < 0.5;
    case 2:
      return Math.floor(rand() * 2_000_000) - 1_000_000;
    case 3:
      return rand() * 1e6;
    case 4:
      return ['', 'x', 'NaN', '2024-13-45', 'AAAA', 'asdf$$$', '23:02', '__debezium_unavailable_value'][
        Math.floor(rand() * 8)
      ]!;
    case 5:
      return new Raw(HUGE[Math.floor(rand() * HUGE.length)]!);
    case 6:
      return depth > 2 ? {} : { a: otherValue(rand, depth + 1) };
    case 7:
      return depth > 2 ? [] : [otherValue(rand, depth + 1)];
    case 8: {
      // Deep nesting.
      const n = 50 + Math.floor(rand() * 1000);
      return new Raw(
        rand() < 0.5 ? `${'['.repeat(n)}${']'.repeat(n)}` : `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`,
      );
    }
    case 9:
      return OPS[Math.floor(rand() * OPS.length)] as Json;
    default:
      return String(Math.floor(rand() * 1e6));
  }
}

/** Every object node of a parsed value, with its path. */
function objects(value: unknown, out: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (value !== null && typeof value === 'object' && !(value instanceof Raw)) {
    if (!Array.isArray(value)) out.push(value as Record<string, unknown>);
    for (const child of Object.values(value)) objects(child, out);
  }
  return out;
}

function pick<T>(rand: () => number, list: readonly T[]): T | undefined {
  return list.length === 0 ? undefined : list[Math.floor(rand() * list.length)];
}

/** One to three mutations of a JSON text; the text itself when it does not parse. */
function mutateText(text: string, rand: () => number): string {
  if (rand() < 0.1) return text.slice(0, Math.floor(rand() * text.length)); // truncation
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return text;
  }
  const count = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < count; i++) {
    const nodes = objects(root);
    const node = pick(rand, nodes);
    if (node === undefined) break;
    const keys = Object.keys(node);
    const key = pick(rand, keys);
    switch (Math.floor(rand() * 7)) {
      case 0: // type flip
        if (key !== undefined) node[key] = otherValue(rand);
        break;
      case 1: // dropped field
        if (key !== undefined) delete node[key];
        break;
      case 2: // duplicated field (JSON.parse keeps the last)
        if (key !== undefined)
          (node as { [DUPLICATE]?: [string, unknown] })[DUPLICATE] = [key, otherValue(rand)];
        break;
      case 3: // reserved name
        Object.defineProperty(node, pick(rand, RESERVED)!, {
          value: otherValue(rand),
          enumerable: true,
          writable: true,
          configurable: true,
        });
        break;
      case 4: {
        // op of another kind, on the envelope (the wrapper's payload or the root)
        const envelope =
          root !== null && typeof root === 'object' && 'payload' in root
            ? (root as { payload: unknown }).payload
            : root;
        if (envelope !== null && typeof envelope === 'object' && !Array.isArray(envelope)) {
          (envelope as Record<string, unknown>)['op'] = OPS[Math.floor(rand() * OPS.length)] as Json;
        }
        break;
      }
      case 5: // huge number
        if (key !== undefined) node[key] = new Raw(pick(rand, HUGE)!);
        break;
      default: // the wrapper or the payload replaced by a part of itself
        if (key !== undefined && node[key] !== null && typeof node[key] === 'object') {
          const inner = node[key];
          root = rand() < 0.5 ? inner : { payload: inner };
        }
    }
  }
  return serialise(root);
}

function mutate(sample: Sample, rand: () => number): KafkaRecord {
  const value = sample.value === null || rand() < 0.05 ? sample.value : mutateText(sample.value, rand);
  const key =
    sample.key !== null && rand() < 0.15 ? mutateText(sample.key, rand) : rand() < 0.03 ? null : sample.key;
  return { topic: sample.topic, partition: 0, offset: '0', key, value };
}

function columnsOf(row: Record<string, unknown> | null): string[] {
  return row === null ? [] : Object.keys(row);
}

/** What one input ended as; throws (failing the test) on a defect or a bad change. */
function outcome(decode: () => CdcEvent): string {
  let event: CdcEvent;
  try {
    event = decode();
  } catch (error) {
    if (!isMessageError(error)) throw error;
    expect(error.message.length).toBeGreaterThan(0);
    return `dead letter ${error.code}`;
  }
  // Everything a consumer reads later must already be settled: no error after the outcome.
  const line = formatDecodedEvent(event);
  if (line !== undefined) JSON.parse(line);
  if (event.kind === 'change')
    stringifyJsonLossless({ key: event.key, before: event.before, after: event.after, row: event.row });
  if (event.kind !== 'change') return event.kind;
  void event.ts_ns;
  void event.source?.ts_ns;
  void event.source?.sequence;
  expect(['c', 'u', 'd', 'r']).toContain(event.op);
  expect(typeof event.table).toBe('string');
  for (const row of [event.after, event.before, event.key]) {
    if (row !== null) expect(typeof row).toBe('object');
  }
  // An envelope taken for a flattened row (the old failure) shows as a row with the envelope's own
  // fields as columns. (A column named op inside an envelope's after row is data, not this.)
  if (event.unwrapped) {
    const columns = [...columnsOf(event.after), ...columnsOf(event.before)];
    const envelopeColumns = columns.filter((column) => ENVELOPE_FIELDS.includes(column));
    expect(envelopeColumns, 'a change whose columns are envelope fields').toEqual([]);
  }
  if (event.op === 'd') expect(event.key !== null || columnsOf(event.before).length > 0).toBe(true);
  else expect(event.after).not.toBeNull();
  return `change ${event.op}`;
}

describe('decoder fuzz: mutated real envelopes', () => {
  it(`gives exactly one outcome for each of ${INPUTS} mutated envelopes (seed ${SEED})`, () => {
    expect(samples.length).toBeGreaterThan(100);
    const random = new Random(SEED);
    const rand = () => random.next();
    const decoder = createChangeDecoder();
    const tally = new Map<string, number>();
    for (let i = 0; i < INPUTS; i++) {
      const sample = samples[Math.floor(rand() * samples.length)]!;
      const record = mutate(sample, rand);
      let result: string;
      try {
        result = outcome(() => decoder.decode(record));
      } catch (error) {
        throw new Error(
          `input ${i} (seed ${SEED}) had no single outcome: ${error instanceof Error ? error.message : String(error)}\nkey: ${String(record.key).slice(0, 500)}\nvalue: ${String(record.value).slice(0, 2000)}`,
          { cause: error },
        );
      }
      tally.set(result, (tally.get(result) ?? 0) + 1);
    }
    const total = [...tally.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(INPUTS);
    // The mutations reach every outcome: changes, control events and each kind of dead letter.
    for (const expected of [
      'change c',
      'change u',
      'change d',
      'heartbeat',
      'tombstone',
      'dead letter invalid_envelope',
      'dead letter decode_failed',
      'dead letter invalid_row',
    ]) {
      expect([...tally.keys()], JSON.stringify(Object.fromEntries(tally))).toContain(expected);
    }
  });

  it('decodes every unmutated sample without a defect', () => {
    const decoder = createChangeDecoder();
    for (const sample of samples) {
      outcome(() => decoder.decode({ ...sample, partition: 0, offset: '0' }));
    }
  });
});
