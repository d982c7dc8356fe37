/**
 * `bionicpro-cdc decode` as an operator runs it: a real process fed on stdin
 * (the source through tsx, so the test never runs a stale build).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProgressLine } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import { decodedPaymentRow, examples } from '../src/fixtures/debezium-examples.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

/** Runs the CLI with `stdin` piped in, or with stdin redirected from a file (`{ file }`). */
function runCli(
  args: string[],
  stdin: string | { readonly file: string },
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const input: 'pipe' | number = typeof stdin === 'string' ? 'pipe' : openSync(stdin.file, 'r');
    const child = spawn(tsx, ['src/cli.ts', ...args], {
      cwd: packageDir,
      stdio: [input, 'pipe', 'pipe'],
    });
    if (typeof input === 'number') closeSync(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (typeof stdin === 'string') child.stdin?.end(stdin);
  });
}

/** The input form: key and value as JSON (not text). */
const asJsonLine = (record: { topic: string; key: string | null; value: string | null }, offset: number) =>
  `{"topic":${JSON.stringify(record.topic)},"partition":0,"offset":${offset},"key":${record.key ?? 'null'},"value":${record.value ?? 'null'}}`;

describe('bionicpro-cdc decode', () => {
  it('prints one line per change, the tombstone form, sends bad lines to --dlq, and exits 0 with a summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-cli-'));
    const dlq = join(dir, 'bad.jsonl');
    const input = [
      asJsonLine(examples.createWithSchema, 0),
      asJsonLine(examples.updateWithUnavailableDescription, 1),
      asJsonLine(examples.delete, 2),
      asJsonLine(examples.tombstone, 3),
      asJsonLine(examples.heartbeat, 4),
      'this is not json',
      // Raw text form, as captured fixtures store records.
      JSON.stringify({
        topic: examples.unwrappedUpdate.topic,
        key: examples.unwrappedUpdate.key,
        value: examples.unwrappedUpdate.value,
      }),
      asJsonLine(
        {
          topic: 'crm.public.payments',
          key: null,
          value: '{"op":"c","after":{"id":1,"amount":"x"},"source":{"table":"payments","lsn":1}}',
        },
        7,
      ),
      '',
    ].join('\n');
    const { code, stdout, stderr } = await runCli(['decode', '--dlq', dlq], input);
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual({
      table: 'payments',
      op: 'c',
      key: { id: 42 },
      before: null,
      after: decodedPaymentRow,
      unavailable: [],
      source: { lsn: '24023928', txId: '767', ts_ms: 1705312800123, snapshot: 'false' },
    });
    expect(lines[1]).toMatchObject({ op: 'u', unavailable: ['description'] });
    expect(lines[1].after).not.toHaveProperty('description');
    expect(lines[2]).toMatchObject({ op: 'd', after: null, key: { id: 42 } });
    expect(lines[3]).toEqual({ table: 'payments', op: 'tombstone', key: { id: 42 } });
    expect(lines[4]).toMatchObject({ op: 'u', table: 'payments', source: { lsn: '24024000' } });
    const bad = readFileSync(dlq, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(bad).toHaveLength(2);
    expect(bad[0]).toMatchObject({ line: 6, code: 'invalid_line', value: 'this is not json' });
    expect(bad[1]).toMatchObject({ line: 8, offset: 7, code: 'decode_failed' });
    expect(bad[1].reason).toMatch(/line 8: after\.amount/);
    expect(stderr).toContain('8 messages, 4 changes (c: 1, u: 2, d: 1)');
    expect(stderr).toContain('1 tombstones');
    expect(stderr).toContain('1 heartbeats');
    expect(stderr).toContain('2 bad');
  });

  it('writes bad messages to stderr without --dlq and keeps int64 digits exact', async () => {
    const value =
      '{"before":null,"after":{"id":9007199254740993},"source":{"table":"big","lsn":5},"op":"c","ts_ms":1}';
    const { code, stdout, stderr } = await runCli(
      ['decode'],
      `${asJsonLine({ topic: 'x.public.big', key: '{"id":9007199254740993}', value }, 0)}\n{"topic":1}\n`,
    );
    expect(code).toBe(0);
    // 64-bit integers travel as exact decimal strings in JSON output.
    expect(stdout).toContain('"after":{"id":"9007199254740993"}');
    expect(stdout).toContain('"key":{"id":"9007199254740993"}');
    expect(stderr).toMatch(/"reason":"line 2: \\"topic\\" must be a string"/);
    expect(stderr).toContain('1 bad');
  });

  it('decodes schema-less topics with --columns FILE as createChangeDecoder({ columns }) does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-cli-'));
    const columns = join(dir, 'columns.json');
    writeFileSync(
      columns,
      JSON.stringify({
        invoices: {
          total: 'numeric(12,3)',
          due: 'date',
          issued_at: 'io.debezium.time.MicroTimestamp',
          ref: 'uuid',
          lines: 'bigint',
        },
      }),
    );
    // Schema-less: a Decimal is base64 without its scale, a date a day count, an instant µs.
    const value = JSON.stringify({
      before: null,
      after: {
        id: 1,
        total: 'BJN8',
        due: 19737,
        issued_at: 1705312800123456,
        ref: '0B4F6A52-1C8E-4A0E-9C1A-7D7C2E1F3A10',
        lines: 3,
      },
      source: { table: 'invoices', lsn: 5 },
      op: 'c',
    });
    const input = `${asJsonLine({ topic: 'erp.public.invoices', key: '{"id":1}', value }, 0)}\n`;
    const typed = await runCli(['decode', '--columns', columns], input);
    expect(typed.code).toBe(0);
    expect(JSON.parse(typed.stdout).after).toEqual({
      id: 1,
      total: '299.900',
      due: '2024-01-15',
      issued_at: '2024-01-15T10:00:00.123456Z',
      ref: '0b4f6a52-1c8e-4a0e-9c1a-7d7c2e1f3a10',
      lines: '3',
    });
    // Without the types the same line keeps the wire values (nothing is guessed).
    const untyped = await runCli(['decode'], input);
    expect(JSON.parse(untyped.stdout).after).toMatchObject({ total: 'BJN8', due: 19737 });

    // A value that does not fit its declared type is a bad message, not a change.
    const bad = await runCli(['decode', `--columns=${columns}`], input.replace('BJN8', 'not base64!'));
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/"code":"decode_failed".*after\.total/);
  });

  it('refuses a --columns file with an unknown type, naming the table and column, with exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-cli-'));
    const columns = join(dir, 'columns.json');
    writeFileSync(columns, JSON.stringify({ invoices: { total: 'numeric(12,3)', due: 'datetime' } }));
    const { code, stderr } = await runCli(['decode', '--columns', columns], '');
    expect(code).toBe(2);
    expect(stderr).toMatch(/invoices\.due: unknown type "datetime"/);
  });

  it('reads rows without __ fields with --unwrapped', async () => {
    const line = asJsonLine(
      { topic: 'crm.public.widgets', key: '{"id":1}', value: '{"id":1,"name":"a"}' },
      0,
    );
    const plain = await runCli(['decode'], `${line}\n`);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toContain('"code":"invalid_envelope"');
    const declared = await runCli(['decode', '--unwrapped'], `${line}\n`);
    expect(JSON.parse(declared.stdout)).toMatchObject({
      table: 'widgets',
      op: 'u',
      after: { id: 1, name: 'a' },
    });
  });

  it('refuses an unknown command with exit code 2', async () => {
    const { code, stderr } = await runCli(['encode'], '');
    expect(code).toBe(2);
    expect(stderr).toBe(
      "bionicpro-cdc: error: unknown command encode (decode or verify)\nrun 'bionicpro-cdc --help' for usage\n",
    );
  });
});

