import {
  describeInt64Failure,
  ModelValidationError,
  toModelIssues,
  tryParseIntegerText,
  validateRow,
} from '@bionicpro/models';
import { z } from 'zod';
import { MAX_LISTED_ISSUES, RequestValidationError } from './http-errors.js';
import { readJsonBody } from './request-body.js';

/**
 * Validates the query string (plus any path parameters merged in) with a
 * model. Unknown parameters and repeated parameters are problems too; every
 * problem is reported in one 400.
 *
 * @example
 * ```ts
 * const { user_id, month } = parseQuery(UserMonthlyReportQuery, url, { user_id: params.user_id });
 * ```
 */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  url: URL,
  pathParams: Readonly<Record<string, string>> = {},
): z.output<S> {
  const input: Record<string, unknown> = {};
  const repeated: string[] = [];
  for (const [key, value] of url.searchParams) {
    if (Object.hasOwn(input, key)) repeated.push(key);
    input[key] = value;
  }
  Object.assign(input, pathParams);
  const result = schema.safeParse(input);
  const issues = [
    ...repeated.map((key) => ({
      path: ['query', key],
      code: 'repeated_parameter',
      message: 'given more than once',
    })),
    ...(result.success
      ? []
      : toModelIssues(result.error).map((issue) => {
          const first = issue.path[0];
          const part = typeof first === 'string' && Object.hasOwn(pathParams, first) ? 'path' : 'query';
          return { path: [part, ...issue.path], code: issue.code, message: issue.message };
        })),
  ];
  if (issues.length > 0 || !result.success) throw new RequestValidationError(issues);
  return result.data;
}

/**
 * Reads a JSON body (size-limited) and validates it with a model; a failure
 * is a 400 listing every issue under `body`.
 *
 * @example
 * ```ts
 * const user = await parseJsonBody(request, IncomingUser, config.limits.maxBodyBytes);
 * ```
 */
export async function parseJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  limitBytes: number,
): Promise<z.output<S>> {
  const body = await readJsonBody(request, limitBytes);
  try {
    // Every problem in one answer; U+0000 anywhere (keys too) is the models' `invalid_text`.
    return validateRow(schema, body);
  } catch (error) {
    if (error instanceof ModelValidationError) {
      const all = RequestValidationError.fromModel('body', error.issues).issues;
      throw new RequestValidationError(all.slice(0, MAX_LISTED_ISSUES), all.length);
    }
    throw error;
  }
}

/** Largest value of an `integer` id column (PostgreSQL `integer`, ClickHouse `Int32`). */
export const MAX_INT32_ID = 2_147_483_647;
const MAX_ID = BigInt(MAX_INT32_ID);

/**
 * An id in a path or query string, read by the models' integer rule
 * (`tryParseIntegerText`): canonical decimal digits only (no sign, exponent,
 * hex, blanks or leading zeros: `1e0`, `%201`, `0x2`, `01` are refused)
 * within the `integer` id column's range, so an id the database cannot hold
 * is a 400 naming the parameter, never a failed query.
 *
 * @example
 * ```ts
 * const Query = z.strictObject({ user_id: IdParameter });
 * ```
 */
export const IdParameter = z.string().transform((text, ctx): number => {
  const parsed = tryParseIntegerText(text, 1n, MAX_ID);
  if (parsed.ok) return Number(parsed.text);
  ctx.addIssue({
    code: 'custom',
    message: describeInt64Failure(parsed.reason, 1n, MAX_ID).replace('an integer', 'an id'),
    params: { code: 'invalid_id' },
  });
  return z.NEVER;
});
