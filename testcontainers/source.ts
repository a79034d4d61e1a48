/**
 * Which way a broker can be had on this machine, in order:
 *   1. env    — ROCKETMQ_ENDPOINT names an existing broker;
 *   2. docker — a Docker engine answers `/_ping` (testcontainers + the official image);
 *   3. jvm    — `java` is installed and either the jar cache is complete or `mvn` can fill it;
 *   4. none.
 * `ROCKETMQ_TS_SOURCE=jvm|docker` forces one of the two local kinds.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { envEndpoint } from './env-broker.js';
import { isCacheComplete, jarCache } from './jar-cache.js';
import type { BrokerSource } from './types.js';

export const INSTALL_HINT =
  'install Java 17+ and Maven (the harness then runs RocketMQ as local JVMs), or run a Docker engine, ' +
  'or point ROCKETMQ_ENDPOINT (and ROCKETMQ_NAMESRV) at an existing RocketMQ 5.x proxy';

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ ok: !err, output: `${stdout}${stderr}` });
    });
  });
}

/** Major version of `java` on PATH, or undefined when there is none. */
export async function javaMajorVersion(): Promise<number | undefined> {
  const r = await run('java', ['-version'], 15_000);
  if (!r.ok) return undefined;
  const m = /version "(\d+)(?:\.(\d+))?/.exec(r.output);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2]) : major;
}

export async function hasMaven(): Promise<boolean> {
  return (await run('mvn', ['-v'], 30_000)).ok;
}

/** Where testcontainers would look for the engine (DOCKER_HOST, else the default sockets). */
function dockerTargets(): Array<{ socketPath: string } | { host: string; port: number }> {
  const dh = process.env.DOCKER_HOST;
  if (dh?.startsWith('unix://')) return [{ socketPath: dh.slice('unix://'.length) }];
  if (dh?.startsWith('tcp://')) {
    const u = new URL(dh.replace(/^tcp:/, 'http:'));
    return [{ host: u.hostname, port: Number(u.port || 2375) }];
  }
  const candidates = ['/var/run/docker.sock'];
  if (process.env.XDG_RUNTIME_DIR) candidates.push(`${process.env.XDG_RUNTIME_DIR}/docker.sock`);
  if (process.env.HOME) candidates.push(`${process.env.HOME}/.docker/run/docker.sock`);
  return candidates.filter((p) => existsSync(p)).map((socketPath) => ({ socketPath }));
}

function ping(
  target: { socketPath: string } | { host: string; port: number },
  timeoutMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** True when a Docker engine answers `/_ping`. */
export async function dockerReachable(timeoutMs = 1500): Promise<boolean> {
  for (const t of dockerTargets()) if (await ping(t, timeoutMs)) return true;
  return false;
}

async function jvmSource(): Promise<BrokerSource | undefined> {
  const java = await javaMajorVersion();
  if (java === undefined) return undefined;
  if (java < 8) return undefined;
  if (isCacheComplete())
    return { kind: 'jvm', reason: `java ${java}; RocketMQ jars cached in ${jarCache().lib}` };
  if (await hasMaven())
    return { kind: 'jvm', reason: `java ${java} and mvn found; jars will be fetched into ${jarCache().lib}` };
  return undefined;
}

export async function describeBrokerSource(opts: { ignoreEnv?: boolean } = {}): Promise<BrokerSource> {
  const endpoint = opts.ignoreEnv ? undefined : envEndpoint();
  if (endpoint) return { kind: 'env', reason: `ROCKETMQ_ENDPOINT=${endpoint}` };
  const forced = process.env.ROCKETMQ_TS_SOURCE;
  if (forced === 'jvm') {
    return (
      (await jvmSource()) ?? {
        kind: 'none',
        reason: `ROCKETMQ_TS_SOURCE=jvm but Java 8+ (17 tested) with Maven (or a filled jar cache) is missing: ${INSTALL_HINT}`,
      }
    );
  }
  if (forced === 'docker' || (forced === undefined && (await dockerReachable()))) {
    if (await dockerReachable()) return { kind: 'docker', reason: 'a Docker engine answers /_ping' };
    return {
      kind: 'none',
      reason: `ROCKETMQ_TS_SOURCE=docker but no Docker engine answers: ${INSTALL_HINT}`,
    };
  }
  const jvm = await jvmSource();
  if (jvm) return jvm;
  const java = await javaMajorVersion();
  const why =
    java === undefined
      ? 'no java on PATH'
      : java < 8
        ? `java ${java} is too old`
        : 'no mvn on PATH and no jar cache';
  return { kind: 'none', reason: `no Docker engine, ${why}: ${INSTALL_HINT}` };
}