describe('bionicpro-cdc as users expect', () => {
  it('answers --help on every command and --version from package.json, exit 0', async () => {
    const version = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).version as string;
    expect(await runCli(['--version'], '')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const top = await runCli(['--help'], '');
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^usage: bionicpro-cdc <command>/);
    expect(top.stdout).toContain(
      'exit codes: 0 success (verify: equal), 1 failure (verify: different), 2 usage error',
    );
    for (const command of ['decode', 'verify']) {
      for (const args of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ]) {
        const { code, stdout, stderr } = await runCli(args, '');
        expect({ args, code, stderr }).toEqual({ args, code: 0, stderr: '' });
        expect(stdout).toMatch(new RegExp(`^usage: bionicpro-cdc ${command} `));
      }
    }
    const verify = await runCli(['verify', '--help'], '');
    expect(verify.stdout).toContain('--source URL --table T --clickhouse URL|chdb:PATH [--database D]');
    expect(verify.stdout).toMatch(
      /--source-parallelism P +split each PostgreSQL checksum query into P key ranges/,
    );
  });

  it('says which option lacks its value, names unknown options and missing ones, one error style, exit 2, no stack', async () => {
    /** A valid verify command line, then `more`. */
    const verifyArgs = (...more: string[]) => [
      'verify',
      '--source',
      'postgres://h/db',
      '--table',
      'users',
      '--clickhouse',
      'chdb:/tmp/x',
      ...more,
    ];
    const cases: [string[], string][] = [
      [['decode', '--dlq'], '--dlq needs a value'],
      [['decode', '--dlq', '--debug'], '--dlq needs a value'],
      [['decode', '--dlq='], '--dlq needs a value'],
      [['decode', '--dql', 'x'], 'unknown option --dql for decode'],
      [['decode', 'file.jsonl'], 'unexpected argument file.jsonl'],
      [['verify', '--table', 'users', '--clickhouse', 'chdb:/tmp/x'], 'verify needs --source URL'],
      [
        ['verify', '--source', 'postgres://h/db', '--table', 'nope', '--clickhouse', 'chdb:/tmp/x'],
        '--table nope is not a table of @bionicpro/models',
      ],
      [
        ['verify', '--source', 'mysql://h/db', '--table', 'users', '--clickhouse', 'chdb:/tmp/x'],
        '--source must be a postgres:// or postgresql:// URL, got mysql://h/db',
      ],
      [
        ['verify', '--source', 'postgres://h/db', '--table', 'users', '--clickhouse', 'ftp://x'],
        '--clickhouse must be an http(s):// URL or chdb:PATH, got ftp://x',
      ],
      [verifyArgs('--database', 'a;b'), '--database must be an identifier'],
      [verifyArgs('--fanout', '0'), '--fanout must be a positive integer, got 0'],
      [verifyArgs('--source-parallelism', '65'), '--source-parallelism must be at most 64, got 65'],
      [[], 'missing command (decode or verify)'],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await runCli(args, '');
      expect({ args, code, stdout }).toEqual({ args, code: 2, stdout: '' });
      const [first, hint, ...more] = stderr.trimEnd().split('\n');
      expect(first).toContain(`bionicpro-cdc: error: ${message}`);
      expect(hint).toMatch(/^run 'bionicpro-cdc (decode |verify )?--help' for usage$/);
      expect(more).toEqual([]);
    }
  });

  it('reports a failure in one line with exit 1, and the stack trace only with --debug', async () => {
    const args = [
      'verify',
      '--source',
      'postgres://postgres@127.0.0.1:1/none',
      '--table',
      'users',
      '--clickhouse',
      'http://127.0.0.1:1',
    ];
    const plain = await runCli(args, '');
    expect(plain).toEqual({
      code: 1,
      stdout: '',
      stderr: 'bionicpro-cdc: error: cannot connect to PostgreSQL: connect ECONNREFUSED 127.0.0.1:1\n',
    });
    const debug = await runCli([...args, '--debug'], '');
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(
      /^bionicpro-cdc: error: cannot connect to PostgreSQL.*\nVerifyError: .*\n\s+at /,
    );
  });
});

