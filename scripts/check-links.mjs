#!/usr/bin/env node
// Every relative link of the READMEs and docs/ — and every `docs/<file>.md#section` a source comment
// cites — must resolve: the file exists and, with a `#fragment`, the target has a heading of that
// anchor (GitHub's rule: lower case, punctuation dropped, spaces to hyphens, `-1`… for repeats).
// Usage: node scripts/check-links.mjs   (exit 1 listing every broken link)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..');

/** GitHub's anchors of a markdown text's headings (outside code fences). */
export function anchorsOf(markdown) {
  const anchors = new Set();
  const seen = new Map();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function walk(dir, keep, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, keep, out);
    else if (keep(path)) out.push(path);
  }
  return out;
}

/** The documents checked: READMEs of the root, packages and examples, and docs/. */
export function documents() {
  return [
    join(root, 'README.md'),
    ...walk(join(root, 'packages'), (p) => p.endsWith('README.md')),
    ...walk(join(root, 'examples'), (p) => p.endsWith('README.md')),
    ...walk(join(root, 'docs'), (p) => p.endsWith('.md')),
  ].filter((p) => existsSync(p));
}

function checkTarget(from, target, where, problems) {
  const [path, fragment] = target.split('#');
  const file = path === '' ? from : resolve(dirname(from), decodeURI(path));
  if (!existsSync(file)) {
    problems.push(`${where}: ${target}: no such file ${relative(root, file)}`);
    return;
  }
  if (fragment && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(fragment)) {
    problems.push(`${where}: ${target}: ${relative(root, file)} has no section #${fragment}`);
  }
}

/** Broken links, as `file:line: target: reason` lines. */
export function brokenLinks() {
  const problems = [];
  for (const doc of documents()) {
    let fenced = false;
    readFileSync(doc, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/^```/.test(line)) fenced = !fenced;
        if (fenced) return;
        for (const m of line.matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
          const target = m[1];
          if (/^(?:[a-z]+:|\/\/)/i.test(target)) continue; // http:, mailto:, …
          checkTarget(doc, target, `${relative(root, doc)}:${i + 1}`, problems);
        }
      });
  }
  // Sections of the project's docs cited from source comments: `docs/kpis.md#charge-cycles`.
  const sources = walk(join(root, 'packages'), (p) => /\.(ts|mts|cts)$/.test(p)).concat(
    walk(join(root, 'examples'), (p) => /\.(ts|mts|cts)$/.test(p)),
  );
  for (const source of sources) {
    readFileSync(source, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(/\bdocs\/[\w./-]+\.md(?:#[\w-]+)?/g)) {
          checkTarget(join(root, 'x'), m[0], `${relative(root, source)}:${i + 1}`, problems);
        }
      });
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = brokenLinks();
  for (const p of problems) console.error(p);
  console.log(`${documents().length} documents checked; ${problems.length} broken link(s)`);
  process.exitCode = problems.length === 0 ? 0 : 1;
}
