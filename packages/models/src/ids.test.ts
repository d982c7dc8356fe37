import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidIdError } from './errors.js';
import { BIG_ID_MAX, ID_MAX, parseIdText } from './ids.js';

describe('parseIdText (ids in paths, queries and bodies)', () => {
  it('reads canonical decimal ids: numbers for Int32 keys, exact text for bigint keys', () => {
    expect(parseIdText('1')).toBe(1);
    expect(parseIdText('2147483647')).toBe(ID_MAX);
    expect(parseIdText('9223372036854775807', { max: BIG_ID_MAX })).toBe('9223372036854775807');
    expect(parseIdText('9007199254740993', { max: BIG_ID_MAX })).toBe('9007199254740993');
  });

  it.each([
    '0',
    '-1',
    '+1',
    '01',
    '1e0',
    '1.0',
    ' 1',
    '1 ',
    '%201',
    '0x2',
    '',
    '١',
    '2147483648',
    '9007199254740991',
  ])('refuses %j for an Int32 id with invalid_id naming the parameter', (text) => {
    try {
      parseIdText(text, { name: 'user_id' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidIdError);
      expect((error as InvalidIdError).code).toBe('invalid_id');
      expect((error as InvalidIdError).path).toEqual(['user_id']);
      expect((error as InvalidIdError).message).toMatch(/^user_id: /);
    }
  });

  it('refuses 2^63 and longer texts for a bigint id', () => {
    expect(() => parseIdText('9223372036854775808', { max: BIG_ID_MAX })).toThrow(InvalidIdError);
    expect(() => parseIdText('99999999999999999999', { max: BIG_ID_MAX })).toThrow(/out of range/);
  });

  it('accepts exactly the texts that BigInt reads back to themselves within 1 … max', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt({ min: -10n, max: 2n ** 64n }).map(String),
          fc.integer({ min: 0, max: 2 ** 32 }).map(String),
          fc.stringMatching(/^[-+ 0x1e.%]{0,2}[0-9]{0,20}[ e.]?$/),
        ),
        fc.constantFrom<number | bigint>(ID_MAX, BIG_ID_MAX),
        (text, max) => {
          const canonical = /^[0-9]+$/.test(text) && BigInt(text).toString() === text;
          const inRange = canonical && BigInt(text) >= 1n && BigInt(text) <= BigInt(max);
          let result: number | string | undefined;
          try {
            result = typeof max === 'bigint' ? parseIdText(text, { max }) : parseIdText(text, { max });
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidIdError);
          }
          if (!inRange) expect(result).toBeUndefined();
          else expect(result).toBe(typeof max === 'bigint' ? text : Number(text));
        },
      ),
      { numRuns: 5000 },
    );
  });
});
