/** Machine, versions and load of a run, recorded with its results. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { VERSION } from '../../src/version.js';
import { canPin, ROOT } from './children.js';

export interface Environment {
  readonly date: string;
  /** The measured commit (`git rev-parse HEAD`, `+dirty` with uncommitted changes), or `unknown`. */
  readonly commit: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly pinned: boolean;
  readonly loadAverageStart: readonly number[];
  loadAverageEnd?: readonly number[];
  /** The real broker's source and version, when that target ran. */
  broker?: string;
  /** Which build of rocketmq-ts (and of the raw client's helpers) the workers loaded. */
  library?: string;
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '?';
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', 'src', 'bench') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

export function describeEnvironment(): Environment {
  return {
    date: new Date().toISOString(),
    commit: gitCommit(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    versions: {
      'rocketmq-ts': VERSION,
      'rocketmq-client-nodejs': packageVersion('rocketmq-client-nodejs'),
      '@grpc/grpc-js': packageVersion('@grpc/grpc-js'),
      '@bufbuild/protobuf': packageVersion('@bufbuild/protobuf'),
      'google-protobuf': packageVersion('google-protobuf'),
    },
    pinned: canPin() && os.cpus().length >= 2,
    loadAverageStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}
