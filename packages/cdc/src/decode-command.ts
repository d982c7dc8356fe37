/**
 * `bionicpro-cdc decode`: Kafka messages as JSON lines in, one JSON line per
 * decoded change out. Input lines are `{"topic","partition"?,"offset"?,"key","value"}`
 * where key and value are the Kafka key/value as JSON (or null), or as the
 * raw text of the record (a JSON string), which is how captured fixtures are
 * stored. The command core is here, free of process I/O; `cli.ts` wires it to
 * stdin/stdout.
 */
import { type ChangeDecoder, type CdcEvent, createChangeDecoder } from './decode-change.js';
import { isMessageError } from './errors.js';
import { parseJsonLossless, stringifyJsonLossless } from './lossless-json.js';

/** Counts printed in the summary. */
export interface DecodeSummary {
  lines: number;
  changes: number;
  byOp: Record<string, number>;
  tombstones: number;
  truncates: number;
  heartbeats: number;
  transactions: number;
  messages: number;
  bad: number;
}

/** Where the command writes. */
export interface DecodeCommandIo {
  readonly lines: AsyncIterable<string>;
  /** One decoded change (a JSON line without the newline). */
  readonly out: (line: string) => void | Promise<void>;
  /** One bad message (a JSON line without the newline). */
  readonly bad: (line: string) => void | Promise<void>;
  readonly decoder?: ChangeDecoder;
}

function rawOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : stringifyJsonLossless(value);
}

/** The output line of one event, or undefined for events that are not changes (heartbeats, BEGIN/END, messages). */
export function formatDecodedEvent(event: CdcEvent): string | undefined {
  switch (event.kind) {
    case 'change':
      return stringifyJsonLossless({
        table: event.table,
        op: event.op,
        key: event.key,
        before: event.before,
        after: event.after,
        unavailable: event.unavailable,
        source: {
          lsn: event.source?.lsn ?? null,
          txId: event.source?.txId ?? null,
          ts_ms: event.source?.ts_ms ?? null,
          snapshot: event.source?.snapshot ?? null,
        },
      });
    case 'tombstone':
      return stringifyJsonLossless({ table: event.table, op: 'tombstone', key: event.key });
    case 'truncate':
      return stringifyJsonLossless({
        table: event.table,
        op: 't',
        key: null,
        before: null,
        after: null,
        unavailable: [],
        source: {
          lsn: event.source?.lsn ?? null,
          txId: event.source?.txId ?? null,
          ts_ms: event.source?.ts_ms ?? null,
          snapshot: event.source?.snapshot ?? null,
        },
      });
    default:
      return undefined;
  }
}

/**
 * Runs the decode command over lines; never throws for bad input (each bad
 * line is reported through `bad`), and returns the summary. An exception of the
 * decoder that is not a classified data error (a defect) is thrown.
 */
export async function runDecodeCommand(io: DecodeCommandIo): Promise<DecodeSummary> {
  const decoder = io.decoder ?? createChangeDecoder();
  const summary: DecodeSummary = {
    lines: 0,
    changes: 0,
    byOp: {},
    tombstones: 0,
    truncates: 0,
    heartbeats: 0,
    transactions: 0,
    messages: 0,
    bad: 0,
  };
  let lineNumber = 0;
  for await (const line of io.lines) {
    lineNumber += 1;
    if (line.trim() === '') continue;
    summary.lines += 1;
    let input: Record<string, unknown> | undefined;
    let decoding = false;
    try {
      const parsed = parseJsonLossless(line);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new Error('expected an object {"topic","partition"?,"offset"?,"key","value"}');
      }
      input = parsed as Record<string, unknown>;
      if (typeof input['topic'] !== 'string') throw new Error('"topic" must be a string');
      const partition = input['partition'];
      const offset = input['offset'];
      decoding = true;
      const event = decoder.decode({
        topic: input['topic'],
        ...(typeof partition === 'number' ? { partition } : {}),
        ...(offset === undefined || offset === null ? {} : { offset: String(offset) }),
        key: rawOf(input['key']),
        value: rawOf(input['value']),
      });
      switch (event.kind) {
        case 'change':
          summary.changes += 1;
          summary.byOp[event.op] = (summary.byOp[event.op] ?? 0) + 1;
          break;
        case 'tombstone':
          summary.tombstones += 1;
          break;
        case 'truncate':
          summary.truncates += 1;
          break;
        case 'heartbeat':
          summary.heartbeats += 1;
          break;
        case 'transaction':
          summary.transactions += 1;
          break;
        case 'message':
          summary.messages += 1;
          break;
      }
      const out = formatDecodedEvent(event);
      if (out !== undefined) await io.out(out);
    } catch (error) {
      // A defect of the decoder (not bad data) is not a bad line: it stops the command (exit 1).
      if (decoding && !isMessageError(error)) throw error;
      summary.bad += 1;
      const code = isMessageError(error)
        ? error.code
        : input === undefined
          ? 'invalid_line'
          : 'invalid_input';
      const reason = error instanceof Error ? error.message : String(error);
      await io.bad(
        stringifyJsonLossless({
          line: lineNumber,
          topic: input?.['topic'] ?? null,
          partition: input?.['partition'] ?? null,
          offset: input?.['offset'] ?? null,
          key: input?.['key'] ?? null,
          value: input?.['value'] ?? (input === undefined ? line : null),
          code,
          reason: `line ${lineNumber}: ${reason}`,
        }),
      );
    }
  }
  return summary;
}

/** The summary sentence printed on stderr. */
export function formatDecodeSummary(summary: DecodeSummary): string {
  const ops = Object.entries(summary.byOp)
    .map(([op, n]) => `${op}: ${n}`)
    .join(', ');
  return (
    `bionicpro-cdc decode: ${summary.lines} messages, ${summary.changes} changes${ops ? ` (${ops})` : ''}, ` +
    `${summary.tombstones} tombstones, ${summary.truncates} truncates, ${summary.heartbeats} heartbeats, ` +
    `${summary.transactions} transaction markers, ${summary.messages} logical messages, ${summary.bad} bad`
  );
}
