/**
 * Decoding and validating a row in one generated function.
 *
 * A change's row is decoded (logical types, see `logical-types.ts`) and the decoded row is then
 * validated by its table's model (`safeParseRow` of `@bionicpro/models`). The two passes each
 * read every column, call a function per column (most of them past what V8 inlines in a wide
 * row) and build an object, and some checks are made twice: a UUID is scanned by the decoder and
 * again by the model. For the common case this module generates one function per table and row
 * shape that decodes the columns as the row decoder does and then applies the model's field
 * rules to the decoded values: the rules of `@bionicpro/models`' fast row parser
 * (`row-parser.ts`), written out inline, with its own exported functions for timestamps, money
 * and ids, and `schema.safeParse` for any field it does not know.
 *
 * Like that parser, the generated function is only trusted to accept. Any row it does not accept
 * (a decode it leaves to the general path, a value a field rule refuses, an unsafe integer)
 * returns undefined before anything is reported, and the record takes the general path:
 * `decodeRow`, then `safeParseRow`, which produce the same rows, and the same errors, as before.
 * Where it accepts, it returns what that path returns; tests check both against it.
 */
import {
  BigId,
  Bool,
  bigIdValue,
  CalendarDate,
  DECIMAL_18_2_MAX_MINOR,
  isCalendarDate,
  isStorableText,
  Money,
  MoneyTotal,
  minorToMoney,
  NUMERIC_10_2_MAX_MINOR,
  RequiredText,
  Text,
  Timestamp,
  tryParseMoneyMinor,
  tryParseTimestampMs,
  Uuid,
} from '@bionicpro/models';
import { isKnownNumberCheck, utcTextMs, uuidText } from '@bionicpro/models/internal';
import { regexes, z } from 'zod';
import {
  generateShapeDecoder,
  isPlainName,
  isInt64Decoder,
  isUuidDecoder,
  isZonedTimestampDecoder,
  type RowDecoder,
  RowShapes,
  rowCode,
  type ShapeDecoder,
} from './logical-types.js';

/** Adds a value to the generated function's scope and returns the name it has there. */
type Bind = (value: unknown) => string;

/** Statements setting the variable `target` from the expression `input`, or returning undefined. */
type FieldCode = (input: string, target: string) => string[];

const UUID_PATTERN = regexes.uuid();

/**
 * zod's UUID rule after the 8-4-4-4-12 hex check: RFC 9562 version 1–8 and variant 10xx, else
 * zod's own pattern (the nil and max UUIDs). As `@bionicpro/models` applies it.
 */
function isStandardUuid(text: string): boolean {
  const version = text.charCodeAt(14);
  const variant = text.charCodeAt(19) | 0x20;
  return (
    (version >= 49 &&
      version <= 56 &&
      (variant === 56 || variant === 57 || variant === 97 || variant === 98)) ||
    UUID_PATTERN.test(text)
  );
}

/** The model's `Uuid` of any value: the lower-cased UUID, or undefined. */
function modelUuid(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = uuidText(value);
  return text !== undefined && isStandardUuid(value) ? text : undefined;
}

/** What the generated code knows of a field's input besides its value. */
interface InputFacts {
  /**
   * The input is null or what the `io.debezium.data.Uuid` decoder returns (lower-case
   * `8-4-4-4-12` hex), so only the version and variant remain to check for the model's `Uuid`.
   */
  readonly uuidText: boolean;
  /** A variable holding `utcTextMs` of the input when it is not undefined (see below). */
  readonly utcMs: string | undefined;
  /**
   * The input is null or what the int64 decoder returns (canonical decimal text within a Java
   * long), so only the sign and zero remain to check for the model's `BigId` (1 … 2^63−1).
   */
  readonly int64Text?: boolean;
}

const NO_FACTS: InputFacts = { uuidText: false, utcMs: undefined };
const INT64_FACTS: InputFacts = { uuidText: false, utcMs: undefined, int64Text: true };

/** The field under nullable, optional and default wrappers. */
function leafOf(schema: z.ZodType): z.ZodType {
  let leaf = schema;
  while (leaf instanceof z.ZodNullable || leaf instanceof z.ZodOptional || leaf instanceof z.ZodDefault) {
    leaf = leaf.unwrap() as z.ZodType;
  }
  return leaf;
}

