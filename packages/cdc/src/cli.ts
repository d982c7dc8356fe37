#!/usr/bin/env node
/**
 * bionicpro-cdc — operator commands.
 *
 *   bionicpro-cdc decode [--dlq FILE] [--columns FILE] [--unwrapped]
 *   bionicpro-cdc verify --source URL --table T --clickhouse URL|chdb:PATH [--database D]
 *
 * Exit codes: 0 success (verify: equal), 1 failure (verify: different, or
 * a query failed), 2 usage error. Errors are one line,
 * `bionicpro-cdc: error: …`; `--debug` adds the stack trace and the engine
 * clients' logs.
 */
import { createWriteStream, fstatSync, readFileSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ProgressDisplay } from '@bionicpro/models';
import packageJson from '../package.json' with { type: 'json' };
import {
  type CliCommand,
  CliUsageError,
  commandHelp,
  type ParsedArgs,
  parseCommandArgs,
} from './cli-args.js';
import { parseColumnTypes } from './column-types.js';
import { createChangeDecoder } from './decode-change.js';
import { formatDecodeSummary, runDecodeCommand } from './decode-command.js';

const PROGRAM = 'bionicpro-cdc';

/** Each command's options, one line per option; the parser and the help read this table. */
const COMMANDS = {
  decode: {
    summary: 'decode Debezium messages (JSON lines on stdin) into one JSON line per change',
    description: [
      'Reads {"topic","partition"?,"offset"?,"key","value"} JSON lines from stdin (key and value as JSON,',
      'or null for a tombstone) and prints one JSON line per change on stdout:',
      '{"table","op","key","before","after","unavailable":[...],"source":{"lsn","txId","ts_ms","snapshot"}}.',
      'Bad messages go to the --dlq file (default: stderr) as JSON lines with their reason; a summary',
      'goes to stderr. Exit 0 once stdin is read, whatever the number of bad messages.',
      'When stdin is a file (decode < messages.jsonl), progress goes to stderr: a bar with messages/s',
      'and ETA on a terminal, {"type":"progress",…} JSON lines otherwise.',
    ].join('\n'),
    options: {
      dlq: { value: 'FILE', help: 'write bad messages to FILE (default: stderr)' },
      columns: {
        value: 'FILE',
        help: 'column types for topics without schemas: JSON {"table":{"column":"numeric(10,2)",…}} (PostgreSQL or Debezium type names)',
      },
      unwrapped: { help: 'every record is an ExtractNewRecordState row (not an envelope)' },
    },
  },
  verify: {
    summary: 'compare a PostgreSQL table with its ClickHouse CDC replica',
    description: [
      'Counts and checksums current rows (FINAL, not deleted) per primary-key range in both engines,',
      'descends into ranges that differ and prints a JSON report on stdout: rows on each side and the',
      'keys missing from ClickHouse, extra in ClickHouse, and different.',
      'Exit 0 when equal, 1 when different (or a query failed), 2 on a usage error.',
    ].join('\n'),
    options: {
      source: { value: 'URL', help: 'PostgreSQL connection URL (postgres://…)', required: true },
      table: { value: 'T', help: 'table name of @bionicpro/models (users, payments, …)', required: true },
      clickhouse: {
        value: 'URL|chdb:PATH',
        help: 'ClickHouse HTTP URL, or chdb:PATH for embedded chDB',
        required: true,
      },
      database: { value: 'D', help: 'ClickHouse database of the replica (default: default)' },
      'source-table': { value: 'SCHEMA.TABLE', help: 'PostgreSQL relation (default: the table name)' },
      'source-parallelism': {
        value: 'P',
        help: 'split each PostgreSQL checksum query into P key ranges run at once on P connections (default 2)',
      },
      fanout: { value: 'N', help: 'ranges per split (default 16)' },
      'leaf-rows': {
        value: 'N',
        help: 'list keys of a differing range once it has at most N rows (default 1000)',
      },
      'max-differences': { value: 'N', help: 'stop after N differing keys (default 1000)' },
    },
  },
} as const satisfies Record<string, CliCommand>;

type CommandName = keyof typeof COMMANDS;

