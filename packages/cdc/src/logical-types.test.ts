import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDecimal, formatScaledDecimal, normaliseDecimalText } from './decode-decimal.js';
import {
  decodeEpochDay,
  decodeEpochTimestamp,
  decodeMicroDuration,
  decodeTimeOfDay,
  decodeZonedTimestamp,
} from './decode-time.js';
import { DecodeError } from './errors.js';
import {
  type ConnectSchema,
  compileRowSchema,
  compileRowType,
  type DecodeContext,
  type DecodedRow,
  decodeRow,
  decodeRowLoop,
  decoderFor,
  type RowDecoder,
  valueTypeOfSchema,
} from './logical-types.js';
import { type UnavailableMatcher, unavailableValueMatcher } from './unavailable-value.js';

/** Independent encoder: Java's BigDecimal.unscaledValue().toByteArray() (minimal two's complement), base64. */
function encodeUnscaled(unscaled: bigint): string {
  let bytes = 1;
  while (unscaled < -(1n << BigInt(8 * bytes - 1)) || unscaled >= 1n << BigInt(8 * bytes - 1)) bytes++;
  const twos = BigInt.asUintN(8 * bytes, unscaled);
  const hex = twos.toString(16).padStart(bytes * 2, '0');
  return Buffer.from(hex, 'hex').toString('base64');
}

const ctx = (): DecodeContext => ({ path: ['after'], unsafe: false });

describe('Decimal decoding', () => {
  it('round-trips any unscaled value and scale against an independent encoder', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }),
        fc.integer({ min: 0, max: 30 }),
        (unscaled, scale) => {
          const text = decodeDecimal(encodeUnscaled(unscaled), scale)!;
          const [int, frac = ''] = text.replace('-', '').split('.');
          expect(frac.length).toBe(scale);
          expect(int!.length === 1 || !int!.startsWith('0')).toBe(true);
          const back = BigInt((text.startsWith('-') ? '-' : '') + int + frac);
          expect(back).toBe(unscaled);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('decodes the documented examples', () => {
    expect(decodeDecimal('BJN8', 2)).toBe('2999.00');
    expect(decodeDecimal('AA==', 2)).toBe('0.00');
    expect(decodeDecimal('/w==', 2)).toBe('-0.01');
    expect(decodeDecimal('Ew==', 0)).toBe('19');
    expect(decodeDecimal('not base64!', 2)).toBeUndefined();
    expect(formatScaledDecimal(12n, -3)).toBe('12000');
  });

  it('decodes VariableScaleDecimal structs and string/double handling modes', () => {
    const variable = decoderFor({ kind: 'variable-decimal' });
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
        fc.integer({ min: 0, max: 20 }),
        (unscaled, scale) => {
          const text = variable({ scale, value: encodeUnscaled(unscaled) }, 'x', ctx()) as string;
          expect(BigInt(text.replace('.', ''))).toBe(unscaled);
        },
      ),
    );
    const textMode = decoderFor({ kind: 'decimal-text' });
    expect(textMode('2999.00', 'amount', ctx())).toBe('2999.00');
    expect(textMode(2999.5, 'amount', ctx())).toBe('2999.5');
    expect(normaliseDecimalText(1e-7)).toBe('0.0000001');
    expect(() => textMode('12,5', 'amount', ctx())).toThrow(DecodeError);
  });
});

