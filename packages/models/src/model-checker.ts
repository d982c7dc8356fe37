/**
 * The one compiler of a zod model into a checker, used by the row parsers and `validateBatch` of this
 * package and by `@bionicpro/cdc`'s decode-and-validate path.
 *
 * A model compiles once into {@link ModelRule}: per field, a {@link FieldRule} saying which of the
 * package's scalars it is (timestamp, money, id, UUID, text, date, boolean, enum, bounded number)
 * under which wrappers (nullable, optional, default), or "ask zod" for anything else. This module is
 * the one place validation reads zod's definitions (`def.checks`, `def.catchall`, `def.defaultValue` and a
 * number check's `_zod.def`); `model-checker.test.ts` fails when zod changes what they hold, and the
 * peer range of zod is the one that test covers. A rule runs two ways with the same results:
 * {@link fieldChecker} (closures; the path without generated code) and {@link fieldCode}
 * (statements for a generated function).
 *
 * A checker is only ever trusted to ACCEPT: any value it refuses is parsed again by zod itself,
 * which either accepts it (the checker was merely conservative) or produces zod's own issues.
 */
import { z } from 'zod';
import { minorToMoney, tryParseMoneyMinor } from './money.js';
import { bigIdValue, isStorableText } from './scalars.js';
import { scalarRuleOf } from './scalar-rules.js';
import { isCalendarDate, tryParseTimestampMs } from './timestamp.js';
import { isStandardUuid, modelUuid } from './uuid-text.js';

/**
 * What a model's field accepts, as the checkers implement it.
 *
 * @internal
 */
export type FieldRule =
  | { readonly kind: 'timestamp' }
  | { readonly kind: 'money'; readonly maxMinor: bigint }
  | { readonly kind: 'big-id' }
  | { readonly kind: 'uuid' }
  | { readonly kind: 'text'; readonly required: boolean }
  | { readonly kind: 'calendar-date' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'enum'; readonly values: ReadonlySet<unknown> }
  | { readonly kind: 'number'; readonly min: number; readonly max: number; readonly integer: boolean }
  | { readonly kind: 'default'; readonly value: unknown; readonly inner: FieldRule }
  | { readonly kind: 'nullable'; readonly inner: FieldRule }
  | { readonly kind: 'optional'; readonly inner: FieldRule }
  | { readonly kind: 'zod'; readonly schema: z.ZodType };

/**
 * A flat object model, field by field. `strict`: the model refuses keys it does not name.
 *
 * @internal
 */
export interface ModelRule {
  readonly keys: readonly string[];
  readonly fields: readonly FieldRule[];
  readonly strict: boolean;
}

/**
 * The rule of one model field.
 *
 * @internal
 */
export function fieldRuleOf(schema: z.ZodType): FieldRule {
  // The package's scalars (timestamp, money, ids, UUID, text, date) carry their rule (scalar-rules.ts).
  const scalar = scalarRuleOf(schema);
  if (scalar !== undefined) return scalar;
  if (schema instanceof z.ZodBoolean) return { kind: 'boolean' };
  if (schema instanceof z.ZodDefault) {
    const value: unknown = schema.def.defaultValue;
    // An object default is copied per parse by zod: left to zod.
    if (value !== null && typeof value === 'object') return { kind: 'zod', schema };
    return { kind: 'default', value, inner: fieldRuleOf(schema.unwrap() as z.ZodType) };
  }
  if (schema instanceof z.ZodNullable)
    return { kind: 'nullable', inner: fieldRuleOf(schema.unwrap() as z.ZodType) };
  if (schema instanceof z.ZodOptional)
    return { kind: 'optional', inner: fieldRuleOf(schema.unwrap() as z.ZodType) };
  if (schema instanceof z.ZodEnum) return { kind: 'enum', values: new Set<unknown>(schema.options) };
  if (schema instanceof z.ZodNumber && (schema.def.checks ?? []).every(isKnownNumberCheck)) {
    return {
      kind: 'number',
      min: schema.minValue ?? Number.NEGATIVE_INFINITY,
      max: schema.maxValue ?? Number.POSITIVE_INFINITY,
      integer: schema.isInt,
    };
  }
  return { kind: 'zod', schema };
}

/**
 * A zod number check the checkers implement themselves (inclusive bounds, safe-integer and int32
 * formats); any other check leaves the field to zod.
 */
function isKnownNumberCheck(check: unknown): boolean {
  const def = (check as { _zod?: { def?: { check?: string; inclusive?: boolean; format?: string } } })._zod
    ?.def;
  if (!def) return false;
  if (def.check === 'greater_than' || def.check === 'less_than') return def.inclusive === true;
  return def.check === 'number_format' && (def.format === 'safeint' || def.format === 'int32');
}

