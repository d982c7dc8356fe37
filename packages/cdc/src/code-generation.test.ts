import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  type CodeGenerationFallback,
  codeGenerationCounts,
  configureCodeGeneration,
} from '@bionicpro/models';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeAll, parseAll } from '../test/code-generation-cases.js';

afterEach(() => configureCodeGeneration({ jitless: false, onFallback: null }));

describe('decoding without generated code', () => {
  it('jitless: decodes and validates every captured record, and parses rows, as generated code does', () => {
    const generatedEvents = decodeAll();
    const generatedRows = parseAll();
    const fallbacks: CodeGenerationFallback[] = [];
    configureCodeGeneration({ jitless: true, onFallback: (event) => fallbacks.push(event) });
    const before = codeGenerationCounts();
    const events = decodeAll();
    const parsed = parseAll();
    const after = codeGenerationCounts();

    expect(events).toEqual(generatedEvents);
    expect(parsed).toEqual(generatedRows);
    expect(events.some((event) => event.includes('"error":"ChangeValidationError"'))).toBe(true);
    expect(parsed.some((row) => row.includes('telemetry_events: signal_amplitude'))).toBe(true);
    // Nothing was generated; every function that would have been is a counted, reported fallback.
    expect(after.generated).toBe(before.generated);
    expect(after.jitless - before.jitless).toBe(fallbacks.length);
    expect(new Set(fallbacks.map((event) => event.generated))).toEqual(
      new Set(['cdc.row-decoder', 'models.row-parser']),
    );
    expect(fallbacks.every((event) => event.reason === 'jitless' && event.error === undefined)).toBe(true);
  });

  it('a runtime that refuses code generation gets the same events, and the fallback is counted and warned of', () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    // Workspace packages resolve to their sources, as in the tests (not to a build).
    const resolveSources = `data:text/javascript,${encodeURIComponent(`
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(\`
        export async function resolve(specifier, context, next) {
          const m = /^@bionicpro\\\\/(models|cdc)(?:\\\\/(internal|testing))?$/.exec(specifier);
          if (!m) return next(specifier, context);
          return next(new URL('packages/' + m[1] + '/src/' + (m[2] ?? 'index') + '.ts', ${JSON.stringify(`file://${root}`)}).href, context);
        }\`));
    `)}`;
    const script = `
      const { codeGenerationCounts } = await import('@bionicpro/models');
      const test = await import(${JSON.stringify(fileURLToPath(new URL('../test/code-generation-cases.ts', import.meta.url)))});
      process.stdout.write(JSON.stringify({ events: test.decodeAll(), rows: test.parseAll(), counts: codeGenerationCounts(), models: import.meta.resolve('@bionicpro/models') }));
    `;
    const result = spawnSync(
      process.execPath,
      [
        '--disallow-code-generation-from-strings',
        '--import',
        'tsx',
        '--import',
        resolveSources,
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    expect(result.status, result.stderr).toBe(0);
    const output = result.stdout;
    const child = JSON.parse(output) as {
      events: string[];
      rows: string[];
      counts: ReturnType<typeof codeGenerationCounts>;
      models: string;
    };
    expect(child.events).toEqual(decodeAll());
    expect(child.rows).toEqual(parseAll());
    expect(child.models).toMatch(/packages\/models\/src\/index\.ts$/);
    expect(child.events.some((event) => event.includes('"error":"ChangeValidationError"'))).toBe(true);
    expect(child.counts.generated).toBe(0);
    expect(child.counts.unavailable).toBeGreaterThan(0);
    expect(child.counts.fallbacks).toBe(child.counts.unavailable);
    // No listener: one process warning for the reason, not one per function.
    expect(result.stderr.match(/\[code_generation_failed\]/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/the runtime refuses code generation \(EvalError/);
  });
});
