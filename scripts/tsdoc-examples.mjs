#!/usr/bin/env node
// The `@example` blocks of the packages' TSDoc are code a reader copies from the API reference:
// this extracts every ```ts block that follows an `@example` tag in packages/*/src (tests
// excluded), writes each as a module and type-checks them all against the built packages under
// `strict` with `skipLibCheck: false`, as scripts/doc-blocks.mjs does for the READMEs.
//
// An example is read as a reader of that package's reference reads it: the names it uses from its
// own package (and from `@bionicpro/models`, which every package re-uses) are imported for it when
// it does not import them itself, and the reference's vocabulary for what a reader already has (`client`
// a ClickHouse client, `scope` a ReportScope, `t` the report tables, `users` rows of the users
// model, … — READER_HAS below, per package) is declared with its type when the example uses such a
// name without defining it. Everything else must compile as written. Examples that use none of that
// vocabulary are complete: test/e2e/tsdoc-examples.test.ts runs those that need no server.
//
// Usage: node scripts/tsdoc-examples.mjs [--list]
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { tscOutput, writeSnippetProject } from './doc-blocks.mjs';

export const root = resolve(import.meta.dirname, '..');
/** Inside the `test` workspace package, so the examples resolve its dependencies. */
export const outDir = join(root, 'test', '.tsdoc-examples');

