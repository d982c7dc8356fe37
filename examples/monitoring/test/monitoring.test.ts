/**
 * The monitoring examples against the metrics the libraries really register:
 * docs/metrics.md documents exactly those names, the alert rules pass
 * `promtool check rules` and their unit tests (`promtool test rules`), the
 * scrape config passes `promtool check config`, and the Grafana dashboard
 * queries only documented names.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cdcPrometheusMetrics } from '@bionicpro/cdc/prometheus';
import { etlPrometheusMetrics } from '@bionicpro/etl/prometheus';
import { reportsPrometheusMetrics } from '@bionicpro/reports/prometheus';
import { describe, expect, it } from 'vitest';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const monitoring = here('..');
/** promtool comes with the Debian package `prometheus` (the test stack installs it). */
const promtool = process.env.BIONICPRO_PROMTOOL_BIN ?? '/usr/bin/promtool';

async function runPromtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await promisify(execFile)(promtool, args, {
      cwd: monitoring,
      encoding: 'utf8',
    });
    return `${stdout}${stderr}`;
  } catch (error) {
    const { stdout = '', stderr = '', code } = error as { stdout?: string; stderr?: string; code?: unknown };
    throw new Error(`promtool ${args.join(' ')} failed (${String(code)}):\n${stdout}${stderr}`);
  }
}

/** Names in the first column of docs/metrics.md's tables, with their type. */
async function documentedMetrics(): Promise<Map<string, string>> {
  const text = await readFile(here('../../../docs/metrics.md'), 'utf8');
  const rows = [...text.matchAll(/^\| `(bionicpro_\w+)` \| (counter|gauge|histogram) \|/gm)];
  return new Map(rows.map((m) => [m[1] as string, m[2] as string]));
}

/** Metric names a PromQL text refers to, a histogram's `_bucket`/`_sum`/`_count` series mapped to the histogram. */
function referencedMetrics(promql: string, documented: Map<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [name] of promql.matchAll(/\bbionicpro_\w+/g)) {
    const histogram = /^(.*)_(bucket|sum|count)$/.exec(name)?.[1];
    names.add(histogram !== undefined && documented.get(histogram) === 'histogram' ? histogram : name);
  }
  return names;
}

describe('docs/metrics.md', () => {
  it('documents exactly the metrics the three libraries register, with their types', async () => {
    const documented = await documentedMetrics();
    const registered = new Map<string, string>();
    for (const { registry } of [reportsPrometheusMetrics(), etlPrometheusMetrics(), cdcPrometheusMetrics()]) {
      for (const metric of await registry.getMetricsAsJSON())
        registered.set(metric.name, String(metric.type));
    }
    expect(registered.size).toBeGreaterThan(25);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(registered));
    for (const name of registered.keys()) {
      expect(name).toMatch(/^bionicpro_(reports|etl|cdc)_[a-z_]+$/);
      if (registered.get(name) === 'counter') expect(name).toMatch(/_total$/);
      if (registered.get(name) === 'histogram') expect(name).toMatch(/_seconds$/);
    }
  });
});

describe('alert rules', () => {
  it('pass promtool check rules', async () => {
    expect(await runPromtool('check', 'rules', 'alerts.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their promtool unit tests (alerts.test.yml, alerts-monthly.test.yml)', async () => {
    const output = await runPromtool('test', 'rules', 'alerts.test.yml', 'alerts-monthly.test.yml');
    expect(output.match(/SUCCESS/g)).toHaveLength(2);
  });

  it('cover lag growing, dead letters, no ETL success for a month and JWKS refresh failing, with documented names only', async () => {
    const rules = await readFile(here('../alerts.yml'), 'utf8');
    for (const alert of [
      'BionicproCdcConsumerLagGrowing',
      'BionicproCdcDeadLetters',
      'BionicproEtlNoSuccessForAMonth',
      'BionicproReportsJwksRefreshFailing',
    ]) {
      expect(rules).toContain(`- alert: ${alert}\n`);
    }
    const documented = await documentedMetrics();
    for (const name of referencedMetrics(rules, documented)) expect(documented.has(name), name).toBe(true);
  });

  it('are wired into the example scrape config, which passes promtool check config', async () => {
    expect(await runPromtool('check', 'config', 'prometheus.yml')).toContain('SUCCESS: 1 rule files found');
  });
});

describe('grafana-dashboard.json', () => {
  it('queries only documented metric names, and each section of docs/metrics.md has panels', async () => {
    const dashboard = JSON.parse(await readFile(here('../grafana-dashboard.json'), 'utf8')) as {
      uid: string;
      panels: { type: string; title: string; targets?: { expr: string }[] }[];
    };
    expect(dashboard.uid).toBe('bionicpro-pipeline');
    const documented = await documentedMetrics();
    const queried = new Set<string>();
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        const names = referencedMetrics(target.expr, documented);
        expect(names.size, `${panel.title}: ${target.expr}`).toBeGreaterThan(0);
        for (const name of names) {
          expect(documented.has(name), `${panel.title} queries undocumented ${name}`).toBe(true);
          queried.add(name);
        }
      }
    }
    for (const component of ['reports', 'etl', 'cdc']) {
      expect([...queried].filter((n) => n.startsWith(`bionicpro_${component}_`)).length).toBeGreaterThan(3);
    }
  });
});