describe('temporal decoding', () => {
  const instant = fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2299, 11, 31) });

  it('Timestamp (ms) matches Date.prototype.toISOString', () => {
    fc.assert(
      fc.property(instant, (ms) => {
        expect(decodeEpochTimestamp(ms, 'ms')).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it('MicroTimestamp and NanoTimestamp keep all 6 or 9 fraction digits, before and after 1970', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 999_999 }),
        (ms, micro, nano) => {
          const iso = new Date(ms).toISOString().slice(0, 23);
          expect(decodeEpochTimestamp(BigInt(ms) * 1000n + BigInt(micro), 'us')).toBe(
            `${iso}${String(micro).padStart(3, '0')}Z`,
          );
          // int64 nanoseconds end in April 2262, where PgJDBC's infinity sentinel sits.
          if (ms < 9_223_372_036_825) {
            const ns = BigInt(ms) * 1_000_000n + BigInt(nano);
            expect(decodeEpochTimestamp(ns, 'ns')).toBe(`${iso}${String(nano).padStart(6, '0')}Z`);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('Date (days since epoch) matches the calendar', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2_000_000, max: 2_000_000 }), (days) => {
        const expected = new Date(days * 86_400_000).toISOString();
        const year = Number(expected.slice(0, expected.indexOf('-', 1)));
        if (year >= 0 && year <= 9999) expect(decodeEpochDay(days)).toBe(expected.slice(0, 10));
      }),
      { numRuns: 2000 },
    );
    expect(decodeEpochDay(19737)).toBe('2024-01-15');
    expect(decodeEpochDay(2_147_483_647)).toBe('infinity');
    expect(decodeEpochDay(-2_147_483_648)).toBe('-infinity');
  });

  it('maps infinity sentinels to infinity text', () => {
    expect(decodeEpochTimestamp(9223372036825200000n, 'us')).toBe('infinity');
    expect(decodeEpochTimestamp(-9223372036832400000n, 'us')).toBe('-infinity');
    expect(decodeEpochTimestamp(9223372036854775807n, 'ms')).toBe('infinity');
    expect(decodeZonedTimestamp('infinity')).toBe('infinity');
  });

  it('Time, MicroTime, NanoTime', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_399_999 }), (ms) => {
        expect(decodeTimeOfDay(ms, 'ms')).toBe(new Date(ms).toISOString().slice(11, 23));
        expect(decodeTimeOfDay(ms * 1000 + 7, 'us')).toBe(`${new Date(ms).toISOString().slice(11, 23)}007`);
      }),
    );
    expect(decodeTimeOfDay(86_400_000_000, 'us')).toBe('24:00:00.000000');
    expect(decodeTimeOfDay(45_296_789_000_001n, 'ns')).toBe('12:34:56.789000001');
  });

  it('ZonedTimestamp converts offsets to UTC and keeps the written fraction digits', () => {
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.stringMatching(/^\d{0,9}$/),
        (ms, offsetMinutes, fraction) => {
          const utc = new Date(Math.floor(ms / 1000) * 1000);
          const local = new Date(utc.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const frac = fraction === '' ? '' : `.${fraction}`;
          expect(decodeZonedTimestamp(`${local}${frac}${zone}`)).toBe(
            `${utc.toISOString().slice(0, 19)}${frac}Z`,
          );
        },
      ),
      { numRuns: 1000 },
    );
    expect(decodeZonedTimestamp('2024-01-15T10:00:00.12Z')).toBe('2024-01-15T10:00:00.12Z');
    expect(decodeZonedTimestamp('15/01/2024')).toBeUndefined();
  });

  it('MicroDuration becomes an ISO-8601 duration exact to the microsecond', () => {
    expect(decodeMicroDuration(90_061_000_001)).toBe('P1DT1H1M1.000001S');
    expect(decodeMicroDuration(0)).toBe('PT0S');
    expect(decodeMicroDuration(-3_600_000_000)).toBe('-PT1H');
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (micros) => {
        const m = /^(-?)P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{6}))?S)?)?$/.exec(
          decodeMicroDuration(micros),
        )!;
        const total =
          ((BigInt(m[2] ?? 0) * 86_400n +
            BigInt(m[3] ?? 0) * 3600n +
            BigInt(m[4] ?? 0) * 60n +
            BigInt(m[5] ?? 0)) *
            1_000_000n +
            BigInt(m[6] ?? 0)) *
          (m[1] ? -1n : 1n);
        expect(total).toBe(micros);
      }),
    );
  });
});

