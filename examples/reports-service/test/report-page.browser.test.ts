/**
 * The owner's HTML report in a real headless Chromium (Debian's package,
 * driven by playwright-core): log in as a demo user, read the charts, switch
 * month, read them again, and compare every number with the ETL package's
 * transforms on the same generated data. Screenshots go to test-output/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prostheticMonthlyMetrics, userProsthesisHourlyStats } from '@bionicpro/etl';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedStack, monthsAgo, startEmbeddedStack } from '../src/embedded/embedded-stack.js';
import { silentLogger } from '../src/logger.js';
import { CHROMIUM_FLAGS, ensureChromium } from './chromium.js';

/** `last_updated` of the expected rows (not compared: the service's rows carry the ETL run's clock). */
const EXPECTED_LAST_UPDATED = new Date('2026-01-01T00:00:00Z');

const OUTPUT = fileURLToPath(new URL('../../../test-output/examples/', import.meta.url));
const USER_ID = 2;

let stack: EmbeddedStack;
let context: BrowserContext;
let dir: string;

beforeAll(async () => {
  const executablePath = ensureChromium();
  dir = await mkdtemp(join(tmpdir(), 'bionicpro-browser-'));
  const start = monthsAgo(2);
  stack = await startEmbeddedStack({
    dir: join(dir, 'stack'),
    dataset: { seed: 5, users: 3, start, months: 2, eventsPerDay: 30, deviceEventsPerDay: 6 },
    logger: silentLogger,
  });
  // A fresh profile directory: no state leaks between runs.
  context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
  });
  await mkdir(OUTPUT, { recursive: true });
}, 600_000);

