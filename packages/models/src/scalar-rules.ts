/**
 * The checker rule of each scalar of `scalars.ts`, carried by the schema itself under a registered
 * symbol. The model compiler (`model-checker.ts`) finds a scalar by this tag, not by identity: each
 * entry point of the package (`@bionicpro/models`, `@bionicpro/models/internal`) is built standalone
 * with its own copy of the scalars, so `@bionicpro/cdc`'s compiler (from `/internal`) meets models
 * made of the root's copies.
 */
import type { FieldRule } from './model-checker.js';

const SCALAR_RULE = Symbol.for('@bionicpro/models/scalar-rule');

/** Tags `schema` with the rule the checkers apply to it; returns it. */
export function withScalarRule<S extends object>(schema: S, rule: FieldRule): S {
  Object.defineProperty(schema, SCALAR_RULE, { value: rule });
  return schema;
}

/** The rule `schema` was tagged with, if any (never inherited: a derived schema is not the scalar). */
export function scalarRuleOf(schema: object): FieldRule | undefined {
  return Object.hasOwn(schema, SCALAR_RULE) ? (schema as Record<symbol, FieldRule>)[SCALAR_RULE] : undefined;
}
