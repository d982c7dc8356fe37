/**
 * `verifyReplica`: does a ClickHouse CDC target still equal its PostgreSQL
 * table? Both engines count and checksum their rows per range of the first
 * primary-key column (see `verify-plan.ts`); only ranges whose count or
 * checksum differ are split again, down to ranges small enough to list
 * their keys. An equal table costs one scan on each side; memory stays
 * bounded by the fan-out, the leaf size and `maxDifferences`, whatever the
 * table size.
 */
import { BionicProError, type TableDefinition } from '@bionicpro/models';
import type { ClickHouseLike } from './clickhouse-target.js';
import {
  bucketRange,
  bucketSummaries,
  bucketWidth,
  compareLeaf,
  differingBuckets,
  type KeyRange,
  type LeafRow,
  rangeColumn,
  replicaBoundsQuery,
  replicaBucketsQuery,
  replicaLeafQuery,
  sourceBoundsQuery,
  sourceBucketsQuery,
  sourceLeafQuery,
  type VerifyTables,
} from './verify-plan.js';

/** The one method of a `pg` Client or Pool that verify uses. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Options of {@link verifyReplica}. */
export interface VerifyReplicaOptions {
  /** The model of the table on both sides. */
  readonly table: TableDefinition;
  /** PostgreSQL connection and relation (default relation: the model's table name). */
  readonly source: { readonly client: PostgresQueryable; readonly table?: string };
  /** ClickHouse client and the CDC target's relation, e.g. `cdc.users`. */
  readonly replica: { readonly client: ClickHouseLike; readonly table: string };
  /** Buckets per range split (default 16). */
  readonly fanout?: number;
  /** A differing range with at most this many rows on each side lists its keys (default 1000). */
  readonly leafRows?: number;
  /** Stop after this many differing keys (default 1000); the report says `truncated`. */
  readonly maxDifferences?: number;
}

/** A key, one entry per primary-key column: a number when it is a safe integer, else decimal or other text. */
export type VerifyKey = Record<string, number | string>;

/** What {@link verifyReplica} found. */
export interface VerifyReport {
  readonly table: string;
  readonly source: string;
  readonly replica: string;
  readonly equal: boolean;
  /** Current rows on each side (deleted and superseded versions not counted in ClickHouse). */
  readonly rows: { readonly source: number; readonly replica: number };
  /** In PostgreSQL, absent from ClickHouse. */
  readonly missing: VerifyKey[];
  /** In ClickHouse, absent from PostgreSQL. */
  readonly extra: VerifyKey[];
  /** In both, with different values. */
  readonly different: VerifyKey[];
  /** True when `maxDifferences` stopped the search before every differing key was listed. */
  readonly truncated: boolean;
  /** Range queries run on each side. */
  readonly queries: number;
  readonly elapsedMs: number;
}

/** Verify could not compare: a query failed, or the table cannot be range-split. */
export class VerifyError extends BionicProError {
  readonly code: 'verify_unsupported_table' | 'verify_connect_failed' | 'verify_query_failed';
  constructor(code: VerifyError['code'], message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'VerifyError';
    this.code = code;
  }
}

async function rowsOf<T>(result: Promise<{ json<R = unknown>(): Promise<R[] | unknown> }>): Promise<T[]> {
  return (await (await result).json<T>()) as T[];
}

function keyObject(columns: readonly string[], values: readonly string[]): VerifyKey {
  const out: VerifyKey = {};
  columns.forEach((name, i) => {
    const text = values[i]!;
    const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
    out[name] = Number.isSafeInteger(n) ? n : text;
  });
  return out;
}

/**
 * Compares a PostgreSQL table with its ClickHouse CDC replica: current rows
 * only (`FINAL`, `_is_deleted = 0`), every column in a canonical form both
 * engines compute, so only counts and checksums cross the wire until the
 * differing keys are listed.
 *
 * @example
 * ```ts
 * import { tables } from '@bionicpro/models';
 * import { verifyReplica } from '@bionicpro/cdc';
 * const report = await verifyReplica({
 *   table: tables.payments,
 *   source: { client: pgPool },
 *   replica: { client: clickhouse, table: 'cdc.payments' },
 * });
 * if (!report.equal) console.log(report.missing, report.extra, report.different);
 * ```
 */