/**
 * The rule of a model checked field by field; undefined for anything else (not an object, object
 * checks such as a refinement, a catch-all other than `never`), which zod alone checks.
 *
 * @internal
 */
export function modelRuleOf(model: z.ZodType): ModelRule | undefined {
  if (!(model instanceof z.ZodObject)) return undefined;
  if ((model.def.checks ?? []).length > 0) return undefined;
  const catchall = model.def.catchall as z.ZodType | undefined;
  const strict = catchall instanceof z.ZodNever;
  if (catchall && !strict) return undefined;
  const shape = model.shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  return { keys, fields: keys.map((key) => fieldRuleOf(shape[key]!)), strict };
}

/**
 * The field under nullable, optional and default wrappers.
 *
 * @internal
 */
export function leafRule(rule: FieldRule): FieldRule {
  let leaf = rule;
  while (leaf.kind === 'nullable' || leaf.kind === 'optional' || leaf.kind === 'default') leaf = leaf.inner;
  return leaf;
}

/**
 * What a checker returns for a value it does not accept.
 *
 * @internal
 */
export const REFUSED: unique symbol = Symbol('refused');

/**
 * A checker of one field: the parsed value, or {@link REFUSED}.
 *
 * @internal
 */
export type FieldChecker = (value: unknown) => unknown;

/**
 * The checker of a rule as closures (no generated code).
 *
 * @internal
 */
export function fieldChecker(rule: FieldRule): FieldChecker {
  switch (rule.kind) {
    case 'timestamp':
      return (v) => {
        const ms = tryParseTimestampMs(v);
        return ms === undefined ? REFUSED : new Date(ms);
      };
    case 'money': {
      const max = rule.maxMinor;
      return (v) => {
        const result = tryParseMoneyMinor(v, max);
        return result.ok ? minorToMoney(result.minor) : REFUSED;
      };
    }
    case 'big-id':
      return (v) => bigIdValue(v) ?? REFUSED;
    case 'uuid':
      return (v) => modelUuid(v) ?? REFUSED;
    case 'text':
      if (!rule.required) return (v) => (typeof v === 'string' && isStorableText(v) ? v : REFUSED);
      return (v) => {
        if (typeof v !== 'string' || !isStorableText(v)) return REFUSED;
        const trimmed = v.trim();
        return trimmed.length > 0 ? trimmed : REFUSED;
      };
    case 'calendar-date':
      return (v) => (typeof v === 'string' && isCalendarDate(v) ? v : REFUSED);
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : REFUSED);
    case 'enum': {
      const { values } = rule;
      return (v) => (values.has(v) ? v : REFUSED);
    }
    case 'number': {
      const { min, max, integer } = rule;
      return (v) =>
        typeof v === 'number' &&
        Number.isFinite(v) &&
        (!integer || Number.isSafeInteger(v)) &&
        v >= min &&
        v <= max
          ? v
          : REFUSED;
    }
    case 'default': {
      const inner = fieldChecker(rule.inner);
      const fallback = rule.value;
      return (v) => (v === undefined ? fallback : inner(v));
    }
    case 'nullable': {
      const inner = fieldChecker(rule.inner);
      return (v) => (v === null ? null : inner(v));
    }
    case 'optional': {
      const inner = fieldChecker(rule.inner);
      return (v) => (v === undefined ? undefined : inner(v));
    }
    case 'zod': {
      const { schema } = rule;
      return (v) => {
        const result = schema.safeParse(v);
        return result.success ? result.data : REFUSED;
      };
    }
  }
}

/**
 * What the generated code knows of a field's input besides its value (`@bionicpro/cdc`'s decoders
 * settle part of a rule).
 *
 * @internal
 */
export interface InputFacts {
  /**
   * The input is null or lower-case `8-4-4-4-12` hex text (what the `io.debezium.data.Uuid`
   * decoder returns), so only the version and variant remain to check for a `uuid` rule.
   */
  readonly uuidText?: boolean;
  /** A variable holding `utcTextMs` of the input when it is not undefined. */
  readonly utcMs?: string;
  /**
   * The input is null or canonical decimal text within a Java long (what the int64 decoder
   * returns), so only the sign and zero remain to check for a `big-id` rule (1 … 2^63−1).
   */
  readonly int64Text?: boolean;
}

/**
 * Where generated code puts what it refers to, and how it refuses a value.
 *
 * @internal
 */
export interface CodeScope {
  /** Adds a value to the generated function's scope and returns the name it has there. */
  readonly bind: (value: unknown) => string;
  /** The statement that ends the function when a value is refused, e.g. `return undefined;`. */
  readonly refuse: string;
}

