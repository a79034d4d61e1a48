/**
 * Admin calls the harness needs (create topics, groups, ACL users), over the library's own remoting
 * client in `src/admin/remoting` (shared with `rocketmq-ts/admin`): what `mqadmin updateTopic` /
 * `updateSubGroup` do, without a JVM start per call. The broker handles them in `AdminBrokerProcessor`.
 */
import { RequestCode } from '../src/admin/remoting/codes.js';
import { RemotingConnection } from '../src/admin/remoting/connection.js';
import type { RemotingCredentials, RemotingResponse } from '../src/admin/remoting/frame.js';
import { parseRemotingJson } from '../src/admin/remoting/json.js';
import type { GroupOptions, TopicType } from './types.js';

export type { RemotingCredentials } from '../src/admin/remoting/frame.js';
export { RequestCode };

/** One ACL 2.0 policy entry (`AclInfo.PolicyEntryInfo`): e.g. `Topic:orders`, `['Pub']`, `Allow`. */
export interface AclEntry {
  readonly resource: string;
  readonly actions: readonly string[];
  readonly decision: 'Allow' | 'Deny';
}

const SUCCESS = 0;
const TIMEOUT_MS = 5000;
/** `PermName.PERM_READ | PermName.PERM_WRITE`. */
const PERM_RW = 6;
/** `TopicValidator.AUTO_CREATE_TOPIC_KEY_TOPIC`; the header field is mandatory. */
const DEFAULT_TOPIC = 'TBW102';

function parseLenientJson(text: string): unknown {
  return parseRemotingJson(text);
}

export interface TopicConfigView {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  attributes: Record<string, string>;
}

export interface GroupConfigView {
  groupName: string;
  consumeMessageOrderly: boolean;
  retryMaxTimes: number;
  attributes: Record<string, string>;
}

export class RemotingAdminError extends Error {
  constructor(
    message: string,
    readonly responseCode: number,
  ) {
    super(message);
    this.name = 'RemotingAdminError';
  }
}

function check(what: string, res: RemotingResponse): void {
  if (res.code !== SUCCESS) {
    throw new RemotingAdminError(
      `${what} failed: code ${res.code}${res.remark ? `: ${res.remark}` : ''}`,
      res.code,
    );
  }
}

/** What the harness's calls use of a connection. */
interface Invoker {
  invoke(code: number, extFields?: Record<string, string>, body?: Buffer): Promise<RemotingResponse>;
}

async function withClient<T>(
  address: string,
  credentials: RemotingCredentials | undefined,
  fn: (c: Invoker) => Promise<T>,
): Promise<T> {
  const conn = await RemotingConnection.open(address, { credentials, timeoutMs: TIMEOUT_MS });
  try {
    return await fn({
      invoke: (code, extFields = {}, body) =>
        conn.invoke({ code, extFields, body }, { timeoutMs: TIMEOUT_MS }),
    });
  } finally {
    conn.close();
  }
}

/** Admin calls against one broker's remoting port (with ACL credentials when auth is on). */
export class BrokerAdmin {
  constructor(
    readonly brokerAddr: string,
    private readonly credentials?: RemotingCredentials,
  ) {}

  createTopic(name: string, type: TopicType, queues = 8): Promise<void> {
    const ext = {
      topic: name,
      defaultTopic: DEFAULT_TOPIC,
      readQueueNums: String(queues),
      writeQueueNums: String(queues),
      perm: String(PERM_RW),
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: '0',
      order: 'false',
      attributes: `+message.type=${type}`,
    };
    return withClient(this.brokerAddr, this.credentials, async (c) => {
      check(`create topic ${name}`, await c.invoke(RequestCode.UPDATE_AND_CREATE_TOPIC, ext));
    });
  }