function sourceFiles(dir) {
  const files = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** The `@example` ```ts blocks of one source text, with the line each starts at. */
export function examplesOf(text, file) {
  const examples = [];
  const lines = text.split('\n');
  let inExample = false;
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i].replace(/^\s*\*\s?/, '');
    if (/^\s*\/\*\*/.test(lines[i])) inExample = false;
    if (/@example\b/.test(line)) inExample = true;
    if (!inExample || !/^```(ts|typescript)\b/.test(line)) continue;
    const start = i + 1;
    let end = start;
    const code = [];
    while (end < lines.length && !/^```\s*$/.test(lines[end].replace(/^\s*\*\s?/, ''))) {
      if (/\*\/\s*$/.test(lines[end])) break;
      code.push(lines[end].replace(/^\s*\*( |$)/, ''));
      end += 1;
    }
    // What the comment documents: the first declaration after it.
    let at = end;
    while (at < lines.length && !/\*\/\s*$/.test(lines[at])) at += 1;
    const declared =
      /^(export\s+)?(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:function\*?|const|let|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/.exec(
        lines[at + 1] ?? '',
      );
    examples.push({
      file: relative(root, file),
      line: start + 1,
      code: code.join('\n'),
      documents: declared ? { name: declared[2], exported: Boolean(declared[1]) } : undefined,
    });
    inExample = false;
    i = end;
  }
  return examples;
}

/** The public names each package exports from its entry points, by import specifier. */
function exportedNames() {
  const byPackage = new Map();
  for (const name of readdirSync(join(root, 'packages'))) {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (subpath === './package.json' || subpath === './internal') continue;
      const types = target?.import?.types;
      if (!types || !existsSync(join(root, 'packages', name, types))) continue;
      const text = readFileSync(join(root, 'packages', name, types), 'utf8');
      const names = new Set();
      for (const match of text.matchAll(/export\s*\{([^}]*)\}/g)) {
        for (const part of match[1].split(',')) {
          const exported = part
            .trim()
            .split(/\s+as\s+/)
            .pop()
            ?.replace(/^type\s+/, '');
          if (exported) names.add(exported);
        }
      }
      const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
      byPackage.set(specifier, { names, dir: name });
    }
  }
  return byPackage;
}

/** Every example of packages/*\/src, with its package. */
export function allExamples() {
  const examples = [];
  for (const name of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', name, 'src');
    if (!existsSync(src)) continue;
    for (const file of sourceFiles(src)) {
      for (const example of examplesOf(readFileSync(file, 'utf8'), file))
        examples.push({ ...example, pkg: name });
    }
  }
  return examples;
}

const identifiers = (code) => new Set(code.match(/[A-Za-z_$][\w$]*/g) ?? []);

const CH = "import('@clickhouse/client').ClickHouseClient";
const PG = "import('pg').Pool";
const models = (name) => `import('@bionicpro/models').${name}[]`;
const reports = (name) => `import('@bionicpro/reports').${name}`;
const cdc = (expression) => `ReturnType<typeof import('@bionicpro/cdc').${expression}>`;
/** What an example may use without defining it: the reference's names for what a reader has. */
export const READER_HAS = {
  models: {
    client: CH,
    pg: PG,
    row: 'unknown',
    rowFromPostgres: 'unknown',
    rows: 'unknown[]',
    line: 'string',
  },
  etl: {
    client: CH,
    clickhouse: CH,
    crm: "Awaited<ReturnType<typeof import('@bionicpro/etl').createExtractPool>>",
    telemetry: "Awaited<ReturnType<typeof import('@bionicpro/etl').createExtractPool>>",
    crmPool: PG,
    telemetryPool: PG,
    pool: PG,
    period: "import('@bionicpro/etl').MonthPeriod",
    values: 'Record<string, unknown>[]',
    users: models('User'),
    prosthetics: models('Prosthetic'),
    subscriptions: models('Subscription'),
    payments: models('Payment'),
    deviceEvents: models('DeviceEvent'),
    batteryMetrics: models('BatteryMetric'),
    telemetryEvents: models('TelemetryEvent'),
  },
  cdc: {
    client: CH,
    clickhouse: CH,
    pg: PG,
    pgPool: PG,
    consumer: "import('@bionicpro/cdc').CdcConsumer",
    targets: "import('@bionicpro/cdc').CdcTarget[]",
    sink: cdc('createClickHouseSink'),
    deadLetters: cdc('deadLettersToClickHouse'),
    changes: `Parameters<${cdc('createClickHouseSink')}['write']>[0]`,
    database: "import('@bionicpro/cdc').PostgresSource",
    producer: "Parameters<typeof import('@bionicpro/cdc/kafkajs').kafkajsDeadLetters>[0]",
    keyText: 'string',
    valueText: 'string',
  },
  reports: {
    client: reports('ReportQueryClient'),
    store: reports('ReportStore'),
    scope: reports('ReportScope'),
    t: reports('ReportTables'),
    reports: `ReturnType<typeof ${reports('createReportService')}>`,
    verifier: reports('KeycloakVerifier'),
    directory: reports('SubjectDirectory'),
    principal: `Awaited<ReturnType<${reports('KeycloakVerifier')}['authenticate']>>`,
    cache: `${reports('ReportCache')}<unknown>`,
    key: reports('ReportCacheKey'),
    table: reports('ReportTable'),
    err: 'unknown',
    token: 'string',
    request: 'Request',
    issuer: 'string',
    d: 'string',
    dataVersion: 'string',
    etag: 'string',
    body: 'string',
    log: '{ warn(message: string, fields?: object): void }',
  },
};

/** The names of an example's import lines. */
const importedNames = (code) =>
  new Set([
    ...[...code.matchAll(/^\s*import\s+(?:type\s+)?\{([^}]*)\}/gm)].flatMap((m) =>
      m[1].split(',').map((n) =>
        n
          .trim()
          .split(/\s+as\s+/)
          .pop(),
      ),
    ),
    ...[...code.matchAll(/^\s*import\s+(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)\s+from/gm)].map((m) => m[1]),
  ]);

/** Writes every example as a module (with the implicit imports) and a tsconfig; returns them. */
export function writeExamples() {
  const exported = exportedNames();
  const publicNames = new Set([...exported.values()].flatMap(({ names }) => [...names]));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const written = [];
  for (const example of allExamples()) {
    // Only the reference's examples: a helper no entry point exports is not documented there.
    if (example.documents && !(example.documents.exported && publicNames.has(example.documents.name)))
      continue;
    const header = [];
    {
      const used = identifiers(example.code.replace(/\/\/.*$/gm, ''));
      const taken = importedNames(example.code);
      // Its own package's entry points first, then the models every package builds on.
      const order = [...exported.entries()].sort(
        ([, a], [, b]) =>
          (a.dir === example.pkg ? 0 : a.dir === 'models' ? 1 : 2) -
          (b.dir === example.pkg ? 0 : b.dir === 'models' ? 1 : 2),
      );
      for (const [specifier, { names, dir }] of order) {
        if (dir !== example.pkg && dir !== 'models') continue;
        const pick = [...names].filter((n) => used.has(n) && !taken.has(n) && !declares(example.code, n));
        for (const n of pick) taken.add(n);
        if (pick.length > 0) header.push(`import { ${pick.join(', ')} } from '${specifier}';`);
      }
    }
    const given = READER_HAS[example.pkg] ?? {};
    const used = identifiers(example.code.replace(/\/\/.*$/gm, ''));
    const imported = importedNames(example.code);
    const assumed = Object.keys(given).filter(
      (n) => used.has(n) && !imported.has(n) && !declares(example.code, n),
    );
    for (const n of assumed) header.push(`declare const ${n}: ${given[n]};`);
    const id = `${example.file.replace(/\.ts$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-L${example.line}`;
    const path = join(outDir, `${id}.ts`);
    writeFileSync(
      path,
      `${header.join('\n')}\n// --- ${example.file}:${example.line}\n${example.code}\nexport {};\n`,
    );
    written.push({ ...example, id, path, assumed });
  }
  writeSnippetProject(outDir);
  // Optional peers an example imports that the test package does not depend on: linked from the
  // package that declares them (`redis` for @bionicpro/reports/redis).
  mkdirSync(join(outDir, 'node_modules'), { recursive: true });
  for (const [peer, from] of [['redis', 'reports']]) {
    symlinkSync(
      realpathSync(join(root, 'packages', from, 'node_modules', peer)),
      join(outDir, 'node_modules', peer),
    );
  }
  return written;
}

