/**
 * `npm run build`: the published output, compiled twice by tsc from the same sources.
 *
 *   dist/esm/   ES modules + .d.ts (the package is `"type": "module"`)
 *   dist/cjs/   CommonJS + .d.ts, with a `{"type":"commonjs"}` package.json stub
 *
 * tsc decides a file's module format from the nearest package.json, so the CommonJS pass compiles a
 * copy of src/ placed under `.cache/` next to a `{"type":"commonjs"}` stub (inside the repository, so
 * that node_modules and @types still resolve). Nothing is written into src/: other work in the same
 * checkout keeps running while the build does.
 *
 *   tsx scripts/build.ts             type-checks (ESM pass), then emits both
 *   tsx scripts/build.ts --no-check  emits only (used after `npm run typecheck`, e.g. by check:package)
 *
 * Both passes run in parallel. Source maps are not shipped (their sources would not be in the package).
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** Executables the package declares in `bin` (relative to dist/esm). */
const BIN_FILES = ['cli/main.js'];

function tsc(args: readonly string[]): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [TSC, ...args], { cwd: ROOT, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolveRun() : reject(new Error(`tsc ${args.join(' ')} failed (${signal ?? code})`)),
    );
  });
}

const COMMON = ['--sourceMap', 'false', '--declarationMap', 'false'];

async function buildEsm(check: boolean): Promise<void> {
  await tsc([
    '-p',
    'tsconfig.build.json',
    '--outDir',
    join(DIST, 'esm'),
    ...COMMON,
    ...(check ? [] : ['--noCheck']),
  ]);
}

async function buildCjs(): Promise<void> {
  const work = join(ROOT, '.cache', `build-cjs-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    cpSync(join(ROOT, 'src'), join(work, 'src'), { recursive: true });
    writeFileSync(join(work, 'package.json'), '{ "type": "commonjs" }\n');
    const config = {
      extends: join(ROOT, 'tsconfig.build.json'),
      compilerOptions: {
        noEmit: false,
        rootDir: 'src',
        outDir: join(DIST, 'cjs'),
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      include: ['src'],
    };
    writeFileSync(join(work, 'tsconfig.json'), JSON.stringify(config, null, 2));
    // The ESM pass type-checks the same sources; this one only emits.
    await tsc(['-p', join(work, 'tsconfig.json'), ...COMMON, '--noCheck']);
    writeFileSync(join(DIST, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const check = !process.argv.includes('--no-check');
  const started = performance.now();
  rmSync(join(DIST, 'esm'), { recursive: true, force: true });
  rmSync(join(DIST, 'cjs'), { recursive: true, force: true });
  await Promise.all([buildEsm(check), buildCjs()]);
  for (const bin of BIN_FILES) {
    const file = join(DIST, 'esm', bin);
    if (!existsSync(file)) throw new Error(`bin ${bin} was not emitted`);
    chmodSync(file, 0o755);
  }
  console.log(`build: dist/esm + dist/cjs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
