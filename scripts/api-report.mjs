#!/usr/bin/env node
// The checked-in API report of every published package (our equivalent of api-extractor).
//
// For each entry point in a package's `exports` map it reads the built declarations
// (`dist/<entry>.d.ts`) with the TypeScript compiler and writes `api/<entry>.api.md`: every
// exported name, its kind and its declaration text, in name order. Declarations are followed
// through tsup's hashed chunk files (`monthly-job-HA3HuF3-.d.ts`) and printed without comments,
// so a rebuild of the same sources gives the same report. Types an export refers to that the
// entry point does not export are listed too ("reachable, not exported"): changing one of them
// changes the API as much as changing an export does.
//
//   node scripts/api-report.mjs           write the reports (pnpm api:update)
//   node scripts/api-report.mjs --check   exit 1 with a diff when a report differs (pnpm api:check)
//
// Both need `pnpm build` first. A stable entry point that exports something tagged `@internal`
// is an error: internals belong at an unstable subpath (`./internal`) or unexported. So is a
// stable entry point missing from the package's typedoc.json (the API reference would skip it).
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** Entry points whose exports carry no semver promise; `@internal` exports are allowed there. */
export const UNSTABLE_ENTRIES = new Set(['internal']);

const REPORT_DIR = 'api';
const UPDATE_HINT = 'run pnpm api:update and add a changeset (pnpm changeset)';

/** The report file name of an `exports` key: `.` → `index`, `./kafkajs` → `kafkajs`. */
export function entryName(exportKey) {
  return exportKey === '.' ? 'index' : exportKey.slice(2).replaceAll('/', '-');
}

/** The `.d.ts` file of an `exports` entry (the ESM `types` condition), or undefined. */
function typesPathOf(target) {
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  if (target === null || typeof target !== 'object') return undefined;
  if (typeof target.types === 'string') return target.types;
  for (const key of ['import', 'default', 'require']) {
    const found = typesPathOf(target[key]);
    if (found) return found;
  }
  return undefined;
}