export async function verifyReplica(options: VerifyReplicaOptions): Promise<VerifyReport> {
  const started = Date.now();
  const fanout = Math.max(2, Math.trunc(options.fanout ?? 16));
  const leafRows = BigInt(Math.max(1, Math.trunc(options.leafRows ?? 1000)));
  const maxDifferences = Math.max(1, Math.trunc(options.maxDifferences ?? 1000));
  try {
    rangeColumn(options.table);
  } catch (error) {
    throw new VerifyError('verify_unsupported_table', (error as Error).message, { cause: error });
  }
  const tables: VerifyTables = {
    table: options.table,
    source: options.source.table ?? options.table.name,
    replica: options.replica.table,
  };
  const pg = options.source.client;
  const ch = options.replica.client;
  const keyNames = [...options.table.primaryKey];
  let queries = 0;

  const both = async <S, R>(
    what: string,
    source: () => Promise<S>,
    replica: () => Promise<R>,
  ): Promise<[S, R]> => {
    queries += 1;
    const [s, r] = await Promise.allSettled([source(), replica()]);
    if (s.status === 'rejected') {
      throw new VerifyError(
        'verify_query_failed',
        `PostgreSQL ${what} of ${tables.source}: ${errorText(s.reason)}`,
        {
          cause: s.reason,
        },
      );
    }
    if (r.status === 'rejected') {
      throw new VerifyError(
        'verify_query_failed',
        `ClickHouse ${what} of ${tables.replica}: ${errorText(r.reason)}`,
        {
          cause: r.reason,
        },
      );
    }
    return [s.value, r.value];
  };

  const [sourceBounds, replicaBounds] = await both(
    'bounds',
    async () => (await pg.query(sourceBoundsQuery(tables).text)).rows[0] ?? {},
    async () =>
      (
        await rowsOf<Record<string, unknown>>(
          ch.query({ ...replicaBoundsQuery(tables), format: 'JSONEachRow' }),
        )
      )[0] ?? {},
  );
  const bounds = [sourceBounds, Number(replicaBounds['n'] ?? 0) > 0 ? replicaBounds : {}].flatMap((b) =>
    b['lo'] == null ? [] : [{ lo: BigInt(String(b['lo'])), hi: BigInt(String(b['hi'])) }],
  );

  const missing: VerifyKey[] = [];
  const extra: VerifyKey[] = [];
  const different: VerifyKey[] = [];
  let sourceRows = 0n;
  let replicaRows = 0n;
  let truncated = false;
  const found = () => missing.length + extra.length + different.length;

  const leaf = async (range: KeyRange) => {
    const [s, r] = await both(
      'rows',
      async () => {
        const q = sourceLeafQuery(tables, range);
        return (await pg.query(q.text, q.values)).rows;
      },
      () =>
        rowsOf<Record<string, unknown>>(
          ch.query({ ...replicaLeafQuery(tables, range), format: 'JSONEachRow' }),
        ),
    );
    const toLeaf = (row: Record<string, unknown>): LeafRow => ({
      key: keyNames.map((_, i) => String(row[`k${i}`])),
      hash: String(row['hash']),
    });
    const diff = compareLeaf(s.map(toLeaf), r.map(toLeaf));
    for (const [list, keys] of [
      [missing, diff.missing],
      [extra, diff.extra],
      [different, diff.different],
    ] as const) {
      for (const key of keys) {
        if (found() >= maxDifferences) {
          truncated = true;
          return;
        }
        list.push(keyObject(keyNames, key));
      }
    }
  };

  if (bounds.length > 0) {
    // Both sides' keys (bigint: Math.min/max do not apply).
    const los = bounds.map((b) => b.lo).sort((a, b) => (a < b ? -1 : 1));
    const his = bounds.map((b) => b.hi).sort((a, b) => (a > b ? -1 : 1));
    const whole: KeyRange = { lo: los[0]!, hi: his[0]! };
    // Depth first, key order: at most `fanout` pending ranges per level.
    const pending: { range: KeyRange; top: boolean }[] = [{ range: whole, top: true }];
    while (pending.length > 0 && !truncated) {
      const { range, top } = pending.pop()!;
      const width = bucketWidth(range, fanout);
      const [s, r] = await both(
        'checksums',
        async () => {
          const q = sourceBucketsQuery(tables, range, width);
          return bucketSummaries((await pg.query(q.text, q.values)).rows as never);
        },
        async () =>
          bucketSummaries(
            await rowsOf(ch.query({ ...replicaBucketsQuery(tables, range, width), format: 'JSONEachRow' })),
          ),
      );
      if (top) {
        for (const b of s.values()) sourceRows += b.count;
        for (const b of r.values()) replicaRows += b.count;
      }
      const next: KeyRange[] = [];
      for (const bucket of differingBuckets(s, r)) {
        const sub = bucketRange(range, width, bucket.index);
        if (width === 1n || (bucket.source <= leafRows && bucket.replica <= leafRows)) {
          await leaf(sub);
          if (truncated) break;
        } else next.push(sub);
      }
      for (const sub of next.reverse()) pending.push({ range: sub, top: false });
    }
    if (pending.length > 0) truncated = true;
  }

  return {
    table: options.table.name,
    source: tables.source,
    replica: tables.replica,
    equal: found() === 0 && !truncated,
    rows: { source: Number(sourceRows), replica: Number(replicaRows) },
    missing,
    extra,
    different,
    truncated,
    queries,
    elapsedMs: Date.now() - started,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
