/**
 * Load generator, run in its own process so it does not share the server's
 * event loop: `tsx bench/load.ts '<json options>'` prints autocannon's result
 * as one JSON line. Loopback only; bounded by duration and connections.
 */
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  requests: { path: string; headers: Record<string, string> }[];
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const target = new URL(options.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
  throw new Error(`load is only ever sent to loopback, not ${target.hostname}`);
}
const result = await autocannon({
  url: options.url,
  connections: options.connections,
  duration: options.durationSec,
  requests: options.requests.map((r) => ({ method: 'GET', path: r.path, headers: r.headers })),
});
process.stdout.write(
  `${JSON.stringify({
    requestsPerSec: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
