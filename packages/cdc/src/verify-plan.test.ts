import { tables } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import {
  bucketRange,
  bucketSummaries,
  bucketWidth,
  compareLeaf,
  differingBuckets,
  normalizeChecksum,
  rangeColumn,
  rangeParts,
  replicaBucketsQuery,
  sourceBucketsQuery,
} from './verify-plan.js';
import { replicaRowHash, seededState, sourceRowHash } from './verify-hash.js';

const tablesOf = { table: tables.payments, source: 'public.payments', replica: 'cdc.payments' };

describe('verify range splitting', () => {
  it('splits a range into at most fanout buckets that cover it exactly, without overlap', () => {
    for (const [lo, hi, fanout] of [
      [1n, 100n, 16],
      [1n, 1n, 16],
      [-5n, 5n, 4],
      [1n, 17n, 16],
      [0n, (1n << 63n) - 1n, 16],
      [-(1n << 63n), (1n << 63n) - 1n, 16],
    ] as const) {
      const range = { lo, hi };
      const width = bucketWidth(range, fanout);
      const buckets = [];
      for (let i = 0n; range.lo + i * width <= range.hi; i++) buckets.push(bucketRange(range, width, i));
      expect(buckets.length).toBeLessThanOrEqual(fanout);
      expect(buckets[0]?.lo).toBe(lo);
      expect(buckets.at(-1)?.hi).toBe(hi);
      for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.lo).toBe(buckets[i - 1]!.hi + 1n);
    }
  });

  it('splits a level into parts of whole buckets that cover it in key order, numbered as in the level', () => {
    for (const [lo, hi, fanout, parts] of [
      [1n, 4096n, 16, 2],
      [1n, 4096n, 16, 3],
      [1n, 100n, 16, 5],
      [1n, 3n, 16, 8],
      [7n, 7n, 16, 2],
      [-(1n << 63n), (1n << 63n) - 1n, 16, 3],
    ] as const) {
      const range = { lo, hi };
      const width = bucketWidth(range, fanout);
      const split = rangeParts(range, width, parts);
      expect(split.length).toBeLessThanOrEqual(parts);
      expect(split[0]).toEqual({ range: { lo, hi: split[0]!.range.hi }, firstBucket: 0n });
      expect(split.at(-1)?.range.hi).toBe(hi);
      for (const [i, part] of split.entries()) {
        // Every part starts where its first bucket of the level starts, right after the previous part.
        expect(part.range.lo).toBe(bucketRange(range, width, part.firstBucket).lo);
        if (i > 0) expect(part.range.lo).toBe(split[i - 1]!.range.hi + 1n);
        expect(part.range.hi).toBeGreaterThanOrEqual(part.range.lo);
      }
    }
    expect(rangeParts({ lo: 1n, hi: 4096n }, 256n, 2)).toEqual([
      { range: { lo: 1n, hi: 2048n }, firstBucket: 0n },
      { range: { lo: 2049n, hi: 4096n }, firstBucket: 8n },
    ]);
    expect(rangeParts({ lo: 1n, hi: 4096n }, 256n, 1)).toEqual([
      { range: { lo: 1n, hi: 4096n }, firstBucket: 0n },
    ]);
  });

  it('reaches width 1 (single keys) after enough levels', () => {
    let range = { lo: 1n, hi: 1_000_000n };
    let levels = 0;
    while (bucketWidth(range, 16) > 1n) {
      range = bucketRange(range, bucketWidth(range, 16), 7n);
      levels += 1;
    }
    expect(levels).toBeLessThanOrEqual(5);
  });

  it('descends only into buckets whose count or checksum differ, in key order', () => {
    const source = bucketSummaries([
      { bucket: '0', count: '10', checksum: '5' },
      { bucket: '1', count: '10', checksum: '6' },
      { bucket: '3', count: '1', checksum: '-1' },
    ]);
    const replica = bucketSummaries([
      { bucket: '0', count: '10', checksum: '5' },
      { bucket: '1', count: '10', checksum: '7' },
      { bucket: '2', count: '2', checksum: '1' },
      { bucket: '3', count: '1', checksum: '18446744073709551615' },
    ]);
    // -1 (PostgreSQL's signed sum) and 2^64-1 (ClickHouse's wrapped UInt64 sum) are the same checksum.
    expect(differingBuckets(source, replica)).toEqual([
      { index: 1n, source: 10n, replica: 10n },
      { index: 2n, source: 0n, replica: 2n },
    ]);
  });

  it('normalizes checksums modulo 2^64', () => {
    expect(normalizeChecksum(-1n)).toBe((1n << 64n) - 1n);
    expect(normalizeChecksum(1n << 64n)).toBe(0n);
    expect(normalizeChecksum(-(1n << 66n) + 3n)).toBe(3n);
  });

  it('lists missing, extra and different keys of a leaf, numerically ordered', () => {
    const row = (id: string, hash: string) => ({ key: [id], hash });
    expect(
      compareLeaf(
        [row('10', 'a'), row('2', 'b'), row('3', 'c'), row('9223372036854775807', 'd')],
        [row('3', 'x'), row('2', 'b'), row('11', 'e'), row('9223372036854775807', 'd'), row('100', 'f')],
      ),
    ).toEqual({ missing: [['10']], extra: [['11'], ['100']], different: [['3']] });
  });
});

