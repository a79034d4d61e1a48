/**
 * An existing broker named by the environment:
 *   ROCKETMQ_ENDPOINT   proxy gRPC endpoint (required)
 *   ROCKETMQ_NAMESRV    name server, needed for createTopic / createConsumerGroup
 *   ROCKETMQ_ACCESS_KEY / ROCKETMQ_SECRET_KEY   credentials when the broker has ACL on
 * The process is not ours: `stop()` only releases the handle, `kill()`/`restart()` throw.
 */
import { waitForRoute } from './grpc-probe.js';
import { BrokerAdmin, lookupBrokers } from './remoting-admin.js';
import type { BrokerAcl, BrokerHandle, GroupOptions, StartBrokerOptions, TopicType } from './types.js';

const ROUTE_DEADLINE_MS = 30_000;

export function envEndpoint(): string | undefined {
  return process.env.ROCKETMQ_ENDPOINT?.trim() || undefined;
}

function envAcl(): BrokerAcl | undefined {
  const accessKey = process.env.ROCKETMQ_ACCESS_KEY;
  const secretKey = process.env.ROCKETMQ_SECRET_KEY;
  return accessKey && secretKey ? { accessKey, secretKey } : undefined;
}

export class EnvBroker implements BrokerHandle {
  readonly source = 'env' as const;
  readonly endpoint: string;
  readonly namesrv: string;
  readonly acl?: BrokerAcl;

  constructor(endpoint: string, namesrv: string | undefined, acl: BrokerAcl | undefined) {
    this.endpoint = endpoint;
    this.namesrv = namesrv ?? '';
    if (acl) this.acl = acl;
  }

  static async start(opts: StartBrokerOptions = {}): Promise<EnvBroker> {
    const endpoint = envEndpoint();
    if (!endpoint) throw new Error('ROCKETMQ_ENDPOINT is not set');
    const b = new EnvBroker(endpoint, process.env.ROCKETMQ_NAMESRV?.trim() || undefined, envAcl());
    if (opts.acl && !b.acl) {
      throw new Error(
        'startBroker({ acl: true }) with ROCKETMQ_ENDPOINT needs ROCKETMQ_ACCESS_KEY and ROCKETMQ_SECRET_KEY of that broker',
      );
    }
    opts.log?.(
      `using existing broker ${endpoint}${b.namesrv ? ` (namesrv ${b.namesrv})` : ''} from ROCKETMQ_ENDPOINT`,
    );
    return b;
  }

  private async admins(): Promise<BrokerAdmin[]> {
    if (!this.namesrv) {
      throw new Error(
        'creating topics/groups on an existing broker needs ROCKETMQ_NAMESRV (the name server used to find the broker)',
      );
    }
    const brokers = await lookupBrokers(this.namesrv);
    if (brokers.length === 0) throw new Error(`name server ${this.namesrv} knows no master broker`);
    return brokers.map((addr) => new BrokerAdmin(addr, this.acl));
  }

  async createTopic(name: string, type: TopicType, opts: { queues?: number } = {}): Promise<void> {
    for (const admin of await this.admins()) await admin.createTopic(name, type, opts.queues ?? 8);
    await waitForRoute(this.endpoint, name, {
      deadlineMs: ROUTE_DEADLINE_MS,
      expectType: type,
      credentials: this.acl,
    });
  }

  async createConsumerGroup(name: string, opts: GroupOptions = {}): Promise<void> {
    for (const admin of await this.admins()) await admin.createGroup(name, opts);
  }

  /** Releases the handle; the external broker keeps running. */
  async stop(): Promise<void> {}

  async kill(): Promise<void> {
    throw new Error(
      'kill() is not available for a broker given by ROCKETMQ_ENDPOINT (unset it to let the harness start one)',
    );
  }

  async restart(): Promise<void> {
    throw new Error(
      'restart() is not available for a broker given by ROCKETMQ_ENDPOINT (unset it to let the harness start one)',
    );
  }
}
