import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests, so a test
// never runs against a stale build. The packaging test (scripts/check-packages.mjs)
// checks the built artefacts separately.
const alias = Object.fromEntries(
  ['models', 'etl', 'cdc', 'reports'].flatMap((name) => [
    [
      `@bionicpro/${name}/testing`,
      fileURLToPath(new URL(`./packages/${name}/src/testing.ts`, import.meta.url)),
    ],
    [
      `@bionicpro/${name}/internal`,
      fileURLToPath(new URL(`./packages/${name}/src/internal.ts`, import.meta.url)),
    ],
    [
      `@bionicpro/${name}/kafkajs`,
      fileURLToPath(new URL(`./packages/${name}/src/kafkajs.ts`, import.meta.url)),
    ],
    [
      `@bionicpro/${name}/prometheus`,
      fileURLToPath(new URL(`./packages/${name}/src/prometheus.ts`, import.meta.url)),
    ],
    [
      `@bionicpro/${name}/platformatic`,
      fileURLToPath(new URL(`./packages/${name}/src/platformatic.ts`, import.meta.url)),
    ],
    [`@bionicpro/${name}/redis`, fileURLToPath(new URL(`./packages/${name}/src/redis.ts`, import.meta.url))],
    [`@bionicpro/${name}/chdb`, fileURLToPath(new URL(`./packages/${name}/src/chdb.ts`, import.meta.url))],
    [`@bionicpro/${name}`, fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))],
  ]),
);

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'examples/*/src/**/*.test.ts', 'scripts/**/*.test.mjs'],
          testTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          // Each file gets its own process: chDB allows one data directory per process.
          pool: 'forks',
          fileParallelism: false,
          globalSetup: ['./test/global-setup.ts'],
        },
      },
    ],
  },
});
