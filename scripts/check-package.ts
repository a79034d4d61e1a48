/**
 * `npm run check:package` (part of `npm test`): checks what users would install, not the sources.
 *
 *  1. build dist/esm + dist/cjs (`scripts/build.ts --no-check`; `npm test` has type-checked already)
 *  2. `npm pack` into a scratch directory under .cache/
 *  3. `attw` (are-the-types-wrong) and `publint --strict` on that tarball, in parallel
 *  4. the tarball's library files (everything but the CLI) never mention `__dirname`, `__filename`,
 *     `import.meta`, `package.json` or `node:fs`: nothing is read from or written to disk at import
 *     and, in the published ESM .d.ts of every entry (after stripInternal), which must
 *     type-check, no exported type reaches a generated (gen/) declaration
 *  5. the tarball installed as node_modules/rocketmq-ts: `require()` of each entry (core, testing, admin) gives the same
 *     exports as `import`, and an error from the CJS copy passes `instanceof` of the ESM copy
 *  6. scripts/package-check/smoke-example.mjs (Producer + SimpleConsumer against
 *     `rocketmq-ts/testing`) bundled by esbuild into ONE file, run in an empty directory with an empty
 *     HOME and TMPDIR and no node_modules; afterwards those directories must still hold only the bundle
 *  7. the installed `rocketmq-ts` bin answers `--version`
 *
 * Exits non-zero with the failing step. Everything scratch is removed at the end.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { createDeclarationProgram, inspectModule } from '../test/helpers/public-api.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const EXAMPLE = join(ROOT, 'scripts', 'package-check', 'smoke-example.mjs');

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

async function must(step: string, command: string, args: readonly string[], options = {}): Promise<string> {
  const r = await run(command, args, options);
  if (r.code !== 0) {
    throw new Error(`${step} failed (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

const FORBIDDEN = [
  /__dirname/,
  /__filename/,
  /import\.meta/,
  /package\.json/,
  /['"](node:)?fs(\/promises)?['"]/,
];

function scanLibraryFiles(pkg: string): void {
  const offenders: string[] = [];
  for (const file of files(join(pkg, 'dist'))) {
    const rel = relative(pkg, file).replaceAll('\\', '/');
    if (!rel.endsWith('.js') || /^dist\/(esm|cjs)\/cli\//.test(rel)) continue;
    // Comments may mention these words; code may not.
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const re of FORBIDDEN) if (re.test(text)) offenders.push(`${rel}: ${re.source}`);
  }
  if (offenders.length > 0) {
    throw new Error(`library files touch the file system or their location:\n  ${offenders.join('\n  ')}`);
  }
}

/**
 * Walks the types of every export of every entry in the PUBLISHED declarations (after stripInternal) with the compiler-API walk of test/helpers/public-api.ts: no exported type may reach a
 * declaration under dist/…/gen/.
 */
function checkPublishedTypes(pkg: string): number {
  let walked = 0;
  // The CJS declarations are emitted from the same sources; attw checks how both resolve.
  for (const format of ['esm']) {
    const dist = join(pkg, 'dist', format);
    const entries = [
      join(dist, 'index.d.ts'),
      join(dist, 'testing', 'index.d.ts'),
      join(dist, 'admin', 'index.d.ts'),
    ];
    const program = createDeclarationProgram(entries);
    const errors = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) {
      throw new Error(
        `published ${format} declarations do not type-check:\n${ts.formatDiagnostics(errors, {
          getCanonicalFileName: (f) => f,
          getCurrentDirectory: () => pkg,
          getNewLine: () => '\n',
        })}`,
      );
    }
    for (const entry of entries) {
      const { exports, leaks } = inspectModule(program, entry, { own: dist, gen: join(dist, 'gen') });
      if (leaks.length > 0) {
        throw new Error(`${relative(pkg, entry)} exposes generated types:\n  ${leaks.join('\n  ')}`);
      }
      walked += exports.length;
    }
  }
  return walked;
}

