/**
 * Decoding and validating a row in one generated function.
 *
 * A change's row is decoded (logical types, see `logical-types.ts`) and the decoded row is then
 * validated by its table's model (`safeParseRow` of `@bionicpro/models`). The two passes each
 * read every column, call a function per column (most of them past what V8 inlines in a wide
 * row) and build an object, and some checks are made twice: a UUID is scanned by the decoder and
 * again by the model. For the common case this module generates one function per table and row
 * shape that decodes the columns as the row decoder does and then applies the model's field
 * rules to the decoded values: the model compiled by `@bionicpro/models`' one model compiler
 * (`modelRuleOf`, `fieldCode` of `@bionicpro/models/internal`, which its row parsers use too),
 * written out inline, and `schema.safeParse` for any field it does not know.
 *
 * Like that parser, the generated function is only trusted to accept. Any row it does not accept
 * (a decode it leaves to the general path, a value a field rule refuses, an unsafe integer)
 * returns undefined before anything is reported, and the record takes the general path:
 * `decodeRow`, then `safeParseRow`, which produce the same rows, and the same errors, as before.
 * Where it accepts, it returns what that path returns; tests check both against it.
 */
import {
  type CodeScope,
  fieldCode,
  type InputFacts,
  leafRule,
  modelRuleOf,
  utcTextMs,
} from '@bionicpro/models/internal';
import type { z } from 'zod';
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

const NO_FACTS: InputFacts = {};
const INT64_FACTS: InputFacts = { int64Text: true };
const UUID_FACTS: InputFacts = { uuidText: true };

/**
 * Generated decoders of `decoder`'s rows that also validate them against `model`, writing the
 * model's row to `out.row`; undefined when the model is not one `@bionicpro/models` parses
 * field by field (object checks, a catch-all), where the general path always runs.
 *
 * @internal
 */
export function validatedRowShapes(decoder: RowDecoder, model: z.ZodObject): RowShapes | undefined {
  const rule = modelRuleOf(model);
  if (rule === undefined) return undefined;
  const { keys, fields, strict } = rule;
  // Model fields named like Object.prototype members read those members when absent from the row.
  if (keys.length === 0 || !keys.every((key) => isPlainName(key) && !(key in Object.prototype))) {
    return undefined;
  }
  const fieldOf = new Map(keys.map((key, j) => [key, fields[j]!]));
  return new RowShapes(decoder, (columns, exact) => {
    const code = rowCode(decoder, columns, exact);
    if (code === null) return null;
    // A strict model refuses a row with a column it does not know.
    if (strict && !columns.every((column) => fieldOf.has(column))) return null;
    const bindings = new Map(code.bindings);
    const scope: CodeScope = {
      bind: (value) => {
        const name = `b${bindings.size}`;
        bindings.set(name, value);
        return name;
      },
      refuse: 'return undefined;',
    };
    const body = [...code.prelude];
    const facts = columns.map((column, i): InputFacts => {
      const decoder = code.decoders[i]!;
      const field = fieldOf.get(column);
      if (field !== undefined && leafRule(field).kind === 'timestamp' && isZonedTimestampDecoder(decoder)) {
        // Debezium's form of a timestamp is read once: utcTextMs accepts only text the
        // ZonedTimestamp decoder returns unchanged, and its value is the model's (tryParseTimestampMs).
        const utc = scope.bind(utcTextMs);
        body.push(
          `let t${i};`,
          `const a${i} = typeof v${i} === 'string' && (t${i} = ${utc}(v${i})) !== undefined ? v${i} : ${code.decoded[i]};`,
        );
        return { utcMs: `t${i}` };
      }
      body.push(`const a${i} = ${code.decoded[i]};`);
      if (isInt64Decoder(decoder)) return INT64_FACTS;
      return isUuidDecoder(decoder) ? UUID_FACTS : NO_FACTS;
    });
    // A rounded integer: the record is parsed again losslessly, by the general path.
    body.push('if (ctx.unsafe) return undefined;');
    const row: string[] = [];
    keys.forEach((key, j) => {
      const i = columns.indexOf(key);
      const input = i < 0 ? 'undefined' : `a${i}`;
      const field = fieldCode(fields[j]!, scope, i < 0 ? NO_FACTS : facts[i]!);
      body.push(`let m${j};`, ...field(input, `m${j}`));
      // The model leaves out an optional field the row does not have.
      if (!(i < 0 && fields[j]!.kind === 'optional')) row.push(`${key}: m${j}`);
    });
    body.push(
      `out.row = { ${row.join(', ')} };`,
      `return { ${columns.map((column, i) => `${column}: a${i}`).join(', ')} };`,
    );
    return generateShapeDecoder(bindings, body) satisfies ShapeDecoder | null;
  });
}
