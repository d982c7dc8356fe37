import type { z } from 'zod';
import type { ModelIssue } from './errors.js';

/** Converts zod's issues to {@link ModelIssue}s (one per unknown key, custom codes kept). */
export function toModelIssues(error: z.ZodError, prefix: readonly (string | number)[] = []): ModelIssue[] {
  const issues: ModelIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        issues.push({
          path: [...path, key],
          code: 'unrecognized_key',
          message: 'is not accepted in this model',
        });
      }
      continue;
    }
    const custom =
      issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined;
    let message = issue.message;
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) message = 'is required';
    issues.push({ path, code: typeof custom === 'string' ? custom : issue.code, message });
  }
  return issues;
}
