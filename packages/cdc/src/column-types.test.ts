import { describe, expect, it } from 'vitest';
import { parseColumnTypes, valueTypeOfTypeName } from './column-types.js';
import { ColumnTypeError } from './errors.js';

describe('column types for schema-less topics', () => {
  it('maps PostgreSQL types as Debezium sends them by default', () => {
    expect(valueTypeOfTypeName('numeric(10,2)')).toEqual({ kind: 'decimal', scale: 2 });
    expect(valueTypeOfTypeName('NUMERIC')).toEqual({ kind: 'variable-decimal' });
    expect(valueTypeOfTypeName('timestamp(3)')).toEqual({ kind: 'timestamp', unit: 'ms' });
    expect(valueTypeOfTypeName('timestamp(6) without time zone')).toEqual({ kind: 'timestamp', unit: 'us' });
    expect(valueTypeOfTypeName('timestamp with time zone')).toEqual({ kind: 'zoned-timestamp' });
    expect(valueTypeOfTypeName('time(2)')).toEqual({ kind: 'time', unit: 'ms' });
    expect(valueTypeOfTypeName('timetz')).toEqual({ kind: 'zoned-time' });
    expect(valueTypeOfTypeName('bigint')).toEqual({ kind: 'int64' });
    expect(valueTypeOfTypeName('varchar(20)')).toEqual({ kind: 'string' });
    expect(valueTypeOfTypeName('int4[]')).toEqual({ kind: 'array', items: { kind: 'integer' } });
    expect(valueTypeOfTypeName('io.debezium.time.NanoTimestamp')).toEqual({ kind: 'timestamp', unit: 'ns' });
    expect(valueTypeOfTypeName('io.debezium.data.Nope')).toBeUndefined();
    expect(valueTypeOfTypeName('datetime')).toBeUndefined();
  });

  it('takes Connect schemas and value types too, and names the bad entry', () => {
    const columns = parseColumnTypes({
      t: {
        a: { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '3' } },
        b: { kind: 'timestamp', unit: 'us' },
        c: 'jsonb',
      },
    });
    expect(columns['t']).toEqual({
      a: { kind: 'decimal', scale: 3 },
      b: { kind: 'timestamp', unit: 'us' },
      c: { kind: 'json' },
    });
    for (const [input, path] of [
      [{ t: { a: 'datetime' } }, ['t', 'a']],
      [{ t: { a: { kind: 'decimal' } } }, ['t', 'a', 'scale']],
      [{ t: { a: { kind: 'clock' } } }, ['t', 'a', 'kind']],
      [{ t: { a: 'org.apache.kafka.connect.data.Decimal' } }, ['t', 'a']],
      [{ t: { a: 5 } }, ['t', 'a']],
      [{ t: [] }, ['t']],
      [[], []],
    ] as const) {
      expect(() => parseColumnTypes(input), JSON.stringify(input)).toThrow(ColumnTypeError);
      expect(() => parseColumnTypes(input)).toThrow(expect.objectContaining({ path }));
    }
  });

  it('keeps a table or column named __proto__ as data', () => {
    const columns = parseColumnTypes(JSON.parse('{"__proto__":{"__proto__":"uuid"}}'));
    expect(Object.keys(columns)).toEqual(['__proto__']);
    const table = Object.getOwnPropertyDescriptor(columns, '__proto__')?.value as object;
    expect(Object.keys(table)).toEqual(['__proto__']);
  });
});