describe('schema-driven row decoding', () => {
  const schema = {
    type: 'struct',
    name: 'x.public.t.Value',
    fields: [
      { type: 'string', optional: false, name: 'io.debezium.data.Uuid', field: 'uuid' },
      { type: 'string', optional: true, name: 'io.debezium.data.Json', field: 'doc' },
      {
        type: 'string',
        optional: true,
        name: 'io.debezium.data.Enum',
        parameters: { allowed: 'a,b' },
        field: 'kind',
      },
      { type: 'array', optional: true, items: { type: 'string', optional: true }, field: 'tags' },
      { type: 'array', optional: true, items: { type: 'int32', optional: true }, field: 'codes' },
      { type: 'boolean', optional: false, field: 'flag' },
      { type: 'bytes', optional: true, field: 'blob' },
      {
        type: 'bytes',
        optional: true,
        name: 'org.apache.kafka.connect.data.Decimal',
        parameters: { scale: '2' },
        field: 'price',
      },
      {
        type: 'map',
        optional: true,
        keys: { type: 'string' },
        values: { type: 'string', optional: true },
        field: 'attrs',
      },
      { type: 'double', optional: true, field: 'ratio' },
      { type: 'int32', optional: true, name: 'io.debezium.time.Date', field: 'day' },
      { type: 'int64', optional: true, name: 'io.debezium.time.MicroDuration', field: 'span' },
    ],
  };

  it('decodes UUID, JSON, Enum, arrays, booleans, bytes, maps and NaN', () => {
    const decoder = compileRowSchema(schema, unavailableValueMatcher());
    const { row, unavailable } = decodeRow(
      decoder,
      {
        uuid: '5B3E6A1C-1B2C-4D5E-8F90-123456789ABC',
        doc: '{"a":[1,2],"big":12345678901234567890}',
        kind: 'a',
        tags: ['x', null],
        codes: [1, 2],
        flag: true,
        blob: 'aGVsbG8=',
        price: 'BJN8',
        attrs: { k: 'v' },
        ratio: 'NaN',
        day: 0,
        span: 1_000_000,
      },
      ctx(),
    );
    expect(unavailable).toEqual([]);
    expect(row).toEqual({
      uuid: '5b3e6a1c-1b2c-4d5e-8f90-123456789abc',
      doc: { a: [1, 2], big: 12345678901234567890n },
      kind: 'a',
      tags: ['x', null],
      codes: [1, 2],
      flag: true,
      blob: 'aGVsbG8=',
      price: '2999.00',
      attrs: { k: 'v' },
      ratio: Number.NaN,
      day: '1970-01-01',
      span: 'PT1S',
    });
  });

  it('recognises the TOAST placeholder in every shape and never decodes it', () => {
    const placeholder = '__debezium_unavailable_value';
    const decoder = compileRowSchema(schema, unavailableValueMatcher());
    const { row, unavailable } = decodeRow(
      decoder,
      {
        uuid: '5b3e6a1c-1b2c-4d5e-8f90-123456789abc',
        doc: placeholder,
        tags: [placeholder],
        codes: [...Buffer.from(placeholder)],
        flag: false,
        blob: Buffer.from(placeholder).toString('base64'),
        price: Buffer.from(placeholder).toString('base64'),
        attrs: { [placeholder]: placeholder },
      },
      ctx(),
    );
    expect(unavailable).toEqual(['doc', 'tags', 'codes', 'blob', 'price', 'attrs']);
    expect(Object.keys(row)).toEqual(['uuid', 'flag']);
    expect(unavailableValueMatcher()({ scale: 0, value: Buffer.from(placeholder).toString('base64') })).toBe(
      true,
    );
    expect(unavailableValueMatcher('__gone')('__gone')).toBe(true);
  });

  it('names the column and logical type of a bad value', () => {
    const decoder = compileRowSchema(schema);
    expect(() => decodeRow(decoder, { uuid: 'nope', flag: true }, ctx())).toThrow(
      expect.objectContaining({
        code: 'decode_failed',
        path: ['after', 'uuid'],
        logicalType: 'io.debezium.data.Uuid',
      }),
    );
    expect(() =>
      decodeRow(decoder, { uuid: '5b3e6a1c-1b2c-4d5e-8f90-123456789abc', flag: 'yes' }, ctx()),
    ).toThrow(/after\.flag/);
  });

  it('flags rounded int64 values so the caller re-parses losslessly', () => {
    const c = ctx();
    decoderFor(valueTypeOfSchema({ type: 'int64' }))(2 ** 60, 'id', c);
    expect(c.unsafe).toBe(true);
  });
});

