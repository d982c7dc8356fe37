/**
 * `@bionicpro/models/internal` — helpers shared with the other `@bionicpro/*` packages
 * (`@bionicpro/cdc`'s generated decode-and-validate path reads a model exactly as the
 * models' own row parsers do). UNSTABLE: no semver promise; anything here may change or
 * disappear in a patch release. Import from `@bionicpro/models` instead.
 *
 * @packageDocumentation
 * @internal
 */
export { isKnownNumberCheck, uuidText } from './row-parser.js';
export { utcTextMs } from './timestamp.js';
