/**
 * The one place the `@bionicpro/*` packages compile JavaScript at run time.
 *
 * The hot paths (row parsers, COPY line decoders, TabSeparated encoders, the CDC row decoders) are
 * generated per row shape: one straight-line function per table, which V8 optimises far better than a
 * loop over columns. Where code generation is not wanted or not possible — a runtime started with
 * `--jitless` or `--disallow-code-generation-from-strings`, a Content-Security-Policy without
 * `'unsafe-eval'` — every caller has a fallback that computes the same results without generated
 * code. Falling back is never silent: each one is counted ({@link codeGenerationCounts}) and reported
 * to the listener set with {@link configureCodeGeneration} (without one, an unexpected fallback emits
 * one process warning per reason).
 */
import { BionicProError } from './errors.js';

/**
 * Why a function was not generated: `jitless` (turned off by {@link configureCodeGeneration} or by the
 * caller), `unavailable` (the runtime refuses code generation: an `EvalError`, e.g. under a CSP) or
 * `failed` (the generated source did not compile: a defect of its generator).
 */
export type CodeGenerationFallbackReason = 'jitless' | 'unavailable' | 'failed';

/**
 * A function could not be generated. It is not thrown: it is the `error` of the
 * {@link CodeGenerationFallback} reported to the listener, with the engine's error as `cause`.
 *
 * @example
 * ```ts
 * import { CodeGenerationError, configureCodeGeneration } from '@bionicpro/models';
 * configureCodeGeneration({
 *   onFallback: (event) => {
 *     if (event.error instanceof CodeGenerationError) console.warn(event.error.code, event.error.message);
 *   },
 * });
 * ```
 */
export class CodeGenerationError extends BionicProError {
  readonly code = 'code_generation_failed' as const;
  /** What was being generated, e.g. `models.row-parser`. */
  readonly generated: string;
  /** Why it was not generated. */
  readonly reason: Exclude<CodeGenerationFallbackReason, 'jitless'>;

  constructor(generated: string, reason: Exclude<CodeGenerationFallbackReason, 'jitless'>, cause: unknown) {
    super(
      reason === 'unavailable'
        ? `${generated}: the runtime refuses code generation (${String(cause)}); the slower path that needs none is used`
        : `${generated}: the generated source does not compile (${String(cause)}); the slower path that needs none is used`,
      { cause },
    );
    this.name = 'CodeGenerationError';
    this.generated = generated;
    this.reason = reason;
  }
}

/** One function that was not generated: what, why, and (unless turned off on purpose) the error. */
export interface CodeGenerationFallback {
  /** What was being generated, e.g. `models.row-parser` or `cdc.row-decoder`. */
  readonly generated: string;
  readonly reason: CodeGenerationFallbackReason;
  /** Undefined for `jitless`. */
  readonly error: CodeGenerationError | undefined;
}

/** Settings of {@link configureCodeGeneration}; an absent field keeps its current value. */
export interface CodeGenerationSettings {
  /**
   * Never generate code: every hot path takes its fallback (same results, slower). For runtimes
   * that refuse or gain nothing from generated code (`--jitless`, a CSP without `'unsafe-eval'`).
   * Applies to what is compiled after the call (parsers and decoders are compiled on first use).
   */
  readonly jitless?: boolean;
  /** Called for every fallback; `null` removes the listener. */
  readonly onFallback?: ((event: CodeGenerationFallback) => void) | null;
}

/** How many functions were generated and how many fell back, by reason, since the process started. */
export interface CodeGenerationCounts {
  readonly generated: number;
  /** All fallbacks: `jitless + unavailable + failed`. */
  readonly fallbacks: number;
  readonly jitless: number;
  readonly unavailable: number;
  readonly failed: number;
}

interface CodeGenerationState {
  jitless: boolean;
  onFallback: ((event: CodeGenerationFallback) => void) | null;
  generated: number;
  jitlessFallbacks: number;
  unavailable: number;
  failed: number;
  readonly warned: Set<string>;
}

