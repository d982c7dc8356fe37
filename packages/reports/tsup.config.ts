import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.js';

export default defineConfig(
  libraryBuild({ index: 'src/index.ts', redis: 'src/redis.ts', prometheus: 'src/prometheus.ts' }),
);
