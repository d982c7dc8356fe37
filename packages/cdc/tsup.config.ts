import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base.js';

export default defineConfig(
  libraryBuild({
    index: 'src/index.ts',
    kafkajs: 'src/kafkajs.ts',
    platformatic: 'src/platformatic.ts',
    prometheus: 'src/prometheus.ts',
    cli: 'src/cli.ts',
  }),
);
