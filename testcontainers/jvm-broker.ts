/**
 * The local JVM broker: a namesrv JVM plus one proxy JVM in local mode (proxy + embedded broker),
 * on free loopback ports, with every file under one temp dir. Ready = a real gRPC QueryRoute
 * through the proxy answers OK for a topic created over remoting.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BROKER_NAME,
  brokerProperties,
  CLUSTER_NAME,
  type ConfigValue,
  type JvmLayout,
  layoutOf,
  namesrvProperties,
  proxyJson,
} from './configs.js';
import { waitForRoute } from './grpc-probe.js';
import { ensureJars } from './jar-cache.js';
import { JvmProcess, registerTempDir, unregisterTempDir } from './jvm-process.js';
import { brokerJvmPorts, isPortFree, type JvmPorts, pickJvmPorts } from './ports.js';
import { BrokerAdmin } from './remoting-admin.js';
import type { BrokerAcl, BrokerHandle, GroupOptions, StartBrokerOptions, TopicType } from './types.js';

/** Extra knobs of the JVM path (ignored by the env and Docker paths). */
export interface JvmBrokerOptions extends StartBrokerOptions {
  /** Extra/overriding broker properties, e.g. `{ transactionCheckInterval: 5000 }`. */
  brokerProperties?: Record<string, ConfigValue>;
  /** Extra/overriding proxy JSON keys, e.g. `{ grpcClientIdleTimeMills: 10000 }`. */
  proxyConfig?: Record<string, unknown>;
  /** Startup deadline per attempt (ms, default 120 s). */
  startTimeoutMs?: number;
}

export const NAMESRV_MAIN = 'org.apache.rocketmq.namesrv.NamesrvStartup';
export const PROXY_MAIN = 'org.apache.rocketmq.proxy.ProxyStartup';
export const NAMESRV_READY = /The Name Server boot success/;
export const PROXY_READY = /rocketmq-proxy startup successfully/;
export const BIND_FAILURE = /Address already in use|BindException/;
/** Topic created at startup and probed for readiness. */
export const READY_TOPIC = 'rocketmq_ts_ready';
/** stop() deletes the store anyway; the proxy's own graceful shutdown takes ~12 s, so this bound usually ends in SIGKILL. */
const STOP_GRACE_MS = 3000;
const ROUTE_DEADLINE_MS = 30_000;

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Waits until `proc`'s output (from byte `from`) matches `pattern`; fails fast if the JVM exits. */
export async function waitForOutput(
  proc: JvmProcess,
  pattern: RegExp,
  deadline: number,
  signal: AbortSignal | undefined,
  from = 0,
): Promise<void> {
  for (;;) {
    if (pattern.test(readText(proc.spec.logFile).slice(from))) return;
    if (!proc.alive)
      throw new Error(`${proc.spec.name} exited (${proc.exitDescription}) before "${pattern.source}"`);
    if (Date.now() > deadline) throw new Error(`${proc.spec.name} did not print "${pattern.source}" in time`);
    await sleep(100, signal);
  }
}

export const TEMP_PREFIX = 'rocketmq-ts-';
export const OWNER_FILE = 'owner.pid';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Temp dirs survive only when the owning Node process was SIGKILLed (its watchdogs still kill the
 * JVMs). Remove such dirs whose owner is gone.
 */
export function sweepStaleTempDirs(log: (line: string) => void): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(TEMP_PREFIX));
  } catch {
    return;
  }
  for (const n of names) {
    const dir = join(tmpdir(), n);
    try {
      const owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8').trim());
      if (!owner || pidAlive(owner)) continue;
      // Give the owner's watchdogs time to have killed the JVMs (they poll every second).
      if (Date.now() - statSync(join(dir, OWNER_FILE)).mtimeMs < 5000) continue;
      rmSync(dir, { recursive: true, force: true });
      log(`removed stale ${dir} (owner pid ${owner} is gone)`);
    } catch {
      // not ours, or vanished meanwhile
    }
  }
}

