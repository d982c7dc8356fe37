/**
 * `@bionicpro/models/internal` — what the other `@bionicpro/*` packages share with this one: the
 * one code-generation helper (`generateFunction`, the only `new Function` of the packages) and the
 * one compiler of a model into a checker (`modelRuleOf`, `fieldCode`), which `@bionicpro/cdc`'s
 * decode-and-validate path writes into its generated decoders, plus the two text scanners its
 * decoders settle part of a rule with. UNSTABLE: no semver promise; anything here may change or
 * disappear in a patch release. Import from `@bionicpro/models` instead.
 *
 * @packageDocumentation
 * @internal
 */
export { generateFunction, type GeneratedFunctionSpec } from './generated-function.js';
export {
  type CodeScope,
  type FieldCode,
  type FieldRule,
  fieldCode,
  type InputFacts,
  leafRule,
  type ModelRule,
  modelRuleOf,
} from './model-checker.js';
export { utcTextMs } from './timestamp.js';
export { uuidText } from './uuid-text.js';
