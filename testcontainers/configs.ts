/**
 * Config files for the local JVM broker: namesrv properties, broker properties (`-bc`) and the
 * proxy JSON (`-pc`). Values are test values: small mapped files, loopback addresses, a short
 * proxy route-cache refresh so a topic created after a failed lookup becomes routable in seconds.
 */
import { join } from 'node:path';
import type { JvmPorts } from './ports.js';
import type { BrokerAcl } from './types.js';

export const CLUSTER_NAME = 'DefaultCluster';
export const BROKER_NAME = 'broker-a';

export type ConfigValue = string | number | boolean;

export interface JvmLayout {
  /** Temp root; everything the JVMs write lives below it. */
  root: string;
  /** `user.home` / ROCKETMQ_HOME of the proxy+broker JVM (logs under home/logs/rocketmqlogs). */
  home: string;
  /** `user.home` of the namesrv JVM, separate so the two JVMs never write the same log file. */
  namesrvHome: string;
  store: string;
  namesrvConf: string;
  brokerConf: string;
  proxyConf: string;
  namesrvLog: string;
  proxyLog: string;
}

export function layoutOf(root: string): JvmLayout {
  return {
    root,
    home: join(root, 'home'),
    namesrvHome: join(root, 'namesrv-home'),
    store: join(root, 'store'),
    namesrvConf: join(root, 'namesrv.properties'),
    brokerConf: join(root, 'broker.conf'),
    proxyConf: join(root, 'proxy.json'),
    namesrvLog: join(root, 'namesrv.out'),
    proxyLog: join(root, 'proxy.out'),
  };
}

function properties(entries: Record<string, ConfigValue>): string {
  // java.util.Properties: backslashes must be escaped; our values are paths, ports, JSON.
  return `${Object.entries(entries)
    .map(([k, v]) => `${k}=${String(v).replace(/\\/g, '\\\\')}`)
    .join('\n')}\n`;
}

export function namesrvProperties(ports: Pick<JvmPorts, 'namesrv'>): string {
  return properties({ listenPort: ports.namesrv, bindAddress: '127.0.0.1' });
}

export interface BrokerConfigInput {
  ports: JvmPorts;
  layout: JvmLayout;
  acl?: BrokerAcl | undefined;
  overrides?: Record<string, ConfigValue> | undefined;
}

/** Store/disk settings shared by the JVM and Docker brokers. */
const TEST_STORE_PROPS: Record<string, ConfigValue> = {
  autoCreateTopicEnable: true,
  autoCreateSubscriptionGroup: true,
  // 64 MiB commit-log files instead of 1 GiB; 30k-entry consume-queue files instead of 300k.
  mappedFileSizeCommitLog: 64 * 1024 * 1024,
  mappedFileSizeConsumeQueue: 30_000 * 20,
  mappedFileSizeTimerLog: 16 * 1024 * 1024,
  deleteWhen: '04',
  fileReservedTime: 1,
  // CI disks are often nearly full; the defaults (75/85/90 %) would make the broker refuse writes.
  diskMaxUsedSpaceRatio: 95,
  diskSpaceCleanForciblyRatio: 97,
  diskSpaceWarningLevelRatio: 99,
  // RecallMessage is refused ("recall failed, operation is forbidden") unless the broker opts in;
  // the 5.4.0 default is false (BrokerConfig.recallMessageEnable).
  recallMessageEnable: true,
  // SQL92 subscriptions are refused unless the broker evaluates properties (5.4.0 default: false).
  enablePropertyFilter: true,
  // A transaction nobody ended is checked after `transactionTimeOut` (6 s) at the next pass of the
  // check service, which runs every 30 s by default: a checker test would wait up to ~36 s. Every 5 s
  // keeps the same protocol (first check after 6 s, then periodically) and bounds it at ~11 s.
  transactionCheckInterval: 5_000,
};

/** ACL 2.0 on the broker: the initial user is created at first start and is a super user. */
function brokerAclProps(acl: BrokerAcl | undefined): Record<string, ConfigValue> {
  if (!acl) return {};
  return {
    authenticationEnabled: true,
    authenticationProvider: 'org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider',
    authenticationMetadataProvider:
      'org.apache.rocketmq.auth.authentication.provider.LocalAuthenticationMetadataProvider',
    initAuthenticationUser: JSON.stringify({ username: acl.accessKey, password: acl.secretKey }),
    innerClientAuthenticationCredentials: JSON.stringify({
      accessKey: acl.accessKey,
      secretKey: acl.secretKey,
    }),
  };
}

/**
 * The proxy's gRPC AuthenticationPipeline reads the *proxy* config, not the broker's (with ACL on
 * the broker only, gRPC calls with a wrong secret are accepted). In local mode the users live in
 * the embedded broker and are reached through ProxyAuthenticationMetadataProvider; the
 * LocalAuthenticationMetadataProvider here would open a second, empty user store.
 */
