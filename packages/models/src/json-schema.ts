import { z } from 'zod';
import { columnTypes } from './column-types.js';

/**
 * JSON Schema (draft 2020-12) of a model's input form, for OpenAPI documents
 * and services not written in TypeScript. Custom scalars (money, timestamps,
 * UUIDs) are described by their wire form.
 *
 * @example
 * ```ts
 * import { IncomingUser, toJsonSchema } from '@bionicpro/models';
 * const schema = toJsonSchema(IncomingUser); // { type: 'object', properties: { name: ... }, ... }
 * ```
 */
export function toJsonSchema(
  schema: z.ZodType,
  options: { io?: 'input' | 'output' } = {},
): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    io: options.io ?? 'input',
    unrepresentable: 'any',
    override(ctx) {
      const type = columnTypes.get(ctx.zodSchema as unknown as z.ZodType);
      if (type?.jsonSchema) {
        for (const key of Object.keys(ctx.jsonSchema))
          delete (ctx.jsonSchema as Record<string, unknown>)[key];
        Object.assign(ctx.jsonSchema, type.jsonSchema);
      }
    },
  }) as Record<string, unknown>;
}