/**
 * Statements setting the variable `target` from the expression `input` (evaluated several times:
 * a variable), or running the scope's `refuse` statement.
 *
 * @internal
 */
export type FieldCode = (input: string, target: string) => string[];

const NO_FACTS: InputFacts = {};

/**
 * The statements of a rule for a generated function; same results as {@link fieldChecker}.
 *
 * @internal
 */
export function fieldCode(rule: FieldRule, scope: CodeScope, facts: InputFacts = NO_FACTS): FieldCode {
  const { bind } = scope;
  const reject = (condition: string) => `if (${condition}) ${scope.refuse}`;
  switch (rule.kind) {
    case 'timestamp': {
      const parse = bind(tryParseTimestampMs);
      const known = facts.utcMs;
      return (input, target) => [
        known === undefined
          ? `${target} = ${parse}(${input});`
          : `${target} = ${known} !== undefined ? ${known} : ${parse}(${input});`,
        reject(`${target} === undefined`),
        `${target} = new Date(${target});`,
      ];
    }
    case 'money': {
      const parse = bind(tryParseMoneyMinor);
      const format = bind(minorToMoney);
      const max = bind(rule.maxMinor);
      return (input, target) => [
        `${target} = ${parse}(${input}, ${max});`,
        reject(`!${target}.ok`),
        `${target} = ${format}(${target}.minor);`,
      ];
    }
    case 'big-id': {
      if (facts.int64Text) {
        return (input, target) => [
          reject(`typeof ${input} !== 'string' || ${input}.charCodeAt(0) === 45 || ${input} === '0'`),
          `${target} = ${input};`,
        ];
      }
      const parse = bind(bigIdValue);
      return (input, target) => [`${target} = ${parse}(${input});`, reject(`${target} === undefined`)];
    }
    case 'uuid': {
      if (facts.uuidText) {
        const standard = bind(isStandardUuid);
        return (input, target) => [
          reject(`${input} === null || !${standard}(${input})`),
          `${target} = ${input};`,
        ];
      }
      const parse = bind(modelUuid);
      return (input, target) => [`${target} = ${parse}(${input});`, reject(`${target} === undefined`)];
    }
    case 'text': {
      // U+0000 is refused by the model (`invalid_text`); zod reports it.
      const storable = bind(isStorableText);
      if (!rule.required) {
        return (input, target) => [
          reject(`typeof ${input} !== 'string' || !${storable}(${input})`),
          `${target} = ${input};`,
        ];
      }
      return (input, target) => [
        reject(`typeof ${input} !== 'string' || !${storable}(${input})`),
        `${target} = ${input}.trim();`,
        reject(`${target}.length === 0`),
      ];
    }
    case 'calendar-date': {
      const check = bind(isCalendarDate);
      return (input, target) => [
        reject(`typeof ${input} !== 'string' || !${check}(${input})`),
        `${target} = ${input};`,
      ];
    }
    case 'boolean':
      return (input, target) => [reject(`typeof ${input} !== 'boolean'`), `${target} = ${input};`];
    case 'enum': {
      const values = bind(rule.values);
      return (input, target) => [reject(`!${values}.has(${input})`), `${target} = ${input};`];
    }
    case 'number': {
      const min = bind(rule.min);
      const max = bind(rule.max);
      const { integer } = rule;
      return (input, target) => [
        reject(
          `typeof ${input} !== 'number' || !Number.isFinite(${input})${integer ? ` || !Number.isSafeInteger(${input})` : ''} || ${input} < ${min} || ${input} > ${max}`,
        ),
        `${target} = ${input};`,
      ];
    }
    case 'default': {
      const inner = fieldCode(rule.inner, scope, facts);
      const value = bind(rule.value);
      return wrapped('undefined', value, inner);
    }
    case 'nullable':
      return wrapped('null', 'null', fieldCode(rule.inner, scope, facts));
    case 'optional':
      return wrapped('undefined', 'undefined', fieldCode(rule.inner, scope, facts));
    case 'zod': {
      const schema = bind(rule.schema);
      return (input, target) => [
        `${target} = ${schema}.safeParse(${input});`,
        reject(`!${target}.success`),
        `${target} = ${target}.data;`,
      ];
    }
  }
}

/** `empty` (a literal) stands for `value`; anything else goes through `inner`. */
function wrapped(empty: string, value: string, inner: FieldCode): FieldCode {
  return (input, target) => [
    `if (${input} === ${empty}) ${target} = ${value};`,
    'else {',
    ...inner(input, target).map((line) => `  ${line}`),
    '}',
  ];
}
