/** Public types of the test-broker harness. */

export type TopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'PRIORITY' | 'LITE';

/** Options of a consumer group created by the harness. */
export interface GroupOptions {
  /** An ordered group (`consumeMessageOrderly`). */
  fifo?: boolean;
  maxRetries?: number;
  /** Makes it a lite group bound to this LITE parent topic (group attribute `lite.bind.topic`, 5.5+). */
  liteBindTopic?: string;
  /** Lite topics one client of the group may subscribe to (group attribute `lite.sub.client.quota`). */
  liteClientQuota?: number;
}

export interface BrokerAcl {
  accessKey: string;
  secretKey: string;
}

export interface BrokerHandle {
  /** Where the broker came from (see describeBrokerSource). */
  readonly source?: 'env' | 'docker' | 'jvm';
  /** Proxy gRPC endpoint, `127.0.0.1:<port>`. */
  endpoint: string;
  /** Name server, `127.0.0.1:<port>` (empty string when unknown, e.g. env without ROCKETMQ_NAMESRV). */
  namesrv: string;
  /** Super-user credentials when the broker runs with authentication. */
  acl?: BrokerAcl;
  /** Creates (or updates) a topic with `message.type`; resolves once the topic is routable through the proxy. */
  createTopic(name: string, type: TopicType, opts?: { queues?: number }): Promise<void>;
  /** Creates (or updates) a consumer group (see {@link GroupOptions}). */
  createConsumerGroup(name: string, opts?: GroupOptions): Promise<void>;
  /** Graceful stop, SIGKILL after a bound; deletes the temp store. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the proxy+broker JVM; keeps the store (fault tests). */
  kill(): Promise<void>;
  /** Starts the proxy+broker JVM again on the same ports and store; resolves when ready. */
  restart(): Promise<void>;
}

export interface StartBrokerOptions {
  /** Run the broker with ACL 2.0 authentication and return the credentials in `handle.acl`. */
  acl?: boolean;
  /** Aborts startup (everything started so far is torn down). */
  signal?: AbortSignal;
  /** Receives progress lines; the library prints nothing itself. */
  log?: (line: string) => void;
}

export type BrokerSourceKind = 'env' | 'docker' | 'jvm' | 'none';

export interface BrokerSource {
  kind: BrokerSourceKind;
  reason: string;
}
