/**
 * Which build of rocketmq-ts a worker measures. Full runs compile src/ with tsc (what ships) into
 * `.cache/bench-dist` and point workers at it through `BENCH_LIB_DIR`; without it (quick runs) src/ is
 * imported through tsx, whose esbuild transform adds a `__name()` call to every closure it creates
 * (`keepNames`), a cost the shipped JavaScript does not have.
 *
 * The raw grpc-js client loads the generated descriptors and header helpers from the same place.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './children.js';

export const LIB_ENV = 'BENCH_LIB_DIR';

/** Where the build goes. */
export const BUILD_DIR = join(ROOT, '.cache', 'bench-dist');

/** 'tsc' when workers load the compiled build, 'tsx' when they load src/. */
export function librarySource(): 'tsc' | 'tsx' {
  const dir = process.env[LIB_ENV];
  return dir !== undefined && dir !== '' ? 'tsc' : 'tsx';
}

/** Imports `path` (relative to src/, with a .js extension) from the build being measured. */
export async function importLib<T>(path: string): Promise<T> {
  const dir = process.env[LIB_ENV];
  const base = dir !== undefined && dir !== '' ? dir : join(ROOT, 'src');
  return (await import(pathToFileURL(join(base, path)).href)) as T;
}

/**
 * Compiles src/ with tsc into {@link BUILD_DIR}. Returns the directory, or an explanation when there is
 * no usable build (type errors alone do not prevent emitting).
 */
export function buildLibrary(): { dir: string } | { error: string } {
  rmSync(BUILD_DIR, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(
    process.execPath,
    [
      tsc,
      '-p',
      'tsconfig.build.json',
      '--outDir',
      BUILD_DIR,
      '--declaration',
      'false',
      '--sourceMap',
      'false',
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (existsSync(join(BUILD_DIR, 'index.js'))) return { dir: BUILD_DIR };
  return {
    error: `tsc produced no build (exit ${result.status}): ${(result.stdout + result.stderr).slice(0, 500)}`,
  };
}
