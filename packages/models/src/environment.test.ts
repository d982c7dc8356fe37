import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readEnvironment } from './environment.js';

const Settings = z.object({
  REDIS_URL: z.string().regex(/^redis:\/\//, 'expected redis://…'),
  PORT: z.coerce.number().int().default(8080),
  NAME: z.string().optional(),
});

describe('readEnvironment', () => {
  it('reads only the model variables, an empty value counting as unset', () => {
    const reading = readEnvironment(Settings, {
      REDIS_URL: 'redis://r:6379',
      PORT: '',
      PATH: '/bin',
      NAME: '',
    });
    expect(reading).toEqual({
      settings: { REDIS_URL: 'redis://r:6379', PORT: 8080 },
      given: { REDIS_URL: 'redis://r:6379' },
      problems: [],
    });
  });

  it('lists every problem as NAME: reason, "is required" for a missing variable', () => {
    const reading = readEnvironment(Settings, { PORT: 'x' });
    expect(reading.settings).toBeUndefined();
    expect(reading.problems).toEqual(['REDIS_URL: is required', expect.stringMatching(/^PORT: /)]);
    expect(readEnvironment(Settings, { REDIS_URL: 'http://x' }).problems).toEqual([
      'REDIS_URL: expected redis://…',
    ]);
  });
});
