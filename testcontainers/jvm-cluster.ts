/**
 * A RocketMQ cluster from the Maven jars, no Docker: one name server, N broker masters
 * (`BrokerStartup`, each with its own store), optional slaves (`brokerId=1`, `brokerRole=SLAVE`),
 * and M stateless proxies in cluster mode (`ProxyStartup -pm cluster`) with
 * `useEndpointPortFromRequest=true`. Every JVM is its own process group, so each can be stopped,
 * SIGKILLed, SIGSTOPped and restarted on its ports and store for fault tests.
 *
 * Clients use {@link JvmCluster.endpoint}: every proxy's gRPC address, `;`-separated.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLUSTER_NAME,
  type ConfigValue,
  clusterBrokerProperties,
  clusterProxyJson,
  namesrvProperties,
} from './configs.js';
import { waitForRoute } from './grpc-probe.js';
import { ensureJars, rocketmqVersion } from './jar-cache.js';
import {
  BIND_FAILURE,
  javaArgs,
  javaEnv,
  NAMESRV_MAIN,
  NAMESRV_READY,
  OWNER_FILE,
  PROXY_MAIN,
  PROXY_READY,
  READY_TOPIC,
  readText,
  sleep,
  sweepStaleTempDirs,
  TEMP_PREFIX,
  waitForOutput,
  writeAclPlaceholder,
} from './jvm-broker.js';
import { JvmProcess, type JvmSpec, registerTempDir, unregisterTempDir } from './jvm-process.js';
import { type ClusterPorts, isPortFree, pickClusterPorts } from './ports.js';
import { BrokerAdmin, lookupRouteMasters } from './remoting-admin.js';
import type { GroupOptions, TopicType } from './types.js';

const BROKER_MAIN = 'org.apache.rocketmq.broker.BrokerStartup';
const BROKER_READY = /The broker\[.*\] boot success/;
const ROUTE_DEADLINE_MS = 30_000;
const NODE_STOP_GRACE_MS = 30_000;
const SYS_TOPIC_RACE = /create system broadcast topic \S+ failed/;

/**
 * Heaps: small, with the serial collector (one GC thread per JVM on a 2-core machine). Five JVMs
 * of a 2-master, 2-proxy cluster stay near 2 GiB RSS together with these.
 */
const NAMESRV_HEAP = ['-Xms64m', '-Xmx128m', '-XX:MaxDirectMemorySize=64m', '-XX:+UseSerialGC'];
const BROKER_HEAP = ['-Xms128m', '-Xmx384m', '-XX:MaxDirectMemorySize=256m', '-XX:+UseSerialGC'];
const PROXY_HEAP = ['-Xms128m', '-Xmx256m', '-XX:MaxDirectMemorySize=128m', '-XX:+UseSerialGC'];

export interface StartClusterOptions {
  /** Broker masters (`broker-a`, `broker-b`, …). @defaultValue 2 */
  brokers?: number;
  /** Cluster-mode proxies. @defaultValue 2 */
  proxies?: number;
  /** Give every master one slave (`brokerId=1`, `brokerRole=SLAVE`). @defaultValue false */
  slaves?: boolean;
  /** RocketMQ version of the jars. @defaultValue {@link rocketmqVersion} */
  version?: string;
  /** Extra/overriding properties of every broker. */
  brokerProperties?: Record<string, ConfigValue>;
  /** Extra/overriding keys of every proxy JSON. */
  proxyConfig?: Record<string, unknown>;
  /** Startup deadline (ms). @defaultValue 180 s */
  startTimeoutMs?: number;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export type ClusterRole = 'namesrv' | 'master' | 'slave' | 'proxy';

/** One JVM of the cluster. */
export class ClusterNode {
  #proc: JvmProcess | undefined;
  #paused = false;