describe('generated row decoders', () => {
  const placeholder = '__debezium_unavailable_value';
  // Every decoder's accepting and failing cases, unsafe integers, and the placeholder's shapes.
  const anyValue = fc.oneof(
    fc.constantFrom<unknown>(
      null,
      undefined,
      0,
      -0,
      1,
      -7,
      1.5,
      2 ** 53,
      2 ** 60,
      -(2 ** 60),
      Number.NaN,
      true,
      false,
      '',
      'x',
      'NaN',
      '-Infinity',
      '5B3E6A1C-1B2C-4D5E-8F90-123456789ABC',
      '5b3e6a1c-1b2c-4d5e-8f90-123456789abc',
      '5b3e6a1c-1b2c-4d5e-8f90-123456789abg',
      '2024-01-15T10:00:00.123456Z',
      '2024-01-15T13:00:00+03:00',
      '2024-01-15',
      '{"a":1}',
      '{',
      'BJN8',
      'aGVsbG8=',
      placeholder,
      Buffer.from(placeholder).toString('base64'),
      [placeholder],
      [...Buffer.from(placeholder)],
      { [placeholder]: placeholder },
      { scale: 2, value: 'BJN8' },
      { k: 'v' },
      ['x', null],
      [1, 2],
      12345678901234567890n,
      19737,
    ),
    fc.string(),
    fc.integer(),
    fc.double(),
  );
  const schema: ConnectSchema = {
    type: 'struct',
    fields: [
      { type: 'int32', field: 'i32' },
      { type: 'int64', field: 'i64' },
      { type: 'double', field: 'f' },
      { type: 'boolean', field: 'b' },
      { type: 'string', field: 's' },
      { type: 'bytes', field: 'raw' },
      { type: 'string', name: 'io.debezium.data.Uuid', field: 'uuid' },
      { type: 'string', name: 'io.debezium.time.ZonedTimestamp', field: 'zoned' },
      { type: 'int64', name: 'io.debezium.time.MicroTimestamp', field: 'micros' },
      { type: 'int32', name: 'io.debezium.time.Date', field: 'day' },
      {
        type: 'bytes',
        name: 'org.apache.kafka.connect.data.Decimal',
        parameters: { scale: '2' },
        field: 'price',
      },
      { type: 'string', name: 'io.debezium.data.Json', field: 'doc' },
      { type: 'array', items: { type: 'string' }, field: 'tags' },
      { type: 'map', keys: { type: 'string' }, values: { type: 'string' }, field: 'attrs' },
    ],
  };
  const columns = (schema.fields ?? []).map((field) => field.field!);
  const customMatcher = Object.assign((value: unknown) => value === 'gone' || value === 7, {
    placeholder: 'gone',
  }) as UnavailableMatcher;
  const schemaless = (matcher?: UnavailableMatcher) => {
    const type = valueTypeOfSchema(schema);
    return compileRowType(type.kind === 'struct' ? type.fields : {}, matcher, true);
  };

  function outcome(decode: (ctx: DecodeContext) => DecodedRow): unknown {
    const c = ctx();
    try {
      const { row, unavailable } = decode(c);
      return { row, keys: Object.keys(row), unavailable, unsafe: c.unsafe };
    } catch (error) {
      const e = error as DecodeError;
      return { error: e.constructor.name, message: e.message, path: e.path, type: e.logicalType };
    }
  }

  // Rows of one shape with random values (the generated decoder's case: `extra` is not in the
  // schema), and rows with columns reordered, missing or unknown (other shapes: the general
  // loop, then a recompile).
  const known = [...columns, 'extra'];
  // Mostly values the column's decoder accepts, so that many rows decode without an error.
  const valid: Record<string, fc.Arbitrary<unknown>> = {
    i32: fc.integer(),
    i64: fc.oneof(
      { weight: 9, arbitrary: fc.integer() },
      fc.constantFrom(2 ** 60, 2 ** 53, 9007199254740993n),
    ),
    f: fc.oneof(fc.double(), fc.constantFrom('NaN', 'Infinity')),
    b: fc.boolean(),
    s: fc.string(),
    raw: fc.base64String(),
    uuid: fc.oneof(
      fc.uuid(),
      fc.uuid().map((u) => u.toUpperCase()),
    ),
    zoned: fc.constantFrom('2024-01-15T10:00:00.123456Z', '2024-01-15T13:00:00+03:00', 'infinity'),
    micros: fc.oneof({ weight: 9, arbitrary: fc.integer() }, fc.constant(2 ** 60)),
    day: fc.integer({ min: -100_000, max: 100_000 }),
    price: fc.constantFrom('BJN8', 'AA==', '/w==', 12.5),
    doc: fc.constantFrom('{"a":1}', '[1,2]', '12345678901234567890'),
    tags: fc.array(fc.oneof(fc.string(), fc.constant(null))),
    attrs: fc.dictionary(fc.string(), fc.string()),
    extra: fc.oneof(anyValue, fc.constantFrom(2 ** 60, -(2 ** 53))),
  };
  const columnValue = (column: string) =>
    fc.oneof({ weight: 19, arbitrary: valid[column]! }, { weight: 1, arbitrary: anyValue });
  const fullRow = fc.record(Object.fromEntries(known.map((c) => [c, columnValue(c)])));
  const rows = fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fullRow },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.shuffledSubarray(known, { minLength: known.length }),
            fc.array(anyValue, { minLength: known.length, maxLength: known.length }),
          )
          .map(([keys, values]) => Object.fromEntries(keys.map((key, i) => [key, values[i]]))),
      },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.constantFrom(...known, '__proto__', 'bad-name'), anyValue),
      },
    ),
    { maxLength: 150 },
  );
  // The first row sets the shape schema-less decoders compile for.
  const batches = fc.tuple(fullRow, rows).map(([first, rest]) => [first, ...rest]);

  it.each<[string, () => RowDecoder]>([
    ['struct schema, default matcher', () => compileRowSchema(schema, unavailableValueMatcher())],
    ['struct schema, custom matcher', () => compileRowSchema(schema, customMatcher)],
    ['struct schema, no matcher', () => compileRowSchema(schema)],
    ['schema-less, default matcher', () => schemaless(unavailableValueMatcher())],
    ['schema-less, custom matcher', () => schemaless(customMatcher)],
    ['schema-less, no matcher', () => schemaless()],
  ])('%s: same rows, unavailable columns, unsafe flags and errors as the general loop', (_name, make) => {
    fc.assert(
      fc.property(batches, (values) => {
        const decoder = make();
        for (const value of values) {
          const fast = outcome((c) => decodeRow(decoder, value, c));
          expect(fast).toEqual(outcome((c) => decodeRowLoop(decoder, value, c)));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('follows schema-less rows to a new shape', () => {
    const decoder = schemaless(unavailableValueMatcher());
    const a = { i32: 1, s: 'x', uuid: '5B3E6A1C-1B2C-4D5E-8F90-123456789ABC' };
    const b = { uuid: '5b3e6a1c-1b2c-4d5e-8f90-123456789abc', s: 'y', extra: 2 ** 60 };
    for (const value of [...Array(100).fill(a), ...Array(200).fill(b), a]) {
      expect(outcome((c) => decodeRow(decoder, value, c))).toEqual(
        outcome((c) => decodeRowLoop(decoder, value, c)),
      );
    }
  });

  it('checks UUIDs exactly as the 8-4-4-4-12 hex pattern, lower-casing them', () => {
    const pattern = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
    const decode = decoderFor({ kind: 'uuid' });
    const unit = fc.constantFrom(...'0123456789abcdefABCDEFgG-é \u0130'.split(''));
    const text = fc.oneof(
      fc.string({ unit, minLength: 30, maxLength: 40 }),
      fc.uuid().map((u) => u.toUpperCase()),
      fc.tuple(fc.uuid(), fc.nat(35), unit).map(([u, at, c]) => `${u.slice(0, at)}${c}${u.slice(at + 1)}`),
    );
    fc.assert(
      fc.property(text, (value) => {
        const expected = pattern.test(value) ? value.toLowerCase() : undefined;
        let actual: unknown;
        try {
          actual = decode(value, 'id', ctx());
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
          actual = undefined;
        }
        expect(actual).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });
});
