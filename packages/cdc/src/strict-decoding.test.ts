/**
 * Nothing silent: every input the decoder meets ends as a change that is exactly right, a counted
 * control event, or a typed error naming the field (a dead letter in the pipeline). Each block
 * below is a case where a message used to be read wrong without any error.
 */
import { describe, expect, it } from 'vitest';
import { type ClickHouseLike, createClickHouseSink } from './index.js';
import { type CdcEvent, createChangeDecoder, type RowChange } from './decode-change.js';
import { classifyEnvelope } from './envelope.js';
import { ChangeValidationError, DecodeError, EnvelopeError } from './errors.js';
import { paymentEnvelope, paymentKeyWithSchema, paymentRow } from './fixtures/debezium-examples.js';

function change(event: CdcEvent): RowChange {
  if (event.kind !== 'change') throw new Error(`expected a change, got ${event.kind}`);
  return event;
}

const source = {
  connector: 'postgresql',
  db: 'crm_db',
  schema: 'public',
  table: 'widgets',
  lsn: 33,
  txId: 5,
};
const row = { id: 1, name: 'a' };

describe('strict envelope classification', () => {
  const decoder = createChangeDecoder();
  const decode = (value: unknown, key: string | null = '{"id":1}') =>
    decoder.decode({ topic: 'crm.public.widgets', key, value: JSON.stringify(value) });

  it('reads {"payload": envelope} without a schema as the wrapped form, not as a row of columns payload', () => {
    const event = change(decode({ payload: { before: null, after: row, source, op: 'c', ts_ms: 1 } }));
    expect(event.op).toBe('c');
    expect(event.after).toEqual(row);
    expect(event.unwrapped).toBe(false);
    expect(event.source?.lsn).toBe('33');
  });

  it('reads {"schema": {}, "payload": envelope} as the wrapped form without a usable schema', () => {
    const event = change(decode({ schema: {}, payload: { before: row, after: null, source, op: 'd' } }));
    expect(event.op).toBe('d');
    expect(event.before).toEqual(row);
    expect(Object.keys(event.before ?? {})).not.toContain('payload');
  });

  it('refuses an envelope whose op is missing, null or unknown, naming op', () => {
    for (const op of [undefined, null, 'x', 5]) {
      const value = { before: null, after: row, source, ...(op === undefined ? {} : { op }) };
      expect(() => decode(value), String(op)).toThrow(EnvelopeError);
      try {
        decode(value);
      } catch (error) {
        expect((error as EnvelopeError).path).toEqual(['op']);
        expect((error as EnvelopeError).message).toMatch(
          op === undefined ? /op is missing/ : op === null ? /op is null/ : /unknown op/,
        );
      }
    }
    // The same inside the wrapper, with the path under payload.
    expect(() => decode({ schema: null, payload: { after: row, source } })).toThrow(
      expect.objectContaining({ path: ['payload', 'op'] }),
    );
  });

  it('never takes an object without op or ExtractNewRecordState fields for a row', () => {
    expect(() => decode({ id: 1, name: 'a' })).toThrow(expect.objectContaining({ code: 'invalid_envelope' }));
    expect(() => decode({ source, ts_ms: 1 })).toThrow(EnvelopeError);
    expect(() => decode({ payload: 5, extra: 1 })).toThrow(EnvelopeError);
  });

  it('reads a row without __ fields when the caller declares the topic unwrapped', () => {
    for (const unwrapped of [true, (topic: string) => topic === 'crm.public.widgets'] as const) {
      const declared = createChangeDecoder({ unwrapped });
      const event = change(
        declared.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value: JSON.stringify(row) }),
      );
      expect(event.unwrapped).toBe(true);
      expect(event.op).toBe('u');
      expect(event.after).toEqual(row);
    }
    const onlyOthers = createChangeDecoder({ unwrapped: (topic) => topic === 'other' });
    expect(() =>
      onlyOthers.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value: JSON.stringify(row) }),
    ).toThrow(EnvelopeError);
  });

  it('refuses a record that carries both an envelope and ExtractNewRecordState fields', () => {
    expect(() => decode({ before: null, after: row, source, op: 'c', __deleted: 'false' })).toThrow(
      /declare the topic unwrapped/,
    );
  });

  it('refuses a delete with neither a key nor a before row', () => {
    expect(() => decode({ before: null, after: null, source, op: 'd' }, null)).toThrow(
      expect.objectContaining({ code: 'invalid_envelope', path: ['before'] }),
    );
    expect(() => decode({ id: 1, __deleted: 'true', __lsn: 5 }, null)).not.toThrow();
    expect(() => decode({ __deleted: 'true', __lsn: 5 }, null)).toThrow(EnvelopeError);
    // With a key the delete names its row.
    expect(change(decode({ before: null, after: null, source, op: 'd' })).key).toEqual({ id: 1 });
  });

  it('reads numbers quoted as strings in source and transaction exactly, as Debezium documents them', () => {
    const event = change(
      decode({
        before: null,
        after: row,
        source: { ...source, ts_ms: '1580390884335', lsn: '24023928', txId: '767' },
        transaction: { id: '571:53195832', total_order: '1', data_collection_order: '1' },
        op: 'c',
        ts_ms: '1580390884340',
      }),
    );
    expect(event.source?.ts_ms).toBe(1580390884335);
    expect(event.source?.lsn).toBe('24023928');
    expect(event.transaction).toEqual({ id: '571:53195832', total_order: 1, data_collection_order: 1 });
    expect(event.ts_ms).toBe(1580390884340);
    const begin = classifyEnvelope({
      status: 'BEGIN',
      id: '571:53195829',
      event_count: null,
      ts_ms: '1580390884335',
    });
    expect(begin).toMatchObject({ form: 'transaction', ts_ms: 1580390884335 });
    // Anything else still names the field.
    expect(() => decode({ before: null, after: row, source: { ...source, ts_ms: '15.5' }, op: 'c' })).toThrow(
      expect.objectContaining({ path: ['source', 'ts_ms'] }),
    );
  });
});