describe('bionicpro-cdc decode of a file: progress on stderr', () => {
  /** A file of `count` messages (a create each), as an operator would redirect to stdin. */
  function messagesFile(count: number): string {
    const dir = mkdtempSync(join(tmpdir(), 'cdc-cli-progress-'));
    const path = join(dir, 'messages.jsonl');
    const lines = Array.from({ length: count }, (_, i) => asJsonLine(examples.createWithSchema, i));
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  }

  it('writes JSON progress lines off a terminal: monotonic, messages/s, ending at the whole file', async () => {
    const file = messagesFile(20_000);
    const { code, stdout, stderr } = await runCli(['decode'], { file });
    expect(code, stderr).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(20_000);
    const progress = stderr
      .split('\n')
      .filter((l) => l.startsWith('{"type":"progress"'))
      .map((l) => JSON.parse(l) as ProgressLine);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    const fractions = progress.map((p) => p.fraction ?? -1);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    const rows = progress.map((p) => p.rows);
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    expect(progress.slice(0, -1).every((p) => !p.done && (p.fraction ?? 0) < 1)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ unit: 'messages', fraction: 1, done: true, rows: 20_000 });
    expect(progress.at(-1)!.rows_per_second).toBeGreaterThan(0);
    expect(stderr).toContain('20000 messages, 20000 changes');
  });

  it('draws one bar on a terminal with messages/s and an ETA, ending at 100 %', async () => {
    const file = messagesFile(5_000);
    // `script` gives the command a pseudo-terminal for stdout and stderr; stdin stays the file.
    const command = `${tsx} src/cli.ts decode < ${file} > /dev/null`;
    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], {
        cwd: packageDir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stdout: out }));
    });
    expect(code, stdout).toBe(0);
    const draws = stdout.split('\r').filter((d) => d.startsWith('['));
    expect(draws.length).toBeGreaterThanOrEqual(1);
    for (const draw of draws)
      expect(draw).toMatch(/^\[[#.]+\] +\d+% {2}\S+ messages {2}\S+ messages\/s {2}ETA (\d+:\d\d|\?)/);
    const percents = draws.map((d) => Number(/\]\s+(\d+)%/.exec(d)?.[1]));
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect(stdout).not.toContain('{"type":"progress"');
    expect(stdout).toContain('5000 messages, 5000 changes');
  });
});
