/**
 * House rules that a linter does not express, checked over the repository's code:
 *
 * 1. Comments stand alone: no file cites a design document the repository does not hold (the design
 *    notes on the protocol, on reliability, peers, clusters and brokers, the house style document and
 *    its numbered rules, or the Go package the managed layer was modelled on). A comment states the fact
 *    itself; a citation of a file in the repository (e.g. `test/reliability-matrix.md`) is fine.
 * 2. Time only through the seams: in `src/`, outside `src/internal/` (the clock and timer seams
 *    themselves), `src/cli/` (a process entry, not library code) and `src/gen/` (generated), no code
 *    reads the global timers or clocks: `setTimeout`, `setInterval`, `Date.now`, `performance.now`,
 *    a zero-argument `new Date()`, or the `timers` / `perf_hooks` modules. Library code gets time from
 *    the injected `Clock` and `Scheduler` (or a `TimerApi`), so tests can drive it by hand.
 *    `src/testing/` is held to the rule too: the in-process broker takes its clock and timers from its
 *    options, and where it deliberately waits on real time (its server's shutdown grace) it uses
 *    `systemTimers` from `src/internal/timers.ts`.
 *
 * Exits non-zero and lists every finding; `npm run lint` runs it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');

/** Folders whose code is searched for citations. */
export const CITATION_ROOTS = ['src', 'test', 'scripts', 'testcontainers', 'examples', 'bench'];

/** Folders (relative to the repository) never searched. */
const SKIPPED = new Set(['node_modules', 'dist', '.cache', 'src/gen', 'bench/results']);

const CODE_FILE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

/**
 * Citations of documents that are not in the repository. Written with `\s+` so that this file does not
 * match itself.
 */
const CITATION = new RegExp(
  [
    String.raw`\b(?:protocol|reliability|peers|cluster|broker)\s+notes\b`,
    String.raw`\bstyle\s+(?:conventions?|guide)\b`,
    String.raw`\b[Tt]he\s+seed(?:'s)?\b`,
    String.raw`\bseed\s+package\b`,
    String.raw`\b(?:protocol|reliability|peers|cluster|broker|style)\.md\s*§`,
  ].join('|'),
);

/** `src/` folders exempt from the time rule. */
const TIME_EXEMPT = [/^internal\//, /^cli\//, /^gen\//];

const TIMER_GLOBALS = new Set(['setTimeout', 'setInterval']);
const CLOCK_OBJECTS = new Set(['Date', 'performance']);
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);
const TIME_MODULES = new Set([
  'timers',
  'node:timers',
  'timers/promises',
  'node:timers/promises',
  'perf_hooks',
  'node:perf_hooks',
]);

function walk(dir: string, root: string, out: string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const p = join(dir, name);
    const rel = relative(root, p).replaceAll('\\', '/');
    if (SKIPPED.has(name) || SKIPPED.has(rel)) continue;
    const st = statSync(p, { throwIfNoEntry: false });
    if (st === undefined) continue;
    if (st.isDirectory()) walk(p, root, out);
    else if (CODE_FILE.test(name)) out.push(p);
  }
  return out;
}

/** Lines that cite a document not in the repository, as `path:line: text`. */
export function checkCitations(root = ROOT, roots: readonly string[] = CITATION_ROOTS): string[] {
  const problems: string[] = [];
  for (const top of roots) {
    for (const file of walk(join(root, top), root, [])) {
      const rel = relative(root, file).replaceAll('\\', '/');
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (CITATION.test(line))
          problems.push(`${rel}:${i + 1}: cites a document not in the repo: ${line.trim()}`);
      });
    }
  }
  return problems;
}

/** Whether `id` is the name being declared or accessed, rather than a reference to a global. */
function isNameNotReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p)) return p.name === id;
  if (
    ts.isMethodDeclaration(p) ||
    ts.isMethodSignature(p) ||
    ts.isPropertyDeclaration(p) ||
    ts.isPropertySignature(p) ||
    ts.isPropertyAssignment(p) ||
    ts.isGetAccessorDeclaration(p) ||
    ts.isSetAccessorDeclaration(p) ||
    ts.isEnumMember(p)
  )
    return p.name === id;
  return ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isQualifiedName(p);
}

/**
 * Text that may hold a global timer or clock read; only such files are parsed (parsing every file
 * took seconds on a loaded machine). Looser than the syntax check, never stricter.
 */
const TIME_TOKEN =
  /\b(?:setTimeout|setInterval)\b|\b(?:Date|performance)\s*\??\.\s*now\b|\bnew\s+Date\b|['"](?:node:)?(?:timers|perf_hooks)\b/;

/** Global timer and clock reads in one source text, as `line: what`. */
export function findTimeReads(fileName: string, text: string): string[] {
  if (!TIME_TOKEN.test(text)) return [];
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string): void => {
    const { line } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    found.push(`${line + 1}: ${what}`);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && TIMER_GLOBALS.has(node.text) && !isNameNotReference(node)) {
      at(node, `global ${node.text}`);
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const obj = node.expression.text;
      const name = node.name.text;
      if (CLOCK_OBJECTS.has(obj) && name === 'now') at(node, `${obj}.now`);
      else if (GLOBAL_OBJECTS.has(obj) && TIMER_GLOBALS.has(name)) at(node, `${obj}.${name}`);
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'Date' &&
      (node.arguments === undefined || node.arguments.length === 0)
    ) {
      at(node, 'new Date() (reads the wall clock)');
    } else if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      TIME_MODULES.has(node.moduleSpecifier.text)
    ) {
      at(node, `import of '${node.moduleSpecifier.text}'`);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0]) &&
      TIME_MODULES.has(node.arguments[0].text)
    ) {
      at(node, `import of '${node.arguments[0].text}'`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Global timer and clock reads in `src/` outside the exempt folders, as `src/path:line: what`. */
export function checkTime(srcDir = join(ROOT, 'src')): string[] {
  const problems: string[] = [];
  for (const file of walk(srcDir, srcDir, [])) {
    const rel = relative(srcDir, file).replaceAll('\\', '/');
    if (TIME_EXEMPT.some((re) => re.test(rel))) continue;
    for (const hit of findTimeReads(file, readFileSync(file, 'utf8'))) {
      problems.push(`src/${rel}:${hit} (use the injected Clock / Scheduler / TimerApi)`);
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const problems = [...checkCitations(), ...checkTime()];
  if (problems.length > 0) {
    console.error(`House check failed (${problems.length}):\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('House check passed.');
}
