import { describe, expect, it } from 'vitest';
import { createChangeDecoder, type CdcEvent, type RowChange } from './decode-change.js';
import { ChangeValidationError, DecodeError, EnvelopeError } from './errors.js';
import {
  decodedPaymentRow,
  examples,
  paymentEnvelope,
  paymentKeyWithSchema,
  paymentRow,
} from './fixtures/debezium-examples.js';

const decoder = createChangeDecoder();

function change(event: CdcEvent): RowChange {
  if (event.kind !== 'change') throw new Error(`expected a change, got ${event.kind}`);
  return event;
}

const decodedPayment = decodedPaymentRow;

describe('createChangeDecoder', () => {
  it('decodes a create with schemas: Decimal, MicroTimestamp, ZonedTimestamp, key struct', () => {
    const event = change(decoder.decode({ ...examples.createWithSchema, partition: 0, offset: '17' }));
    expect(event.table).toBe('payments');
    expect(event.op).toBe('c');
    expect(event.key).toEqual({ id: 42 });
    expect(event.after).toEqual(decodedPayment);
    expect(event.before).toBeNull();
    expect(event.unavailable).toEqual([]);
    expect(event.offset).toBe('17');
    expect(event.source?.lsn).toBe('24023928');
    expect(event.source?.txId).toBe('767');
    expect(event.source?.snapshot).toBe('false');
    expect(event.source?.sequence).toEqual(['24023120', '24023928']);
    expect(event.ts_ms).toBe(1705312800200);
    expect(event.ts_us).toBe(1705312800200111);
  });

  it('keeps ts_ns of the envelope and of source exact beyond 2^53', () => {
    const event = change(decoder.decode(examples.createWithSchema));
    expect(event.ts_ns).toBe('1705312800200111222');
    expect(event.source?.ts_ns).toBe('1705312800123456789');
  });

  it('validates the row against the Payment model (money as exact text, timestamps as Date)', () => {
    const event = change(decoder.decode(examples.createWithSchema));
    const row = event.row as Record<string, unknown>;
    expect(row['amount']).toBe('2999.00');
    expect(row['payment_date']).toBeInstanceOf(Date);
    expect((row['payment_date'] as Date).toISOString()).toBe('2024-01-15T10:00:00.123Z');
  });

  it('decodes the schema-less form using the model: base64 money needs the model scale', () => {
    const event = change(decoder.decode(examples.createWithoutSchema));
    expect(event.key).toEqual({ id: 42 });
    expect(event.after).toMatchObject({ amount: '2999.00', created_at: '2024-01-15T10:00:00.123456Z' });
    // Without a schema a bare integer where the model wants an instant is read as µs.
    expect(event.after?.['payment_date']).toBe('2024-01-15T10:00:00.123456Z');
  });

  it('uses caller-supplied column types for schema-less tables the models do not know', () => {
    const custom = createChangeDecoder({ columns: { invoices: { total: { kind: 'decimal', scale: 3 } } } });
    const value = JSON.stringify({
      before: null,
      after: { id: 1, total: 'BJN8' },
      source: { table: 'invoices', lsn: 1 },
      op: 'c',
      ts_ms: 1,
    });
    const event = change(custom.decode({ topic: 'x.public.invoices', key: '{"id":1}', value }));
    expect(event.after).toEqual({ id: 1, total: '299.900' });
    expect(event.row).toEqual({ id: 1, total: '299.900' });
  });

  it('reads an update with the transaction block', () => {
    const event = change(decoder.decode(examples.update));
    expect(event.op).toBe('u');
    expect(event.before?.['status']).toBe('pending');
    expect(event.transaction).toEqual({ id: '767:24024000', total_order: 2, data_collection_order: 1 });
  });

  it('marks an unchanged TOAST column unavailable instead of decoding the placeholder', () => {
    const event = change(decoder.decode(examples.updateWithUnavailableDescription));
    expect(event.unavailable).toEqual(['description']);
    expect(event.after).not.toHaveProperty('description');
    expect(event.row).not.toHaveProperty('description');
    expect(event.row).toMatchObject({ status: 'failed' });
  });

  it('reads a delete: no after, no row, the key from the Kafka key', () => {
    const event = change(decoder.decode(examples.delete));
    expect(event.op).toBe('d');
    expect(event.after).toBeNull();
    expect(event.row).toBeNull();
    expect(event.key).toEqual({ id: 42 });
    expect(event.before?.['id']).toBe(42);
  });

  it('turns a null value into a tombstone with its key', () => {
    const event = decoder.decode({ ...examples.tombstone, partition: 2, offset: '9' });
    expect(event).toEqual({
      kind: 'tombstone',
      topic: 'crm.public.payments',
      partition: 2,
      offset: '9',
      table: 'payments',
      key: { id: 42 },
    });
  });

  it('normalises every source.snapshot value, including the legacy boolean', () => {
    for (const marker of [
      'true',
      'first',
      'first_in_data_collection',
      'last_in_data_collection',
      'last',
      'false',
      'incremental',
    ]) {
      const value = paymentEnvelope({ op: 'r', after: paymentRow, source: { snapshot: marker } });
      expect(
        change(decoder.decode({ topic: 'crm.public.payments', key: null, value })).source?.snapshot,
      ).toBe(marker);
    }
    expect(change(decoder.decode(examples.legacyBooleanSnapshot)).source?.snapshot).toBe('true');
    expect(change(decoder.decode(examples.incrementalSnapshotRead)).source).toMatchObject({
      snapshot: 'incremental',
      lsn: null,
      txId: null,
    });
  });

  it('classifies truncate, logical messages, heartbeats and transaction metadata', () => {
    expect(decoder.decode(examples.truncate)).toMatchObject({ kind: 'truncate', table: 'payments' });
    expect(decoder.decode(examples.logicalMessage)).toMatchObject({
      kind: 'message',
      prefix: 'audit',
      content: 'aGVsbG8=',
    });
    expect(decoder.decode(examples.heartbeat)).toMatchObject({ kind: 'heartbeat', ts_ms: 1705312800999 });
    expect(decoder.decode(examples.transactionBegin)).toMatchObject({
      kind: 'transaction',
      status: 'BEGIN',
      id: '767:24023928',
    });
    expect(decoder.decode(examples.transactionEnd)).toMatchObject({
      kind: 'transaction',
      status: 'END',
      event_count: 2,
      data_collections: [{ data_collection: 'public.payments', event_count: 2 }],
    });
  });

  it('reads the ExtractNewRecordState form: __op, __lsn, __table, string __deleted', () => {
    const update = change(decoder.decode(examples.unwrappedUpdate));
    expect(update).toMatchObject({ op: 'u', table: 'payments', unwrapped: true });
    expect(update.source?.lsn).toBe('24024000');
    expect(update.source?.ts_ms).toBe(1705312800123);
    expect(update.after).toEqual(decodedPayment);
    const deleted = change(decoder.decode(examples.unwrappedDelete));
    expect(deleted.op).toBe('d');
    expect(deleted.after).toBeNull();
    expect(deleted.before?.['id']).toBe(42);
  });

  it('keeps BIGINT ids beyond 2^53 exact', () => {
    const generic = createChangeDecoder();
    const value =
      '{"before":null,"after":{"id":9007199254740993,"n":1},"source":{"table":"big","lsn":5},"op":"c","ts_ms":1}';
    const event = change(generic.decode({ topic: 't.public.big', key: '{"id":9007199254740993}', value }));
    expect(event.after?.['id']).toBe('9007199254740993');
    expect(event.key?.['id']).toBe('9007199254740993');
  });

  it('reads one-integer keys without JSON.parse exactly as JSON, and leaves every other key to it', () => {
    const keyOf = (key: string) =>
      createChangeDecoder().decode({ topic: 'crm.public.payments', key, value: null }) as { key: unknown };
    for (const n of [0, -0, 1, -42, 999_999_999_999_999, -999_999_999_999_999]) {
      expect(keyOf(`{"id":${Object.is(n, -0) ? '-0' : n}}`).key).toEqual({ id: n });
    }
    expect(Object.is((keyOf('{"id":-0}').key as { id: number }).id, -0)).toBe(true);
    // Beyond 2^53 without a schema: exact decimal text.
    expect(keyOf('{"id":12345678901234567890}').key).toEqual({ id: '12345678901234567890' });
    expect(keyOf('{"id":1234567890123456}').key).toEqual({ id: 1234567890123456 });
    expect(keyOf('{"user_id":7}').key).toEqual({ user_id: 7 });
    expect(keyOf('{"id":7,"n":8}').key).toEqual({ id: 7, n: 8 });
    expect(keyOf('{"id": 7}').key).toEqual({ id: 7 });
    expect(keyOf('{"id":1.5}').key).toEqual({ id: 1.5 });
    // The payments model's id is an integer column: its decimal text (as Debezium's docs print keys) is read as one.
    expect(keyOf('{"id":"7"}').key).toEqual({ id: 7 });
    expect(keyOf('{"a-b":7}').key).toEqual({ 'a-b': 7 });
    expect(keyOf('{"id":null}').key).toEqual({ id: null });
    expect(() => keyOf('{"id":07}')).toThrow(EnvelopeError);
    expect(() => keyOf('{"id":}')).toThrow(EnvelopeError);
    expect(() => keyOf('{"id":-}')).toThrow(EnvelopeError);
    expect(() => keyOf('{"id":7')).toThrow(EnvelopeError);
    // One decoder meeting keys of several columns in turn.
    const shared = createChangeDecoder();
    for (const [key, expected] of [
      ['{"id":1}', { id: 1 }],
      ['{"ticket_id":2}', { ticket_id: 2 }],
      ['{"id":3}', { id: 3 }],
      ['{"id":x}', undefined],
      ['{"id":4}', { id: 4 }],
    ] as const) {
      const decode = () => shared.decode({ topic: 'crm.public.payments', key, value: null });
      if (expected === undefined) expect(decode).toThrow(EnvelopeError);
      else expect((decode() as { key: unknown }).key).toEqual(expected);
    }
  });

  it('reads keys that repeat their schema without parsing it again, exactly as parsing it does', () => {
    const schemaOf = (type: string, field = 'id', name?: string) =>
      JSON.stringify({
        type: 'struct',
        fields: [{ type, optional: false, field, ...(name === undefined ? {} : { name }) }],
        optional: false,
        name: 'crm.public.payments.Key',
      });
    const key = (schema: string, payload: string) => `{"schema":${schema},"payload":${payload}}`;
    const int64 = schemaOf('int64');
    const shared = createChangeDecoder();
    for (const [text, expected] of [
      // int64 is exact decimal text, whatever its size (one type per column).
      [key(int64, '{"id":1}'), { id: '1' }],
      [key(int64, '{"id":2}'), { id: '2' }],
      [key(int64, '{"id":-0}'), { id: '0' }],
      [key(int64, '{"id":999999999999999}'), { id: '999999999999999' }],
      [key(int64, '{"id":9223372036854775807}'), { id: '9223372036854775807' }],
      [key(int64, '{"id":12345678901234567890}'), 'error'],
      // Debezium's documentation prints key ids as strings: an int64 field's decimal text is read as the integer.
      [key(int64, '{"id":"7"}'), { id: '7' }],
      [key(int64, '{"id":"07"}'), 'error'],
      [key(int64, '{"id":7,"x":1}'), { id: '7' }],
      [key(int64, '{"id":07}'), 'error'],
      [`${key(int64, '{"id":8}')} `, { id: '8' }],
      [`${key(int64, '{"id":8}')}}`, 'error'],
      [key(int64, '{"id":9} '), { id: '9' }],
      [key(schemaOf('string'), '{"id":"a"}'), { id: 'a' }],
      [key(schemaOf('string'), '{"id":9}'), 'error'],
      [key(schemaOf('int32', 'ticket_id'), '{"ticket_id":10}'), { ticket_id: 10 }],
      [key(schemaOf('int32', 'ticket_id'), '{"ticket_id":11}'), { ticket_id: 11 }],
      [key(int64, '{"id":12}'), { id: '12' }],
      [
        key(schemaOf('int64', 'id', 'io.debezium.time.MicroTimestamp'), '{"id":0}'),
        { id: '1970-01-01T00:00:00.000000Z' },
      ],
      [
        key(schemaOf('int64', 'id', 'io.debezium.time.MicroTimestamp'), '{"id":1}'),
        { id: '1970-01-01T00:00:00.000001Z' },
      ],
    ] as const) {
      const decode = () =>
        shared.decode({ topic: 'crm.public.payments', key: text, value: null }) as { key: unknown };
      if (expected === 'error') expect(decode, text).toThrow();
      else expect(decode().key, text).toEqual(expected);
    }
  });

  it('accepts bytes as well as text', () => {
    const bytes = new TextEncoder().encode(examples.createWithSchema.value);
    const event = change(
      decoder.decode({
        topic: 'crm.public.payments',
        key: new TextEncoder().encode(paymentKeyWithSchema),
        value: bytes,
      }),
    );
    expect(event.after).toEqual(decodedPayment);
  });

  it('rejects a row that breaks its model, naming the field', () => {
    const value = paymentEnvelope({ op: 'c', after: { ...paymentRow, status: 'refunded' } });
    const error = (() => {
      try {
        decoder.decode({ topic: 'crm.public.payments', key: null, value });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ChangeValidationError);
    expect((error as ChangeValidationError).issues[0]?.path).toEqual(['after', 'status']);
    expect((error as ChangeValidationError).table).toBe('payments');
  });

  it('rejects bad decimals and bad envelopes with typed errors and paths', () => {
    const badDecimal = paymentEnvelope({ op: 'c', after: { ...paymentRow, amount: '!!' } });
    expect(() => decoder.decode({ topic: 'crm.public.payments', key: null, value: badDecimal })).toThrow(
      DecodeError,
    );
    try {
      decoder.decode({ topic: 'crm.public.payments', key: null, value: badDecimal });
    } catch (e) {
      expect((e as DecodeError).path).toEqual(['after', 'amount']);
    }
    expect(() => decoder.decode({ topic: 't', key: null, value: '{"op":"x","source":{}}' })).toThrow(
      EnvelopeError,
    );
    expect(() => decoder.decode({ topic: 't', key: null, value: 'not json' })).toThrow(EnvelopeError);
    expect(() =>
      decoder.decode({ topic: 't', key: null, value: '{"op":"c","before":null,"after":null,"source":{}}' }),
    ).toThrow(/needs an after row/);
    expect(() =>
      decoder.decode({
        topic: 't',
        key: null,
        value: '{"op":"r","after":{"id":1},"source":{"snapshot":"maybe"}}',
      }),
    ).toThrow(/source\.snapshot/);
  });
});
