// The build every published package shares: ESM + CJS + .d.ts for Node >= 22, one file per entry
// (no shared chunks, so each `exports` entry stands alone). No source maps: the output is not minified,
// so a stack trace in dist/ is already readable, while the maps (the TypeScript sources inlined) were
// 61–69 % of each package's unpacked size (docs/performance.md, "Package size").
import type { Options } from 'tsup';

/** A library build of the given entries (name → source file). */
export function libraryBuild(entry: Record<string, string>): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: false,
    clean: true,
    target: 'node22',
    splitting: false,
    treeshake: true,
  };
}

/**
 * A command-line binary: ESM only, with a shebang, no declarations. It runs after the
 * library build of the same package, so it must not clean `dist/`.
 */
export function binaryBuild(entry: Record<string, string>): Options {
  return {
    ...libraryBuild(entry),
    format: ['esm'],
    dts: false,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
  };
}
