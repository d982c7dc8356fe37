import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  assertIdentifier,
  BionicProError,
  columnsOf,
  isBionicProError,
  type MartTableName,
  tables,
  validateRow,
  type MonthPeriod,
  monthPeriod,
  ProgressDisplay,
} from '@bionicpro/models';
import { CliLogger, clickHouseLoggerClass } from './cli-logger.js';
import { MonthlyJobProgress } from './cli-progress.js';
import {
  createSourceTables,
  filesByDatabase,
  type LoadedTable,
  loadSourceFiles,
  openOrCreateDatabase,
  type SourceDatabase,
  SetupError,
} from './cli-setup.js';
import {
  type ClickHouseLike,
  DEFAULT_MART_DATABASE,
  DEFAULT_RAW_DATABASE,
  ensureWarehouse,
  readMonth,
} from './clickhouse-load.js';
import {
  EtlStepError,
  InputDirectoryError,
  InputFileError,
  InvalidPeriodError,
  UnsortedInputError,
} from './errors.js';
import { inputFiles, readInputDirectory } from './input-files.js';
import { type ExtractMode, type KpiEngine, runMonthlyJob } from './monthly-job.js';
import { createExtractPool, type PgPoolLike } from './postgres-extract.js';
import { prostheticMonthlyMetrics } from './prosthetic-monthly-metrics.js';
import { telemetryReports } from './telemetry-report.js';
import { userMonthlyMetrics } from './user-monthly-metrics.js';
import { userProsthesisHourlyStats } from './user-prosthesis-hourly-stats.js';

const PROGRAM = 'bionicpro-etl';

/** Exit codes: documented in `--help` and the README, tested in test/cli.test.ts. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** A flag of a command, declared once: the parser, the help text and the checks come from it. */
interface Flag {
  readonly type: 'string' | 'boolean';
  /** Placeholder in the help text, e.g. `YYYY-MM`. */
  readonly value?: string;
  readonly help: string;
  readonly default?: string;
  readonly multiple?: boolean;
  readonly short?: string;
  readonly required?: boolean;
}

type Values = Record<string, string | boolean | string[] | undefined>;

interface Context {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly logger: CliLogger;
}

interface Command {
  readonly summary: string;
  readonly description: string;
  readonly flags: Readonly<Record<string, Flag>>;
  readonly run: (values: Values, context: Context) => Promise<void>;
}

/** Flags every command takes. */
const COMMON_FLAGS: Readonly<Record<string, Flag>> = {
  verbose: { type: 'boolean', help: 'also print what the engines report (client warnings, retries)' },
  debug: { type: 'boolean', help: 'print everything, and the stack trace of an error' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};

const MART_CHOICES = {
  user_monthly: 'report_user_monthly_metrics',
  prosthetic_monthly: 'report_prosthetic_monthly_metrics',
  hourly: 'user_prosthesis_stats',
  telemetry_report: 'telemetry_report',
} as const;
type MartChoice = keyof typeof MART_CHOICES;
const WAREHOUSE_MARTS = ['user_monthly', 'prosthetic_monthly', 'hourly'] as const;

const CLICKHOUSE_FLAG: Flag = {
  type: 'string',
  value: 'URL|chdb:PATH',
  required: true,
  help: 'a ClickHouse server (http://host:8123) or an embedded chDB data directory',
};
const RAW_DATABASE_FLAG: Flag = {
  type: 'string',
  value: 'NAME',
  default: DEFAULT_RAW_DATABASE,
  help: 'ClickHouse database of the raw copies of the OLTP tables',
};
const MART_DATABASE_FLAG: Flag = {
  type: 'string',
  value: 'NAME',
  default: DEFAULT_MART_DATABASE,
  help: 'ClickHouse database of the marts',
};

/** A bad command line: exit code 2 and a pointer to `--help`. */
class UsageError extends BionicProError {
  readonly code = 'usage' as const;
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

const str = (values: Values, name: string) => values[name] as string | undefined;

function month(values: Values, command: string): MonthPeriod {
  const text = str(values, 'month')!;
  try {
    return monthPeriod(text);
  } catch (error) {
    if (error instanceof InvalidPeriodError) throw new UsageError(`--month: ${error.message}`, command);
    throw error;
  }
}

/** A flag's value as an integer >= 1, undefined when the flag is absent. */
function positiveInteger(values: Values, flag: string, command: string): number | undefined {
  const value = str(values, flag);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--${flag} must be an integer >= 1, got ${JSON.stringify(value)}`, command);
  }
  return n;
}

function oneOf<T extends string>(values: Values, flag: string, choices: readonly T[], command: string): T {
  const value = str(values, flag)!;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(
      `--${flag} must be one of ${choices.join(', ')}, got ${JSON.stringify(value)}`,
      command,
    );
  }
  return value as T;
}

function identifier(values: Values, flag: string, command: string): string {
  const value = str(values, flag)!;
  try {
    return assertIdentifier('database', value);
  } catch {
    throw new UsageError(
      `--${flag} must be a plain identifier (letters, digits, underscores), got ${JSON.stringify(value)}`,
      command,
    );
  }
}

function postgresUrl(values: Values, flag: string, command: string): string | undefined {
  const value = str(values, flag);
  if (value === undefined) return undefined;
  if (!/^postgres(?:ql)?:\/\/./.test(value)) {
    throw new UsageError(`--${flag} must be a postgres://… URL, got ${JSON.stringify(value)}`, command);
  }
  return value;
}

function clickhouseTarget(values: Values, command: string): string {
  const value = str(values, 'clickhouse')!;
  if (/^https?:\/\/./.test(value) || /^chdb:./.test(value)) return value;
  throw new UsageError(
    `--clickhouse must be http(s)://HOST:PORT or chdb:PATH, got ${JSON.stringify(value)}`,
    command,
  );
}

/** JSON with bigints as decimal text. */
function jsonLine(value: object): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
}