describe('keys in every form Debezium documents', () => {
  const decoder = createChangeDecoder();
  const value = JSON.stringify({
    before: null,
    after: { id: 1, first_name: 'Anne' },
    source: { ...source, table: 'customers' },
    op: 'c',
  });
  const decodeKey = (key: string) =>
    change(decoder.decode({ topic: 'dbserver1.inventory.customers', key, value })).key;

  it('reads the documented key schema (fields with name/index/schema, upper-case types) and its id as a string', () => {
    // As printed in Debezium's PostgreSQL connector documentation.
    const documented = {
      schema: {
        type: 'struct',
        name: 'PostgreSQL_server.public.customers.Key',
        optional: false,
        fields: [{ name: 'id', index: '0', schema: { type: 'INT32', optional: 'false' } }],
      },
      payload: { id: '1' },
    };
    expect(decodeKey(JSON.stringify(documented))).toEqual({ id: 1 });
    expect(decodeKey(JSON.stringify({ ...documented, payload: { id: 1 } }))).toEqual({ id: 1 });
  });

  it('reads the JSON converter key schema with the id as a number or as a string, and without a schema', () => {
    const schema = {
      type: 'struct',
      fields: [{ type: 'int32', optional: false, field: 'id' }],
      optional: false,
      name: 'dbserver1.inventory.customers.Key',
    };
    expect(decodeKey(JSON.stringify({ schema, payload: { id: 1001 } }))).toEqual({ id: 1001 });
    expect(decodeKey(JSON.stringify({ schema, payload: { id: '1001' } }))).toEqual({ id: 1001 });
    expect(decodeKey('{"id":1001}')).toEqual({ id: 1001 });
  });

  it('names a key value that is not an integer of its schema', () => {
    const schema = { type: 'struct', fields: [{ name: 'id', index: '0', schema: { type: 'INT32' } }] };
    expect(() => decodeKey(JSON.stringify({ schema, payload: { id: 'one' } }))).toThrow(
      expect.objectContaining({ code: 'decode_failed', path: ['key', 'id'] }),
    );
  });
});

