/**
 * `verifyReplica`: does a ClickHouse CDC target still equal its PostgreSQL
 * table? Both engines count and checksum their rows per range of the first
 * primary-key column, one grouped query per side and level (see
 * `verify-plan.ts`, and `verify-hash.ts` for the row hash); only ranges whose count or
 * checksum differ are split again, down to ranges small enough to list
 * their keys. An equal table costs one scan on each side; memory stays
 * bounded by the fan-out, the leaf size and `maxDifferences`, whatever the
 * table size.
 */
import { BionicProError, type TableDefinition } from '@bionicpro/models';
import type { ClickHouseLike } from './clickhouse-target.js';
import {
  bucketRange,
  type BucketSummary,
  bucketSummaries,
  bucketWidth,
  compareLeaf,
  differingBuckets,
  type KeyRange,
  type LeafDifferences,
  type LeafRow,
  type ReplicaQuery,
  rangeColumn,
  rangeParts,
  replicaBoundsQuery,
  replicaBucketsQuery,
  replicaLeafQuery,
  sourceBoundsQuery,
  sourceBucketsQuery,
  sourceLeafQuery,
  type SourceQuery,
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
  /**
   * PostgreSQL connection and relation (default relation: the model's table name).
   * `parallelism` (default 2): each level's checksum query is split by key range
   * into this many parts, queried at once, so PostgreSQL scans on as many cores;
   * give a `pg.Pool` with at least that many connections (a single `pg.Client`
   * runs the parts one after another). The report does not depend on it.
   */
  readonly source: {
    readonly client: PostgresQueryable;
    readonly table?: string;
    readonly parallelism?: number;
  };
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
 * PostgreSQL's count and checksum per bucket of `range`: the range split into
 * `parallelism` parts of whole buckets (see `rangeParts`), queried at once so
 * that a pool runs them on as many connections, their buckets merged by union.
 * The first failed part's error is thrown once every part has settled.
 */
export async function sourceBuckets(
  client: PostgresQueryable,
  tables: VerifyTables,
  range: KeyRange,
  width: bigint,
  parallelism: number,
): Promise<Map<bigint, BucketSummary>> {
  const settled = await Promise.allSettled(
    rangeParts(range, width, parallelism).map(async (part) => {
      const query = sourceBucketsQuery(tables, part.range, width);
      return { part, buckets: bucketSummaries((await client.query(query.text, query.values)).rows as never) };
    }),
  );
  const out = new Map<bigint, BucketSummary>();
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    const { part, buckets } = result.value;
    for (const [index, summary] of buckets) out.set(part.firstBucket + index, summary);
  }
  return out;
}

/** The two engines of one comparison, each query run on both sides at once. */
class Sides {
  queries = 0;
  constructor(
    readonly tables: VerifyTables,
    private readonly pg: PostgresQueryable,
    private readonly ch: ClickHouseLike,
    private readonly parallelism: number,
  ) {}

  /** Runs one query per side concurrently; a failure names its side. */
  async both<S, R>(what: string, source: () => Promise<S>, replica: () => Promise<R>): Promise<[S, R]> {
    this.queries += 1;
    const [s, r] = await Promise.allSettled([source(), replica()]);
    if (s.status === 'rejected') throw this.failed('PostgreSQL', this.tables.source, what, s.reason);
    if (r.status === 'rejected') throw this.failed('ClickHouse', this.tables.replica, what, r.reason);
    return [s.value, r.value];
  }

  private failed(engine: string, relation: string, what: string, cause: unknown): VerifyError {
    return new VerifyError('verify_query_failed', `${engine} ${what} of ${relation}: ${errorText(cause)}`, {
      cause,
    });
  }

  async source(query: SourceQuery): Promise<Record<string, unknown>[]> {
    return (await this.pg.query(query.text, query.values)).rows;
  }

  replica(query: ReplicaQuery): Promise<Record<string, unknown>[]> {
    return rowsOf<Record<string, unknown>>(this.ch.query({ ...query, format: 'JSONEachRow' }));
  }

  /** The key range covering both sides' current rows, or undefined when both are empty. */
  async wholeRange(): Promise<KeyRange | undefined> {
    const [s, r] = await this.both(
      'bounds',
      async () => (await this.source(sourceBoundsQuery(this.tables)))[0] ?? {},
      async () => (await this.replica(replicaBoundsQuery(this.tables)))[0] ?? {},
    );
    const bounds = [s, Number(r['n'] ?? 0) > 0 ? r : {}].flatMap((b) =>
      b['lo'] == null ? [] : [{ lo: BigInt(String(b['lo'])), hi: BigInt(String(b['hi'])) }],
    );
    if (bounds.length === 0) return undefined;
    // bigint: Math.min/max do not apply.
    const los = bounds.map((b) => b.lo).sort((a, b) => (a < b ? -1 : 1));
    const his = bounds.map((b) => b.hi).sort((a, b) => (a > b ? -1 : 1));
    return { lo: los[0]!, hi: his[0]! };
  }

