import { z } from 'zod';
import { withColumnType } from './column-types.js';
import {
  DECIMAL_18_2_MAX_MINOR,
  describeMoneyFailure,
  minorToMoney,
  NUMERIC_10_2_MAX_MINOR,
  tryParseMoneyMinor,
} from './money.js';
import { isCalendarDate, tryParseTimestampMs } from './timestamp.js';

const INT32_MAX = 2_147_483_647;

/** Serial primary key / foreign key of a CRM table (PostgreSQL `integer`). */
export const Id = withColumnType(z.number().int().min(1).max(INT32_MAX), { pg: 'integer', ch: 'Int32' });

/**
 * A `bigint` key (telemetry ids). Accepts a number or the decimal string `pg`
 * and ClickHouse return for 64-bit integers; values must be safe integers.
 */
export const BigId = withColumnType(
  z.unknown().transform((value, ctx): number => {
    if (value === undefined) return missing(ctx);
    const n = bigIdValue(value);
    if (n === undefined) {
      const tooBig =
        (typeof value === 'bigint' && value > 0n) || (typeof value === 'string' && /^\d{16,}$/.test(value));
      ctx.addIssue({
        code: 'custom',
        message: tooBig
          ? `id ${String(value)} is beyond 2^53-1, the largest id this version handles exactly`
          : `expected a positive integer id (a number, bigint or decimal string), got ${describe(value)}`,
        params: { code: 'invalid_id' },
        input: value,
      });
      return z.NEVER;
    }
    return n;
  }),
  { pg: 'bigint', ch: 'Int64', jsonSchema: { type: 'integer', minimum: 1 } },
);

/**
 * The safe-integer value of a bigint id given as a number, a bigint or a
 * decimal string (how `pg`, ClickHouse and lossless JSON parsers return
 * 64-bit integers), or undefined.
 */
export function bigIdValue(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint')
    n = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : Number.NaN;
  else if (typeof value === 'string' && /^\d+$/.test(value)) n = Number(value);
  else return undefined;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

/** A 32-bit integer measurement (counts, Hz, ms). */
export const Int32 = withColumnType(
  z
    .number()
    .int()
    .min(-INT32_MAX - 1)
    .max(INT32_MAX),
  {
    pg: 'integer',
    ch: 'Int32',
  },
);

/** A non-negative count stored in marts. */
export const Count = withColumnType(
  z
    .number()
    .int()
    .min(0)
    .max(2 ** 53 - 1),
  {
    pg: 'bigint',
    ch: 'UInt64',
  },
);

/** A finite double. */
export const Float64 = withColumnType(z.number().finite(), { pg: 'double precision', ch: 'Float64' });

export const Bool = withColumnType(z.boolean(), { pg: 'boolean', ch: 'Bool' });

export const Text = withColumnType(z.string(), { pg: 'text', ch: 'String' });

/** Text that must not be empty (names, titles, serial numbers). */
export const RequiredText = withColumnType(z.string().trim().min(1, 'must not be empty'), {
  pg: 'text',
  ch: 'String',
});

export const Email = withColumnType(z.string().trim().toLowerCase().pipe(z.email()), {
  pg: 'text',
  ch: 'String',
  jsonSchema: { type: 'string', format: 'email' },
});

/** A UUID in canonical lower-case form. */
export const Uuid = withColumnType(
  z.uuid().transform((value) => value.toLowerCase()),
  {
    pg: 'uuid',
    ch: 'UUID',
    jsonSchema: { type: 'string', format: 'uuid' },
  },
);

/**
 * A UTC instant. Input: ISO-8601 text (offset or `Z`; none means UTC per SPEC §2)
 * or a `Date`. Output: a `Date`.
 */
export const Timestamp = withColumnType(
  z.unknown().transform((value, ctx): Date => {
    if (value === undefined) return missing(ctx);
    const ms = tryParseTimestampMs(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected an ISO-8601 timestamp such as "2024-01-31T12:00:00Z", got ${describe(value)}`,
        params: { code: 'invalid_timestamp' },
        input: value,
      });
      return z.NEVER;
    }
    return new Date(ms);
  }),
  { pg: 'timestamptz', ch: "DateTime64(3, 'UTC')", jsonSchema: { type: 'string', format: 'date-time' } },
);

/** A calendar date `YYYY-MM-DD` (no time, no zone). */
export const CalendarDate = withColumnType(
  z.string().refine(isCalendarDate, {
    message: 'expected a calendar date YYYY-MM-DD',
    params: { code: 'invalid_date' },
  }),
  { pg: 'date', ch: 'Date', jsonSchema: { type: 'string', format: 'date' } },
);

/** The start of an hour (hourly mart key). */
export const HourStart = withColumnType(
  Timestamp.refine((d) => d.getTime() % 3_600_000 === 0, { message: 'expected the start of an hour' }),
  { pg: 'timestamptz', ch: "DateTime('UTC')", jsonSchema: { type: 'string', format: 'date-time' } },
);

function moneySchema(maxMinor: bigint, pg: string, ch: string) {
  return withColumnType(
    z.unknown().transform((value, ctx): string => {
      if (value === undefined) return missing(ctx);
      const result = tryParseMoneyMinor(value, maxMinor);
      if (!result.ok) {
        ctx.addIssue({
          code: 'custom',
          message: `${describeMoneyFailure(result.reason, maxMinor)}, got ${describe(value)}`,
          params: { code: 'invalid_money' },
          input: value,
        });
        return z.NEVER;
      }
      return minorToMoney(result.minor);
    }),
    {
      pg,
      ch,
      jsonSchema: {
        type: 'string',
        pattern: '^-?\\d{1,16}(\\.\\d{1,2})?$',
        description: 'exact decimal money, two decimals',
      },
    },
  );
}

/** numeric(10,2) money (SPEC §2): decimal text in, canonical two-decimal text out. */
export const Money = moneySchema(NUMERIC_10_2_MAX_MINOR, 'numeric(10,2)', 'Decimal(10, 2)');

/** Money totals in marts (sums and ARR can exceed numeric(10,2)): Decimal(18,2). */
export const MoneyTotal = moneySchema(DECIMAL_18_2_MAX_MINOR, 'numeric(18,2)', 'Decimal(18, 2)');

/** The issue for a required custom scalar that is absent, worded like zod's own. */
function missing(ctx: {
  addIssue(issue: { code: 'custom'; message: string; params: object; input: unknown }): void;
}) {
  ctx.addIssue({
    code: 'custom',
    message: 'is required',
    params: { code: 'invalid_type' },
    input: undefined,
  });
  return z.NEVER;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value instanceof Date) return 'an invalid Date';
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return typeof value;
  }
}