describe('logical types are checked, never passed through', () => {
  const decoder = createChangeDecoder();
  const withSchema = (field: Record<string, unknown>, value: unknown) =>
    JSON.stringify({
      schema: {
        type: 'struct',
        fields: [
          {
            type: 'struct',
            field: 'before',
            optional: true,
            fields: [
              { type: 'int32', field: 'id' },
              { ...field, field: 'v' },
            ],
          },
          {
            type: 'struct',
            field: 'after',
            optional: true,
            fields: [
              { type: 'int32', field: 'id' },
              { ...field, field: 'v' },
            ],
          },
        ],
      },
      payload: { before: null, after: { id: 1, v: value }, source, op: 'c' },
    });
  const decodeV = (field: Record<string, unknown>, value: unknown) =>
    change(decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value: withSchema(field, value) }))
      .after?.['v'];
  const zonedTime = { type: 'string', name: 'io.debezium.time.ZonedTime' };
  const bytes = { type: 'bytes' };

  const refused: [string, Record<string, unknown>, unknown][] = [
    ['ZonedTime without seconds and offset', zonedTime, '23:02'],
    ['ZonedTime at 25 h', zonedTime, '25:00:00Z'],
    ['bytes that are not base64', bytes, 'asdf$$$'],
    ['bytes with a bad length', bytes, 'abcde'],
    ['Date text of no day', { type: 'int32', name: 'io.debezium.time.Date' }, '2024-02-30'],
    ['Time text of no time', { type: 'int32', name: 'io.debezium.time.Time' }, '12:61:00'],
    ['MicroTime beyond a day', { type: 'int64', name: 'io.debezium.time.MicroTime' }, 86_400_000_001],
    ['negative Time', { type: 'int32', name: 'io.debezium.time.Time' }, -1],
    [
      'ZonedTimestamp in month 13',
      { type: 'string', name: 'io.debezium.time.ZonedTimestamp' },
      '2024-13-01T00:00:00Z',
    ],
    [
      'ZonedTimestamp on Feb 30',
      { type: 'string', name: 'io.debezium.time.ZonedTimestamp' },
      '2024-02-30T10:00:00+01:00',
    ],
    [
      'ZonedTimestamp at 24:30',
      { type: 'string', name: 'io.debezium.time.ZonedTimestamp' },
      '2024-01-01T24:30:00Z',
    ],
    [
      'Timestamp text of no instant',
      { type: 'int64', name: 'io.debezium.time.Timestamp' },
      '2024-04-31T00:00:00Z',
    ],
    [
      'Enum outside allowed',
      { type: 'string', name: 'io.debezium.data.Enum', parameters: { allowed: 'a,b' } },
      'c',
    ],
    ['Uuid', { type: 'string', name: 'io.debezium.data.Uuid' }, 'not-a-uuid'],
    ['Json', { type: 'string', name: 'io.debezium.data.Json' }, '{"a":'],
    [
      'Decimal',
      { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } },
      '$$',
    ],
  ];
  for (const [name, field, value] of refused) {
    it(`refuses ${name} with a DecodeError naming the column`, () => {
      expect(() => decodeV(field, value)).toThrow(DecodeError);
      expect(() => decodeV(field, value)).toThrow(expect.objectContaining({ path: ['after', 'v'] }));
    });
  }

  it('accepts the valid forms', () => {
    expect(decodeV(zonedTime, '23:02:00Z')).toBe('23:02:00Z');
    expect(decodeV(zonedTime, '07:30:00.123456+02:00')).toBe('07:30:00.123456+02:00');
    expect(decodeV(bytes, 'AAEC')).toBe('AAEC');
    expect(decodeV(bytes, 'AQ==')).toBe('AQ==');
    expect(decodeV({ type: 'int64', name: 'io.debezium.time.MicroTime' }, 86_400_000_000)).toBe(
      '24:00:00.000000',
    );
    expect(
      decodeV({ type: 'string', name: 'io.debezium.time.ZonedTimestamp' }, '2024-02-29T23:30:00-01:00'),
    ).toBe('2024-03-01T00:30:00Z');
    expect(
      decodeV({ type: 'string', name: 'io.debezium.data.Enum', parameters: { allowed: 'a,b' } }, 'b'),
    ).toBe('b');
  });

  it('refuses a malformed schema with an EnvelopeError, not a TypeError', () => {
    const bad = (schema: unknown) =>
      JSON.stringify({ schema, payload: { before: null, after: { id: 1 }, source, op: 'c' } });
    for (const schema of [
      { type: 'struct', fields: [{ type: 'struct', field: 'after', fields: 'id' }] },
      { type: 'struct', fields: [{ type: 'struct', field: 'after', fields: [null] }] },
      { type: 'struct', fields: [{ type: 'struct', field: 'after', fields: [{ field: 'id', type: 5 }] }] },
      { type: 'struct', fields: [{ type: 'string', field: 'after' }] },
      {
        type: 'struct',
        fields: [
          {
            type: 'struct',
            field: 'after',
            fields: [
              {
                type: 'bytes',
                name: 'org.apache.kafka.connect.data.Decimal',
                parameters: { scale: 'x' },
                field: 'id',
              },
            ],
          },
        ],
      },
      { type: 'struct', fields: 7 },
    ]) {
      expect(() =>
        decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value: bad(schema) }),
      ).toThrow(EnvelopeError);
    }
  });
});

