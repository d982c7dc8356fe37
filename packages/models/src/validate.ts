import { z } from 'zod';
import { ModelValidationError, type RejectedRow } from './errors.js';
import { fastRowParserOf, ROW_REFUSED, safeParseRow } from './row-parser.js';
import { holdsNul, withNulTextIssues } from './storable-text.js';
import { toModelIssues } from './validate-issues.js';

export { toModelIssues };

function modelName(schema: z.ZodType, fallback?: string): string | undefined {
  return fallback ?? (schema.description || undefined);
}

/**
 * Parses one value with a model; throws {@link ModelValidationError} listing every issue.
 * U+0000 anywhere in the value (a text field, a nested string, an object key, a field the model
 * strips) is an `invalid_text` issue naming where it stands: PostgreSQL text cannot store it.
 *
 * @example
 * ```ts
 * import { Payment, validateRow } from '@bionicpro/models';
 * const payment = validateRow(Payment, rowFromPostgres, { model: 'payments' });
 * ```
 */
export function validateRow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: { model?: string } = {},
): z.output<S> {
  const result = safeParseRow(schema, value);
  if (result.success && !holdsNul(value)) return result.data;
  const model = modelName(schema, options.model);
  const issues = withNulTextIssues(result.success ? [] : toModelIssues(result.error), value);
  throw new ModelValidationError(issues, model === undefined ? {} : { model });
}

/** Outcome of {@link validateBatch}: the valid rows, and every rejected row with its index and issues. */
export interface BatchResult<T> {
  readonly valid: T[];
  /** Input index of each valid row, parallel to `valid`. */
  readonly validIndexes: number[];
  readonly rejected: RejectedRow[];
}

/**
 * Validates every row of a batch and reports all bad rows, not only the first. A row holding
 * U+0000 anywhere (keys included) is rejected with `invalid_text`, as in {@link validateRow}.
 *
 * @example
 * ```ts
 * import { TelemetryEvent, validateBatch } from '@bionicpro/models';
 * const { valid, rejected } = validateBatch(TelemetryEvent, rows);
 * for (const bad of rejected) console.warn(bad.index, bad.issues);
 * ```
 */
export function validateBatch<S extends z.ZodType>(
  schema: S,
  rows: readonly unknown[],
): BatchResult<z.output<S>> {
  const valid: z.output<S>[] = [];
  const validIndexes: number[] = [];
  const rejected: RejectedRow[] = [];
  const fast = fastRowParserOf(schema);
  for (let index = 0; index < rows.length; index += 1) {
    const row = rows[index];
    if (fast) {
      const parsed = fast(row);
      if (parsed !== ROW_REFUSED && !holdsNul(row)) {
        valid.push(parsed as z.output<S>);
        validIndexes.push(index);
        continue;
      }
    }
    const result = schema.safeParse(row);
    if (result.success && !holdsNul(row)) {
      valid.push(result.data);
      validIndexes.push(index);
    } else {
      rejected.push({
        index,
        issues: withNulTextIssues(result.success ? [] : toModelIssues(result.error), row),
      });
    }
  }
  return { valid, validIndexes, rejected };
}

type LenientShape<T> = { [K in keyof T]: T[K] extends string ? string : T[K] };

/**
 * A forward-compatible reader's variant of a model: enum fields accept any
 * non-empty string (e.g. a device `event_type` a newer firmware introduced),
 * everything else is validated as usual.
 *
 * @example
 * ```ts
 * import { DeviceEvent, lenientModel } from '@bionicpro/models';
 * const LenientDeviceEvent = lenientModel(DeviceEvent);
 * declare const event: DeviceEvent; // a stored device event
 * LenientDeviceEvent.parse({ ...event, event_type: 'self_test' }).event_type; // 'self_test'
 * ```
 */
export function lenientModel<S extends z.ZodObject>(
  schema: S,
): z.ZodType<LenientShape<z.output<S>>, z.input<S>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    shape[key] = relaxEnum(field);
  }
  return z.object(shape) as unknown as z.ZodType<LenientShape<z.output<S>>, z.input<S>>;
}

function relaxEnum(field: z.ZodType): z.ZodType {
  if (field instanceof z.ZodEnum) return z.string().min(1);
  if (field instanceof z.ZodNullable) return relaxEnum(field.unwrap() as z.ZodType).nullable();
  if (field instanceof z.ZodOptional) return relaxEnum(field.unwrap() as z.ZodType).optional();
  if (field instanceof z.ZodDefault) {
    const inner = field.unwrap() as z.ZodType;
    const relaxed = relaxEnum(inner);
    return relaxed === inner ? field : relaxed.default(field.def.defaultValue as never);
  }
  return field;
}
