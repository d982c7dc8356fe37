/**
 * `bionicpro-cdc verify`: opens PostgreSQL (`pg`) and ClickHouse
 * (`@clickhouse/client`, or embedded chDB for `chdb:PATH`), runs
 * {@link verifyReplica} and prints its JSON report. The clients are optional
 * peer dependencies, loaded only by this command.
 */
import type { ClickHouseClientConfigOptions } from '@clickhouse/client';
import { assertIdentifier, tables as modelTables, type TableDefinition } from '@bionicpro/models';
import { CliUsageError, type ParsedArgs, positiveIntegerOption } from './cli-args.js';
import type { ClickHouseLike } from './clickhouse-target.js';
import { VerifyError, type VerifyReport, verifyReplica } from './verify-replica.js';

/** Options of the verify command, as given on the command line. */
export interface VerifyCommandInput {
  readonly values: ParsedArgs['values'];
  /** Route the engine clients' logs to stderr (`--debug`). */
  readonly debug: boolean;
}

const usage = (message: string) => new CliUsageError(message, 'verify');

function text(values: ParsedArgs['values'], key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

async function optionalPeer<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      throw usage(`verify needs the ${name} package: npm install ${name}`);
    }
    throw error;
  }
}

function identifier(option: string, value: string): string {
  try {
    return assertIdentifier(option, value);
  } catch {
    throw usage(`${option} must be an identifier (letters, digits, _), got ${value}`);
  }
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = (error as { errors?: unknown[] }).errors;
  if (!error.message && Array.isArray(inner) && inner.length > 0) return inner.map(messageOf).join('; ');
  return error.message || ((error as { code?: string }).code ?? error.name);
}

function tableOf(name: string): TableDefinition {
  const all = modelTables as Readonly<Record<string, TableDefinition>>;
  const table = Object.hasOwn(all, name) ? all[name] : undefined;
  if (!table) {
    throw usage(
      `--table ${name} is not a table of @bionicpro/models (one of: ${Object.keys(all).join(', ')})`,
    );
  }
  return table;
}

async function openClickHouse(
  target: string,
  debug: boolean,
): Promise<ClickHouseLike & { close(): Promise<void> }> {
  const { createClient, ClickHouseLogLevel } = await optionalPeer(
    '@clickhouse/client',
    () => import('@clickhouse/client'),
  );
  const log = { level: debug ? ClickHouseLogLevel.WARN : ClickHouseLogLevel.OFF };
  if (target.startsWith('chdb:')) {
    const path = target.slice('chdb:'.length);
    if (path === '') throw usage('--clickhouse chdb:PATH needs a directory after chdb:');
    const { createChdbConnection } = await optionalPeer('chdb', () => import('chdb/connection'));
    // chdb/connection declares its Connection with @clickhouse/client-common's types, which
    // @clickhouse/client declares apart: the same object, two declarations (as in @bionicpro/etl/chdb).
    // The client itself satisfies the ClickHouseLike seam as typed.
    const connection = createChdbConnection({ path }) as unknown as NonNullable<
      ClickHouseClientConfigOptions['connection']
    >;
    return createClient({ connection, log });
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw usage(`--clickhouse must be an http(s):// URL or chdb:PATH, got ${target}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usage(`--clickhouse must be an http(s):// URL or chdb:PATH, got ${target}`);
  }
  return createClient({ url: target, log });
}

/** Runs the command; resolves to the report (equal → exit 0, different → exit 1). */
export async function runVerifyCommand(input: VerifyCommandInput): Promise<VerifyReport> {
  const { values } = input;
  const table = tableOf(text(values, 'table')!);
  const sourceUrl = text(values, 'source')!;
  if (!/^postgres(ql)?:\/\//.test(sourceUrl)) {
    throw usage(`--source must be a postgres:// or postgresql:// URL, got ${sourceUrl}`);
  }
  const database = identifier('--database', text(values, 'database') ?? 'default');
  const fanout = positiveIntegerOption(values, 'fanout');
  const leafRows = positiveIntegerOption(values, 'leaf-rows');
  const maxDifferences = positiveIntegerOption(values, 'max-differences');
  const parallelism = positiveIntegerOption(values, 'source-parallelism') ?? 2;
  if (parallelism > 64) throw usage(`--source-parallelism must be at most 64, got ${parallelism}`);
  const sourceTable = text(values, 'source-table');
  if (sourceTable !== undefined) {
    for (const part of sourceTable.split('.')) identifier('--source-table', part);
  }
  const pg = await optionalPeer('pg', () => import('pg'));
  const clickhouse = await openClickHouse(text(values, 'clickhouse')!, input.debug);
  // One connection per part of a checksum query (--source-parallelism), opened up front so that
  // a refused connection is reported as such.
  const source = new pg.default.Pool({ connectionString: sourceUrl, max: parallelism });
  source.on('error', () => undefined);
  try {
    const opened = await Promise.allSettled(Array.from({ length: parallelism }, () => source.connect()));
    for (const result of opened) if (result.status === 'fulfilled') result.value.release();
    const refused = opened.find((result) => result.status === 'rejected');
    if (refused) {
      throw new VerifyError(
        'verify_connect_failed',
        `cannot connect to PostgreSQL: ${messageOf(refused.reason)}`,
        { cause: refused.reason },
      );
    }
    return await verifyReplica({
      table,
      source: { client: source, parallelism, ...(sourceTable ? { table: sourceTable } : {}) },
      replica: { client: clickhouse, table: `${database}.${table.name}` },
      ...(fanout ? { fanout } : {}),
      ...(leafRows ? { leafRows } : {}),
      ...(maxDifferences ? { maxDifferences } : {}),
    });
  } finally {
    await source.end().catch(() => undefined);
    await clickhouse.close().catch(() => undefined);
  }
}