describe('column names are data', () => {
  const hostile = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

  function expectColumns(decoded: Record<string, unknown> | null, values: Record<string, unknown>): void {
    expect(decoded).not.toBeNull();
    for (const [column, value] of Object.entries(values)) {
      expect(Object.hasOwn(decoded!, column), column).toBe(true);
      expect(decoded![column], column).toEqual(value);
    }
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  }

  const rowText = `{"id":1,"__proto__":{"polluted":true},"constructor":"c","toString":"t","hasOwnProperty":5}`;
  // An object literal with "__proto__": sets the prototype; JSON.parse makes it a column, as in the messages.
  const expectedRow = JSON.parse(
    '{"id":1,"__proto__":{"polluted":true},"constructor":"c","toString":"t","hasOwnProperty":5}',
  ) as Record<string, unknown>;

  it('keeps __proto__, constructor, ... as columns without schemas', () => {
    const decoder = createChangeDecoder();
    const value = `{"before":null,"after":${rowText},"source":{"table":"widgets","lsn":9},"op":"c"}`;
    const event = change(decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value }));
    expectColumns(event.after, expectedRow);
    expectColumns(event.row, expectedRow);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('keeps them with a schema, in before and after, and in the unwrapped form', () => {
    const decoder = createChangeDecoder();
    const fields = [
      { type: 'int32', field: 'id' },
      { type: 'map', keys: { type: 'string' }, values: { type: 'boolean' }, field: '__proto__' },
      ...hostile
        .slice(1)
        .map((name) => ({ type: name === 'hasOwnProperty' ? 'int32' : 'string', field: name })),
    ];
    const schema = {
      type: 'struct',
      fields: [
        { type: 'struct', field: 'before', fields },
        { type: 'struct', field: 'after', fields },
      ],
    };
    const value = `{"schema":${JSON.stringify(schema)},"payload":{"before":${rowText},"after":${rowText},"source":{"table":"widgets","lsn":9},"op":"u"}}`;
    const event = change(decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value }));
    expectColumns(event.after, expectedRow);
    expectColumns(event.before, expectedRow);
    const unwrapped = change(
      decoder.decode({
        topic: 'crm.public.widgets',
        key: '{"id":1}',
        value: `{"id":1,"__proto__":5,"constructor":"c","__op":"c","__lsn":10}`,
      }),
    );
    expectColumns(unwrapped.after, JSON.parse('{"id":1,"__proto__":5,"constructor":"c"}'));
  });

  it('reaches the sink insert with those columns, and a missing constructor column stays missing', async () => {
    const inserted: unknown[] = [];
    const client: ClickHouseLike = {
      insert: async (params) => {
        inserted.push(...params.values);
      },
      query: async () => ({ json: async () => [] }),
      command: async () => undefined,
    };
    const decoder = createChangeDecoder();
    const value = `{"before":null,"after":${rowText},"source":{"table":"widgets","lsn":9},"op":"c"}`;
    const event = change(decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value }));
    const free = createClickHouseSink({
      client,
      targets: [
        { source: 'widgets', table: 'widgets', key: ['id'], keyTypes: ['Int32'], columns: undefined },
      ],
    });
    await free.write([event]);
    const object = inserted[0] as Record<string, unknown>;
    expect(Object.hasOwn(object, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toBe('{"polluted":true}');
    expect(object['constructor']).toBe('c');
    inserted.length = 0;
    const typed = createClickHouseSink({
      client,
      targets: [
        {
          source: 'widgets',
          table: 'widgets',
          key: ['id'],
          keyTypes: ['Int32'],
          columns: ['id', 'constructor', 'toString', 'valueOf'],
          columnTypes: ['Int32', 'String', 'String', 'String'],
        },
      ],
    });
    await typed.write([event]);
    // [_version, _is_deleted, id, constructor, toString, valueOf]: valueOf is absent from the row.
    expect((inserted[0] as unknown[]).slice(2)).toEqual([1, 'c', 't', null]);
  });
});

