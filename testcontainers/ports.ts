/**
 * Free TCP ports for the JVMs. A port counts as free when a wildcard listener can bind it (the
 * JVMs bind the wildcard address). The broker needs three related ports: `listenPort`,
 * `listenPort - 2` (fast/VIP remoting channel) and `listenPort + 1` (HA), all checked together.
 */
import { createServer, type Server } from 'node:net';

export interface JvmPorts {
  namesrv: number;
  /** Proxy gRPC port (the endpoint clients use). */
  grpc: number;
  /** Proxy remoting port. */
  proxyRemoting: number;
  /** Broker remoting `listenPort`; the broker also binds `broker - 2` and `broker + 1`. */
  broker: number;
}

function listen(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(undefined));
    srv.listen({ port, exclusive: true }, () => resolve(srv));
  });
}

function close(srv: Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

function portOf(srv: Server): number {
  const a = srv.address();
  if (!a || typeof a === 'string') throw new Error('listener has no port');
  return a.port;
}

/**
 * Picks ports for namesrv, proxy and broker. All reservations are held until every port is
 * chosen, so no two roles get the same port; they are released before returning (a small window
 * remains in which another process may grab one — startup retries on bind failures).
 */
export async function pickJvmPorts(): Promise<JvmPorts> {
  const held: Server[] = [];
  try {
    const single = async (): Promise<number> => {
      const s = await listen(0);
      if (!s) throw new Error('cannot bind an ephemeral port');
      held.push(s);
      return portOf(s);
    };
    const namesrv = await single();
    const grpc = await single();
    const proxyRemoting = await single();
    let broker = 0;
    for (let attempt = 0; attempt < 50 && !broker; attempt++) {
      const main = await listen(0);
      if (!main) continue;
      const p = portOf(main);
      if (p < 1026 || p > 65534) {
        held.push(main);
        continue;
      }
      const fast = await listen(p - 2);
      const ha = fast ? await listen(p + 1) : undefined;
      held.push(main);
      if (fast) held.push(fast);
      if (ha) held.push(ha);
      if (fast && ha) broker = p;
    }
    if (!broker)
      throw new Error('no free port triple (listenPort-2, listenPort, listenPort+1) for the broker');
    return { namesrv, grpc, proxyRemoting, broker };
  } finally {
    await Promise.all(held.map(close));
  }
}

/** True when nothing listens on `port` (a wildcard bind succeeds). */
export async function isPortFree(port: number): Promise<boolean> {
  const s = await listen(port);
  if (!s) return false;
  await close(s);
  return true;
}

/** Every port the broker+proxy JVM binds (namesrv excluded). */
export function brokerJvmPorts(p: JvmPorts): number[] {
  return [p.grpc, p.proxyRemoting, p.broker, p.broker - 2, p.broker + 1];
}

/** Ports of one broker JVM of a cluster: `listenPort` L (the JVM also binds L − 2 and L + 1). */
export interface ClusterBrokerPorts {
  listen: number;
}

/** Ports of one cluster-mode proxy JVM. */
export interface ClusterProxyPorts {
  grpc: number;
  remoting: number;
}

export interface ClusterPorts {
  namesrv: number;
  /** One per broker JVM (masters then slaves, in the caller's order). */
  brokers: number[];
  proxies: ClusterProxyPorts[];
}

/**
 * Picks every port of a cluster at once (namesrv, `brokers` broker triples, `proxies` gRPC +
 * remoting pairs), holding all reservations until the last one is chosen so no two JVMs share a
 * port. Restarts reuse these ports, so they are picked once per cluster.
 */
export async function pickClusterPorts(brokers: number, proxies: number): Promise<ClusterPorts> {
  const held: Server[] = [];
  const taken = new Set<number>();
  try {
    const single = async (): Promise<number> => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const s = await listen(0);
        if (!s) continue;
        held.push(s);
        const p = portOf(s);
        // A later broker triple may have reserved p ± 1 / p − 2 around an ephemeral port: skip those.
        if (!taken.has(p)) {
          taken.add(p);
          return p;
        }
      }
      throw new Error('cannot bind an ephemeral port');
    };
    const triple = async (): Promise<number> => {
      for (let attempt = 0; attempt < 50; attempt++) {
        const main = await listen(0);
        if (!main) continue;
        held.push(main);
        const p = portOf(main);
        if (p < 1026 || p > 65534 || taken.has(p - 2) || taken.has(p + 1)) continue;
        const fast = await listen(p - 2);
        if (fast) held.push(fast);
        const ha = fast ? await listen(p + 1) : undefined;
        if (ha) held.push(ha);
        if (fast && ha) {
          for (const q of [p - 2, p, p + 1]) taken.add(q);
          return p;
        }
      }
      throw new Error('no free port triple (listenPort-2, listenPort, listenPort+1) for a broker');
    };
    const namesrv = await single();
    const brokerPorts: number[] = [];
    for (let i = 0; i < brokers; i++) brokerPorts.push(await triple());
    const proxyPorts: ClusterProxyPorts[] = [];
    for (let i = 0; i < proxies; i++) proxyPorts.push({ grpc: await single(), remoting: await single() });
    return { namesrv, brokers: brokerPorts, proxies: proxyPorts };
  } finally {
    await Promise.all(held.map(close));
  }
}
