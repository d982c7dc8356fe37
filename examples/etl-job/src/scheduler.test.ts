import { describe, expect, it } from 'vitest';
import { createMonthlyScheduler, type SchedulerLog } from './scheduler.js';

const quiet: SchedulerLog = () => {};

describe('monthly scheduler', () => {
  it('runs the previous month when the slot arrives, then arms the next slot', async () => {
    const base = Date.parse('2024-02-01T01:59:59.950Z');
    const t0 = Date.now();
    const ran: string[] = [];
    const scheduler = createMonthlyScheduler({
      schedule: { day: 1, hour: 2, minute: 0 },
      now: () => new Date(base + (Date.now() - t0)),
      run: async (month) => {
        ran.push(month);
      },
      log: quiet,
    });
    scheduler.start();
    expect(scheduler.next?.toISOString()).toBe('2024-02-01T02:00:00.000Z');
    for (
      let waited = 0;
      (ran.length === 0 || scheduler.next?.getUTCMonth() === 1) && waited < 5_000;
      waited += 20
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(ran).toEqual(['2024-01']);
    expect(scheduler.next?.toISOString()).toBe('2024-03-01T02:00:00.000Z');
    await scheduler.stop();
    expect(scheduler.next).toBeUndefined();
  });

  it('never overlaps runs and retries a failing month', async () => {
    let running = 0;
    let maxRunning = 0;
    const attempts = new Map<string, number>();
    const scheduler = createMonthlyScheduler({
      schedule: { day: 1, hour: 2, minute: 0 },
      retries: 2,
      retryDelayMs: 1,
      log: quiet,
      run: async (month) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        attempts.set(month, (attempts.get(month) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        if (month === '2024-02' && (attempts.get(month) ?? 0) < 2) throw new Error('connection reset');
        if (month === '2024-03') throw new Error('permanent');
      },
    });
    const results = await Promise.all(['2024-01', '2024-02', '2024-03'].map((m) => scheduler.runNow(m)));
    expect(results).toEqual([true, true, false]);
    expect(maxRunning).toBe(1);
    expect(Object.fromEntries(attempts)).toEqual({ '2024-01': 1, '2024-02': 2, '2024-03': 3 });
    await scheduler.stop();
  });
});
