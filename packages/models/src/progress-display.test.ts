import { describe, expect, it } from 'vitest';
import { ProgressDisplay, type ProgressLine } from './progress-display.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 100, write: (text: string) => writes.push(text) } };
}

describe('ProgressDisplay', () => {
  it('throttles terminal redraws to ten a second, but always draws a finished step', () => {
    const { writes, stream } = fakeStream(true);
    const display = new ProgressDisplay(stream, { now: () => 0 });
    for (let i = 0; i < 50; i += 1) display.update({ done: i, total: 100, rows: i, label: 'x' });
    expect(writes).toHaveLength(1);
    display.update({ done: 60, total: 100, rows: 60, label: 'y' }, true);
    expect(writes).toHaveLength(2);
  });

  it('names its unit on the terminal and in the JSON lines', () => {
    const tty = fakeStream(true);
    let clock = 0;
    const bar = new ProgressDisplay(tty.stream, { now: () => clock, unit: 'reports' });
    clock = 2000;
    bar.update({ done: 1, total: 4, rows: 100, label: 'prewarm 2024-01' });
    expect(tty.writes[0]).toMatch(
      /^\r\[#+\.+\] +25% {2}100 reports {2}50 reports\/s {2}ETA 0:06 {2}prewarm 2024-01/,
    );
    const json = fakeStream(false);
    const lines = new ProgressDisplay(json.stream, { now: () => clock, unit: 'messages' });
    lines.update({ done: 1, total: 2, rows: 7, label: 'decode' });
    expect(JSON.parse(json.writes[0] as string)).toMatchObject({
      type: 'progress',
      unit: 'messages',
      rows: 7,
      fraction: 0.5,
    } satisfies Partial<ProgressLine>);
  });

  it('never moves back when a later reading is lower, and ends at 1 on finish', () => {
    const { writes, stream } = fakeStream(false);
    let clock = 0;
    const display = new ProgressDisplay(stream, { now: () => clock });
    for (const done of [10, 50, 30, 80, 120]) {
      clock += 1500;
      display.update({ done, total: 100, rows: done, label: 'x' });
    }
    display.finish();
    const fractions = writes.map((w) => (JSON.parse(w) as ProgressLine).fraction);
    expect(fractions).toEqual([0.1, 0.5, 0.5, 0.8, 0.99, 1]);
  });
});
