#!/usr/bin/env node
/**
 * bionicpro-cdc — operator commands.
 *
 *   bionicpro-cdc decode [--dlq FILE] [--columns FILE] [--unwrapped]
 *
 * Reads Kafka messages as JSON lines from stdin, prints one JSON line per
 * decoded change on stdout, writes each bad message with its reason to FILE
 * (or stderr), and exits 0 after a summary on stderr.
 */
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseColumnTypes } from './column-types.js';
import { createChangeDecoder } from './decode-change.js';
import { formatDecodeSummary, runDecodeCommand } from './decode-command.js';

const USAGE = `usage: bionicpro-cdc decode [--dlq FILE] [--columns FILE] [--unwrapped]

Reads {"topic","partition"?,"offset"?,"key","value"} JSON lines from stdin (key and
value as JSON, or null for a tombstone) and prints one JSON line per change:
{"table","op","key","before","after","unavailable":[...],"source":{"lsn","txId","ts_ms","snapshot"}}.
Bad messages go to FILE (default: stderr) as JSON lines with their reason.
--columns FILE: column types for topics without schemas, JSON {"table":{"column":"numeric(10,2)",...}}
(PostgreSQL or Debezium type names). --unwrapped: every record is an ExtractNewRecordState row.`;

function write(stream: NodeJS.WritableStream, line: string): Promise<void> | undefined {
  if (stream.write(`${line}\n`)) return undefined;
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== 'decode') {
    process.stderr.write(
      `${command === undefined ? 'missing command' : `unknown command ${command}`}\n${USAGE}\n`,
    );
    return 2;
  }
  let dlqPath: string | undefined;
  let columnsPath: string | undefined;
  let unwrapped = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--dlq' && rest[i + 1] !== undefined) dlqPath = rest[++i];
    else if (arg.startsWith('--dlq=')) dlqPath = arg.slice('--dlq='.length);
    else if (arg === '--columns' && rest[i + 1] !== undefined) columnsPath = rest[++i];
    else if (arg.startsWith('--columns=')) columnsPath = arg.slice('--columns='.length);
    else if (arg === '--unwrapped') unwrapped = true;
    else {
      process.stderr.write(`unknown argument ${arg}\n${USAGE}\n`);
      return 2;
    }
  }
  let columns: ReturnType<typeof parseColumnTypes> | undefined;
  if (columnsPath !== undefined) {
    try {
      columns = parseColumnTypes(JSON.parse(readFileSync(columnsPath, 'utf8')));
    } catch (error) {
      process.stderr.write(
        `--columns ${columnsPath}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      return 2;
    }
  }
  let dlq: WriteStream | undefined;
  if (dlqPath !== undefined) {
    dlq = createWriteStream(dlqPath, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      dlq!.once('open', () => resolve());
      dlq!.once('error', reject);
    });
  }
  const badStream: NodeJS.WritableStream = dlq ?? process.stderr;
  const summary = await runDecodeCommand({
    lines: createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY }),
    out: (line) => write(process.stdout, line),
    bad: (line) => write(badStream, line),
    decoder: createChangeDecoder({ ...(columns && { columns }), unwrapped }),
  });
  if (dlq) await new Promise<void>((resolve) => dlq!.end(() => resolve()));
  process.stderr.write(`${formatDecodeSummary(summary)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bionicpro-cdc: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
