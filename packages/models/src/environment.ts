import type { z } from 'zod';

/** What {@link readEnvironment} found: the parsed settings (when valid), the values given, every problem. */
export interface EnvironmentReading<T> {
  /** The settings, or `undefined` when the model refused them (see `problems`). */
  readonly settings: T | undefined;
  /** The model's variables that are set and not empty, as given. */
  readonly given: Readonly<Record<string, string>>;
  /** One `NAME: reason` line per problem (`is required` for a missing variable); empty when valid. */
  readonly problems: string[];
}

/**
 * Reads a process's settings from its environment with a zod object model: only the model's own
 * variables are read, an empty value counts as unset, and every problem is reported at once as a
 * `NAME: reason` line, so a service or job can refuse to start listing all of them. The caller
 * adds its own cross-field problems to `problems` before deciding.
 *
 * @example
 * ```ts
 * import { readEnvironment } from '@bionicpro/models';
 * import { z } from 'zod';
 * const { settings, problems } = readEnvironment(
 *   z.object({ REDIS_URL: z.string().regex(/^redis:\/\//), PORT: z.coerce.number().default(8080) }),
 *   { REDIS_URL: 'redis://127.0.0.1:6379', PORT: '' },
 * );
 * console.log(problems, settings?.PORT); // [] 8080
 * ```
 */
export function readEnvironment<S extends z.ZodObject>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
): EnvironmentReading<z.output<S>> {
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (Object.hasOwn(schema.shape, name) && value !== undefined && value !== '') given[name] = value;
  }
  const parsed = schema.safeParse(given);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        // zod omits `issue.input` unless asked, so "missing" is read from what was given.
        const name = String(issue.path[0]);
        return `${name}: ${Object.hasOwn(given, name) ? issue.message : 'is required'}`;
      });
  return { settings: parsed.success ? parsed.data : undefined, given, problems };
}