/** Opens ClickHouse with the client's logs routed through the CLI's logger. */
async function openClickHouse(target: string, logger: CliLogger) {
  const { ClickHouseLogLevel, createClient } = await import('@clickhouse/client');
  const log = {
    LoggerClass: clickHouseLoggerClass(logger),
    level: logger.enabled('debug') ? ClickHouseLogLevel.DEBUG : ClickHouseLogLevel.WARN,
  };
  if (target.startsWith('chdb:')) {
    const { createChdbClient } = await import('./chdb.js');
    return createChdbClient({ path: target.slice('chdb:'.length), log });
  }
  return createClient({ url: target, log });
}

async function openPool(url: string): Promise<PgPoolLike & { end(): Promise<void> }> {
  return createExtractPool(url);
}

const COMMANDS: Readonly<Record<string, Command>> = {
  kpis: {
    summary: 'compute marts from table files and print them as JSON lines',
    description: `Reads one file per table from DIR (users, prosthetics, subscriptions, payments, device_events,
battery_metrics, telemetry_events; each .jsonl, or .csv with a header; a table without a file is
empty) and prints the marts' rows as JSON lines with a "mart" field. A missing DIR, a file path or
a directory holding none of those files (or a misnamed one, e.g. user.jsonl) is an error.`,
    flags: {
      input: { type: 'string', value: 'DIR', required: true, help: 'directory of table files' },
      month: { type: 'string', value: 'YYYY-MM', required: true, help: 'the month to compute' },
      mart: {
        type: 'string',
        value: [...Object.keys(MART_CHOICES), 'all'].join('|'),
        default: 'all',
        help: 'the mart to print',
      },
    },
    run: kpis,
  },
  run: {
    summary: 'extract a month from PostgreSQL, load ClickHouse, rebuild the marts',
    description: `Extracts the month from both PostgreSQL databases, loads the raw ClickHouse tables and rebuilds
the marts' month atomically. Progress goes to stderr (a bar on a terminal, JSON lines otherwise);
the summary JSON to stdout.`,
    flags: {
      month: { type: 'string', value: 'YYYY-MM', required: true, help: 'the month to build' },
      crm: { type: 'string', value: 'URL', required: true, help: 'postgres://… of crm_db' },
      telemetry: { type: 'string', value: 'URL', required: true, help: 'postgres://… of telemetry_db' },
      clickhouse: CLICKHOUSE_FLAG,
      engine: {
        type: 'string',
        value: 'ts|sql',
        default: 'sql',
        help: 'compute the marts in ClickHouse (sql) or in this process (ts)',
      },
      mart: {
        type: 'string',
        value: WAREHOUSE_MARTS.join('|'),
        multiple: true,
        help: 'rebuild only this mart (repeatable; default all three)',
      },
      'raw-database': RAW_DATABASE_FLAG,
      'mart-database': MART_DATABASE_FLAG,
      extract: {
        type: 'string',
        value: 'copy|cursor|keyset|clickhouse',
        help: 'how PostgreSQL is read: clickhouse has ClickHouse read --telemetry itself (postgresql(); engine sql only); default clickhouse for chdb: targets with engine sql, copy otherwise',
      },
      pagination: {
        type: 'string',
        value: 'copy|cursor|keyset',
        help: 'older name of --extract',
      },
      'retention-days': {
        type: 'string',
        value: 'N|none',
        help: "the hourly mart's TTL in days (default 365; none keeps every row); a month outside it is refused",
      },
      'insert-batch-size': { type: 'string', value: 'N', help: 'rows per ClickHouse insert (default 10000)' },
      'pushdown-shard-rows': {
        type: 'string',
        value: 'N',
        help: 'device + battery rows per slice of the prosthetic pushdown (default 500000)',
      },
    },
    run: runCommand,
  },
  init: {
    summary: 'create the PostgreSQL tables and the ClickHouse databases and tables',
    description: `Creates what is missing, idempotently: each PostgreSQL database named (created on the server when
it does not exist) with its tables in foreign-key order, and the ClickHouse raw and mart databases
with their tables. Name at least one of --crm, --telemetry, --clickhouse.`,
    flags: {
      crm: { type: 'string', value: 'URL', help: 'postgres://… of crm_db' },
      telemetry: { type: 'string', value: 'URL', help: 'postgres://… of telemetry_db' },
      clickhouse: { ...CLICKHOUSE_FLAG, required: false },
      'raw-database': RAW_DATABASE_FLAG,
      'mart-database': MART_DATABASE_FLAG,
    },
    run: init,
  },
  'load-files': {
    summary: 'load table files (.jsonl/.csv) into PostgreSQL for a trial',
    description: `Loads DIR's table files (users, prosthetics, subscriptions, payments, support_tickets into crm_db;
telemetry_events, device_events, battery_metrics into telemetry_db), every row validated by its
model. Each database is loaded in one transaction: a bad row loads nothing of it. Rows whose key is
stored already are skipped, so a load can be repeated. Run \`${PROGRAM} init\` first.`,
    flags: {
      input: { type: 'string', value: 'DIR', required: true, help: 'directory of table files' },
      crm: { type: 'string', value: 'URL', help: 'postgres://… of crm_db (needed for its tables)' },
      telemetry: {
        type: 'string',
        value: 'URL',
        help: 'postgres://… of telemetry_db (needed for its tables)',
      },
    },
    run: loadFiles,
  },
  read: {
    summary: 'print a month of a mart from ClickHouse as JSON lines or CSV',
    description: `Reads one mart's month back from ClickHouse, in key order.`,
    flags: {
      month: { type: 'string', value: 'YYYY-MM', required: true, help: 'the month to read' },
      mart: { type: 'string', value: WAREHOUSE_MARTS.join('|'), required: true, help: 'the mart to read' },
      clickhouse: CLICKHOUSE_FLAG,
      'mart-database': MART_DATABASE_FLAG,
      format: { type: 'string', value: 'jsonl|csv', default: 'jsonl', help: 'output format' },
    },
    run: read,
  },
};