  /** Count and checksum per bucket of `range`, on both sides. */
  buckets(range: KeyRange, width: bigint) {
    return this.both(
      'checksums',
      () => sourceBuckets(this.pg, this.tables, range, width, this.parallelism),
      async () =>
        bucketSummaries((await this.replica(replicaBucketsQuery(this.tables, range, width))) as never),
    );
  }

  /** The differing keys of a leaf range. */
  async leaf(range: KeyRange): Promise<LeafDifferences> {
    const [s, r] = await this.both(
      'rows',
      () => this.source(sourceLeafQuery(this.tables, range)),
      () => this.replica(replicaLeafQuery(this.tables, range)),
    );
    const width = this.tables.table.primaryKey.length;
    const toLeaf = (row: Record<string, unknown>): LeafRow => ({
      key: Array.from({ length: width }, (_, i) => String(row[`k${i}`])),
      hash: String(row['hash']),
    });
    return compareLeaf(s.map(toLeaf), r.map(toLeaf));
  }
}

/** The differing keys found so far, capped at `max`. */
class Findings {
  readonly missing: VerifyKey[] = [];
  readonly extra: VerifyKey[] = [];
  readonly different: VerifyKey[] = [];
  truncated = false;
  constructor(
    private readonly keyNames: readonly string[],
    private readonly max: number,
  ) {}

  get count(): number {
    return this.missing.length + this.extra.length + this.different.length;
  }

  /** Adds a leaf's differences; sets `truncated` when the cap stops it. */
  add(diff: LeafDifferences): void {
    for (const [list, keys] of [
      [this.missing, diff.missing],
      [this.extra, diff.extra],
      [this.different, diff.different],
    ] as const) {
      for (const key of keys) {
        if (this.count >= this.max) {
          this.truncated = true;
          return;
        }
        list.push(keyObject(this.keyNames, key));
      }
    }
  }
}

/**
 * Depth first from `whole`, in key order (at most `fanout` pending ranges per
 * level): splits ranges whose buckets differ, lists the keys of small ones.
 * Answers both sides' row counts (from the first level).
 */
async function descend(
  sides: Sides,
  findings: Findings,
  whole: KeyRange,
  fanout: number,
  leafRows: bigint,
): Promise<{ source: bigint; replica: bigint }> {
  const rows = { source: 0n, replica: 0n };
  const pending: { range: KeyRange; top: boolean }[] = [{ range: whole, top: true }];
  while (pending.length > 0 && !findings.truncated) {
    const { range, top } = pending.pop()!;
    const width = bucketWidth(range, fanout);
    const [s, r] = await sides.buckets(range, width);
    if (top) {
      for (const b of s.values()) rows.source += b.count;
      for (const b of r.values()) rows.replica += b.count;
    }
    const next: KeyRange[] = [];
    for (const bucket of differingBuckets(s, r)) {
      const sub = bucketRange(range, width, bucket.index);
      if (width === 1n || (bucket.source <= leafRows && bucket.replica <= leafRows)) {
        findings.add(await sides.leaf(sub));
        if (findings.truncated) break;
      } else next.push(sub);
    }
    for (const sub of next.reverse()) pending.push({ range: sub, top: false });
  }
  if (pending.length > 0) findings.truncated = true;
  return rows;
}

/**
 * Compares a PostgreSQL table with its ClickHouse CDC replica: current rows
 * only (`FINAL`, `_is_deleted = 0`), every column hashed alike by both
 * engines, so only counts and checksums cross the wire until the differing
 * keys are listed.
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
  const parallelism = Math.max(1, Math.trunc(options.source.parallelism ?? 2));
  const sides = new Sides(tables, options.source.client, options.replica.client, parallelism);
  const findings = new Findings([...options.table.primaryKey], maxDifferences);
  const whole = await sides.wholeRange();
  const rows = whole ? await descend(sides, findings, whole, fanout, leafRows) : { source: 0n, replica: 0n };
  return {
    table: options.table.name,
    source: tables.source,
    replica: tables.replica,
    equal: findings.count === 0 && !findings.truncated,
    rows: { source: Number(rows.source), replica: Number(rows.replica) },
    missing: findings.missing,
    extra: findings.extra,
    different: findings.different,
    truncated: findings.truncated,
    queries: sides.queries,
    elapsedMs: Date.now() - started,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
