// Baseline for the end-to-end figure: the same month's telemetry rows read
// from PostgreSQL exactly as `bionicpro-etl run --extract copy` reads them
// (COPY, model parsing, device and battery streams side by side, then the
// EMG events), with nothing written anywhere. Prints rows and seconds as JSON.
import {
  createExtractPool,
  monthPeriod,
  streamBatteryMetricsForMonth,
  streamDeviceEventsForMonth,
  streamWindow,
} from '../dist/index.js';

const [url, month] = process.argv.slice(2);
const period = monthPeriod(month);
const pool = await createExtractPool(url);
const started = performance.now();
let rows = 0;
const drain = async (source) => {
  for await (const _ of source) rows += 1;
};
await Promise.all([
  drain(streamDeviceEventsForMonth(pool, period)),
  drain(streamBatteryMetricsForMonth(pool, period)),
]);
await drain(
  streamWindow(pool, 'telemetry_events', { start: new Date(period.startMs), end: new Date(period.endMs) }),
);
const seconds = (performance.now() - started) / 1000;
await pool.end();
process.stdout.write(`${JSON.stringify({ rows, seconds })}\n`);
