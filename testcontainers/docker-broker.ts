/**
 * The Docker path: the official `apache/rocketmq` image through testcontainers — one namesrv
 * container and one broker container started with `--enable-proxy` (proxy in local mode).
 * `testcontainers` is loaded with a dynamic import so the JVM path never loads it.
 *
 * NOT exercised on the development machine (no Docker daemon there); it typechecks against
 * testcontainers 12.0.1 and follows the image's `mqnamesrv` / `mqbroker` scripts.
 */
import { randomBytes } from 'node:crypto';
import type { StartedNetwork, StartedTestContainer } from 'testcontainers';
import { brokerDockerProperties, proxyDockerJson } from './configs.js';
import { waitForRoute } from './grpc-probe.js';
import { rocketmqVersion } from './jar-cache.js';
import { pickJvmPorts } from './ports.js';
import { BrokerAdmin } from './remoting-admin.js';
import type { BrokerAcl, BrokerHandle, GroupOptions, StartBrokerOptions, TopicType } from './types.js';

const GRPC_PORT = 8081;
const BROKER_PORT = 10911;
const NAMESRV_PORT = 9876;
const READY_TOPIC = 'rocketmq_ts_ready';
const CONF_DIR = '/home/rocketmq/rocketmq-ts';
const ROUTE_DEADLINE_MS = 30_000;

export function dockerImage(): string {
  return process.env.ROCKETMQ_TS_DOCKER_IMAGE || `apache/rocketmq:${rocketmqVersion()}`;
}

export class DockerBroker implements BrokerHandle {
  readonly source = 'docker' as const;
  readonly endpoint: string;
  readonly namesrv: string;
  readonly acl?: BrokerAcl;
  private readonly admin: BrokerAdmin;
  private stopping: Promise<void> | undefined;

  private constructor(
    private readonly network: StartedNetwork,
    private readonly namesrvContainer: StartedTestContainer,
    private readonly brokerContainer: StartedTestContainer,
    acl: BrokerAcl | undefined,
    private readonly log: (line: string) => void,
  ) {
    const host = (c: StartedTestContainer) => (c.getHost() === 'localhost' ? '127.0.0.1' : c.getHost());
    this.endpoint = `${host(brokerContainer)}:${brokerContainer.getMappedPort(GRPC_PORT)}`;
    this.namesrv = `${host(namesrvContainer)}:${namesrvContainer.getMappedPort(NAMESRV_PORT)}`;
    if (acl) this.acl = acl;
    this.admin = new BrokerAdmin(
      `${host(brokerContainer)}:${brokerContainer.getMappedPort(BROKER_PORT)}`,
      acl,
    );
  }

  static async start(opts: StartBrokerOptions = {}): Promise<DockerBroker> {
    const log = opts.log ?? (() => undefined);
    const { GenericContainer, Network, Wait } = await import('testcontainers');
    const image = dockerImage();
    const acl = opts.acl
      ? {
          accessKey: `rmqts${randomBytes(4).toString('hex')}`,
          secretKey: randomBytes(18).toString('base64url'),
        }
      : undefined;
    // Fixed host ports (picked free here) so restart() keeps the same endpoint.
    const ports = await pickJvmPorts();
    const started: Array<{ stop(): Promise<unknown> }> = [];
    try {
      log(`starting ${image} containers (Docker)`);
      const network = await new Network().start();
      started.push(network);
      const namesrv = await new GenericContainer(image)
        .withNetwork(network)
        .withNetworkAliases('namesrv')
        .withCommand(['sh', 'mqnamesrv'])
        .withEnvironment({ JAVA_OPT_EXT: '-Xms128m -Xmx256m -Xmn64m' })
        .withExposedPorts({ container: NAMESRV_PORT, host: ports.namesrv })
        .withWaitStrategy(Wait.forLogMessage(/The Name Server boot success/))
        .withStartupTimeout(120_000)
        .start();
      started.unshift(namesrv);
      opts.signal?.throwIfAborted();
      const broker = await new GenericContainer(image)
        .withNetwork(network)
        .withNetworkAliases('broker')
        .withCopyContentToContainer([
          { content: brokerDockerProperties(acl), target: `${CONF_DIR}/broker.conf`, mode: 0o644 },
          { content: proxyDockerJson(acl), target: `${CONF_DIR}/proxy.json`, mode: 0o644 },
        ])
        .withCommand([
          'sh',
          'mqbroker',
          '-n',
          `namesrv:${NAMESRV_PORT}`,
          '--enable-proxy',
          '-c',
          `${CONF_DIR}/broker.conf`,
          '-pc',
          `${CONF_DIR}/proxy.json`,
        ])
        .withEnvironment({
          JAVA_OPT_EXT: '-Xms256m -Xmx1g -Xmn128m -XX:MaxDirectMemorySize=512m -XX:-AlwaysPreTouch',
        })
        .withExposedPorts(
          { container: GRPC_PORT, host: ports.grpc },
          { container: BROKER_PORT, host: ports.broker },
        )
        .withWaitStrategy(Wait.forLogMessage(/rocketmq-proxy startup successfully/))
        .withStartupTimeout(180_000)
        .start();
      started.unshift(broker);
      const handle = new DockerBroker(network, namesrv, broker, acl, log);
      await handle.waitReady(opts.signal);
      log(`broker ready at ${handle.endpoint} (Docker)`);
      return handle;
    } catch (e) {
      for (const s of started) await s.stop().catch(() => undefined);
      throw new Error(`RocketMQ Docker containers failed to start: ${(e as Error).message}`);
    }
  }

  private async waitReady(signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      try {
        await this.admin.createTopic(READY_TOPIC, 'NORMAL', 1);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        signal?.throwIfAborted();
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await waitForRoute(this.endpoint, READY_TOPIC, {
      deadlineMs: Math.max(1000, deadline - Date.now()),
      credentials: this.acl,
      signal,
    });
  }

  async createTopic(name: string, type: TopicType, opts: { queues?: number } = {}): Promise<void> {
    await this.admin.createTopic(name, type, opts.queues ?? 8);
    await waitForRoute(this.endpoint, name, {
      deadlineMs: ROUTE_DEADLINE_MS,
      expectType: type,
      credentials: this.acl,
    });
  }

  async createConsumerGroup(name: string, opts: GroupOptions = {}): Promise<void> {
    await this.admin.createGroup(name, opts);
  }

  /** Broker-side admin (remoting, through the mapped broker port). */
  get brokerAdmin(): BrokerAdmin {
    return this.admin;
  }

  /** SIGKILLs every process in the broker container (the container exits; its filesystem/store stays). */
  async kill(): Promise<void> {
    try {
      await this.brokerContainer.exec(['sh', '-c', 'kill -9 -1']);
    } catch {
      // the exec'd shell dies with everything else
    }
  }

  /** `docker restart` (same fixed host ports, same container store), then the readiness probe. */
  async restart(): Promise<void> {
    await this.brokerContainer.restart({ timeout: 0 });
    await this.waitReady();
    this.log(`broker container restarted at ${this.endpoint}`);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.allSettled([
        this.brokerContainer.stop({ timeout: 5000 }),
        this.namesrvContainer.stop({ timeout: 5000 }),
      ]);
      await this.network.stop().catch(() => undefined);
    })();
    return this.stopping;
  }
}
