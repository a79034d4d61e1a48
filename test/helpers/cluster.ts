/**
 * One local RocketMQ cluster (name server, broker masters, cluster-mode proxies) for a cluster test
 * file, started from the Maven jars by the file itself. With no local JVM path: CI=true fails,
 * otherwise the tests are skipped with the reason.
 */
import { execFileSync } from 'node:child_process';
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
    if (process.env.CI === 'true')
      throw new Error(`CI=true requires the local JVM cluster: ${source.reason}`);
    return `a cluster needs the local JVM path: ${source.reason}`;
  }
  const log =
    process.env.ROCKETMQ_TS_HARNESS_LOG === '1' ? (l: string) => console.error(`[cluster] ${l}`) : undefined;
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

/** One established TCP connection to a proxy, with the bytes it carried so far (from `ss -ti`). */
export interface ProxyConnection {
  localPort: number;
  proxyPort: number;
  bytesAcked: number;
}

/**
 * Established connections from this host to `ports`, with their byte counters. A client's channel may
 * hold a connection to every proxy for a while (grpc-js's pick-first starts the next address when the
 * first takes over 250 ms to connect), so "which proxy a client uses" is told by the bytes carried.
 */
export function proxyConnections(ports: readonly number[]): ProxyConnection[] {
  const filter = ports.map((p) => `dport = :${p}`).join(' or ');
  const out = execFileSync('ss', ['-tinH', 'state', 'established', `( ${filter} )`], { encoding: 'utf8' });
  const result: ProxyConnection[] = [];
  let current: { localPort: number; proxyPort: number } | undefined;
  for (const line of out.split('\n')) {
    const addr = /(\S+):(\d+)\s+(\S+):(\d+)/.exec(line);
    if (addr && !line.startsWith('\t') && !/bytes_/.test(line)) {
      current = { localPort: Number(addr[2]), proxyPort: Number(addr[4]) };
      continue;
    }
    const acked = /bytes_acked:(\d+)/.exec(line);
    if (current) {
      result.push({ ...current, bytesAcked: acked ? Number(acked[1]) : 0 });
      current = undefined;
    }
  }
  return result;
}

/** Per proxy port: the connections whose bytes grew by at least `minBytes` since `before`. */
export function busyConnections(
  before: readonly ProxyConnection[],
  after: readonly ProxyConnection[],
  minBytes: number,
): Map<number, number> {
  const was = new Map(before.map((c) => [c.localPort, c.bytesAcked]));
  const busy = new Map<number, number>();
  for (const c of after) {
    if (c.bytesAcked - (was.get(c.localPort) ?? 0) >= minBytes)
      busy.set(c.proxyPort, (busy.get(c.proxyPort) ?? 0) + 1);
  }
  return busy;
}
