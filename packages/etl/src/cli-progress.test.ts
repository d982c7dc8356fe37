import { describe, expect, it } from 'vitest';
import { ProgressDisplay, type ProgressLine } from '@bionicpro/models';
import { MonthlyJobProgress } from './cli-progress.js';
import type { ProgressEvent } from './monthly-job.js';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 100, write: (text: string) => writes.push(text) } };
}

/** A job's events in the order runMonthlyJob emits them: phases interleave and each restarts its own count. */
const events: ProgressEvent[] = [
  { step: 'prepare', table: 'warehouse', rows: 0, elapsedMs: 0, done: false },
  { step: 'prepare', table: 'warehouse', rows: 0, elapsedMs: 10, done: true },
  { step: 'extract', table: 'crm', rows: 40, elapsedMs: 20, done: false },
  { step: 'extract', table: 'crm', rows: 10, elapsedMs: 25, done: false },
  { step: 'load', table: 'users', rows: 40, elapsedMs: 30, done: true },
  { step: 'load', table: 'payments', rows: 10, elapsedMs: 35, done: true },
  { step: 'extract', table: 'device_events', rows: 300, elapsedMs: 40, done: false },
  { step: 'load', table: 'device_events', rows: 200, elapsedMs: 50, done: false },
  { step: 'extract', table: 'battery_metrics', rows: 300, elapsedMs: 60, done: false },
  { step: 'load', table: 'device_events', rows: 300, elapsedMs: 70, done: true },
  { step: 'load', table: 'battery_metrics', rows: 300, elapsedMs: 80, done: true },
  { step: 'pushdown', table: 'report_user_monthly_metrics', rows: 5, elapsedMs: 90, done: true },
  { step: 'pushdown', table: 'report_prosthetic_monthly_metrics', rows: 5, elapsedMs: 95, done: true },
  { step: 'pushdown', table: 'user_prosthesis_stats', rows: 50, elapsedMs: 99, done: true },
];

describe('the progress of a whole monthly job', () => {
  it('draws one terminal bar that never moves backwards, with rows/s and an ETA, ending at 100 %', () => {
    const { writes, stream } = fakeStream(true);
    let clock = 0;
    const display = new ProgressDisplay(stream, { now: () => clock });
    const job = new MonthlyJobProgress(display, 650, 3);
    for (const e of events) {
      clock += 1000; // past the redraw interval: every event draws
      job.event(e);
    }
    display.finish();
    const percents = writes.map((w) => Number(/\]\s+(\d+)%/.exec(w)?.[1]));
    expect(percents.every((p) => Number.isFinite(p))).toBe(true);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect(percents.slice(0, -1).every((p) => p < 100)).toBe(true);
    for (const w of writes)
      expect(w).toMatch(/^\r\[[#.]+\] +\d+% {2}\d+ rows {2}\d+ rows\/s {2}ETA (\d+:\d\d|\?)/);
    expect(writes.at(-1)).toMatch(/\n$/);
    expect(writes.slice(0, -1).every((w) => !w.includes('\n'))).toBe(true);
  });

  it('writes JSON lines off a terminal: monotonic fraction, rows counted once, the last line done', () => {
    const { writes, stream } = fakeStream(false);
    let clock = 0;
    const display = new ProgressDisplay(stream, { now: () => clock });
    const job = new MonthlyJobProgress(display, 650, 3);
    for (const e of events) {
      clock += 1500;
      job.event(e);
    }
    display.finish();
    const lines = writes.map((w) => JSON.parse(w) as ProgressLine);
    const fractions = lines.map((l) => l.fraction ?? 0);
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    expect(lines.at(-1)).toMatchObject({
      type: 'progress',
      fraction: 1,
      done: true,
      eta_seconds: 0,
      rows: 650,
    });
    expect(lines.at(-1)!.rows_per_second).toBe(Math.round(650 / lines.at(-1)!.elapsed_seconds));
  });

  it('without a total shows rows and rows/s, no fraction and no ETA', () => {
    const { writes, stream } = fakeStream(false);
    const display = new ProgressDisplay(stream, { now: () => 2000 });
    new MonthlyJobProgress(display, undefined, 3).event(events[6]!);
    expect(JSON.parse(writes[0]!)).toMatchObject({ fraction: null, eta_seconds: null, rows: 300 });
  });
});

describe('a total counted while the job runs', () => {
  it('has no fraction before the count arrives, then a fraction that only grows to 100 %', () => {
    const { writes, stream } = fakeStream(false);
    let clock = 0;
    const display = new ProgressDisplay(stream, { now: () => clock });
    const job = new MonthlyJobProgress(display, undefined, 3);
    for (const [i, e] of events.entries()) {
      if (i === 4) job.setSourceRows(650);
      clock += 1500;
      job.event(e);
    }
    display.finish();
    const lines = writes.map((w) => JSON.parse(w) as ProgressLine);
    expect(lines.slice(0, 4).map((l) => l.fraction)).toEqual([null, null, null, null]);
    const fractions = lines.slice(4).map((l) => l.fraction);
    expect(fractions.every((f) => typeof f === 'number' && f > 0)).toBe(true);
    expect(fractions).toEqual([...fractions].sort((a, b) => (a ?? 0) - (b ?? 0)));
    expect(lines.at(-1)).toMatchObject({ fraction: 1, done: true, rows: 650 });
    expect(lines[5]!.eta_seconds).not.toBeNull();
  });
});