describe('64-bit integers are exact decimal text', () => {
  const decoder = createChangeDecoder();
  const big = '9007199254740993'; // 2^53 + 1: JSON.parse reads it as ...992

  it('keeps source.lsn, txId and ts_ns beyond 2^53 exact, even when no column needed the lossless parse', () => {
    const value = `{"before":null,"after":{"id":1,"name":"a"},"source":{"table":"widgets","lsn":${big},"txId":${big},"ts_ns":9007199254740995123},"op":"c","ts_ns":9007199254740997123}`;
    const event = change(decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value }));
    expect(event.source?.lsn).toBe(big);
    expect(event.source?.txId).toBe(big);
    expect(event.source?.ts_ns).toBe('9007199254740995123');
    expect(event.ts_ns).toBe('9007199254740997123');
    // Quoted, as Debezium's documentation prints them.
    const quoted = value.replace(`"lsn":${big}`, `"lsn":"${big}"`);
    expect(
      change(decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value: quoted })).source?.lsn,
    ).toBe(big);
    // The unwrapped form's __lsn too.
    const flat = change(
      decoder.decode({
        topic: 'crm.public.widgets',
        key: '{"id":1}',
        value: `{"id":1,"__op":"u","__lsn":${big}}`,
      }),
    );
    expect(flat.source?.lsn).toBe(big);
  });

  it('refuses an lsn beyond a Java long or not an integer, naming it', () => {
    for (const lsn of ['9223372036854775808', '1.5', '"x"', '"01"']) {
      const value = `{"before":null,"after":{"id":1},"source":{"table":"widgets","lsn":${lsn}},"op":"c"}`;
      expect(() => decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value }), lsn).toThrow(
        expect.objectContaining({ code: 'invalid_envelope', path: ['source', 'lsn'] }),
      );
    }
  });

  it('keeps a bigint id above 2^53 exact in key, after and the model row (not dead-lettered)', () => {
    const value = JSON.stringify({
      before: null,
      after: {
        id: '@ID@',
        event_uuid: '0b4f6a52-1c8e-4a0e-9c1a-7d7c2e1f3a10',
        user_id: 7,
        prosthetic_id: 3,
        prosthesis_type: 'arm',
        muscle_group: 'biceps',
        signal_frequency: 50,
        signal_duration: 120,
        signal_amplitude: 0.5,
        event_timestamp: '2024-01-15T10:00:00.123456Z',
        saved_ts: '2024-01-15T10:00:01.000000Z',
      },
      source: { table: 'telemetry_events', lsn: 77 },
      op: 'c',
    }).replace('"@ID@"', big);
    const event = change(
      decoder.decode({ topic: 'telemetry.public.telemetry_events', key: `{"id":${big}}`, value }),
    );
    expect(event.key).toEqual({ id: big });
    expect(event.after?.['id']).toBe(big);
    expect((event.row as { id: unknown }).id).toBe(big);
  });

  it('orders versions of one key by the exact LSN in the sink (2^53 + 1 after 2^53)', async () => {
    const inserted: unknown[][] = [];
    const client: ClickHouseLike = {
      insert: async (params) => {
        inserted.push(...(params.values as unknown[][]));
      },
      query: async () => ({ json: async () => [] }),
      command: async () => undefined,
    };
    const sink = createClickHouseSink({
      client,
      targets: [
        {
          source: 'widgets',
          table: 'widgets',
          key: ['id'],
          keyTypes: ['Int32'],
          columns: ['id', 'name'],
          columnTypes: ['Int32', 'String'],
        },
      ],
    });
    const update = (lsn: string, name: string) =>
      change(
        decoder.decode({
          topic: 'crm.public.widgets',
          key: '{"id":1}',
          value: `{"before":null,"after":{"id":1,"name":"${name}"},"source":{"table":"widgets","lsn":${lsn}},"op":"u"}`,
        }),
      );
    // The newer change first: with LSNs rounded through Number both would be 2^53.
    await sink.write([update(big, 'newer'), update('9007199254740992', 'older')]);
    expect(inserted).toHaveLength(1);
    expect(inserted[0]!.slice(2)).toEqual([1, 'newer']);
    expect(inserted[0]![0]).toBe((2n ** 63n + 9007199254740993n).toString());
  });
});