function declares(code, name) {
  return (
    new RegExp(`\\b(?:const|let|var|function|class|interface|type)\\s+${name}\\b`).test(code) ||
    // destructured: const { text, values } = …
    new RegExp(`\\b(?:const|let|var)\\s*[{[][^=]*\\b${name}\\b[^=]*[}\\]]\\s*=`).test(code)
  );
}

/** Type-checks the written examples in one `tsc` run; diagnostics per example (empty: all compile). */
export function typecheckExamples(written) {
  const output = tscOutput(outDir);
  const byExample = new Map();
  let lastKey;
  for (const line of output.split('\n')) {
    if (!line.trim()) continue;
    if (line.startsWith(' ')) {
      if (lastKey) byExample.get(lastKey)?.push(line);
      continue;
    }
    // Third-party declarations are theirs to fix (doc-blocks.mjs lists them); ours must be clean.
    if (/node_modules\//.test(line) && !/@bionicpro[/+]/.test(line)) {
      lastKey = undefined;
      continue;
    }
    const example = written.find((e) => line.startsWith(`${e.id}.ts(`) || line.includes(`/${e.id}.ts(`));
    lastKey = example ? `${example.file}:${example.line}` : 'other';
    byExample.set(lastKey, [...(byExample.get(lastKey) ?? []), line]);
  }
  return byExample;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const written = writeExamples();
  if (process.argv.includes('--list')) {
    for (const e of written)
      console.log(`${e.file}:${e.line}${e.assumed.length ? ` (given: ${e.assumed.join(', ')})` : ''}`);
  }
  const errors = typecheckExamples(written);
  for (const [where, lines] of errors) console.error(`${where}\n  ${lines.join('\n  ')}`);
  console.log(
    `${written.length} @example blocks written to ${relative(root, outDir)}; ${errors.size === 0 ? 'all type-check' : `${errors.size} with type errors`}`,
  );
  process.exitCode = errors.size === 0 ? 0 : 1;
}
