import { z } from 'zod';
import { withColumnType } from './column-types.js';
import { withScalarRule } from './scalar-rules.js';
import {
  DECIMAL_18_2_MAX_MINOR,
  describeMoneyFailure,
  minorToMoney,
  NUMERIC_10_2_MAX_MINOR,
  tryParseMoneyMinor,
} from './money.js';
import { describeInt64Failure, INT64_MAX, type Int64Text, tryParseIntegerText } from './int64.js';
import { describeInstantFailure, isCalendarDate, parseInstant } from './timestamp.js';

const INT32_MAX = 2_147_483_647;

/** Serial primary key / foreign key of a CRM table (PostgreSQL `integer`). */
export const Id = withColumnType(z.number().int().min(1).max(INT32_MAX), { pg: 'integer', ch: 'Int32' });

/**
 * A `bigint` key (telemetry ids), 1 … 2^63−1. Accepts a safe-integer number, a
 * bigint or canonical decimal text (how `pg`, ClickHouse and lossless JSON parsers
 * return 64-bit integers); the output is canonical decimal text ({@link Int64Text}),
 * exact over the whole range. JSON output carries it as a string.
 *
 * @example
 * ```ts
 * import { BigId } from '@bionicpro/models';
 * BigId.parse(9223372036854775807n); // '9223372036854775807'
 * BigId.parse(42); // '42'
 * ```
 */
export const BigId = withScalarRule(
  withColumnType(
    z.unknown().transform((value, ctx): Int64Text => {
      if (value === undefined) return missing(ctx);
      const result = tryParseIntegerText(value, 1n, INT64_MAX);
      if (!result.ok) {
        ctx.addIssue({
          code: 'custom',
          message: `${describeInt64Failure(result.reason, 1n, INT64_MAX).replace('an integer', 'an id')}, got ${describe(value)}`,
          params: { code: 'invalid_id' },
          input: value,
        });
        return z.NEVER;
      }
      return result.text;
    }),
    {
      pg: 'bigint',
      ch: 'Int64',
      jsonSchema: {
        anyOf: [
          { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
          { type: 'string', pattern: '^[1-9][0-9]{0,18}$' },
        ],
        description: 'a 64-bit id, 1 to 9223372036854775807; decimal text above 2^53-1',
      },
    },
  ),
  { kind: 'big-id' },
);

/**
 * The canonical decimal text of a bigint id (1 … 2^63−1) given as a safe-integer
 * number, a bigint or decimal text, or undefined.
 */
export function bigIdValue(value: unknown): Int64Text | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 1 ? String(value) : undefined;
  const result = tryParseIntegerText(value, 1n, INT64_MAX);
  return result.ok ? result.text : undefined;
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

/** The message of the `invalid_text` issue: text holding U+0000. */
export const NUL_TEXT_MESSAGE = 'must not contain U+0000 (NUL): PostgreSQL text cannot store U+0000';

/** True when text holds no U+0000, the one character PostgreSQL `text` cannot store. */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000');
}

/** `z.string()` that refuses U+0000 with the issue code `invalid_text`. */
function storableString() {
  return z.string().refine(isStorableText, { message: NUL_TEXT_MESSAGE, params: { code: 'invalid_text' } });
}

/** Any text column. U+0000 is refused (`invalid_text`): PostgreSQL cannot store it. */
export const Text = withScalarRule(withColumnType(storableString(), { pg: 'text', ch: 'String' }), {
  kind: 'text',
  required: false,
});

/** Text that must not be empty (names, titles, serial numbers); no U+0000. */
export const RequiredText = withScalarRule(
  withColumnType(storableString().trim().min(1, 'must not be empty'), {
    pg: 'text',
    ch: 'String',
  }),
  { kind: 'text', required: true },
);

/** An e-mail address, trimmed and lower-cased; no U+0000. */
export const Email = withColumnType(storableString().trim().toLowerCase().pipe(z.email()), {
  pg: 'text',
  ch: 'String',
  jsonSchema: { type: 'string', format: 'email' },
});

/** A UUID in canonical lower-case form. */
export const Uuid = withScalarRule(
  withColumnType(
    z.uuid().transform((value) => value.toLowerCase()),
    {
      pg: 'uuid',
      ch: 'UUID',
      jsonSchema: { type: 'string', format: 'uuid' },
    },
  ),
  { kind: 'uuid' },
);

/**
 * A UTC instant. Input: ISO-8601 text (offset or `Z`; none means UTC per docs/data-contract.md)
 * or a `Date`. Output: a `Date`. Read by {@link parseInstant}: years as written (never
 * the two-digit-year rule), range 1900-01-01 … 2299-12-31T23:59:59.999Z (ClickHouse
 * `DateTime64(3)`); outside it the issue code is `timestamp_out_of_range`.
 */
export const Timestamp = withScalarRule(
  withColumnType(
    z.unknown().transform((value, ctx): Date => {
      if (value === undefined) return missing(ctx);
      const result = typeof value === 'string' || value instanceof Date ? parseInstant(value) : undefined;
      if (result === undefined || !result.ok) {
        const reason = result?.reason ?? 'not_timestamp';
        ctx.addIssue({
          code: 'custom',
          message: `${describeInstantFailure(reason)}, got ${describe(value)}`,
          params: { code: reason === 'out_of_range' ? 'timestamp_out_of_range' : 'invalid_timestamp' },
          input: value,
        });
        return z.NEVER;
      }
      return new Date(result.ms);
    }),
    { pg: 'timestamptz', ch: "DateTime64(3, 'UTC')", jsonSchema: { type: 'string', format: 'date-time' } },
  ),
  { kind: 'timestamp' },
);

/** A calendar date `YYYY-MM-DD` (no time, no zone). */
export const CalendarDate = withScalarRule(
  withColumnType(
    z.string().refine(isCalendarDate, {
      message: 'expected a calendar date YYYY-MM-DD',
      params: { code: 'invalid_date' },
    }),
    { pg: 'date', ch: 'Date', jsonSchema: { type: 'string', format: 'date' } },
  ),
  { kind: 'calendar-date' },
);

/** The start of an hour (hourly mart key). */
export const HourStart = withColumnType(
  Timestamp.refine((d) => d.getTime() % 3_600_000 === 0, { message: 'expected the start of an hour' }),
  { pg: 'timestamptz', ch: "DateTime('UTC')", jsonSchema: { type: 'string', format: 'date-time' } },
);

function moneySchema(maxMinor: bigint, pg: string, ch: string) {
  return withScalarRule(
    withColumnType(
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
    ),
    { kind: 'money', maxMinor },
  );
}

/** numeric(10,2) money (docs/data-contract.md): decimal text in, canonical two-decimal text out. */
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