export function javaArgs(layout: Pick<JvmLayout, 'root'>, home: string, heap: string[]): string[] {
  return [
    ...heap,
    '-XX:-UsePerfData',
    // Releases before 5.3 unmap store files through sun.nio.ch.DirectBuffer (IllegalAccessError on
    // JDK 17 without this); later ones do not need it, and it is harmless for them.
    '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
    '-Djava.net.preferIPv4Stack=true',
    `-Djava.io.tmpdir=${join(layout.root, 'tmp')}`,
    `-Duser.home=${home}`,
    `-Drocketmq.home.dir=${home}`,
    `-DRMQ_PROXY_HOME=${home}`,
    ...(process.env.ROCKETMQ_TS_JAVA_OPTS?.split(/\s+/).filter(Boolean) ?? []),
  ];
}

/**
 * Proxies before 5.3 load the ACL 1.0 validator at startup even with ACL off, and exit unless
 * `<ROCKETMQ_HOME>/conf/plain_acl.yml` exists (`PlainPermissionManager.assureAclConfigFilesExist`):
 * give them an empty one (no accounts; ACL stays off unless the broker enables it).
 */
export function writeAclPlaceholder(home: string): void {
  mkdirSync(join(home, 'conf'), { recursive: true });
  writeFileSync(join(home, 'conf', 'plain_acl.yml'), 'globalWhiteRemoteAddresses: []\naccounts: []\n');
}

export function javaEnv(home: string): Record<string, string> {
  return { ROCKETMQ_HOME: home, RMQ_PROXY_HOME: home };
}

