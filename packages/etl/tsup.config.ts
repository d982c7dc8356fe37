import { defineConfig } from 'tsup';
import { binaryBuild, libraryBuild } from '../../tsup.base.js';

// The library, then the `bionicpro-etl` binary.
export default defineConfig([
  libraryBuild({ index: 'src/index.ts', prometheus: 'src/prometheus.ts' }),
  binaryBuild({ cli: 'src/cli.ts' }),
]);
