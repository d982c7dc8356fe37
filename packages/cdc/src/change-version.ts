/**
 * The version a change is written with into a `ReplacingMergeTree(_version,
 * _is_deleted)` table. It comes from the source position, never from
 * processing time, so redelivery, reordering and restarts cannot make an
 * older state win:
 *
 * - streamed changes (`c`/`u`/`d`): `2^63 + LSN`. Change LSNs are not
 *   monotonic across transactions, but per primary key they are (row locks
 *   serialise writers), and every change record has its own WAL position,
 *   so the LSN alone orders the versions of one row; the position inside the
 *   transaction adds nothing for PostgreSQL;
 * - snapshot reads (`r`, initial and incremental): below 2^63, the read time
 *   in µs (`source.ts_us`, else `ts_ms × 1000`). A transaction that began
 *   before the initial snapshot can stream a change with an LSN lower than
 *   the snapshot's, and incremental-snapshot rows carry no LSN at all, so a
 *   read must lose to every streamed change; among reads, the later wins.
 */
import type { RowChange } from './decode-change.js';
import type { SourceInfo } from './envelope.js';

/** 2^63: streamed versions start here, snapshot versions stay below. */
export const STREAMED_VERSION_BASE = 1n << 63n;

/**
 * The sink version of a change, or `undefined` when a streamed change carries
 * no LSN (e.g. an unwrapped record without `add.fields=lsn`).
 *
 * @example
 * ```ts
 * import { changeVersion, type RowChange } from '@bionicpro/cdc';
 * declare const change: RowChange; // from createChangeDecoder().decode(…)
 * changeVersion(change); // a change streamed at LSN 24024000: 9223372036878799808n (2^63 + LSN)
 * ```
 */
export function changeVersion(
  change: Pick<RowChange, 'op' | 'source'> & { ts_ms?: number | null },
): bigint | undefined {
  const source: Pick<SourceInfo, 'lsn' | 'ts_us' | 'ts_ms'> | null = change.source;
  if (change.op === 'r') {
    if (source?.ts_us != null) return BigInt(Math.trunc(source.ts_us));
    const ms = source?.ts_ms ?? change.ts_ms ?? null;
    return ms === null ? 0n : BigInt(Math.trunc(ms)) * 1000n;
  }
  if (source?.lsn == null) return undefined;
  return STREAMED_VERSION_BASE + BigInt(source.lsn);
}
