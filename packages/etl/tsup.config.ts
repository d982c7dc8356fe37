import { defineConfig } from 'tsup';
import { binaryBuild, libraryBuild } from '../../tsup.base.js';

// The library, then the `bionicpro-etl` binary.
export default defineConfig([
  libraryBuild({ index: 'src/index.ts', chdb: 'src/chdb.ts' }),
  binaryBuild({ cli: 'src/cli.ts' }),
]);