const PROGRAM_HELP = [
  `usage: ${PROGRAM} <command> [options]`,
  '',
  'commands:',
  ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.summary}`),
  '',
  'options:',
  "  --help     print this help (or a command's, after its name) and exit",
  '  --version  print the version and exit',
  '',
  'exit codes: 0 success (verify: equal), 1 failure (verify: different), 2 usage error',
].join('\n');

function write(stream: NodeJS.WritableStream, line: string): Promise<void> | undefined {
  if (stream.write(`${line}\n`)) return undefined;
  return new Promise((resolve) => stream.once('drain', () => resolve()));
}

async function decode({ values }: ParsedArgs): Promise<number> {
  if (process.stdin.isTTY) {
    throw new CliUsageError(
      'decode reads JSON lines on stdin: bionicpro-cdc decode < messages.jsonl',
      'decode',
    );
  }
  const dlqPath = typeof values['dlq'] === 'string' ? values['dlq'] : undefined;
  const columnsPath = typeof values['columns'] === 'string' ? values['columns'] : undefined;
  let columns: ReturnType<typeof parseColumnTypes> | undefined;
  if (columnsPath !== undefined) {
    try {
      columns = parseColumnTypes(JSON.parse(readFileSync(columnsPath, 'utf8')));
    } catch (error) {
      throw new CliUsageError(
        `--columns ${columnsPath}: ${error instanceof Error ? error.message : String(error)}`,
        'decode',
      );
    }
  }
  let dlq: WriteStream | undefined;
  if (dlqPath !== undefined) {
    dlq = createWriteStream(dlqPath, { flags: 'w' });
    await new Promise<void>((resolve, reject) => {
      dlq!.once('open', () => resolve());
      dlq!.once('error', (error) =>
        reject(new CliUsageError(`--dlq ${dlqPath}: ${error.message}`, 'decode')),
      );
    });
  }
  const badStream: NodeJS.WritableStream = dlq ?? process.stderr;
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  const progress = decodeProgress();
  // On a terminal a bad line on stderr first clears the bar's line (the next reading redraws it).
  const clearBar = progress !== undefined && dlq === undefined && process.stderr.isTTY === true;
  let summary: Awaited<ReturnType<typeof runDecodeCommand>>;
  try {
    summary = await runDecodeCommand({
      lines: progress ? progress.count(lines) : lines,
      out: (line) => write(process.stdout, line),
      bad: (line) => write(badStream, clearBar ? `\r\u001b[K${line}` : line),
      decoder: createChangeDecoder({ ...(columns && { columns }), unwrapped: values['unwrapped'] === true }),
    });
  } catch (error) {
    progress?.display.abort();
    throw error;
  }
  progress?.display.finish(`decode: ${summary.lines} messages`);
  if (dlq) await new Promise<void>((resolve) => dlq!.end(() => resolve()));
  process.stderr.write(`${formatDecodeSummary(summary)}\n`);
  return 0;
}

/**
 * Progress of `decode` when stdin is a regular file (its size is the total): the bytes stdin
 * has delivered against the file's size, and the messages read for the rate. A pipe has no
 * size, so it shows nothing.
 */
function decodeProgress() {
  let size: number;
  try {
    const stat = fstatSync(0);
    if (!stat.isFile() || stat.size === 0) return undefined;
    size = stat.size;
  } catch {
    return undefined;
  }
  const display = new ProgressDisplay(process.stderr, { unit: 'messages' });
  let bytes = 0;
  process.stdin.on('data', (chunk: Buffer | string) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  });
  return {
    display,
    async *count(lines: AsyncIterable<string>): AsyncIterable<string> {
      let messages = 0;
      for await (const line of lines) {
        yield line;
        if (line.trim() !== '') messages += 1;
        display.update({ done: bytes, total: size, rows: messages, label: 'decode' });
      }
    },
  };
}

async function verify(args: ParsedArgs, debug: boolean): Promise<number> {
  const { runVerifyCommand } = await import('./verify-command.js');
  const report = await runVerifyCommand({ values: args.values, debug });
  await write(process.stdout, JSON.stringify(report));
  return report.equal ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new CliUsageError('missing command (decode or verify)');
  if (name === '--help' || name === '-h' || name === 'help') {
    const about = rest[0];
    if (about !== undefined && Object.hasOwn(COMMANDS, about)) {
      process.stdout.write(`${commandHelp(PROGRAM, about, COMMANDS[about as CommandName])}\n`);
    } else process.stdout.write(`${PROGRAM_HELP}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${packageJson.version}\n`);
    return 0;
  }
  if (!Object.hasOwn(COMMANDS, name)) throw new CliUsageError(`unknown command ${name} (decode or verify)`);
  const command = name as CommandName;
  const args = parseCommandArgs(command, COMMANDS[command], rest);
  if (args.values['help'] === true) {
    process.stdout.write(`${commandHelp(PROGRAM, command, COMMANDS[command])}\n`);
    return 0;
  }
  const debug = args.values['debug'] === true;
  switch (command) {
    case 'decode':
      return decode(args);
    case 'verify':
      return verify(args, debug);
  }
}

/** The message of an error; Node's network errors may carry theirs only in `code` or `errors`. */
function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const inner = (error as { errors?: unknown[] }).errors;
  if (Array.isArray(inner) && inner.length > 0) return inner.map(errorMessage).join('; ');
  return (error as { code?: string }).code ?? error.name;
}

const debug = process.argv.includes('--debug');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = errorMessage(error);
    process.stderr.write(`${PROGRAM}: error: ${message}\n`);
    if (error instanceof CliUsageError) {
      process.stderr.write(
        `run '${PROGRAM} ${error.command && Object.hasOwn(COMMANDS, error.command) ? `${error.command} ` : ''}--help' for usage\n`,
      );
      process.exitCode = 2;
      return;
    }
    // No stack trace for a failure the message explains; --debug shows it.
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  },
);