afterAll(async () => {
  await context?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Expected {
  usage: Map<string, number>;
  battery: Map<string, number>;
  errors: Map<string, number>;
  cycles: number[];
  reliability: (number | null)[];
  /** Powered-on hours per prosthesis, as the report rounds them. */
  poweredOn: number[];
}

function expectedFor(month: string): Expected {
  const data = stack.data;
  const hourly = userProsthesisHourlyStats(
    {
      users: data.users,
      prosthetics: data.prosthetics,
      telemetryEvents: [...data.telemetryEvents()],
      deviceEvents: [...data.deviceEvents()],
      batteryMetrics: [...data.batteryMetrics()],
    },
    { month, lastUpdated: EXPECTED_LAST_UPDATED },
  ).filter((row) => row.user_id === USER_ID);
  const usage = new Map<string, number>();
  const errors = new Map<string, number>();
  const levels = new Map<string, number[]>();
  for (const row of hourly) {
    usage.set(row.date, (usage.get(row.date) ?? 0) + (row.movements_count > 0 ? 1 : 0));
    errors.set(row.date, (errors.get(row.date) ?? 0) + row.error_count);
    if (row.avg_battery_level !== null)
      levels.set(row.date, [...(levels.get(row.date) ?? []), row.avg_battery_level]);
  }
  const battery = new Map([...levels].map(([date, v]) => [date, v.reduce((a, b) => a + b, 0) / v.length]));
  const devices = prostheticMonthlyMetrics(
    {
      users: data.users,
      prosthetics: data.prosthetics,
      deviceEvents: [...data.deviceEvents()],
      batteryMetrics: [...data.batteryMetrics()],
    },
    { month, lastUpdated: EXPECTED_LAST_UPDATED },
  )
    .filter((row) => row.user_id === USER_ID)
    .sort((a, b) => a.prosthetic_id - b.prosthetic_id);
  return {
    usage,
    battery,
    errors,
    cycles: devices.map((d) => d.charge_cycles),
    reliability: devices.map((d) => d.reliability_pct),
    poweredOn: devices.map((d) => Math.round(d.total_active_hours * 100) / 100),
  };
}

async function marks(page: Page, chart: string): Promise<[string, number][]> {
  return page.$$eval(`svg[data-chart="${chart}"] [data-value]`, (nodes) =>
    nodes.map(
      (n) => [n.getAttribute('data-label') ?? '', Number(n.getAttribute('data-value'))] as [string, number],
    ),
  );
}

async function checkCharts(page: Page, month: string): Promise<void> {
  const expected = expectedFor(month);
  const usage = await marks(page, 'usage-hours');
  const days = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate();
  expect(usage).toHaveLength(days);
  for (const [date, hours] of usage) expect(hours, date).toBe(expected.usage.get(date) ?? 0);
  expect([...expected.usage.values()].some((h) => h > 0)).toBe(true);

  const battery = await marks(page, 'battery-level');
  expect(battery.length).toBe(expected.battery.size);
  for (const [date, level] of battery)
    expect(level, date).toBeCloseTo(expected.battery.get(date) as number, 6);

  const errors = await marks(page, 'errors');
  for (const [date, count] of errors) expect(count, date).toBe(expected.errors.get(date) ?? 0);

  expect((await marks(page, 'charge-cycles')).map(([, v]) => v)).toEqual(expected.cycles);
  const reliability = (await marks(page, 'reliability')).map(([, v]) => v);
  const known = expected.reliability.filter((r): r is number => r !== null);
  expect(reliability).toHaveLength(known.length);
  for (const [i, r] of reliability.entries()) expect(r).toBeCloseTo(known[i] as number, 6);

  // Two quantities, each from one source: hours with movement (the chart's
  // hourly mart) and powered-on time (the table's monthly device report).
  const total = [...expected.usage.values()].reduce((a, b) => a + b, 0);
  expect(await page.textContent('[data-kpi="movement-hours"]')).toBe(`${total} h`);
  const poweredOn = expected.poweredOn.reduce((a, b) => a + b, 0);
  expect(await page.textContent('[data-kpi="powered-on-hours"]')).toBe(`${poweredOn.toFixed(1)} h`);
  const tableHours = await page.$$eval('table tbody tr td:nth-child(2)', (cells) =>
    cells.map((c) => Number.parseFloat(c.textContent ?? '')),
  );
  expect(tableHours).toHaveLength(expected.poweredOn.length);
  for (const [i, hours] of tableHours.entries())
    expect(hours).toBeCloseTo(expected.poweredOn[i] as number, 1);
}

describe('owner report page in Chromium', () => {
  it('shows the newest month after login, switches month, and draws the right numbers', async () => {
    const [older, newer] = stack.months as [string, string];
    const page = await context.newPage();
    const response = await page.goto(`${stack.url}/demo/login?user_id=${USER_ID}`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe(`/reports/user/${USER_ID}/page`);
    expect(await page.inputValue('select#month')).toBe(newer);
    await checkCharts(page, newer);
    // Readable on a phone: nothing wider than the 390 px viewport.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(OUTPUT, `report-page-${newer}.png`), fullPage: true });

    await page.selectOption('select#month', older);
    await Promise.all([page.waitForURL(`**/page?month=${older}`), page.click('button[type="submit"]')]);
    expect(await page.inputValue('select#month')).toBe(older);
    await checkCharts(page, older);
    await page.screenshot({ path: join(OUTPUT, `report-page-${older}.png`), fullPage: true });
    await page.close();
  });

  it("refuses another owner's page with the JSON API's rules, as pages a browser shows", async () => {
    const page = await context.newPage();
    await page.goto(`${stack.url}/demo/login?user_id=${USER_ID}`);
    const other = await page.goto(`${stack.url}/reports/user/1/page`);
    expect(other?.status()).toBe(403);
    expect(await page.textContent('h1')).toBe('This report belongs to another account');
    await context.clearCookies();
    const anonymous = await page.goto(`${stack.url}/reports/user/${USER_ID}/page`);
    expect(anonymous?.status()).toBe(401);
    // A page, not raw JSON: it says what happened and leads to the sign-in.
    expect(await page.textContent('h1')).toBe('Sign in to see your report');
    await page.screenshot({ path: join(OUTPUT, 'report-page-401.png'), fullPage: true });
    await Promise.all([page.waitForURL('**/demo'), page.click('a.button')]);
    expect(await page.textContent('h1')).toBe('BionicPRO demo');
    await page.close();
  });

  it('shows an explicit empty state for a month without data', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.url}/demo/login?user_id=${USER_ID}`);
    const response = await page.goto(`${stack.url}/reports/user/${USER_ID}/page?month=2019-01`);
    expect(response?.status()).toBe(200);
    expect(await page.textContent('[data-empty="month"] h2')).toBe('No prosthesis data for 2019-01');
    expect(await page.locator('svg[data-chart]').count()).toBe(0);
    expect(await page.textContent('[data-kpi="status"]')).toBe('no data');
    await page.close();
  });
});
