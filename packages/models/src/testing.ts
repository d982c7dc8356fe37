/**
 * `@bionicpro/models/testing` — a deterministic synthetic-data generator for
 * tests, benchmarks and demos. Not needed in production code.
 */
export { type DatasetOptions, type Dataset, generateDataset } from './testing/generator.js';
export { Random } from './testing/prng.js';
