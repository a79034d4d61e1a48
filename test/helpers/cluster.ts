/**
 * One local RocketMQ cluster (name server, broker masters, cluster-mode proxies) for a cluster test
 * file, started from the Maven jars by the file itself. With no local JVM path: CI=true fails,
 * otherwise the tests are skipped with the reason.
 */
import { readFileSync } from 'node:fs';
import {
  describeBrokerSource,
  type JvmCluster,
  type StartClusterOptions,
  startCluster,
} from '../../testcontainers/index.js';

/** Starts the file's cluster, or resolves to the reason there is none (never in CI). */
export async function clusterOrReason(opts: StartClusterOptions = {}): Promise<JvmCluster | string> {
  const source = await describeBrokerSource({ ignoreEnv: true });
  if (source.kind !== 'jvm') {
    if (process.env.CI === 'true') throw new Error(`CI=true requires the local JVM cluster: ${source.reason}`);
    return `a cluster needs the local JVM path: ${source.reason}`;
  }
  const log = process.env.ROCKETMQ_TS_HARNESS_LOG === '1' ? (l: string) => console.error(`[cluster] ${l}`) : undefined;
  return startCluster({ ...opts, ...(log ? { log } : {}) });
}

/**
 * Established TCP connections to each of `ports` on this host (from /proc/net/tcp and tcp6: remote
 * port = the proxy's gRPC port). Only clients of the test connect to a test cluster's proxies.
 */
export function connectionsTo(ports: readonly number[]): Map<number, number> {
  const counts = new Map<number, number>(ports.map((p) => [p, 0]));
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '01') continue; // 01 = ESTABLISHED
      const remotePort = Number.parseInt(cols[2]!.split(':')[1]!, 16);
      if (counts.has(remotePort)) counts.set(remotePort, counts.get(remotePort)! + 1);
    }
  }
  return counts;
}

/** The gRPC port of `endpoint` ("host:port"). */
export function portOf(endpoint: string): number {
  return Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
}
