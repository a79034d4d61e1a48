/**
 * The RocketMQ jars for the local JVM broker, fetched once with Maven into a cache shared by all
 * runs: `$ROCKETMQ_TS_CACHE` or `~/.cache/rocketmq-ts`, then `rocketmq-<version>/lib`.
 *
 * Concurrency: one fetcher at a time (an atomic `mkdir` lock holding the owner's pid; a lock whose
 * owner is dead is broken). Maven writes into a private temp dir that is renamed into place, and
 * a `complete.json` marker (listing every jar) is written last, so a reader never sees a partial
 * cache. With a complete cache Maven is not run at all (works offline).
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEFAULT_ROCKETMQ_VERSION = '5.4.0';

/** The RocketMQ version used by the JVM and Docker paths (`ROCKETMQ_TS_BROKER_VERSION` overrides). */
export function rocketmqVersion(): string {
  return process.env.ROCKETMQ_TS_BROKER_VERSION || DEFAULT_ROCKETMQ_VERSION;
}

export function cacheRoot(): string {
  return process.env.ROCKETMQ_TS_CACHE || join(homedir(), '.cache', 'rocketmq-ts');
}

export interface JarCache {
  dir: string;
  lib: string;
  marker: string;
  lock: string;
}

export function jarCache(version = rocketmqVersion()): JarCache {
  const dir = join(cacheRoot(), `rocketmq-${version}`);
  return { dir, lib: join(dir, 'lib'), marker: join(dir, 'complete.json'), lock: join(dir, '.lock') };
}

interface Marker {
  version: string;
  jars: string[];
  fetchedAt: string;
  fetchMs: number;
}

/** True when the marker exists and every jar it lists is present. */
export function isCacheComplete(cache = jarCache()): boolean {
  try {
    const m = JSON.parse(readFileSync(cache.marker, 'utf8')) as Marker;
    return m.jars.length > 0 && m.jars.every((j) => existsSync(join(cache.lib, j)));
  } catch {
    return false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(join(lock, 'owner'), `${process.pid}\n`);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  // Break a stale lock: dead owner, or no owner file for a while (crashed between mkdir and write).
  try {
    const owner = Number(readFileSync(join(lock, 'owner'), 'utf8').trim());
    if (owner && !pidAlive(owner)) rmSync(lock, { recursive: true, force: true });
  } catch {
    try {
      if (Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true });
    } catch {
      // vanished meanwhile
    }
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function runMaven(
  args: string[],
  cwd: string,
  log: (l: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('mvn', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], signal });
    let out = '';
    const collect = (b: Buffer) => {
      out += b.toString();
      if (out.length > 20_000) out = out.slice(-20_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (e) => reject(new Error(`cannot run mvn: ${e.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolve();
      else {
        log(out);
        reject(
          new Error(
            `mvn ${args.join(' ')} failed with exit code ${code}:\n${out.split('\n').slice(-30).join('\n')}`,
          ),
        );
      }
    });
  });
}

export interface EnsureJarsOptions {
  log?: (line: string) => void;
  signal?: AbortSignal | undefined;
  /** How long to wait for another process's fetch (default 10 min). */
  waitMs?: number;
  /** RocketMQ version to fetch (default {@link rocketmqVersion}). */
  version?: string | undefined;
}

/** Returns the lib dir, fetching the jars with Maven first when the cache is incomplete. */
export async function ensureJars(opts: EnsureJarsOptions = {}): Promise<string> {
  const version = opts.version ?? rocketmqVersion();
  const cache = jarCache(version);
  const log = opts.log ?? (() => undefined);
  if (isCacheComplete(cache)) return cache.lib;
  mkdirSync(cache.dir, { recursive: true });
  const until = Date.now() + (opts.waitMs ?? 600_000);
  let announced = false;
  while (!tryLock(cache.lock)) {
    if (isCacheComplete(cache)) return cache.lib;
    if (!announced) {
      log(`waiting for another process fetching RocketMQ ${version} jars (${cache.lock})`);
      announced = true;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for the jar-cache lock ${cache.lock}`);
    opts.signal?.throwIfAborted();
    await sleep(500);
  }
  try {
    if (isCacheComplete(cache)) return cache.lib;
    const work = join(cache.dir, `fetch-${process.pid}-${Date.now()}`);
    mkdirSync(work, { recursive: true });
    try {
      copyFileSync(fileURLToPath(new URL('./pom.xml', import.meta.url)), join(work, 'pom.xml'));
      const started = Date.now();
      log(`fetching RocketMQ ${version} jars with Maven into ${cache.lib} (one-time, ~100 MB)`);
      await runMaven(
        [
          '-q',
          '-B',
          '-f',
          join(work, 'pom.xml'),
          `-Drocketmq.version=${version}`,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${join(work, 'lib')}`,
          '-DincludeScope=runtime',
        ],
        work,
        log,
        opts.signal,
      );
      const jars = readdirSync(join(work, 'lib')).filter((f) => f.endsWith('.jar'));
      if (!jars.some((j) => j.startsWith('rocketmq-proxy-')))
        throw new Error('Maven finished but rocketmq-proxy is missing');
      rmSync(cache.lib, { recursive: true, force: true });
      renameSync(join(work, 'lib'), cache.lib);
      const marker: Marker = {
        version,
        jars,
        fetchedAt: new Date().toISOString(),
        fetchMs: Date.now() - started,
      };
      writeFileSync(`${cache.marker}.tmp`, `${JSON.stringify(marker, null, 2)}\n`);
      renameSync(`${cache.marker}.tmp`, cache.marker);
      log(`fetched ${jars.length} jars in ${marker.fetchMs} ms`);
      return cache.lib;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  } finally {
    rmSync(cache.lock, { recursive: true, force: true });
  }
}
