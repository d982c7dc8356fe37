/**
 * The one-command demo (`bash scripts/demo.sh`): everything on embedded
 * engines in this process — one PGlite holding crm_db and telemetry_db over pglite-socket, chDB —
 * a generated dataset, the ETL for every month, a replay of recorded Debezium
 * envelopes through the CDC sink, and the reports service in demo mode.
 *
 *   pnpm --filter @bionicpro/example-reports-service demo [--users 12] [--months 3] [--port 8080] [--seed 42] [--exit]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readRecordedStream, RECORDED_STREAMS, replayRecordedCdc } from '../embedded/cdc-replay.js';
import {
  DEMO_ADMIN_ROLE,
  DEMO_INGEST_ROLE,
  type StackProgress,
  monthsAgo,
  startEmbeddedStack,
} from '../embedded/embedded-stack.js';
import { createLogger } from '../logger.js';
import { createProgressBar } from './progress-bar.js';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '12' },
    months: { type: 'string', default: '3' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    seed: { type: 'string', default: '42' },
    'events-per-day': { type: 'string', default: '100' },
    exit: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(
    'usage: demo [--users 12] [--months 3] [--events-per-day 100] [--port 8080] [--host 127.0.0.1] [--seed 42] [--exit]\n' +
      '  --exit  stop after printing the URLs (a smoke run), instead of serving until Ctrl-C\n',
  );
  process.exit(0);
}

function positive(name: string, value: string | undefined, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    process.stderr.write(`demo: --${name} must be a whole number between 0 and ${max}, got ${value}\n`);
    process.exit(2);
  }
  return n;
}

const users = positive('users', args.users, 10_000);
const months = positive('months', args.months, 12);
const port = positive('port', args.port, 65_535);
const seed = positive('seed', args.seed, 2 ** 31);
const eventsPerDay = positive('events-per-day', args['events-per-day'], 10_000);
// The hourly mart keeps 365 days (docs/kpis.md), so the data covers the months just before this one.
const start = monthsAgo(months);

const started = performance.now();
const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
const bar = createProgressBar(process.stderr);
const say = (line: string) => bar.log(line);

function onProgress(p: StackProgress): void {
  switch (p.phase) {
    case 'engines':
      say('starting PGlite (crm_db, telemetry_db) over pglite-socket and chDB…');
      break;
    case 'seed':
      bar.update(`seeding ${p.table}`, p.rows, p.total);
      break;
    case 'etl':
      // Step by step on a terminal only; logs get the per-month summary below.
      if (process.stderr.isTTY)
        bar.update(`ETL ${p.month} ${p.event.step} ${p.event.table}`, p.event.rows, p.event.rows);
      break;
    case 'etl-done': {
      const marts = Object.entries(p.summary.marts)
        .map(([mart, rows]) => `${mart} ${rows}`)
        .join(', ');
      bar.done();
      say(`ETL ${p.month} (${p.summary.engine}) in ${(p.summary.elapsedMs / 1000).toFixed(1)} s: ${marts}`);
      break;
    }
    case 'service':
      bar.done();
      break;
  }
}

const dir = await mkdtemp(join(tmpdir(), 'bionicpro-demo-'));
// Service logs go to a file-like sink only above info, so the terminal shows the demo's own lines.
const logger = createLogger({ level: process.env['LOG_LEVEL'] === 'debug' ? 'debug' : 'warn' });
say(`BionicPRO demo: ${users} users, ${months} months from ${start}, seed ${seed}`);
const stack = await startEmbeddedStack({
  dir,
  dataset: { seed, users, start, months, eventsPerDay },
  logger,
  host: args.host,
  port,
  onProgress,
});
say(`service up at ${stack.url} after ${seconds()} s`);

const messages = (await Promise.all(RECORDED_STREAMS.map((file) => readRecordedStream(file)))).flat();
const replay = await replayRecordedCdc(stack.clickhouse, messages, { database: 'bionicpro_cdc' });
say(
  `CDC replay: ${replay.messages} recorded Debezium messages → ${replay.changes} changes, ${replay.rows} rows into chDB ` +
    `(bionicpro_cdc), ${replay.tombstones} tombstones, ${replay.heartbeats} heartbeats, ${replay.deadLetters.length} dead letters; ` +
    `current rows: ${Object.entries(replay.current)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
);
for (const letter of replay.deadLetters) {
  say(`  dead letter (${letter.topic} offset ${letter.offset}): ${letter.reason}`);
}

const user = stack.data.users[0];
if (user === undefined) throw new Error('the demo needs at least one user');
const token = await stack.tokenFor(user.id);
const adminToken = await stack.tokenFor(user.id, [DEMO_ADMIN_ROLE, DEMO_INGEST_ROLE]);
const month = stack.months[stack.months.length - 1] as string;
const other = stack.data.users[1]?.id ?? 2;
const day = `${month}-15`;
const url = stack.url;
const auth = '-H "Authorization: Bearer $TOKEN"';
const lines = [
  '',
  `Ready in ${seconds()} s. Reports service: ${url}   (API docs: ${url}/docs)`,
  '',
  `Open the owner's report page in a browser (logs in as ${user.name}): ${url}/demo/login?user_id=${user.id}`,
  '',
  `Demo user ${user.name} (id ${user.id}, ${user.ldap_username}); token signed by the local development key (valid 1 h):`,
  `export TOKEN=${token}`,
  `export ADMIN_TOKEN=${adminToken}   # roles ${DEMO_ADMIN_ROLE}, ${DEMO_INGEST_ROLE}`,
  '',
  `curl -s ${auth} '${url}/reports/user/${user.id}?month=${month}'`,
  `curl -s ${auth} '${url}/reports/user/${other}?month=${month}'          # someone else's: 403`,
  `curl -s ${auth} '${url}/reports/user/${user.id}/page?month=${month}' > report.html`,
  `curl -s ${auth} '${url}/api/reports'`,
  `curl -s ${auth} '${url}/api/reports/summary'`,
  `curl -s ${auth} '${url}/api/reports/${day}'`,
  `curl -s ${auth} -H 'content-type: application/json' -d '{"user_id":${user.id},"start_ts":"${stack.months[0]}-01T00:00:00Z"}' '${url}/report'`,
  `curl -s -H "Authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' -d '{"name":"Nina Orlova","email":"nina@example.ru"}' '${url}/users'`,
  `curl -s -H "Authorization: Bearer $ADMIN_TOKEN" '${url}/users/${user.id}'`,
  `curl -s -H "Authorization: Bearer $ADMIN_TOKEN" -H 'content-type: application/json' -d '[{"user_id":${user.id},"prosthesis_type":"hand","muscle_group":"flexor","signal_frequency":180,"signal_duration":2500,"signal_amplitude":2.4,"event_timestamp":"${month}-20T08:00:00Z"}]' '${url}/telemetry/events'`,
  `printf 'name,email,age\\nOleg Sidorov,oleg@example.ru,33\\n' | curl -s -H "Authorization: Bearer $ADMIN_TOKEN" -H 'content-type: text/csv' --data-binary @- '${url}/populate_base?table=users'`,
  `curl -s '${url}/health'  ;  curl -s '${url}/health/live'  ;  curl -s '${url}/health/ready'`,
  `curl -s '${url}/openapi.json'`,
  '',
  args.exit ? 'Stopping (--exit).' : 'Serving until Ctrl-C.',
];
process.stdout.write(`${lines.join('\n')}\n`);

const shutdown = async () => {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
};
if (args.exit) {
  await shutdown();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping…`);
    shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
