/**
 * Load generator, run in its own process so it does not share the server's
 * event loop: `tsx bench/load.ts '<json options>'` prints the result as one
 * JSON line. autocannon by default; `BENCH_LOAD=wrk` uses wrk (Debian package
 * `wrk`), a C generator that leaves more of a small machine to the server.
 * Loopback only; bounded by duration and connections.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  requests: { path: string; headers: Record<string, string> }[];
}

/** What one load run measured (the last line this script prints, as JSON). */
export interface LoadResult {
  requestsPerSec: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
const target = new URL(options.url);
if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) {
  throw new Error(`load is only ever sent to loopback, not ${target.hostname}`);
}

async function withAutocannon(): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSec,
    requests: options.requests.map((r) => ({ method: 'GET', path: r.path, headers: r.headers })),
  });
  return {
    requestsPerSec: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** wrk cycles through the same requests (a Lua script) and reports the same figures. */
async function withWrk(): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bionicpro-wrk-'));
  try {
    const script = join(dir, 'requests.lua');
    await writeFile(
      script,
      [
        `local requests = ${luaTable(options.requests.map((r) => ({ path: r.path, headers: r.headers })))}`,
        'local i = 0',
        'request = function()',
        '  i = i % #requests + 1',
        '  return wrk.format("GET", requests[i].path, requests[i].headers)',
        'end',
        'done = function(summary, latency, _)',
        '  local e = summary.errors',
        '  io.write(string.format(\'{"requestsPerSec":%.1f,"total":%d,"p50":%.3f,"p99":%.3f,"non2xx":%d,"errors":%d,"timeouts":%d}\\n\',',
        '    summary.requests / (summary.duration / 1e6), summary.requests, latency:percentile(50) / 1000,',
        '    latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write, e.timeout))',
        'end',
      ].join('\n'),
    );
    const { stdout } = await promisify(execFile)(
      'wrk',
      ['-t1', `-c${options.connections}`, `-d${options.durationSec}s`, '-s', script, options.url],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    return JSON.parse(stdout.trim().split('\n').pop() as string) as LoadResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function luaTable(value: unknown): string {
  if (Array.isArray(value)) return `{${value.map(luaTable).join(',')}}`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `[${JSON.stringify(k)}]=${luaTable(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

const result = process.env['BENCH_LOAD'] === 'wrk' ? await withWrk() : await withAutocannon();
process.stdout.write(`${JSON.stringify(result)}\n`);