  constructor(
    readonly name: string,
    readonly role: ClusterRole,
    /** Ports this JVM binds (restart waits for them to be free). */
    readonly ports: readonly number[],
    private readonly spec: JvmSpec,
    private readonly readyLine: RegExp,
    /** Extra readiness after the ready line (routes through the proxies). */
    private readonly afterReady: (node: ClusterNode, deadline: number, signal?: AbortSignal) => Promise<void>,
  ) {}

  /** The JVM's pid while it runs. */
  get pid(): number | undefined {
    return this.#proc?.alive ? this.#proc.pid : undefined;
  }

  get alive(): boolean {
    return this.#proc?.alive ?? false;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** The JVM's output file (stdout + stderr). */
  get logFile(): string {
    return this.spec.logFile;
  }

  async start(deadline: number, signal?: AbortSignal): Promise<void> {
    if (this.alive) throw new Error(`${this.name} is already running`);
    const from = readText(this.spec.logFile).length;
    this.#paused = false;
    this.#proc = await JvmProcess.start(this.spec);
    await waitForOutput(this.#proc, this.readyLine, deadline, signal, from);
    await this.afterReady(this, deadline, signal);
  }

  /** SIGKILL (store kept). */
  async kill(): Promise<void> {
    this.#paused = false;
    await this.#proc?.kill();
  }

  /** SIGTERM and wait for the graceful shutdown (SIGKILL after 30 s); store kept. */
  async stop(): Promise<void> {
    if (this.#paused) this.resume();
    await this.#proc?.stop(NODE_STOP_GRACE_MS);
  }

  /** SIGSTOP: the JVM freezes with its connections open (a hung process, not a dead one). */
  pause(): void {
    if (!this.alive) throw new Error(`${this.name} is not running`);
    this.#proc?.signal('SIGSTOP');
    this.#paused = true;
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.#proc?.signal('SIGCONT');
    this.#paused = false;
  }

  /** Stops the JVM if running, then starts it again on the same ports and store; resolves when ready. */
  async restart(timeoutMs = 120_000): Promise<void> {
    if (this.alive) await this.stop();
    const until = Date.now() + 15_000;
    for (const port of this.ports) {
      while (!(await isPortFree(port))) {
        if (Date.now() > until) throw new Error(`${this.name}: port ${port} still in use; cannot restart`);
        await sleep(200);
      }
    }
    await this.start(Date.now() + timeoutMs);
  }

  rssBytes(): number {
    return this.#proc?.alive ? this.#proc.rssBytes() : 0;
  }

  /** Immediate SIGKILL without waiting (teardown). */
  async destroy(): Promise<void> {
    if (this.#paused) this.#proc?.signal('SIGCONT');
    await this.#proc?.kill().catch(() => undefined);
  }

  logTail(lines = 30): string {
    return this.#proc?.logTail(lines) ?? '';
  }
}

function brokerName(i: number): string {
  return `broker-${String.fromCharCode(97 + i)}`;
}

export class JvmCluster {
  readonly source = 'jvm' as const;
  readonly clusterName = CLUSTER_NAME;
  /** The access point for clients: `127.0.0.1:P1;127.0.0.1:P2;…` (one address per proxy). */
  readonly endpoint: string;
  /** Each proxy's gRPC address. */
  readonly proxyEndpoints: readonly string[];
  readonly namesrv: string;
  readonly namesrvNode: ClusterNode;
  readonly masters: readonly ClusterNode[];
  readonly slaves: readonly ClusterNode[];
  readonly proxies: readonly ClusterNode[];
  /** Master broker names, in order (`broker-a`, …). */
  readonly brokerNames: readonly string[];
  /** Milliseconds from start() to ready. */
  startupMs = 0;
  #stopping: Promise<void> | undefined;

  private constructor(
    readonly root: string,
    readonly version: string,
    lib: string,
    readonly ports: ClusterPorts,
    opts: StartClusterOptions,
    private readonly log: (line: string) => void,
  ) {
    const masters = opts.brokers ?? 2;
    const proxies = opts.proxies ?? 2;
    this.namesrv = `127.0.0.1:${ports.namesrv}`;
    this.proxyEndpoints = ports.proxies.map((p) => `127.0.0.1:${p.grpc}`);
    this.endpoint = this.proxyEndpoints.join(';');
    this.brokerNames = Array.from({ length: masters }, (_, i) => brokerName(i));
    const dirOf = (name: string) => {
      const dir = join(root, name);
      for (const d of [dir, join(dir, 'home'), join(dir, 'store')]) mkdirSync(d, { recursive: true });
      writeAclPlaceholder(join(dir, 'home'));
      return dir;
    };
    const spec = (name: string, main: string, heap: string[], args: string[]): JvmSpec => {
      const home = join(root, name, 'home');
      return {
        name,
        classpath: join(lib, '*'),
        mainClass: main,
        jvmArgs: javaArgs({ root }, home, heap),
        args,
        env: javaEnv(home),
        cwd: join(root, name),
        logFile: join(root, name, 'out.log'),
      };
    };
    const none = async () => undefined;

    const nsDir = dirOf('namesrv');
    writeFileSync(join(nsDir, 'namesrv.properties'), namesrvProperties({ namesrv: ports.namesrv }));
    this.namesrvNode = new ClusterNode(
      'namesrv',
      'namesrv',
      [ports.namesrv],
      spec('namesrv', NAMESRV_MAIN, NAMESRV_HEAP, ['-c', join(nsDir, 'namesrv.properties')]),
      NAMESRV_READY,
      none,
    );

    const brokerNode = (i: number, brokerId: number, listen: number): ClusterNode => {
      const bName = brokerName(i);
      const name = `${bName}-${brokerId}`;
      const dir = dirOf(name);
      const conf = join(dir, 'broker.properties');
      writeFileSync(
        conf,
        clusterBrokerProperties({
          brokerName: bName,
          brokerId,
          listenPort: listen,
          namesrvPort: ports.namesrv,
          store: join(dir, 'store'),
          overrides: opts.brokerProperties,
        }),
      );
      return new ClusterNode(
        name,
        brokerId === 0 ? 'master' : 'slave',
        [listen - 2, listen, listen + 1],
        spec(name, BROKER_MAIN, BROKER_HEAP, ['-c', conf, '-n', this.namesrv]),
        BROKER_READY,
        // A master is ready for clients once every running proxy routes to it.
        brokerId === 0 ? (_n, deadline, signal) => this.waitRoutes(READY_TOPIC, deadline, signal) : none,
      );
    };
    this.masters = this.brokerNames.map((_, i) => brokerNode(i, 0, ports.brokers[i]!));
    this.slaves = opts.slaves
      ? this.brokerNames.map((_, i) => brokerNode(i, 1, ports.brokers[masters + i]!))
      : [];

    this.proxies = Array.from({ length: proxies }, (_, i) => {
      const name = `proxy-${i}`;
      const dir = dirOf(name);
      const conf = join(dir, 'proxy.json');
      const p = ports.proxies[i]!;
      writeFileSync(
        conf,
        clusterProxyJson({
          proxyName: name,
          grpcPort: p.grpc,
          remotingPort: p.remoting,
          namesrvPort: ports.namesrv,
          overrides: opts.proxyConfig,
        }),
      );
      return new ClusterNode(
        name,
        'proxy',
        [p.grpc, p.remoting],
        spec(name, PROXY_MAIN, PROXY_HEAP, ['-pm', 'cluster', '-pc', conf, '-n', this.namesrv]),
        PROXY_READY,
        (_n, deadline, signal) =>
          this.waitRoute(`127.0.0.1:${p.grpc}`, READY_TOPIC, undefined, deadline, signal),
      );
    });
  }

  /** Every JVM, name server first. */
  get nodes(): ClusterNode[] {
    return [this.namesrvNode, ...this.masters, ...this.slaves, ...this.proxies];
  }

  /** Total resident memory of the running JVMs (bytes). */
  rssBytes(): number {
    return this.nodes.reduce((sum, n) => sum + n.rssBytes(), 0);
  }

  static async start(opts: StartClusterOptions = {}): Promise<JvmCluster> {
    const log = opts.log ?? (() => undefined);
    const version = opts.version ?? rocketmqVersion();
    const lib = await ensureJars({ log, signal: opts.signal, version });
    for (let attempt = 1; ; attempt++) {
      try {
        return await JvmCluster.startOnce(lib, version, opts, log);
      } catch (e) {
        if (attempt < 3 && BIND_FAILURE.test((e as Error).message) && !opts.signal?.aborted) {
          log(`port conflict during cluster startup (attempt ${attempt}); retrying on new ports`);
          continue;
        }
        throw e;
      }
    }
  }

  private static async startOnce(
    lib: string,
    version: string,
    opts: StartClusterOptions,
    log: (line: string) => void,
  ): Promise<JvmCluster> {
    const started = Date.now();
    const deadline = started + (opts.startTimeoutMs ?? 180_000);
    sweepStaleTempDirs(log);
    const root = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
    registerTempDir(root);
    writeFileSync(join(root, OWNER_FILE), `${process.pid}\n`);
    mkdirSync(join(root, 'tmp'), { recursive: true });
    const masters = opts.brokers ?? 2;
    const brokerJvms = masters * (opts.slaves ? 2 : 1);
    let cluster: JvmCluster | undefined;
    try {
      const ports = await pickClusterPorts(brokerJvms, opts.proxies ?? 2);
      cluster = new JvmCluster(root, version, lib, ports, opts, log);
      const c = cluster;
      await c.namesrvNode.start(deadline, opts.signal);
      log(`namesrv up after ${Date.now() - started} ms (${c.namesrv}); starting brokers and proxies`);
      // Brokers first, together; then the proxies, together: a cluster-mode proxy creates its
      // system topics on the cluster at startup and exits when no broker is registered yet.
      const startAll = (nodes: readonly ClusterNode[]) =>
        Promise.all(
          nodes.map(async (n) => {
            for (let attempt = 1; ; attempt++) {
              try {
                await n.start(deadline, opts.signal);
                break;
              } catch (e) {
                // A cluster-mode proxy exits when the system topic it creates at startup is not yet
                // routable by the namesrv (the broker's registration of it races the proxy's
                // check); a second start finds the topic there.
                if (attempt < 3 && !n.alive && SYS_TOPIC_RACE.test(n.logTail(60))) {
                  log(
                    `${n.name}: system topic not routable yet at startup (attempt ${attempt}); starting again`,
                  );
                  continue;
                }
                throw new Error(`${n.name}: ${(e as Error).message}`);
              }
            }
            log(`${n.name} ready after ${Date.now() - started} ms`);
          }),
        );
      await startAll([...c.masters, ...c.slaves]);
      await c.waitRegistered(deadline, opts.signal);
      await startAll(c.proxies);
      c.startupMs = Date.now() - started;
      log(`cluster ready at ${c.endpoint} after ${c.startupMs} ms`);
      return c;
    } catch (e) {
      const detail = cluster?.diagnostics() ?? '';
      if (cluster) await cluster.stop();
      else {
        rmSync(root, { recursive: true, force: true });
        unregisterTempDir(root);
      }
      const err = new Error(`local RocketMQ cluster failed to start: ${(e as Error).message}\n${detail}`);
      (err as Error & { cause?: unknown }).cause = e;
      throw err;
    }
  }

  /** Admin over remoting of every running master. */
  private admins(): BrokerAdmin[] {
    return this.masters.map((m) => new BrokerAdmin(`127.0.0.1:${m.ports[1]}`));
  }

  /**
   * Waits until the namesrv routes the cluster's own topic (named after the cluster) to every
   * master: a cluster-mode proxy creates its system topics from that route at startup.
   */
  async waitRegistered(deadline: number, signal?: AbortSignal): Promise<void> {
    const want = this.masters.filter((m) => m.alive).length;
    for (;;) {
      const got = await lookupRouteMasters(this.namesrv, this.clusterName).catch(() => []);
      if (got.length >= want) return;
      if (Date.now() > deadline) {
        throw new Error(`namesrv routes ${this.clusterName} to ${got.length} of ${want} masters`);
      }
      await sleep(200, signal);
    }
  }

  /** Waits until `topic` is routable through every running proxy with queues on every running master. */
  private async waitRoutes(
    topic: string,
    deadline: number,
    signal?: AbortSignal,
    type?: TopicType,
  ): Promise<void> {
    await Promise.all(
      this.proxies.map((p, i) =>
        p.alive && !p.paused
          ? this.waitRoute(this.proxyEndpoints[i]!, topic, type, deadline, signal)
          : undefined,
      ),
    );
  }

  private async waitRoute(
    endpoint: string,
    topic: string,
    type: TopicType | undefined,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<void> {
    // The ready topic may not exist yet while masters start: create it (idempotent) on each live master.
    if (topic === READY_TOPIC) await this.createOnMasters(READY_TOPIC, 'NORMAL', 1, deadline, signal);
    const expectBrokers = this.masters
      .filter((m) => m.alive && !m.paused)
      .map((m) => m.name.replace(/-0$/, ''));
    await waitForRoute(endpoint, topic, {
      deadlineMs: Math.max(1000, deadline - Date.now()),
      ...(type ? { expectType: type } : {}),
      expectBrokers,
      signal,
    });
  }

  private async createOnMasters(
    topic: string,
    type: TopicType,
    queues: number,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const admins = this.admins();
    await Promise.all(
      this.masters.map(async (m, i) => {
        if (!m.alive || m.paused) return;
        for (;;) {
          try {
            await admins[i]!.createTopic(topic, type, queues);
            return;
          } catch (e) {
            if (Date.now() > deadline)
              throw new Error(`${m.name} remoting not answering: ${(e as Error).message}`);
            await sleep(200, signal);
          }
        }
      }),
    );
  }

  /** Creates (or updates) a topic on every master; resolves once every proxy routes it to every master. */
  async createTopic(name: string, type: TopicType, opts: { queues?: number } = {}): Promise<void> {
    const deadline = Date.now() + ROUTE_DEADLINE_MS;
    await this.createOnMasters(name, type, opts.queues ?? 8, deadline);
    await this.waitRoutes(name, deadline, undefined, type);
  }

  /** Creates (or updates) a consumer group on every running master. */
  async createConsumerGroup(name: string, opts: GroupOptions = {}): Promise<void> {
    const admins = this.admins();
    await Promise.all(this.masters.map((m, i) => (m.alive ? admins[i]!.createGroup(name, opts) : undefined)));
  }

  /** SIGKILLs every JVM and deletes the temp dir (the stores go with it). Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await Promise.all(this.nodes.map((n) => n.destroy()));
      unregisterTempDir(this.root);
      if (process.env.ROCKETMQ_TS_KEEP_TEMP === '1')
        this.log(`keeping ${this.root} (ROCKETMQ_TS_KEEP_TEMP=1)`);
      else rmSync(this.root, { recursive: true, force: true });
    })();
    return this.#stopping;
  }

  /** Tails of every JVM's output, for error messages. */
  diagnostics(): string {
    return this.nodes
      .map((n) => {
        const t = readText(n.logFile).split('\n').slice(-15).join('\n').trim();
        return t ? `--- ${n.name} output ---\n${t}\n` : '';
      })
      .join('');
  }
}

/** Starts a cluster from the Maven jars (see {@link JvmCluster}). */
export function startCluster(opts: StartClusterOptions = {}): Promise<JvmCluster> {
  opts.signal?.throwIfAborted();
  return JvmCluster.start(opts);
}
