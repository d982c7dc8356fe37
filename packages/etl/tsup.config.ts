import { defineConfig } from 'tsup';
import { binaryBuild, libraryBuild } from '../../tsup.base.js';

// The library (with the `@bionicpro/etl/chdb` and `/prometheus` entries), then the `bionicpro-etl` binary. The binary
// loads dist/chdb.js at run time, only for `chdb:` targets: bundled in, its `chdb/connection`
// import would make the optional peer `chdb` required for every command.
export default defineConfig([
  libraryBuild({ index: 'src/index.ts', chdb: 'src/chdb.ts', prometheus: 'src/prometheus.ts' }),
  { ...binaryBuild({ cli: 'src/cli.ts' }), external: ['./chdb.js'] },
]);