function proxyAclProps(acl: BrokerAcl | undefined): Record<string, unknown> {
  if (!acl) return {};
  return {
    authenticationEnabled: true,
    authenticationProvider: 'org.apache.rocketmq.auth.authentication.provider.DefaultAuthenticationProvider',
    authenticationMetadataProvider: 'org.apache.rocketmq.proxy.auth.ProxyAuthenticationMetadataProvider',
  };
}

export function brokerProperties({ ports, layout, acl, overrides }: BrokerConfigInput): string {
  return properties({
    brokerClusterName: CLUSTER_NAME,
    brokerName: BROKER_NAME,
    brokerId: 0,
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    bindAddress: '127.0.0.1',
    listenPort: ports.broker,
    namesrvAddr: `127.0.0.1:${ports.namesrv}`,
    storePathRootDir: layout.store,
    storePathCommitLog: join(layout.store, 'commitlog'),
    ...TEST_STORE_PROPS,
    ...brokerAclProps(acl),
    ...overrides,
  });
}

export interface ProxyConfigInput {
  ports: JvmPorts;
  acl?: BrokerAcl | undefined;
  overrides?: Record<string, unknown> | undefined;
}

const TEST_PROXY_PROPS: Record<string, unknown> = {
  rocketMQClusterName: CLUSTER_NAME,
  proxyMode: 'local',
  // A topic looked up before it existed is negatively cached until the next refresh (20 s by default).
  topicRouteServiceCacheRefreshSeconds: 2,
  grpcShutdownTimeSeconds: 1,
};

export function proxyJson({ ports, acl, overrides }: ProxyConfigInput): string {
  const cfg = {
    ...TEST_PROXY_PROPS,
    grpcServerPort: ports.grpc,
    remotingListenPort: ports.proxyRemoting,
    namesrvAddr: `127.0.0.1:${ports.namesrv}`,
    // Otherwise the proxy advertises the host's first non-loopback address.
    localServeAddr: '127.0.0.1',
    remotingAccessAddr: '127.0.0.1',
    ...proxyAclProps(acl),
    ...overrides,
  };
  return `${JSON.stringify(cfg, null, 2)}\n`;
}

/** Broker properties inside the official image (ports and store paths stay at the image defaults). */
export function brokerDockerProperties(acl: BrokerAcl | undefined): string {
  return properties({
    brokerClusterName: CLUSTER_NAME,
    brokerName: BROKER_NAME,
    brokerId: 0,
    ...TEST_STORE_PROPS,
    ...brokerAclProps(acl),
  });
}

/** Proxy JSON inside the official image; routes carry the port the client dialled (the mapped one). */
export function proxyDockerJson(acl: BrokerAcl | undefined): string {
  return `${JSON.stringify({ ...TEST_PROXY_PROPS, useEndpointPortFromRequest: true, ...proxyAclProps(acl) }, null, 2)}\n`;
}

/** One broker JVM of a cluster (a master has `brokerId` 0, its slave 1). */
export interface ClusterBrokerConfigInput {
  brokerName: string;
  brokerId: number;
  listenPort: number;
  namesrvPort: number;
  store: string;
  overrides?: Record<string, ConfigValue> | undefined;
}

export function clusterBrokerProperties(b: ClusterBrokerConfigInput): string {
  return properties({
    brokerClusterName: CLUSTER_NAME,
    brokerName: b.brokerName,
    brokerId: b.brokerId,
    brokerRole: b.brokerId === 0 ? 'ASYNC_MASTER' : 'SLAVE',
    brokerIP1: '127.0.0.1',
    brokerIP2: '127.0.0.1',
    bindAddress: '127.0.0.1',
    listenPort: b.listenPort,
    namesrvAddr: `127.0.0.1:${b.namesrvPort}`,
    storePathRootDir: b.store,
    storePathCommitLog: join(b.store, 'commitlog'),
    ...TEST_STORE_PROPS,
    ...b.overrides,
  });
}

/** One cluster-mode proxy: stateless, talks remoting to every broker it learns from the namesrv. */
export interface ClusterProxyConfigInput {
  proxyName: string;
  grpcPort: number;
  remotingPort: number;
  namesrvPort: number;
  overrides?: Record<string, unknown> | undefined;
}

export function clusterProxyJson(p: ClusterProxyConfigInput): string {
  const cfg = {
    ...TEST_PROXY_PROPS,
    proxyMode: 'cluster',
    proxyName: p.proxyName,
    grpcServerPort: p.grpcPort,
    remotingListenPort: p.remotingPort,
    namesrvAddr: `127.0.0.1:${p.namesrvPort}`,
    localServeAddr: '127.0.0.1',
    remotingAccessAddr: '127.0.0.1',
    // Route addresses carry the port the client dialled; otherwise every proxy answers with its own
    // port and, on one host, every route points at the proxy that answered.
    useEndpointPortFromRequest: true,
    // The proxy, not the client, picks the broker of a non-FIFO send (it ignores the client's queue),
    // so a client retry after a dead broker's error lands on that broker again unless the proxy avoids
    // it: its send-latency fault strategy marks a broker unavailable after a failed send.
    sendLatencyEnable: true,
    ...p.overrides,
  };
  return `${JSON.stringify(cfg, null, 2)}\n`;
}