describe('verify queries', () => {
  it('hash each column by its type in both engines, seeded by its position', () => {
    const pg = sourceRowHash(tables.payments);
    // money in cents, instants cut to the column's milliseconds, text through MD5, NULL as a constant.
    expect(pg).toContain('hashint8extended((round("amount", 2) * 1e2)::bigint, 5)');
    expect(pg).toContain(
      `timestamp_hash_extended(date_trunc('milliseconds', ("payment_date" AT TIME ZONE 'UTC')), 4)`,
    );
    expect(pg).toContain(
      `coalesce(hashint8extended(('x' || substr(md5("description"::text), 1, 16))::bit(64)::bigint, 8), -9)`,
    );
    const ch = replicaRowHash(tables.payments);
    expect(ch.first.join(', ')).toContain('toInt64(toDecimal128(`amount`, 2) * 100)');
    expect(ch.first.join(', ')).toContain('toUnixTimestamp64Micro(`payment_date`) - 946684800000000');
    expect(ch.rounds).toHaveLength(7);
    const telemetry = sourceRowHash(tables.telemetry_events);
    expect(telemetry).toContain('hashfloat8extended("signal_amplitude"::float8, 9)');
  });

  it('add a lane hashing the high half of each wide column, seeded past every column', () => {
    // payments: 9 columns; instants, money and text are wide (a high lane at 9 + index), Int32 columns are not.
    const pg = sourceRowHash(tables.payments);
    expect(pg).toContain('hashint8extended((round("amount", 2) * 1e2)::bigint >> 32, 14)');
    expect(pg).toContain(
      `hashint8extended(('x' || encode(timestamp_send(date_trunc('milliseconds', ("payment_date" AT TIME ZONE 'UTC'))), 'hex'))::bit(64)::bigint >> 32, 13)`,
    );
    expect(pg).toContain(
      `coalesce(hashint8extended(('x' || substr(md5("description"::text), 1, 16))::bit(64)::bigint >> 32, 17), -18)`,
    );
    expect(pg.match(/ >> 32, /g)).toHaveLength(6);
    expect(pg).not.toMatch(/"(id|user_id|subscription_id)"::bigint >> 32/);
    const ch = replicaRowHash(tables.payments);
    expect(ch.first.filter((column) => /AS __ha\d+$/.test(column))).toHaveLength(15);
    for (const round of ch.rounds) expect(round).toHaveLength(15);
    expect(ch.first.join(', ')).toContain(
      'toUInt32(1501048189 + toUInt32(bitShiftRight(reinterpretAsUInt64(toInt64(toInt64(toDecimal128(`amount`, 2) * 100))), 32))) AS __ha13',
    );
    expect(ch.first).toContain('toInt64(-18) AS __hv16');
    // A UInt32 and a double need no high lane; the Int64 id has one.
    const telemetry = sourceRowHash(tables.telemetry_events);
    expect(telemetry).toContain('hashint8extended("id"::bigint >> 32, 12)');
    expect(telemetry).not.toContain('"signal_frequency"::bigint >> 32');
    expect(telemetry).not.toContain('"signal_amplitude"::float8 >> 32');
  });

  it('start lookup3 from the state PostgreSQL perturbs with the seed', () => {
    // hash_bytes_uint32_extended's state for seed 0 is the plain start; a seed mixes it.
    expect(seededState(4, 1)).not.toEqual(seededState(4, 2));
    expect(seededState(4, 1)).not.toEqual(seededState(8, 1));
    for (const word of seededState(8, 3)) expect(word >>> 0).toBe(word);
  });

  it('checksum current rows only in ClickHouse and bind the range as parameters', () => {
    const range = { lo: 1n, hi: 1000n };
    const ch = replicaBucketsQuery(tablesOf, range, 63n);
    expect(ch.query).toContain(
      'FROM `cdc`.`payments` FINAL WHERE _is_deleted = 0 AND `id` BETWEEN {lo:Int64} AND {hi:Int64}',
    );
    expect(ch.query_params).toEqual({ lo: '1', hi: '1000', width: '63' });
    const pg = sourceBucketsQuery(tablesOf, range, 63n);
    expect(pg.text).toContain('FROM "public"."payments" WHERE "id" BETWEEN $1 AND $2');
    expect(pg.values).toEqual(['1', '1000', '63']);
    // A range wider than 2^63 is bucketed in 128-bit/numeric arithmetic.
    const wide = { lo: -(1n << 63n), hi: (1n << 63n) - 1n };
    expect(sourceBucketsQuery(tablesOf, wide, 1n << 60n).text).toContain('::numeric');
    expect(replicaBucketsQuery(tablesOf, wide, 1n << 60n).query).toContain('toInt128');
  });

  it('refuses relation names that are not identifiers and tables without an integer first key', () => {
    expect(() =>
      sourceBucketsQuery({ ...tablesOf, source: 'x; drop table y' }, { lo: 1n, hi: 2n }, 1n),
    ).toThrow();
    expect(() => rangeColumn({ ...tables.users, primaryKey: ['email'] })).toThrow(/must be an integer/);
  });
});
