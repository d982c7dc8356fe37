import { afterEach, describe, expect, it } from 'vitest';
import { BionicProError } from './errors.js';
import {
  type CodeGenerationFallback,
  CodeGenerationError,
  codeGenerationCounts,
  configureCodeGeneration,
  generateFunction,
} from './generated-function.js';

const add = (jitless?: boolean) =>
  generateFunction<(a: number) => number>({
    generated: 'test.add',
    bindings: new Map([['k', 40]]),
    body: ['return function add(a) { return a + k; };'],
    fallback: () => (a) => a + 40 + 0.5,
    ...(jitless === undefined ? {} : { jitless }),
  });

afterEach(() => configureCodeGeneration({ jitless: false, onFallback: null }));

describe('generateFunction', () => {
  it('compiles the body with its bindings in scope, and counts it', () => {
    const before = codeGenerationCounts();
    expect(add()(2)).toBe(42);
    const after = codeGenerationCounts();
    expect(after.generated - before.generated).toBe(1);
    expect(after.fallbacks).toBe(before.fallbacks);
  });

  it('jitless (per call, or process-wide) takes the fallback, counts and reports it without an error', () => {
    const events: CodeGenerationFallback[] = [];
    configureCodeGeneration({ onFallback: (event) => events.push(event) });
    const before = codeGenerationCounts();
    expect(add(true)(2)).toBe(42.5);
    configureCodeGeneration({ jitless: true });
    expect(add()(2)).toBe(42.5);
    // The call's own setting wins over the process-wide one.
    expect(add(false)(2)).toBe(42);
    const after = codeGenerationCounts();
    expect(after.jitless - before.jitless).toBe(2);
    expect(after.fallbacks - before.fallbacks).toBe(2);
    expect(after.generated - before.generated).toBe(1);
    expect(events).toEqual([
      { generated: 'test.add', reason: 'jitless', error: undefined },
      { generated: 'test.add', reason: 'jitless', error: undefined },
    ]);
  });

  it('a body that does not compile takes the fallback and reports a typed error with the cause', () => {
    const events: CodeGenerationFallback[] = [];
    configureCodeGeneration({ onFallback: (event) => events.push(event) });
    const before = codeGenerationCounts();
    const fn = generateFunction<() => string>({
      generated: 'test.broken',
      bindings: new Map(),
      body: ['return function () { return ; ;; }}'],
      fallback: () => () => 'fallback',
    });
    expect(fn()).toBe('fallback');
    expect(codeGenerationCounts().failed - before.failed).toBe(1);
    expect(events).toHaveLength(1);
    const { error } = events[0]!;
    expect(events[0]!.reason).toBe('failed');
    expect(error).toBeInstanceOf(CodeGenerationError);
    expect(error).toBeInstanceOf(BionicProError);
    expect(error!.code).toBe('code_generation_failed');
    expect(error!.generated).toBe('test.broken');
    expect(error!.reason).toBe('failed');
    expect(error!.cause).toBeInstanceOf(SyntaxError);
    expect(error!.message).toMatch(/^test\.broken: the generated source does not compile/);
  });

  it('without a listener, an unexpected fallback emits one process warning per reason', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 3; i++) {
        generateFunction({
          generated: `test.broken${i}`,
          bindings: new Map(),
          body: ['return (;'],
          fallback: () => 0,
        });
      }
      // Turned off on purpose: no warning.
      add(true);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    const ours = warnings.filter((warning) => warning.name === 'BionicProCodeGeneration');
    expect(ours.map((warning) => warning.message)).toEqual([
      expect.stringMatching(/^test\.broken0: the generated source does not compile/),
    ]);
  });

  it('keeps one process-wide state, whichever copy of the module set it', async () => {
    configureCodeGeneration({ jitless: true });
    const state = (globalThis as Record<symbol, { jitless: boolean }>)[
      Symbol.for('@bionicpro/models/code-generation')
    ];
    expect(state?.jitless).toBe(true);
  });
});