  createGroup(name: string, opts: GroupOptions = {}): Promise<void> {
    // Group attributes are written `+key` (add or update), as `mqadmin updateSubGroup -a` does.
    const attributes: Record<string, string> = {};
    if (opts.liteBindTopic !== undefined) attributes['+lite.bind.topic'] = opts.liteBindTopic;
    if (opts.liteClientQuota !== undefined)
      attributes['+lite.sub.client.quota'] = String(opts.liteClientQuota);
    const config = {
      groupName: name,
      consumeEnable: true,
      consumeFromMinEnable: true,
      consumeBroadcastEnable: true,
      consumeMessageOrderly: opts.fifo ?? false,
      retryQueueNums: 1,
      retryMaxTimes: opts.maxRetries ?? 16,
      brokerId: 0,
      whichBrokerWhenConsumeSlowly: 1,
      notifyConsumerIdsChangedEnable: true,
      groupSysFlag: 0,
      consumeTimeoutMinute: 15,
      attributes,
    };
    const body = Buffer.from(JSON.stringify(config), 'utf8');
    return withClient(this.brokerAddr, this.credentials, async (c) => {
      check(
        `create group ${name}`,
        await c.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, body),
      );
    });
  }

  /** ACL 2.0: creates a normal user (`mqadmin createUser`; body `UserInfo`). Needs super-user credentials. */
  createUser(username: string, password: string): Promise<void> {
    const body = Buffer.from(JSON.stringify({ username, password, userType: 'Normal' }), 'utf8');
    return withClient(this.brokerAddr, this.credentials, async (c) => {
      check(`create user ${username}`, await c.invoke(RequestCode.AUTH_CREATE_USER, { username }, body));
    });
  }

  /**
   * ACL 2.0: creates the ACL of a subject such as `User:alice` (`mqadmin createAcl`; body `AclInfo` with
   * one custom policy). Needs super-user credentials.
   */
  createAcl(subject: string, entries: readonly AclEntry[]): Promise<void> {
    const acl = {
      subject,
      policies: [
        {
          policyType: 'Custom',
          entries: entries.map((e) => ({ ...e, actions: [...e.actions], sourceIps: [] })),
        },
      ],
    };
    const body = Buffer.from(JSON.stringify(acl), 'utf8');
    return withClient(this.brokerAddr, this.credentials, async (c) => {
      check(`create acl ${subject}`, await c.invoke(RequestCode.AUTH_CREATE_ACL, { subject }, body));
    });
  }

  /** The broker's stored config of a topic (attributes hold `message.type`). */
  getTopicConfig(name: string): Promise<TopicConfigView> {
    return withClient(this.brokerAddr, this.credentials, async (c) => {
      const res = await c.invoke(RequestCode.GET_TOPIC_CONFIG, { topic: name });
      check(`get topic config ${name}`, res);
      const parsed = parseLenientJson(res.body?.toString('utf8') ?? '{}') as Partial<TopicConfigView>;
      return {
        topicName: parsed.topicName ?? name,
        readQueueNums: parsed.readQueueNums ?? 0,
        writeQueueNums: parsed.writeQueueNums ?? 0,
        perm: parsed.perm ?? 0,
        attributes: parsed.attributes ?? {},
      };
    });
  }

  getGroupConfig(name: string): Promise<GroupConfigView> {
    return withClient(this.brokerAddr, this.credentials, async (c) => {
      const res = await c.invoke(RequestCode.GET_SUBSCRIPTIONGROUP_CONFIG, { group: name });
      check(`get group config ${name}`, res);
      const parsed = parseLenientJson(res.body?.toString('utf8') ?? '{}') as Partial<GroupConfigView>;
      return {
        groupName: parsed.groupName ?? name,
        consumeMessageOrderly: parsed.consumeMessageOrderly ?? false,
        retryMaxTimes: parsed.retryMaxTimes ?? 0,
        attributes: parsed.attributes ?? {},
      };
    });
  }
}

interface ClusterInfo {
  brokerAddrTable?: Record<
    string,
    { cluster?: string; brokerName?: string; brokerAddrs?: Record<string, string> }
  >;
}

/** Master broker addresses known to a namesrv (`GET_BROKER_CLUSTER_INFO`), optionally of one cluster. */
export function lookupBrokers(namesrv: string, cluster?: string): Promise<string[]> {
  return withClient(namesrv, undefined, async (c) => {
    const res = await c.invoke(RequestCode.GET_BROKER_CLUSTER_INFO);
    check('get broker cluster info', res);
    const info = parseLenientJson(res.body?.toString('utf8') ?? '{}') as ClusterInfo;
    const out: string[] = [];
    for (const b of Object.values(info.brokerAddrTable ?? {})) {
      if (cluster && b.cluster !== cluster) continue;
      const master = b.brokerAddrs?.['0'];
      if (master) out.push(master);
    }
    return out;
  });
}

/** `ResponseCode.TOPIC_NOT_EXIST`. */
const TOPIC_NOT_EXIST = 17;

interface RouteInfo {
  brokerDatas?: { brokerName?: string; brokerAddrs?: Record<string, string> }[];
}

/**
 * Master addresses a namesrv routes `topic` to (`GET_ROUTEINFO_BY_TOPIC`); empty while it has no
 * route for the topic.
 */
export function lookupRouteMasters(namesrv: string, topic: string): Promise<string[]> {
  return withClient(namesrv, undefined, async (c) => {
    const res = await c.invoke(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic });
    if (res.code === TOPIC_NOT_EXIST) return [];
    check(`route of ${topic}`, res);
    const info = parseLenientJson(res.body?.toString('utf8') ?? '{}') as RouteInfo;
    return (info.brokerDatas ?? []).flatMap((b) => (b.brokerAddrs?.['0'] ? [b.brokerAddrs['0']] : []));
  });
}
