import { describe, expect, it } from 'vitest';
import { createChangeDecoder } from './decode-change.js';
import { runDecodeCommand } from './decode-command.js';

async function* linesOf(lines: string[]): AsyncIterable<string> {
  yield* lines;
}

describe('runDecodeCommand', () => {
  it('reports bad data as bad lines but lets a defect of the decoder stop the command', async () => {
    const real = createChangeDecoder();
    const bad: string[] = [];
    const out: string[] = [];
    const line = (value: string) => JSON.stringify({ topic: 'crm.public.widgets', key: '{"id":1}', value });
    const good = '{"before":null,"after":{"id":1},"source":{"table":"widgets","lsn":1},"op":"c"}';
    const summary = await runDecodeCommand({
      lines: linesOf([line(good), line('{"id":1}'), 'not json']),
      out: (l) => {
        out.push(l);
      },
      bad: (l) => {
        bad.push(l);
      },
      decoder: real,
    });
    expect(summary).toMatchObject({ lines: 3, changes: 1, bad: 2 });
    expect(bad.map((l) => (JSON.parse(l) as { code: string }).code)).toEqual([
      'invalid_envelope',
      'invalid_line',
    ]);

    const buggy = {
      decode: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      },
    };
    await expect(
      runDecodeCommand({ lines: linesOf([line(good)]), out: () => {}, bad: () => {}, decoder: buggy }),
    ).rejects.toBeInstanceOf(TypeError);
  });
});
