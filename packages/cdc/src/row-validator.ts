/**
 * Validation of decoded rows against their table's `@bionicpro/models` model: in the generated
 * function that decodes them (`validated-row.ts`) for the common case, else by `safeParseRow`.
 */
import { safeParseRow, toModelIssues } from '@bionicpro/models';
import type { z } from 'zod';
import { ChangeValidationError } from './errors.js';
import type { DecodeContext, RowDecoder, RowShapes } from './logical-types.js';
import type { TableModels } from './table-models.js';
import { validatedRowShapes } from './validated-row.js';

/** The row validation of one change decoder. */
export class RowValidator {
  readonly #models: TableModels;
  readonly #enabled: boolean;
  // Rows decoded and validated by one generated function, per row decoder (decoders are per
  // table), with the last one at hand; null where the table has no model the generated
  // functions can follow.
  readonly #shapes = new WeakMap<RowDecoder, RowShapes | null>();
  #lastDecoder: RowDecoder | undefined;
  #lastShapes: RowShapes | null = null;
  // Where a generated function leaves the validated row (read and cleared at once).
  readonly #validated: { row: unknown } = { row: undefined };
  // A model without the columns that carried the unchanged-TOAST placeholder, per table and columns.
  readonly #partialModels = new Map<string, z.ZodObject>();

  constructor(models: TableModels, enabled: boolean) {
    this.#models = models;
    this.#enabled = enabled;
  }

  /**
   * `after` decoded and validated by one generated function: the decoded row, the model's row
   * being then {@link takeValidated}'s; undefined where the general path must decode the row.
   */
  decodeValidated(
    decoder: RowDecoder,
    table: string,
    after: Record<string, unknown>,
    ctx: DecodeContext,
  ): Record<string, unknown> | undefined {
    if (!this.#enabled) return undefined;
    const shapes = this.#shapesOf(decoder, table);
    return shapes === null ? undefined : shapes.decode(after, ctx, this.#validated);
  }

  /** The model's row of the last row {@link decodeValidated} returned. */
  takeValidated(): unknown {
    const row = this.#validated.row;
    this.#validated.row = undefined;
    return row;
  }

  /**
   * A decoded row validated by its table's model (without the `unavailable` columns): the model's
   * row, or the row itself when validation is off or the table has no model. Throws
   * {@link ChangeValidationError} with paths under `base`.
   */
  validate(
    table: string,
    row: Record<string, unknown>,
    unavailable: readonly string[],
    base: readonly (string | number)[],
  ): unknown {
    if (!this.#enabled) return row;
    const model = this.#models.modelOf(table);
    if (!model) return row;
    const schema = unavailable.length > 0 ? this.#partialModel(table, model, unavailable) : model;
    const result = safeParseRow(schema, row);
    if (result.success) return result.data;
    const issues = toModelIssues(result.error).map((issue) => ({
      path: [...base, ...issue.path],
      code: issue.code,
      message: issue.message,
    }));
    throw new ChangeValidationError(table, issues, { cause: result.error });
  }

  #shapesOf(decoder: RowDecoder, table: string): RowShapes | null {
    if (decoder === this.#lastDecoder) return this.#lastShapes;
    let shapes = this.#shapes.get(decoder);
    if (shapes === undefined) {
      const model = this.#models.modelOf(table);
      shapes = (model && validatedRowShapes(decoder, model)) ?? null;
      this.#shapes.set(decoder, shapes);
    }
    this.#lastDecoder = decoder;
    this.#lastShapes = shapes;
    return shapes;
  }

  #partialModel(table: string, model: z.ZodObject, unavailable: readonly string[]): z.ZodObject {
    const cacheKey = `${table}\u0000${unavailable.join('\u0000')}`;
    let partial = this.#partialModels.get(cacheKey);
    if (!partial) {
      const mask: Record<string, true> = {};
      for (const column of unavailable) if (Object.hasOwn(model.shape, column)) mask[column] = true;
      partial = model.omit(mask as never) as unknown as z.ZodObject;
      this.#partialModels.set(cacheKey, partial);
    }
    return partial;
  }
}