/** The entry points of a package directory: `{ key, name, specifier, dts }` per typed export. */
export function entryPointsOf(packageDir) {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const entries = [];
  for (const [key, target] of Object.entries(manifest.exports ?? {})) {
    if (key === './package.json') continue;
    const types = typesPathOf(target);
    if (!types) continue;
    entries.push({
      key,
      name: entryName(key),
      specifier: key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`,
      dts: resolve(packageDir, types),
    });
  }
  return { manifest, entries };
}

const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

/** Rollup renames clashing declarations `Name$1`; the suffix depends on unrelated code, so drop it. */
const stripRenames = (text) => text.replace(/\b([A-Za-z_][\w]*)\$\d+\b/g, '$1');

function kindOf(node) {
  if (ts.isFunctionDeclaration(node)) return 'function';
  if (ts.isClassDeclaration(node))
    return node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AbstractKeyword) ? 'abstract class' : 'class';
  if (ts.isInterfaceDeclaration(node)) return 'interface';
  if (ts.isTypeAliasDeclaration(node)) return 'type';
  if (ts.isEnumDeclaration(node)) return 'enum';
  if (ts.isModuleDeclaration(node)) return 'namespace';
  if (ts.isVariableDeclaration(node)) {
    const list = node.parent;
    return list && (list.flags & ts.NodeFlags.Const) !== 0 ? 'const' : 'let';
  }
  return ts.SyntaxKind[node.kind];
}

/**
 * The declaration with the members of every object type literal in name order. The compiler's
 * declaration emit writes inferred object types (a `z.enum([...])`'s `{ a: "a"; b: "b" }`) in an
 * order that changes from one build to the next; member order carries no meaning in a type.
 */
function withSortedTypeLiterals(node) {
  const nameOf = (member) => (member.name ? (member.name.getText?.() ?? member.name.text ?? '') : '');
  const visit = (child) => {
    const visited = ts.visitEachChild(child, visit, undefined);
    if (ts.isTypeLiteralNode(visited) && visited.members.every((m) => ts.isPropertySignature(m))) {
      const members = [...visited.members].sort((a, b) =>
        nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0,
      );
      return ts.factory.updateTypeLiteralNode(visited, ts.factory.createNodeArray(members));
    }
    return visited;
  };
  return ts.visitNode(node, visit);
}

/** The text of one declaration, comments dropped, printed by the compiler (stable formatting). */
function declarationText(original) {
  const sourceFile = original.getSourceFile();
  const node = withSortedTypeLiterals(original);
  let printed;
  if (ts.isVariableDeclaration(original)) {
    const keyword = kindOf(original);
    printed = `declare ${keyword} ${printer.printNode(ts.EmitHint.Unspecified, node, sourceFile)};`;
  } else {
    printed = printer.printNode(ts.EmitHint.Unspecified, node, sourceFile);
  }
  // The name a declaration has in the chunk is not necessarily the exported one; `export` and
  // `declare` modifiers depend on how rollup laid out the chunk. Normalise both.
  return stripRenames(
    printed.replace(/^(export )?(declare )?/, 'declare ').replace(/^declare declare /, 'declare '),
  );
}

function tagsOf(node) {
  const target = ts.isVariableDeclaration(node) ? node.parent.parent : node;
  return ts
    .getJSDocTags(target)
    .map((tag) => tag.tagName.text)
    .filter((tag) => ['internal', 'deprecated', 'beta', 'alpha', 'experimental'].includes(tag));
}

/** Identifiers in type positions and `typeof` queries of a declaration, for the reachability walk. */
function referencedIdentifiers(node) {
  const found = [];
  const visit = (n) => {
    if (ts.isTypeReferenceNode(n))
      found.push(ts.isIdentifier(n.typeName) ? n.typeName : leftmost(n.typeName));
    else if (ts.isExpressionWithTypeArguments(n) && ts.isIdentifier(n.expression)) found.push(n.expression);
    else if (ts.isTypeQueryNode(n))
      found.push(ts.isIdentifier(n.exprName) ? n.exprName : leftmost(n.exprName));
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(node, visit);
  return found;
}
const leftmost = (name) => (ts.isIdentifier(name) ? name : leftmost(name.left));

/**
 * The API report of one `.d.ts` entry file: `{ text, errors }`. `ownDir` bounds what counts as
 * this package's code (types from other packages are in their own reports); `title` heads the
 * report; `unstable` allows `@internal` exports.
 */
export function reportOfEntry(dtsFile, { ownDir = dirname(dtsFile), title, unstable = false, program } = {}) {
  const errors = [];
  if (!existsSync(dtsFile)) {
    return { text: '', errors: [`${dtsFile}: not found (run pnpm build first)`] };
  }
  program ??= declarationProgram([dtsFile]);
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(dtsFile);
  const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile);
  const ownRoot = realpathSync(ownDir) + sep;
  const isOwn = (declaration) => {
    const file = declaration.getSourceFile().fileName;
    try {
      return realpathSync(file).startsWith(ownRoot);
    } catch {
      return false;
    }
  };
  const resolveAlias = (symbol) =>
    symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;

  const exported = new Map(); // resolved symbol → exported name
  const sections = [];
  const exportSymbols = moduleSymbol ? checker.getExportsOfModule(moduleSymbol) : [];
  for (const symbol of exportSymbols) exported.set(resolveAlias(symbol), symbol.name);

  const renderSymbol = (name, symbol) => {
    const declarations = (symbol.declarations ?? []).filter((d) => !ts.isSourceFile(d));
    if (declarations.length === 0) return { body: `### \`${name}\`\n\n(no declaration found)\n`, nodes: [] };
    const kinds = [...new Set(declarations.map(kindOf))];
    const tags = [...new Set(declarations.flatMap(tagsOf))];
    const texts = declarations.map(declarationText);
    const external = declarations.every((d) => !isOwn(d));
    const heading = `### \`${name}\` — ${kinds.join(' + ')}${tags.length ? ` (${tags.map((t) => `@${t}`).join(', ')})` : ''}`;
    const from = external ? `\nRe-exported from another package.\n` : '';
    return {
      body: `${heading}\n${from}\n\`\`\`ts\n${texts.join('\n')}\n\`\`\`\n`,
      nodes: external ? [] : declarations,
      tags,
    };
  };

  const pending = [];
  const exportEntries = [...exported.entries()].sort((a, b) => compareNames(a[1], b[1]));
  for (const [symbol, name] of exportEntries) {
    const rendered = renderSymbol(name, symbol);
    sections.push(rendered.body);
    pending.push(...rendered.nodes);
    if (!unstable && rendered.tags?.includes('internal')) {
      errors.push(
        `${title ?? dtsFile}: exports \`${name}\`, which is marked @internal — move it to an unstable subpath (./internal) or stop exporting it`,
      );
    }
  }

  // Types reachable from the exports but not exported themselves (api-extractor's "forgotten exports").
  const reachable = new Map();
  const seen = new Set();
  while (pending.length > 0) {
    const node = pending.pop();
    for (const identifier of referencedIdentifiers(node)) {
      let symbol = checker.getSymbolAtLocation(identifier);
      if (!symbol) continue;
      symbol = resolveAlias(symbol);
      if (seen.has(symbol)) continue;
      seen.add(symbol);
      if (exported.has(symbol)) continue;
      const declarations = (symbol.declarations ?? []).filter(
        (d) => !ts.isSourceFile(d) && !ts.isTypeParameterDeclaration(d) && isOwn(d),
      );
      if (declarations.length === 0) continue;
      reachable.set(symbol, stripRenames(symbol.name));
      pending.push(...declarations);
    }
  }
  const reachableSections = [...reachable.entries()]
    .sort((a, b) => compareNames(a[1], b[1]))
    .map(([symbol, name]) => renderSymbol(name, symbol).body);

  const lines = [
    `# API report: \`${title ?? relative(process.cwd(), dtsFile)}\``,
    '',
    '<!-- Generated by scripts/api-report.mjs from the built declarations. Do not edit: run `pnpm api:update`. -->',
    '',
  ];
  if (unstable) {
    lines.push('**Unstable entry point:** no semver promise; anything here may change in any release.', '');
  }
  lines.push(`## Exports (${sections.length})`, '', ...sections);
  if (reachableSections.length > 0) {
    lines.push(
      `## Reachable from the exports, not exported (${reachableSections.length})`,
      '',
      'Types the exports of this entry point refer to without exporting them (another entry point of the package may): a change to one is a change to the API.',
      '',
      ...reachableSections,
    );
  }
  return { text: `${lines.join('\n').trimEnd()}\n`, errors };
}

/** One compiler program over several entry files (they share chunks, so one is much faster than one each). */
function declarationProgram(files) {
  return ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
}

const compareNames = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** Every report of a package: `{ files: Map<path relative to the package, text>, errors }`. */
export function reportsOfPackage(packageDir) {
  const { manifest, entries } = entryPointsOf(packageDir);
  const files = new Map();
  const errors = [];
  const program = declarationProgram(entries.map((e) => e.dts).filter((f) => existsSync(f)));
  for (const entry of entries) {
    const report = reportOfEntry(entry.dts, {
      program,
      ownDir: packageDir,
      title: entry.specifier,
      unstable: UNSTABLE_ENTRIES.has(entry.name),
    });
    errors.push(...report.errors);
    files.set(`${REPORT_DIR}/${entry.name}.api.md`, report.text);
  }
  return { name: manifest.name, files, errors };
}

/**
 * A unified-style diff of two texts (common head and tail trimmed, an LCS over the rest),
 * enough to show what changed in a report.
 */
export function diffLines(before, after, context = 3) {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  const out = [];
  const head = Math.max(0, start - context);
  out.push(`@@ line ${head + 1} @@`);
  for (let i = head; i < start; i++) out.push(`  ${a[i]}`);
  if (midA.length * midB.length > 4_000_000) {
    for (const line of midA) out.push(`- ${line}`);
    for (const line of midB) out.push(`+ ${line}`);
  } else {
    const n = midA.length;
    const m = midB.length;
    const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = midA[i] === midB[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && midA[i] === midB[j]) {
        out.push(`  ${midA[i]}`);
        i++;
        j++;
      } else if (i < n && (j === m || lcs[i + 1][j] >= lcs[i][j + 1])) {
        out.push(`- ${midA[i++]}`);
      } else {
        out.push(`+ ${midB[j++]}`);
      }
    }
  }
  for (let k = endA; k < Math.min(a.length, endA + context); k++) out.push(`  ${a[k]}`);
  return out.join('\n');
}

/**
 * The API reference (typedoc) documents the stable entry points: `<package>/typedoc.json` must list
 * the source file of each (`.` → `src/index.ts`, `./kafkajs` → `src/kafkajs.ts`) and nothing else,
 * so an entry point added to `exports` cannot go undocumented. Returns the problems found.
 */
export function typedocEntryProblems(packageDir) {
  const { manifest, entries } = entryPointsOf(packageDir);
  const configPath = join(packageDir, 'typedoc.json');
  const where = relative(process.cwd(), configPath);
  if (!existsSync(configPath)) return [`${manifest.name}: ${where} is missing (the API reference needs it)`];
  const listed = new Set(JSON.parse(readFileSync(configPath, 'utf8')).entryPoints ?? []);
  const expected = new Set(
    entries
      .filter((e) => !UNSTABLE_ENTRIES.has(e.name))
      .map((e) => (e.key === '.' ? 'src/index.ts' : `src/${e.key.slice(2)}.ts`)),
  );
  const problems = [];
  for (const file of expected) {
    if (!listed.has(file))
      problems.push(`${manifest.name}: ${where} does not list ${file}, a stable entry point`);
  }
  for (const file of listed) {
    if (!expected.has(file))
      problems.push(`${manifest.name}: ${where} lists ${file}, which is not a stable entry point`);
  }
  return problems;
}

/**
 * Writes (`update`) or compares (`check`) the reports of every non-private package under
 * `packagesDir`. Returns `{ ok, messages }`; `check` never writes. With `typedoc`, also checks
 * that each package's typedoc.json lists its stable entry points.
 */
export function runApiReport(packagesDir, { check = false, typedoc = false } = {}) {
  const messages = [];
  let ok = true;
  const dirs = readdirSync(packagesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(packagesDir, d.name, 'package.json')))
    .map((d) => join(packagesDir, d.name))
    .sort();
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    if (manifest.private || !manifest.exports) continue;
    const { name, files, errors } = reportsOfPackage(dir);
    if (typedoc) errors.push(...typedocEntryProblems(dir));
    if (errors.length > 0) {
      ok = false;
      messages.push(...errors.map((e) => `error: ${e}`));
    }
    const reportDir = join(dir, REPORT_DIR);
    const stale = existsSync(reportDir)
      ? readdirSync(reportDir).filter((f) => f.endsWith('.api.md') && !files.has(`${REPORT_DIR}/${f}`))
      : [];
    if (check) {
      for (const [file, text] of files) {
        const path = join(dir, file);
        const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
        if (current === text) continue;
        ok = false;
        const where = relative(process.cwd(), path);
        messages.push(
          current === undefined
            ? `${name}: ${where} is missing (a new entry point?)`
            : `${name}: the API differs from ${where}:\n${diffLines(current, text)}`,
        );
      }
      for (const file of stale) {
        ok = false;
        messages.push(
          `${name}: ${relative(process.cwd(), join(reportDir, file))} has no entry point any more`,
        );
      }
    } else {
      mkdirSync(reportDir, { recursive: true });
      for (const [file, text] of files) writeFileSync(join(dir, file), text);
      for (const file of stale) rmSync(join(reportDir, file));
      messages.push(
        `${name}: ${files.size} report(s) written${stale.length ? `, ${stale.length} removed` : ''}`,
      );
    }
  }
  if (check && !ok) messages.push(`\nThe public API changed: ${UPDATE_HINT}.`);
  if (check && ok) messages.push('API reports match the build');
  return { ok, messages };
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const check = process.argv.includes('--check');
  const root = resolve(import.meta.dirname, '..');
  const { ok, messages } = runApiReport(join(root, 'packages'), { check, typedoc: true });
  (ok ? console.log : console.error)(messages.join('\n'));
  process.exit(ok ? 0 : 1);
}
