/**
 * Test harness: a real RocketMQ 5.x broker + gRPC proxy for integration tests.
 *
 *   const broker = await startBroker();            // env → Docker → local JVMs → error
 *   await broker.createTopic('t', 'FIFO');
 *   ... broker.endpoint ...
 *   await broker.stop();
 *
 * See testcontainers/README.md for the resolution order, ports, cache and timings.
 */
import { EnvBroker } from './env-broker.js';
import { JvmBroker, type JvmBrokerOptions } from './jvm-broker.js';
import { describeBrokerSource } from './source.js';
import type { BrokerHandle } from './types.js';

export type { ConfigValue } from './configs.js';
export { mqDateTime, mqMetadata, type RouteProbeResult, RouteProber, waitForRoute } from './grpc-probe.js';
export { ensureJars, isCacheComplete, jarCache, rocketmqVersion } from './jar-cache.js';
export type { JvmBrokerOptions } from './jvm-broker.js';
export { JvmBroker } from './jvm-broker.js';
export {
  type ClusterNode,
  type ClusterRole,
  JvmCluster,
  type StartClusterOptions,
  startCluster,
} from './jvm-cluster.js';
export { EnvBroker } from './env-broker.js';
export { BrokerAdmin, lookupBrokers } from './remoting-admin.js';
export { describeBrokerSource, INSTALL_HINT } from './source.js';
export type {
  BrokerAcl,
  BrokerHandle,
  BrokerSource,
  BrokerSourceKind,
  GroupOptions,
  StartBrokerOptions,
  TopicType,
} from './types.js';

export interface StartBrokerExtraOptions extends JvmBrokerOptions {
  /** Ignore ROCKETMQ_ENDPOINT and start a broker of our own (Docker or JVM). */
  ignoreEnv?: boolean;
}

/**
 * Starts (or attaches to) a broker. `brokerProperties` / `proxyConfig` / `startTimeoutMs` only
 * apply to the local JVM path.
 */
export async function startBroker(opts: StartBrokerExtraOptions = {}): Promise<BrokerHandle> {
  opts.signal?.throwIfAborted();
  const source = await describeBrokerSource({ ignoreEnv: opts.ignoreEnv ?? false });
  opts.log?.(`broker source: ${source.kind} (${source.reason})`);
  switch (source.kind) {
    case 'env':
      return EnvBroker.start(opts);
    case 'docker': {
      const { DockerBroker } = await import('./docker-broker.js');
      return DockerBroker.start(opts);
    }
    case 'jvm':
      return JvmBroker.start(opts);
    case 'none':
      throw new Error(`no way to start a RocketMQ broker: ${source.reason}`);
  }
}

export interface SharedBroker {
  /** One line for the test log. */
  describe: string;
  /** Environment for the test processes: ROCKETMQ_ENDPOINT, ROCKETMQ_NAMESRV, ROCKETMQ_TS_SHARED_BROKER=1. */
  env: Record<string, string>;
  stop: () => Promise<void>;
}

/**
 * For the test runner: starts one broker to share between test files through the environment,
 * or resolves undefined (after logging why) when this machine has no way to get one.
 */
export async function startSharedBroker(
  opts: StartBrokerExtraOptions = {},
): Promise<SharedBroker | undefined> {
  const source = await describeBrokerSource({ ignoreEnv: opts.ignoreEnv ?? false });
  if (source.kind === 'none') {
    opts.log?.(`no broker: ${source.reason}`);
    return undefined;
  }
  const b = await startBroker(opts);
  const env: Record<string, string> = {
    ROCKETMQ_ENDPOINT: b.endpoint,
    ROCKETMQ_NAMESRV: b.namesrv,
    ROCKETMQ_TS_SHARED_BROKER: '1',
  };
  if (b.acl)
    Object.assign(env, { ROCKETMQ_ACCESS_KEY: b.acl.accessKey, ROCKETMQ_SECRET_KEY: b.acl.secretKey });
  return {
    describe: `${source.kind} broker, endpoint ${b.endpoint}, namesrv ${b.namesrv}`,
    env,
    stop: () => b.stop(),
  };
}
