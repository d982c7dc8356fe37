import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RequestValidationError } from './http-errors.js';
import { IdParameter, parseQuery } from './request-input.js';

describe('IdParameter', () => {
  const Query = z.strictObject({ user_id: IdParameter });
  const parse = (id: string) => parseQuery(Query, new URL('http://svc/'), { user_id: id });

  it('reads canonical decimal ids up to 2^31-1', () => {
    expect(parse('1').user_id).toBe(1);
    expect(parse('2147483647').user_id).toBe(2_147_483_647);
  });

  it('refuses every other spelling and ids the column cannot hold, naming the parameter', () => {
    for (const id of [
      '0',
      '01',
      '-1',
      '+1',
      '1e0',
      '0x2',
      ' 1',
      '1 ',
      '1.0',
      '2147483648',
      '9007199254740993',
      '9'.repeat(400),
    ]) {
      try {
        parse(id);
        expect.unreachable(id);
      } catch (error) {
        expect(error, id).toBeInstanceOf(RequestValidationError);
        expect((error as RequestValidationError).issues[0]?.path, id).toEqual(['path', 'user_id']);
      }
    }
  });
});