// The state is process-wide: each entry point of each package is built standalone (no shared
// chunks), so `@bionicpro/models` and `@bionicpro/models/internal`, ESM and CommonJS, hold copies of
// this module; they find the one state under a registered symbol.
const STATE_KEY = Symbol.for('@bionicpro/models/code-generation');
function sharedState(): CodeGenerationState {
  const host = globalThis as { [STATE_KEY]?: CodeGenerationState };
  const existing = host[STATE_KEY];
  if (existing !== undefined) return existing;
  const created: CodeGenerationState = {
    jitless: false,
    onFallback: null,
    generated: 0,
    jitlessFallbacks: 0,
    unavailable: 0,
    failed: 0,
    warned: new Set(),
  };
  host[STATE_KEY] = created;
  return created;
}

const state = sharedState();

/**
 * Turns code generation off or on for the whole process, and sets the listener told of every
 * fallback. Call it at start-up, before the first parser or decoder is compiled.
 *
 * @example
 * ```ts
 * import { configureCodeGeneration } from '@bionicpro/models';
 * // A runtime started with --disallow-code-generation-from-strings: skip the attempt.
 * configureCodeGeneration({ jitless: true, onFallback: (event) => console.debug(event.generated, event.reason) });
 * ```
 */
export function configureCodeGeneration(settings: CodeGenerationSettings): void {
  if (settings.jitless !== undefined) state.jitless = settings.jitless;
  if (settings.onFallback !== undefined) state.onFallback = settings.onFallback;
}

/**
 * Functions generated and fallbacks taken so far in this process (for a metric or a health check).
 *
 * @example
 * ```ts
 * import { codeGenerationCounts } from '@bionicpro/models';
 * const { generated, fallbacks } = codeGenerationCounts();
 * ```
 */
export function codeGenerationCounts(): CodeGenerationCounts {
  return {
    generated: state.generated,
    fallbacks: state.jitlessFallbacks + state.unavailable + state.failed,
    jitless: state.jitlessFallbacks,
    unavailable: state.unavailable,
    failed: state.failed,
  };
}

/**
 * Whether code generation is turned off process-wide (see {@link configureCodeGeneration}).
 *
 * @internal
 */
export function isJitless(): boolean {
  return state.jitless;
}

/**
 * A function to generate: `body` is the body of a factory whose parameters are the names of
 * `bindings` and which returns the generated function; `fallback` builds the function (or the
 * caller's "no generated function" value) when code is not generated.
 *
 * @internal
 */
export interface GeneratedFunctionSpec<T> {
  /** What is generated, as `<package>.<function>`: names the fallback in counts' events and warnings. */
  readonly generated: string;
  readonly bindings: ReadonlyMap<string, unknown>;
  readonly body: readonly string[];
  readonly fallback: () => T;
  /** Overrides the process-wide setting for this function. */
  readonly jitless?: boolean;
}

/**
 * Compiles `spec.body` with `new Function` — the only call of it in the `@bionicpro/*` packages —
 * or, when code generation is off or fails, returns `spec.fallback()` and reports the fallback.
 *
 * @internal
 */
export function generateFunction<T>(spec: GeneratedFunctionSpec<T>): T {
  if (spec.jitless ?? state.jitless) {
    state.jitlessFallbacks++;
    report({ generated: spec.generated, reason: 'jitless', error: undefined });
    return spec.fallback();
  }
  let factory: (...values: unknown[]) => unknown;
  try {
    factory = new Function(...spec.bindings.keys(), spec.body.join('\n')) as typeof factory;
  } catch (cause) {
    const reason = cause instanceof EvalError ? 'unavailable' : 'failed';
    if (reason === 'unavailable') state.unavailable++;
    else state.failed++;
    report({
      generated: spec.generated,
      reason,
      error: new CodeGenerationError(spec.generated, reason, cause),
    });
    return spec.fallback();
  }
  state.generated++;
  return factory(...spec.bindings.values()) as T;
}

function report(event: CodeGenerationFallback): void {
  const listener = state.onFallback;
  if (listener !== null) {
    listener(event);
    return;
  }
  // Turned off on purpose: counted, nothing to warn about.
  if (event.error === undefined || state.warned.has(event.reason)) return;
  state.warned.add(event.reason);
  const host = (globalThis as { process?: { emitWarning?: (message: string, options: object) => void } })
    .process;
  if (typeof host?.emitWarning === 'function') {
    host.emitWarning(event.error.message, { type: 'BionicProCodeGeneration', code: event.error.code });
  } else {
    console.warn(event.error.message);
  }
}
