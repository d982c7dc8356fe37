import { toModelIssues, validateRow } from '@bionicpro/models';
import type { z } from 'zod';
import { RequestValidationError } from './http-errors.js';
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
    return validateRow(schema, body);
  } catch (error) {
    const issues = (
      error as { issues?: readonly { path: readonly (string | number)[]; code: string; message: string }[] }
    ).issues;
    if (issues) throw RequestValidationError.fromModel('body', issues);
    throw error;
  }
}