function version(): string {
  // src/cli.ts and dist/cli.js both sit one level below the package root.
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return `${PROGRAM} — BionicPRO batch ETL

Usage: ${PROGRAM} <command> [flags]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Run '${PROGRAM} <command> --help' for a command's flags; '${PROGRAM} --version' for the version.

Exit codes: 0 success, 1 failure (bad input data, a failed step), 2 usage error (bad command line).`;
}

function commandHelp(name: string, command: Command): string {
  const flags = { ...command.flags, ...COMMON_FLAGS };
  const line = Object.entries(command.flags)
    .map(([flag, f]) => {
      const text = `--${flag}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
      return f.required ? text : `[${text}]`;
    })
    .join(' ');
  const rows = Object.entries(flags).map(([flag, f]) => {
    const left = `${f.short ? `-${f.short}, ` : ''}--${flag}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
    const notes = [
      f.required ? 'required' : undefined,
      f.default !== undefined ? `default ${f.default}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    return [left, `${f.help}${notes ? ` (${notes})` : ''}`] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([left]) => left.length)));
  return `Usage: ${PROGRAM} ${name} ${line}

${command.description}

Flags:
${rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n')}

Exit codes: 0 success, 1 failure (bad input data, a failed step), 2 usage error.`;
}

function parseCommand(name: string, command: Command, args: string[]): Values {
  const flags = { ...command.flags, ...COMMON_FLAGS };
  let values: Values;
  try {
    ({ values } = parseArgs({
      args,
      options: Object.fromEntries(
        Object.entries(flags).map(([flag, f]) => [
          flag,
          {
            type: f.type,
            ...(f.multiple ? { multiple: true } : {}),
            ...(f.short ? { short: f.short } : {}),
            ...(f.default !== undefined ? { default: f.default } : {}),
          },
        ]),
      ),
      strict: true,
      allowPositionals: false,
    }) as { values: Values });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      throw new UsageError((error as Error).message.split('. To specify')[0]!, name);
    }
    throw error;
  }
  if (values.help) return values;
  for (const [flag, f] of Object.entries(command.flags)) {
    if (f.required && values[flag] === undefined) {
      throw new UsageError(`--${flag}${f.value === undefined ? '' : ` ${f.value}`} is required`, name);
    }
  }
  return values;
}

async function kpis(values: Values, { out, err }: Context): Promise<void> {
  const period = month(values, 'kpis');
  const choice = oneOf(values, 'mart', [...(Object.keys(MART_CHOICES) as MartChoice[]), 'all'], 'kpis');
  const wanted = (key: MartChoice) => choice === 'all' || choice === key;
  const dir = str(values, 'input')!;
  const files = inputFiles(dir);
  const sizes = new Map([...files.values()].map((file) => [file, statSync(file).size]));
  const totalBytes = [...sizes.values()].reduce((s, n) => s + n, 0);
  // Small inputs finish before a bar would mean anything; large ones show one.
  const display = totalBytes >= 8 * 1024 * 1024 ? new ProgressDisplay(err) : undefined;
  const read = new Map<string, { bytes: number; rows: number }>();
  const data = await readInputDirectory(dir, {
    onProgress: ({ file, bytes, rows }) => {
      if (!display) return;
      read.set(file, { bytes, rows });
      let doneBytes = 0;
      let doneRows = 0;
      for (const r of read.values()) {
        doneBytes += r.bytes;
        doneRows += r.rows;
      }
      display.update({ done: doneBytes, total: totalBytes, rows: doneRows, label: `read ${file}` });
    },
  });
  display?.finish('read');
  const lastUpdated = new Date();
  const write = (mart: string, rows: readonly object[]) => {
    for (const row of rows) out.write(`${jsonLine({ mart, ...row })}\n`);
  };
  if (wanted('user_monthly')) {
    write(MART_CHOICES.user_monthly, userMonthlyMetrics(data, { month: period, lastUpdated }));
  }
  if (wanted('prosthetic_monthly')) {
    const { users, prosthetics, device_events: deviceEvents, battery_metrics: batteryMetrics } = data;
    write(
      MART_CHOICES.prosthetic_monthly,
      prostheticMonthlyMetrics(
        { users, prosthetics, deviceEvents, batteryMetrics },
        { month: period, lastUpdated },
      ),
    );
  }
  if (wanted('hourly')) {
    write(
      MART_CHOICES.hourly,
      userProsthesisHourlyStats(
        {
          users: data.users,
          prosthetics: data.prosthetics,
          telemetryEvents: data.telemetry_events,
          deviceEvents: data.device_events,
          batteryMetrics: data.battery_metrics,
        },
        { month: period, lastUpdated },
      ),
    );
  }
  if (wanted('telemetry_report')) {
    write(
      MART_CHOICES.telemetry_report,
      telemetryReports(
        { users: data.users, telemetryEvents: data.telemetry_events },
        { start_ts: new Date(period.startMs), end_ts: new Date(period.endMs - 1) },
      ),
    );
  }
}

/**
 * The month's source rows, counted so the progress bar can show a fraction
 * and an ETA; undefined when counting fails (the job then reports the reason
 * itself). It runs alongside the job, not before it: the job learns its own
 * counts only as it goes (a COPY stream has no length; `extract: 'clickhouse'`
 * counts each table when its turn comes), too late for a total.
 */
async function countSourceRows(
  crm: PgPoolLike,
  telemetry: PgPoolLike,
  period: MonthPeriod,
  logger: CliLogger,
): Promise<number | undefined> {
  const window = [new Date(period.startMs).toISOString(), new Date(period.endMs).toISOString()];
  const count = async (pool: PgPoolLike, sql: string, params: unknown[] = []) =>
    Number((await pool.query(sql, params)).rows[0]?.n ?? 0);
  try {
    const counts = await Promise.all([
      count(
        crm,
        'SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM prosthetics) + (SELECT count(*) FROM subscriptions) AS n',
      ),
      count(crm, 'SELECT count(*) AS n FROM payments WHERE payment_date >= $1 AND payment_date < $2', window),
      count(
        telemetry,
        `SELECT (SELECT count(*) FROM telemetry_events WHERE event_timestamp >= $1 AND event_timestamp < $2)
              + (SELECT count(*) FROM device_events WHERE event_timestamp >= $1 AND event_timestamp < $2)
              + (SELECT count(*) FROM battery_metrics WHERE metric_timestamp >= $1 AND metric_timestamp < $2) AS n`,
        window,
      ),
    ]);
    return counts.reduce((s, n) => s + n, 0);
  } catch (error) {
    logger.debug(`counting the month's rows for the progress bar failed: ${(error as Error).message}`);
    return undefined;
  }
}

async function runCommand(values: Values, { out, err, logger }: Context): Promise<void> {
  const period = month(values, 'run');
  const engine = oneOf<KpiEngine>(values, 'engine', ['ts', 'sql'], 'run');
  if (str(values, 'pagination') !== undefined)
    oneOf(values, 'pagination', ['copy', 'cursor', 'keyset'], 'run');
  // Embedded chDB shares this process and its network: reading PostgreSQL itself is the fast path.
  const extractDefault =
    str(values, 'clickhouse')?.startsWith('chdb:') && engine === 'sql' ? 'clickhouse' : 'copy';
  const extract = oneOf<ExtractMode>(
    { ...values, extract: str(values, 'extract') ?? str(values, 'pagination') ?? extractDefault },
    'extract',
    ['copy', 'cursor', 'keyset', 'clickhouse'],
    'run',
  );
  if (extract === 'clickhouse' && engine !== 'sql') {
    throw new UsageError('--extract clickhouse needs --engine sql', 'run');
  }
  const retention = str(values, 'retention-days');
  const retentionDays = retention === 'none' ? null : positiveInteger(values, 'retention-days', 'run');
  const marts = (values.mart as string[] | undefined)?.map((m) => {
    if (!(WAREHOUSE_MARTS as readonly string[]).includes(m)) {
      throw new UsageError(
        `--mart must be one of ${WAREHOUSE_MARTS.join(', ')}, got ${JSON.stringify(m)}`,
        'run',
      );
    }
    return MART_CHOICES[m as (typeof WAREHOUSE_MARTS)[number]] as MartTableName;
  });
  const insertBatchSize = positiveInteger(values, 'insert-batch-size', 'run');
  const pushdownShardRows = positiveInteger(values, 'pushdown-shard-rows', 'run');
  const layout = {
    rawDatabase: identifier(values, 'raw-database', 'run'),
    martDatabase: identifier(values, 'mart-database', 'run'),
  };
  const crmUrl = postgresUrl(values, 'crm', 'run')!;
  const telemetryUrl = postgresUrl(values, 'telemetry', 'run')!;
  const target = clickhouseTarget(values, 'run');
  const crm = await createExtractPool(crmUrl);
  const telemetry = await createExtractPool(telemetryUrl);
  const clickhouse = await openClickHouse(target, logger);
  const display = new ProgressDisplay(err);
  const progress = new MonthlyJobProgress(display, undefined, marts?.length ?? 3);
  const counting = countSourceRows(crm, telemetry, period, logger).then((total) =>
    progress.setSourceRows(total),
  );
  try {
    const summary = await runMonthlyJob({
      month: period.label,
      crm,
      telemetry,
      clickhouse,
      engine,
      extract,
      ...(extract === 'clickhouse' ? { telemetrySourceUrl: telemetryUrl } : {}),
      ...(retentionDays === undefined ? {} : { retentionDays }),
      layout,
      ...(marts ? { marts } : {}),
      ...(insertBatchSize ? { insertBatchSize } : {}),
      ...(pushdownShardRows ? { pushdownShardRows } : {}),
      onProgress: (e) => progress.event(e),
    });
    display.finish();
    out.write(`${JSON.stringify(summary)}\n`);
  } catch (error) {
    display.abort();
    throw error;
  } finally {
    await counting;
    await Promise.allSettled([crm.end(), telemetry.end(), clickhouse.close()]);
  }
}

async function init(values: Values, { out, logger }: Context): Promise<void> {
  const urls: Partial<Record<SourceDatabase, string>> = {};
  for (const database of ['crm', 'telemetry'] as const) {
    const url = postgresUrl(values, database, 'init');
    if (url !== undefined) urls[database] = url;
  }
  const target = values.clickhouse === undefined ? undefined : clickhouseTarget(values, 'init');
  const layout = {
    rawDatabase: identifier(values, 'raw-database', 'init'),
    martDatabase: identifier(values, 'mart-database', 'init'),
  };
  if (Object.keys(urls).length === 0 && target === undefined) {
    throw new UsageError('name at least one of --crm, --telemetry, --clickhouse', 'init');
  }
  const summary: Record<string, unknown> = {};
  for (const [database, url] of Object.entries(urls) as [SourceDatabase, string][]) {
    const { pool, created } = await openOrCreateDatabase(url, openPool);
    try {
      const created_tables = await createSourceTables(pool, database);
      logger.info(`${database}: ${created ? 'database created, ' : ''}tables ${created_tables.join(', ')}`);
      summary[database] = { database_created: created, tables: created_tables };
    } finally {
      await pool.end();
    }
  }
  if (target !== undefined) {
    const clickhouse = await openClickHouse(target, logger);
    try {
      await ensureWarehouse(clickhouse, layout);
      summary.clickhouse = { raw_database: layout.rawDatabase, mart_database: layout.martDatabase };
    } finally {
      await clickhouse.close();
    }
  }
  out.write(`${JSON.stringify(summary)}\n`);
}

async function loadFiles(values: Values, { out, err }: Context): Promise<void> {
  const urls = {
    crm: postgresUrl(values, 'crm', 'load-files'),
    telemetry: postgresUrl(values, 'telemetry', 'load-files'),
  };
  const files = filesByDatabase(str(values, 'input')!);
  for (const database of ['crm', 'telemetry'] as const) {
    if (files[database].size > 0 && urls[database] === undefined) {
      throw new UsageError(
        `--${database} URL is required: the input holds ${[...files[database].keys()].join(', ')}`,
        'load-files',
      );
    }
  }
  const all = [...files.crm.values(), ...files.telemetry.values()];
  const totalBytes = all.reduce((s, file) => s + statSync(file).size, 0);
  const display = new ProgressDisplay(err);
  const read = new Map<string, { bytes: number; rows: number }>();
  const onProgress = ({ file, bytes, rows }: { file: string; bytes: number; rows: number }) => {
    read.set(file, { bytes, rows });
    let done = 0;
    let n = 0;
    for (const r of read.values()) {
      done += r.bytes;
      n += r.rows;
    }
    display.update({ done, total: totalBytes, rows: n, label: `load ${file}` });
  };
  const summary: Record<string, LoadedTable> = {};
  try {
    for (const database of ['crm', 'telemetry'] as const) {
      if (files[database].size === 0) continue;
      const pool = await createExtractPool(urls[database]!);
      try {
        Object.assign(summary, await loadSourceFiles(pool, files[database], { onProgress }));
      } finally {
        await pool.end();
      }
    }
  } catch (error) {
    display.abort();
    throw error;
  }
  display.finish();
  out.write(`${JSON.stringify(summary)}\n`);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

async function read(values: Values, { out, logger }: Context): Promise<void> {
  const period = month(values, 'read');
  const mart = MART_CHOICES[oneOf(values, 'mart', WAREHOUSE_MARTS, 'read')] as MartTableName;
  const format = oneOf(values, 'format', ['jsonl', 'csv'] as const, 'read');
  const database = identifier(values, 'mart-database', 'read');
  const clickhouse: ClickHouseLike & { close(): Promise<void> } = await openClickHouse(
    clickhouseTarget(values, 'read'),
    logger,
  );
  try {
    // Through the mart's model: money as two-decimal text, instants as ISO-8601 UTC, whatever the engine's JSON.
    const model = tables[mart].model;
    const rows = (await readMonth(clickhouse, mart, period, database)).map(
      (row) => validateRow(model, row, { model: mart }) as Record<string, unknown>,
    );
    if (format === 'jsonl') {
      for (const row of rows) out.write(`${jsonLine(row)}\n`);
      return;
    }
    const columns = columnsOf(tables[mart]).map((c) => c.name);
    out.write(`${columns.join(',')}\n`);
    for (const row of rows) out.write(`${columns.map((c) => csvCell(row[c])).join(',')}\n`);
  } finally {
    await clickhouse.close();
  }
}

/** Errors a user can act on: printed as one line, without a stack trace. */
function isUserError(error: unknown): boolean {
  return (
    isBionicProError(error) ||
    error instanceof InputFileError ||
    error instanceof InputDirectoryError ||
    error instanceof InvalidPeriodError ||
    error instanceof EtlStepError ||
    error instanceof UnsortedInputError ||
    error instanceof SetupError
  );
}

function stackOf(error: unknown): string {
  const lines: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth += 1) {
    lines.push(
      depth === 0 ? '' : 'Caused by:',
      current instanceof Error ? (current.stack ?? current.message) : String(current),
    );
    current = current instanceof Error ? current.cause : undefined;
  }
  return lines.filter(Boolean).join('\n');
}

/**
 * Runs the CLI with the given arguments; resolves to the exit code ({@link EXIT}).
 * Exported for embedding (an orchestrator running the job in-process).
 */
export async function main(
  argv: string[],
  io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number } } = {
    out: process.stdout,
    err: process.stderr,
  },
): Promise<number> {
  const [name, ...rest] = argv;
  const debug = argv.includes('--debug');
  const logger = new CliLogger(
    PROGRAM,
    io.err,
    debug ? 'debug' : argv.includes('--verbose') ? 'info' : 'error',
  );
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out).write(`${usage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.out.write(`${version()}\n`);
    return EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  try {
    if (command === undefined) {
      throw new UsageError(
        `unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`,
      );
    }
    const values = parseCommand(name, command, rest);
    if (values.help) {
      io.out.write(`${commandHelp(name, command)}\n`);
      return EXIT.ok;
    }
    await command.run(values, { out: io.out, err: io.err, logger });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      logger.error(error.command ? `${error.command}: ${error.message}` : error.message);
      io.err.write(`Run '${PROGRAM}${error.command ? ` ${error.command}` : ''} --help' for usage.\n`);
      return EXIT.usage;
    }
    logger.error(error instanceof Error ? error.message : String(error));
    if (debug) io.err.write(`${stackOf(error)}\n`);
    else if (!isUserError(error)) io.err.write(`(run with --debug for the stack trace)\n`);
    return EXIT.failure;
  }
}

const invokedDirectly = (() => {
  const entry = process.argv[1];
  if (!entry) return false;
  return /(?:^|[\\/])(?:cli\.(?:ts|js|cjs|mjs)|bionicpro-etl)$/.test(entry);
})();

if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