const CJS_PROBE = `
const cjs = require('rocketmq-ts');
const cjsTesting = require('rocketmq-ts/testing');
const cjsAdmin = require('rocketmq-ts/admin');
Promise.all([import('rocketmq-ts'), import('rocketmq-ts/testing'), import('rocketmq-ts/admin')]).then(([esm, esmTesting, esmAdmin]) => {
  const same = (a, b) => JSON.stringify(Object.keys(a).sort()) === JSON.stringify(Object.keys(b).sort());
  if (!same(cjs, esm)) throw new Error('require and import of rocketmq-ts differ');
  if (!same(cjsTesting, esmTesting)) throw new Error('require and import of rocketmq-ts/testing differ');
  if (!same(cjsAdmin, esmAdmin) || typeof cjsAdmin.Admin !== 'function') throw new Error('require and import of rocketmq-ts/admin differ');
  if (cjs.Producer === esm.Producer) throw new Error('expected two copies (CJS and ESM)');
  if (!(new cjs.RocketMQError('x', 'INTERNAL') instanceof esm.RocketMQError)) throw new Error('instanceof across copies');
  console.log(Object.keys(cjs).length + ' + ' + Object.keys(cjsTesting).length + ' + ' + Object.keys(cjsAdmin).length + ' exports');
});
`;

async function main(): Promise<void> {
  const t0 = performance.now();
  const lap = (what: string): void => {
    console.log(`check:package: ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  };
  const scratch = join(ROOT, '.cache', `package-check-${process.pid}`);
  const empty = mkdtempSync(join(tmpdir(), 'rocketmq-ts-bundle-'));
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    await must('build', process.execPath, [join(BIN, 'tsx'), 'scripts/build.ts', '--no-check']);
    lap('built');

    const packed = JSON.parse(
      await must('npm pack', 'npm', ['pack', '--json', '--pack-destination', scratch]),
    ) as Array<{ filename: string; entryCount: number; size: number }>;
    const tarball = join(scratch, packed[0]!.filename);
    lap(
      `packed ${packed[0]!.filename}: ${packed[0]!.entryCount} files, ${(packed[0]!.size / 1024).toFixed(0)} KiB`,
    );

    // attw and publint run as child processes while this process checks the extracted files.
    const linters = Promise.all([
      must('attw', join(BIN, 'attw'), [tarball, '--format', 'ascii']),
      must('publint', join(BIN, 'publint'), ['run', tarball, '--strict']),
    ]);
    linters.catch(() => {});

    const pkg = join(scratch, 'node_modules', 'rocketmq-ts');
    mkdirSync(pkg, { recursive: true });
    await must('extract', 'tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1']);
    scanLibraryFiles(pkg);
    lap('library files: no __dirname/import.meta/package.json/fs');
    lap(`published types reach no generated type (${checkPublishedTypes(pkg)} exports walked)`);
    const [attw, publint] = await linters;
    if (!/No problems found/.test(attw)) throw new Error(`attw reported problems:\n${attw}`);
    lap(`attw: no problems found; publint: ${publint.trim().split('\n').pop()}`);

    const probe = await must('require/import probe', process.execPath, ['-e', CJS_PROBE], { cwd: scratch });
    lap(`require() and import agree: ${probe.trim()}`);

    cpSync(EXAMPLE, join(scratch, 'smoke-example.mjs'));
    const bundle = join(empty, 'bundle.cjs');
    await must(
      'esbuild',
      join(BIN, 'esbuild'),
      [
        'smoke-example.mjs',
        '--bundle',
        '--platform=node',
        '--format=cjs',
        '--log-level=warning',
        `--outfile=${bundle}`,
      ],
      { cwd: scratch },
    );
    lap(`bundled into one file: ${(statSync(bundle).size / 1024).toFixed(0)} KiB`);

    const home = join(empty, 'home');
    const tmp = join(empty, 'tmp');
    mkdirSync(home);
    mkdirSync(tmp);
    const before = files(empty).map((f) => relative(empty, f));
    const out = await must('bundle run', process.execPath, [bundle], {
      cwd: empty,
      env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: tmp },
    });
    const after = files(empty).map((f) => relative(empty, f));
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      throw new Error(`the bundle wrote to disk: ${after.filter((f) => !before.includes(f)).join(', ')}`);
    }
    if (!/sent 3, received message 0 \| message 1 \(tag filter a\|\|b\), acked 2/.test(out)) {
      throw new Error(`unexpected bundle output:\n${out}`);
    }
    lap(`bundle ran in an empty directory, wrote nothing: ${out.trim()}`);

    const version = await must(
      'bin',
      process.execPath,
      [join(pkg, 'dist', 'esm', 'cli', 'main.js'), '--version'],
      {
        cwd: scratch,
      },
    );
    const expected = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
    if (version.trim() !== expected) throw new Error(`bin --version printed "${version.trim()}"`);
    lap(`bin rocketmq-ts --version: ${version.trim()}`);
    console.log('check:package passed');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`check:package FAILED: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