export class JvmBroker implements BrokerHandle {
  readonly source = 'jvm' as const;
  readonly endpoint: string;
  readonly namesrv: string;
  readonly acl?: BrokerAcl;
  private readonly admin: BrokerAdmin;
  private proxy: JvmProcess | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly lib: string,
    readonly layout: JvmLayout,
    readonly ports: JvmPorts,
    private readonly namesrvProc: JvmProcess,
    acl: BrokerAcl | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.endpoint = `127.0.0.1:${ports.grpc}`;
    this.namesrv = `127.0.0.1:${ports.namesrv}`;
    if (acl) this.acl = acl;
    this.admin = new BrokerAdmin(`127.0.0.1:${ports.broker}`, acl);
  }

  /** Pids of the JVMs currently alive (namesrv, proxy). */
  get pids(): number[] {
    return [this.namesrvProc, this.proxy].filter((p): p is JvmProcess => !!p?.alive).map((p) => p.pid);
  }

  static async start(opts: JvmBrokerOptions = {}): Promise<JvmBroker> {
    const log = opts.log ?? (() => undefined);
    const lib = await ensureJars({ log, signal: opts.signal });
    const acl = opts.acl
      ? {
          accessKey: `rmqts${randomBytes(4).toString('hex')}`,
          secretKey: randomBytes(18).toString('base64url'),
        }
      : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await JvmBroker.startOnce(lib, acl, opts, log);
      } catch (e) {
        const msg = (e as Error).message;
        if (attempt < 3 && BIND_FAILURE.test(msg) && !opts.signal?.aborted) {
          log(`port conflict during startup (attempt ${attempt}); retrying on new ports`);
          continue;
        }
        throw e;
      }
    }
  }

  private static async startOnce(
    lib: string,
    acl: BrokerAcl | undefined,
    opts: JvmBrokerOptions,
    log: (line: string) => void,
  ): Promise<JvmBroker> {
    const started = Date.now();
    const deadline = started + (opts.startTimeoutMs ?? 120_000);
    sweepStaleTempDirs(log);
    const root = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
    registerTempDir(root);
    writeFileSync(join(root, OWNER_FILE), `${process.pid}\n`);
    const layout = layoutOf(root);
    let namesrvProc: JvmProcess | undefined;
    let broker: JvmBroker | undefined;
    try {
      for (const d of [layout.home, layout.namesrvHome, layout.store, join(root, 'tmp')])
        mkdirSync(d, { recursive: true });
      writeAclPlaceholder(layout.home);
      const ports = await pickJvmPorts();
      writeFileSync(layout.namesrvConf, namesrvProperties(ports));
      writeFileSync(
        layout.brokerConf,
        brokerProperties({ ports, layout, acl, overrides: opts.brokerProperties }),
      );
      writeFileSync(layout.proxyConf, proxyJson({ ports, acl, overrides: opts.proxyConfig }));
      log(`starting namesrv on 127.0.0.1:${ports.namesrv} (temp dir ${root})`);
      namesrvProc = await JvmProcess.start({
        name: 'namesrv',
        classpath: join(lib, '*'),
        mainClass: NAMESRV_MAIN,
        jvmArgs: javaArgs(layout, layout.namesrvHome, [
          '-Xms64m',
          '-Xmx256m',
          '-XX:MaxDirectMemorySize=128m',
        ]),
        args: ['-c', layout.namesrvConf],
        env: javaEnv(layout.namesrvHome),
        cwd: root,
        logFile: layout.namesrvLog,
      });
      broker = new JvmBroker(lib, layout, ports, namesrvProc, acl, log);
      await waitForOutput(namesrvProc, NAMESRV_READY, deadline, opts.signal);
      log(
        `namesrv up after ${Date.now() - started} ms; starting proxy (local mode) grpc=${ports.grpc} broker=${ports.broker}`,
      );
      await broker.startProxy(deadline, opts.signal);
      log(`broker ready at ${broker.endpoint} after ${Date.now() - started} ms`);
      return broker;
    } catch (e) {
      const detail = broker
        ? broker.diagnostics()
        : namesrvProc
          ? `--- namesrv output ---\n${namesrvProc.logTail()}`
          : '';
      if (broker) await broker.shutdown(0).catch(() => undefined);
      else {
        await namesrvProc?.kill().catch(() => undefined);
        rmSync(root, { recursive: true, force: true });
        unregisterTempDir(root);
      }
      const err = new Error(`local RocketMQ broker failed to start: ${(e as Error).message}\n${detail}`);
      (err as Error & { cause?: unknown }).cause = e;
      throw err;
    }
  }

  /** Starts the proxy+broker JVM and waits until a QueryRoute through it answers OK. */
  private async startProxy(deadline: number, signal?: AbortSignal): Promise<void> {
    const from = readText(this.layout.proxyLog).length;
    this.proxy = await JvmProcess.start({
      name: 'proxy',
      classpath: join(this.lib, '*'),
      mainClass: PROXY_MAIN,
      jvmArgs: javaArgs(this.layout, this.layout.home, [
        '-Xms256m',
        '-Xmx1g',
        '-XX:MaxDirectMemorySize=512m',
      ]),
      args: ['-pm', 'local', '-bc', this.layout.brokerConf, '-pc', this.layout.proxyConf, '-n', this.namesrv],
      env: javaEnv(this.layout.home),
      cwd: this.layout.root,
      logFile: this.layout.proxyLog,
    });
    const t0 = Date.now();
    await waitForOutput(this.proxy, PROXY_READY, deadline, signal, from);
    this.log(`proxy printed its startup line after ${Date.now() - t0} ms`);
    await this.waitReady(deadline, signal);
    this.log(`proxy answered QueryRoute OK after ${Date.now() - t0} ms`);
  }

  private async waitReady(deadline: number, signal?: AbortSignal): Promise<void> {
    const proxy = this.proxy;
    const check = () => {
      if (!proxy?.alive) throw new Error(`proxy exited (${proxy?.exitDescription}) before it became ready`);
    };
    // The remoting port accepts connections once the broker controller has started.
    for (;;) {
      check();
      try {
        await this.admin.createTopic(READY_TOPIC, 'NORMAL', 1);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`broker remoting not answering: ${(e as Error).message}`);
        await sleep(200, signal);
      }
    }
    await waitForRoute(this.endpoint, READY_TOPIC, {
      deadlineMs: Math.max(1000, deadline - Date.now()),
      credentials: this.acl,
      signal,
      check,
    });
  }

  async createTopic(name: string, type: TopicType, opts: { queues?: number } = {}): Promise<void> {
    this.assertRunning();
    await this.admin.createTopic(name, type, opts.queues ?? 8);
    await waitForRoute(this.endpoint, name, {
      deadlineMs: ROUTE_DEADLINE_MS,
      expectType: type,
      credentials: this.acl,
    });
  }

  async createConsumerGroup(name: string, opts: GroupOptions = {}): Promise<void> {
    this.assertRunning();
    await this.admin.createGroup(name, opts);
  }

  /** Broker-side admin (remoting) for tests that need more than the handle offers. */
  get brokerAdmin(): BrokerAdmin {
    return this.admin;
  }

  async kill(): Promise<void> {
    if (this.stopped) throw new Error('broker was stopped');
    await this.proxy?.kill();
  }

  /**
   * SIGTERM the proxy+broker JVM and wait for its graceful shutdown (SIGKILL after 30 s); keeps the
   * store, like kill(). For "kill -TERM" fault scenarios.
   */
  async terminate(): Promise<void> {
    if (this.stopped) throw new Error('broker was stopped');
    await this.proxy?.stop(30_000);
  }

  async restart(): Promise<void> {
    if (this.stopped) throw new Error('broker was stopped');
    const started = Date.now();
    if (this.proxy?.alive) await this.proxy.stop(30_000);
    // Same ports as before: wait for them to be released (normally immediate after the JVM died).
    const until = Date.now() + 15_000;
    for (const port of brokerJvmPorts(this.ports)) {
      while (!(await isPortFree(port))) {
        if (Date.now() > until)
          throw new Error(`port ${port} still in use; cannot restart on the same ports`);
        await sleep(200);
      }
    }
    try {
      await this.startProxy(Date.now() + 120_000);
    } catch (e) {
      throw new Error(`broker restart failed: ${(e as Error).message}\n${this.diagnostics()}`);
    }
    this.log(`broker restarted at ${this.endpoint} in ${Date.now() - started} ms`);
  }

  stop(): Promise<void> {
    return this.shutdown(STOP_GRACE_MS);
  }

  /** Stops both JVMs (SIGTERM, SIGKILL after `graceMs`; 0 = SIGKILL at once) and deletes the temp dir. */
  private shutdown(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      const end = (p: JvmProcess | undefined) => (graceMs > 0 ? p?.stop(graceMs) : p?.kill());
      await Promise.all([end(this.proxy), end(this.namesrvProc)]);
      unregisterTempDir(this.layout.root);
      if (process.env.ROCKETMQ_TS_KEEP_TEMP === '1')
        this.log(`keeping ${this.layout.root} (ROCKETMQ_TS_KEEP_TEMP=1)`);
      else rmSync(this.layout.root, { recursive: true, force: true });
    })();
    return this.stopping;
  }

  /** Tails of the JVM outputs and the broker/proxy logs, for error messages. */
  diagnostics(): string {
    const logs = join(this.layout.home, 'logs', 'rocketmqlogs');
    const part = (title: string, text: string) => (text.trim() ? `--- ${title} ---\n${text}\n` : '');
    const tail = (p: string, n: number) => readText(p).split('\n').slice(-n).join('\n');
    return [
      part('namesrv output', this.namesrvProc.logTail(20)),
      part('proxy output', tail(this.layout.proxyLog, 40)),
      part('proxy.log', tail(join(logs, 'proxy.log'), 30)),
      part('broker.log', tail(join(logs, 'broker.log'), 30)),
    ].join('');
  }

  private assertRunning(): void {
    if (this.stopped) throw new Error('broker was stopped');
  }
}

export { BROKER_NAME, CLUSTER_NAME };