describe('instants outside what ClickHouse stores are refused, never shifted or passed through', () => {
  const decoder = createChangeDecoder();
  const payment = (after: Record<string, unknown>) =>
    decoder.decode({
      topic: 'crm.public.payments',
      key: paymentKeyWithSchema,
      value: paymentEnvelope({ op: 'c', after }),
    });
  // µs since the epoch of a UTC date (Date.UTC with the year set exactly, no 19xx shift).
  const micros = (year: number, month = 1, day = 1) => {
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    return date.getTime() * 1000;
  };

  it('dead-letters a model timestamp of year 0026 naming the field, instead of storing 1926', () => {
    for (const [field, value] of [
      ['created_at', '0026-11-20T08:00:00Z'],
      ['created_at', '0099-01-01T00:00:00Z'],
      ['payment_date', micros(26, 11, 20)],
      ['payment_date', micros(1, 1, 1)],
    ] as const) {
      expect(() => payment({ ...paymentRow, [field]: value }), String(value)).toThrow(ChangeValidationError);
      try {
        payment({ ...paymentRow, [field]: value });
      } catch (error) {
        expect((error as ChangeValidationError).issues.map((issue) => issue.path)).toContainEqual([
          'after',
          field,
        ]);
      }
    }
  });

  it('dead-letters a model timestamp beyond 2299 (DateTime64(3)) and keeps 1900 and 2299', () => {
    expect(() => payment({ ...paymentRow, created_at: '2300-01-01T00:00:00Z' })).toThrow(
      ChangeValidationError,
    );
    expect(() => payment({ ...paymentRow, payment_date: micros(1899, 12, 31) })).toThrow(
      ChangeValidationError,
    );
    const low = change(payment({ ...paymentRow, created_at: '1900-01-01T00:00:00Z' }));
    expect((low.row as { created_at: Date }).created_at.toISOString()).toBe('1900-01-01T00:00:00.000Z');
    const high = change(payment({ ...paymentRow, created_at: '2299-12-31T23:59:59.999Z' }));
    expect((high.row as { created_at: Date }).created_at.toISOString()).toBe('2299-12-31T23:59:59.999Z');
  });

  it('refuses years beyond 9999 or before 0001 in any Debezium time value with a DecodeError naming the column', () => {
    const typed = (field: Record<string, unknown>, v: unknown) =>
      JSON.stringify({
        schema: {
          type: 'struct',
          fields: [
            {
              type: 'struct',
              field: 'after',
              fields: [
                { type: 'int32', field: 'id' },
                { ...field, field: 'v' },
              ],
            },
          ],
        },
        payload: { before: null, after: { id: 1, v }, source, op: 'c' },
      });
    const decode = (field: Record<string, unknown>, v: unknown) =>
      change(decoder.decode({ topic: 'crm.public.widgets', key: '{"id":1}', value: typed(field, v) }))
        .after?.['v'];
    const zoned = { type: 'string', name: 'io.debezium.time.ZonedTimestamp' };
    const microTs = { type: 'int64', name: 'io.debezium.time.MicroTimestamp' };
    const date = { type: 'int32', name: 'io.debezium.time.Date' };
    for (const [field, v] of [
      [zoned, '+10000-01-01T00:00:00Z'],
      [zoned, '-000001-01-01T00:00:00Z'],
      [zoned, '0000-12-31T23:00:00Z'],
      [zoned, '0001-01-01T00:30:00+01:00'],
      [microTs, 253402300800000000], // 10000-01-01
      [microTs, -62135596801000000], // a second before 0001-01-01
      [date, 2932897], // 10000-01-01
      [date, -719163], // 0000-12-31
    ] as const) {
      expect(() => decode(field, v), String(v)).toThrow(DecodeError);
      expect(() => decode(field, v)).toThrow(expect.objectContaining({ path: ['after', 'v'] }));
    }
    // The edges of the range, and PostgreSQL's infinity, are values.
    expect(decode(zoned, '0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00Z');
    expect(decode(zoned, '9999-12-31T23:59:59.999999Z')).toBe('9999-12-31T23:59:59.999999Z');
    expect(decode(microTs, 9223372036825200000)).toBe('infinity');
    expect(decode(date, 2147483647)).toBe('infinity');
  });
});
