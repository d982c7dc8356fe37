import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IncomingUser, User } from './crm.js';
import { ModelValidationError } from './errors.js';
import { holdsNul, nulTextIssues } from './storable-text.js';
import { validateBatch, validateRow } from './validate.js';

const user = {
  id: 1,
  user_uuid: '0b8a3f4e-2d8c-4b7a-9c3e-5f1a2b3c4d5e',
  name: 'Ivan',
  email: 'ivan@example.ru',
};
const stored = { ...user, registered_at: '2024-05-01T00:00:00Z', updated_at: '2024-05-01T00:00:00Z' };

function issuesOf(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ModelValidationError);
    return (error as ModelValidationError).issues.map((issue) => [issue.path, issue.code]);
  }
  return expect.unreachable('validation passed');
}

describe('nulTextIssues', () => {
  it('names every string and key holding U+0000, in document order', () => {
    expect(
      nulTextIssues({ name: 'a\u0000', list: ['ok', { deep: '\u0000' }], 'k\u0000': 1, fine: 'x' }).map(
        (i) => [i.path, i.code],
      ),
    ).toEqual([
      [['name'], 'invalid_text'],
      [['list', 1, 'deep'], 'invalid_text'],
      [['k\u0000'], 'invalid_text'],
    ]);
    expect(nulTextIssues([1, 'two', null, { three: 3 }])).toEqual([]);
    expect(holdsNul([1, 'two', null, { three: 3 }])).toBe(false);
    expect(holdsNul({ nested: [{ 'k\u0000': 1 }] })).toBe(true);
    expect(holdsNul({ nested: [{ k: ['\u0000'] }] })).toBe(true);
  });

  it('walks a value nested 500,000 levels deep without exhausting the stack', () => {
    const deep = JSON.parse(`${'['.repeat(500_000)}"\\u0000"${']'.repeat(500_000)}`);
    expect(holdsNul(deep)).toBe(true);
    const [issue] = nulTextIssues(deep);
    expect(issue?.path).toHaveLength(500_000);
  });

  it('stops at the limit', () => {
    expect(
      nulTextIssues(
        Array.from({ length: 1_000 }, () => '\u0000'),
        100,
      ),
    ).toHaveLength(100);
  });

  it('reads no text out of bytes, dates or class instances', () => {
    const bytes = new Uint8Array([0, 0, 0]);
    expect(holdsNul({ bytes, at: new Date(0), map: new Map([['\u0000', '\u0000']]) })).toBe(false);
  });
});

describe('the invalid_text rule in validateRow and validateBatch', () => {
  it('refuses a key holding U+0000 that a stripping model would otherwise drop', () => {
    // User is a stripping z.object: without the rule, the key would vanish and the row pass.
    expect(issuesOf(() => validateRow(User, { ...stored, 'note\u0000': 'x' }))).toEqual([
      [['note\u0000'], 'invalid_text'],
    ]);
    const { valid, rejected } = validateBatch(User, [stored, { ...stored, 'note\u0000': 'x' }]);
    expect(valid).toHaveLength(1);
    expect(rejected).toEqual([
      { index: 1, issues: [{ path: ['note\u0000'], code: 'invalid_text', message: expect.any(String) }] },
    ]);
  });

  it('refuses U+0000 in a nested value of a field the model strips', () => {
    expect(issuesOf(() => validateRow(User, { ...stored, extra: { list: ['ok', 'b\u0000'] } }))).toEqual([
      [['extra', 'list', 1], 'invalid_text'],
    ]);
  });

  it('adds the NUL issues the model does not name, once per path', () => {
    // A strict model names the unknown key itself; the text field is named once, by the model.
    expect(
      issuesOf(() => validateRow(IncomingUser, { name: 'a\u0000', email: 'ivan@example.ru', 'k\u0000': 1 })),
    ).toEqual([
      [['name'], 'invalid_text'],
      [['k\u0000'], 'unrecognized_key'],
    ]);
    const Tags = z.object({ tags: z.array(z.string().max(2)) });
    expect(issuesOf(() => validateRow(Tags, { tags: ['long', 'x\u0000'] }))).toEqual([
      [['tags', 0], 'too_big'],
      [['tags', 1], 'invalid_text'],
    ]);
  });

  it('keeps rows without U+0000 as they were', () => {
    expect(validateRow(User, { ...stored, extra: 'dropped' })).not.toHaveProperty('extra');
    expect(validateBatch(User, [stored, stored]).valid).toHaveLength(2);
  });
});