/** The code of one model field, as `@bionicpro/models` compiles it for its fast row parser. */
function fieldCode(schema: z.ZodType, facts: InputFacts, bind: Bind): FieldCode {
  const reject = (condition: string) => `if (${condition}) return undefined;`;
  if (schema === Timestamp) {
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
  if (schema === Money || schema === MoneyTotal) {
    const parse = bind(tryParseMoneyMinor);
    const format = bind(minorToMoney);
    const max = bind(schema === Money ? NUMERIC_10_2_MAX_MINOR : DECIMAL_18_2_MAX_MINOR);
    return (input, target) => [
      `${target} = ${parse}(${input}, ${max});`,
      reject(`!${target}.ok`),
      `${target} = ${format}(${target}.minor);`,
    ];
  }
  if (schema === BigId) {
    if (facts.int64Text) {
      return (input, target) => [
        reject(`typeof ${input} !== 'string' || ${input}.charCodeAt(0) === 45 || ${input} === '0'`),
        `${target} = ${input};`,
      ];
    }
    const parse = bind(bigIdValue);
    return (input, target) => [`${target} = ${parse}(${input});`, reject(`${target} === undefined`)];
  }
  if (schema === Uuid) {
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
  if (schema === Text || schema === RequiredText) {
    // U+0000 is refused by the model (`invalid_text`); the general path reports it.
    const storable = bind(isStorableText);
    if (schema === Text) {
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
  if (schema === CalendarDate) {
    const check = bind(isCalendarDate);
    return (input, target) => [
      reject(`typeof ${input} !== 'string' || !${check}(${input})`),
      `${target} = ${input};`,
    ];
  }
  if (schema === Bool || schema instanceof z.ZodBoolean) {
    return (input, target) => [reject(`typeof ${input} !== 'boolean'`), `${target} = ${input};`];
  }
  if (schema instanceof z.ZodDefault) {
    const fallback: unknown = schema.def.defaultValue;
    if (fallback !== null && typeof fallback === 'object') return zodField(schema, bind);
    const inner = fieldCode(schema.unwrap() as z.ZodType, facts, bind);
    const value = bind(fallback);
    return (input, target) => [
      `if (${input} === undefined) ${target} = ${value};`,
      'else {',
      ...inner(input, target).map((line) => `  ${line}`),
      '}',
    ];
  }
  if (schema instanceof z.ZodNullable || schema instanceof z.ZodOptional) {
    const inner = fieldCode(schema.unwrap() as z.ZodType, facts, bind);
    const empty = schema instanceof z.ZodNullable ? 'null' : 'undefined';
    return (input, target) => [
      `if (${input} === ${empty}) ${target} = ${empty};`,
      'else {',
      ...inner(input, target).map((line) => `  ${line}`),
      '}',
    ];
  }
  if (schema instanceof z.ZodEnum) {
    const values = bind(new Set<unknown>(schema.options));
    return (input, target) => [reject(`!${values}.has(${input})`), `${target} = ${input};`];
  }
  if (schema instanceof z.ZodNumber && (schema.def.checks ?? []).every(isKnownNumberCheck)) {
    const min = bind(schema.minValue ?? Number.NEGATIVE_INFINITY);
    const max = bind(schema.maxValue ?? Number.POSITIVE_INFINITY);
    const integer = schema.isInt;
    return (input, target) => [
      reject(
        `typeof ${input} !== 'number' || !Number.isFinite(${input})${integer ? ` || !Number.isSafeInteger(${input})` : ''} || ${input} < ${min} || ${input} > ${max}`,
      ),
      `${target} = ${input};`,
    ];
  }
  return zodField(schema, bind);
}

/** A field this module has no rule for: zod parses it. */
function zodField(schema: z.ZodType, bind: Bind): FieldCode {
  const parse = bind(schema);
  return (input, target) => [
    `${target} = ${parse}.safeParse(${input});`,
    `if (!${target}.success) return undefined;`,
    `${target} = ${target}.data;`,
  ];
}

/**
 * Generated decoders of `decoder`'s rows that also validate them against `model`, writing the
 * model's row to `out.row`; undefined when the model is not one `@bionicpro/models` parses
 * field by field (object checks, a catch-all), where the general path always runs.
 *
 * @internal
 */
export function validatedRowShapes(decoder: RowDecoder, model: z.ZodObject): RowShapes | undefined {
  if ((model.def.checks ?? []).length > 0) return undefined;
  const catchall = model.def.catchall as z.ZodType | undefined;
  const strict = catchall instanceof z.ZodNever;
  if (catchall && !strict) return undefined;
  const shape = model.shape as Record<string, z.ZodType>;
  const keys = Object.keys(shape);
  // Model fields named like Object.prototype members read those members when absent from the row.
  if (keys.length === 0 || !keys.every((key) => isPlainName(key) && !(key in Object.prototype))) {
    return undefined;
  }
  return new RowShapes(decoder, (columns, exact) => {
    const code = rowCode(decoder, columns, exact);
    if (code === null) return null;
    // A strict model refuses a row with a column it does not know.
    if (strict && !columns.every((column) => Object.hasOwn(shape, column))) return null;
    const bindings = new Map(code.bindings);
    const bind: Bind = (value) => {
      const name = `b${bindings.size}`;
      bindings.set(name, value);
      return name;
    };
    const body = [...code.prelude];
    const facts = columns.map((column, i): InputFacts => {
      const decoder = code.decoders[i]!;
      const field = Object.hasOwn(shape, column) ? leafOf(shape[column]!) : undefined;
      if (field === Timestamp && isZonedTimestampDecoder(decoder)) {
        // Debezium's form of a timestamp is read once: utcTextMs accepts only text the
        // ZonedTimestamp decoder returns unchanged, and its value is the model's (tryParseTimestampMs).
        const utc = bind(utcTextMs);
        body.push(
          `let t${i};`,
          `const a${i} = typeof v${i} === 'string' && (t${i} = ${utc}(v${i})) !== undefined ? v${i} : ${code.decoded[i]};`,
        );
        return { uuidText: false, utcMs: `t${i}` };
      }
      body.push(`const a${i} = ${code.decoded[i]};`);
      if (isInt64Decoder(decoder)) return INT64_FACTS;
      return isUuidDecoder(decoder) ? { uuidText: true, utcMs: undefined } : NO_FACTS;
    });
    // A rounded integer: the record is parsed again losslessly, by the general path.
    body.push('if (ctx.unsafe) return undefined;');
    const row: string[] = [];
    keys.forEach((key, j) => {
      const i = columns.indexOf(key);
      const input = i < 0 ? 'undefined' : `a${i}`;
      const field = fieldCode(shape[key]!, i < 0 ? NO_FACTS : facts[i]!, bind);
      body.push(`let m${j};`, ...field(input, `m${j}`));
      // The model leaves out an optional field the row does not have.
      if (!(i < 0 && shape[key] instanceof z.ZodOptional)) row.push(`${key}: m${j}`);
    });
    body.push(
      `out.row = { ${row.join(', ')} };`,
      `return { ${columns.map((column, i) => `${column}: a${i}`).join(', ')} };`,
    );
    return generateShapeDecoder(bindings, body) satisfies ShapeDecoder | null;
  });
}
