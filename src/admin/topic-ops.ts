/**
 * Topic operations: create or update on chosen masters, delete, list, describe.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { type BrokerAddress, listBrokers, selectMasters, topicRoute } from './cluster.js';
import { brokerCall, namesrvCall, num, type OpContext, rec, str } from './context.js';
import { RequestCode } from './remoting/codes.js';
import { onEachBroker } from './results.js';
import type {
  BrokerResult,
  QueueStatus,
  TopicDescription,
  TopicMessageType,
  TopicOnBroker,
  TopicOptions,
  TopicPermission,
} from './types.js';
import { isSystemTopic, validateQueueCount, validateReadableTopic, validateTopicName } from './validation.js';

const PERM_BITS: Readonly<Record<TopicPermission, number>> = { RW: 6, R: 4, W: 2, NONE: 0 };
const MESSAGE_TYPES: readonly TopicMessageType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];
const DEFAULT_QUEUES = 8;

/** The permission named by the broker's bits (read 4, write 2). */
export function permissionOf(bits: number): TopicPermission {
  const r = (bits & 4) !== 0;
  const w = (bits & 2) !== 0;
  return r && w ? 'RW' : r ? 'R' : w ? 'W' : 'NONE';
}

function messageTypeOf(attributes: unknown): TopicMessageType | undefined {
  const t = str(rec(attributes)['message.type']);
  return (MESSAGE_TYPES as readonly string[]).includes(t) ? (t as TopicMessageType) : undefined;
}

interface TopicSpec {
  readonly type: TopicMessageType | undefined;
  readonly readQueues: number | undefined;
  readonly writeQueues: number | undefined;
  readonly perm: number | undefined;
}

/** Checks the options; with `fill` the defaults are applied (create), otherwise absent stays absent. */
export function topicSpec(options: TopicOptions, fill: boolean): TopicSpec {
  const o = options ?? {};
  if (o.type !== undefined && !MESSAGE_TYPES.includes(o.type)) {
    throw new RocketMQError(
      `Unknown message type ${String(o.type)}; use ${MESSAGE_TYPES.join(', ')}`,
      'INVALID_ARGUMENT',
    );
  }
  if (o.perm !== undefined && !Object.hasOwn(PERM_BITS, o.perm)) {
    throw new RocketMQError(`Unknown permission ${String(o.perm)}; use RW, R, W or NONE`, 'INVALID_ARGUMENT');
  }
  if (o.queues !== undefined) validateQueueCount('queues', o.queues);
  if (o.readQueues !== undefined) validateQueueCount('readQueues', o.readQueues);
  if (o.writeQueues !== undefined) validateQueueCount('writeQueues', o.writeQueues);
  if (
    o.brokers !== undefined &&
    (!Array.isArray(o.brokers) || o.brokers.some((b) => typeof b !== 'string'))
  ) {
    throw new RocketMQError('brokers must be an array of broker names', 'INVALID_ARGUMENT');
  }
  const queues = o.queues ?? (fill ? DEFAULT_QUEUES : undefined);
  return {
    type: o.type ?? (fill ? 'NORMAL' : undefined),
    readQueues: o.readQueues ?? queues,
    writeQueues: o.writeQueues ?? queues,
    perm: o.perm !== undefined ? PERM_BITS[o.perm] : fill ? PERM_BITS.RW : undefined,
  };
}

async function topicConfig(ctx: OpContext, address: string, topic: string): Promise<Record<string, unknown>> {
  return brokerCall(ctx, `Config of topic ${topic}`, address, RequestCode.GET_TOPIC_CONFIG, { topic });
}

async function writeTopic(ctx: OpContext, b: BrokerAddress, topic: string, spec: TopicSpec, merge: boolean) {
  let current: Record<string, unknown> = {};
  if (merge) current = await topicConfig(ctx, b.address, topic);
  const read = spec.readQueues ?? num(current.readQueueNums);
  const write = spec.writeQueues ?? num(current.writeQueueNums);
  const perm = spec.perm ?? num(current.perm);
  const type = spec.type ?? messageTypeOf(current.attributes) ?? 'NORMAL';
  await brokerCall(ctx, `Create topic ${topic}`, b.address, RequestCode.UPDATE_AND_CREATE_TOPIC, {
    topic,
    defaultTopic: 'TBW102',
    readQueueNums: String(read),
    writeQueueNums: String(write),
    perm: String(perm),
    topicFilterType: 'SINGLE_TAG',
    topicSysFlag: '0',
    order: 'false',
    attributes: `+message.type=${type}`,
  });
}

/** Creates (or overwrites) a topic on the chosen masters. */
export async function createTopic(
  ctx: OpContext,
  name: string,
  options: TopicOptions,
): Promise<BrokerResult[]> {
  const topic = validateTopicName(name);
  const spec = topicSpec(options, true);
  const masters = await selectMasters(ctx, options ?? {});
  return onEachBroker(ctx, masters, (b) => writeTopic(ctx, b as BrokerAddress, topic, spec, false));
}

/** Changes the given fields of an existing topic on the chosen masters (others keep their value). */
export async function updateTopic(
  ctx: OpContext,
  name: string,
  options: TopicOptions,
): Promise<BrokerResult[]> {
  const topic = validateTopicName(name);
  const spec = topicSpec(options, false);
  const route = await topicRoute(ctx, topic);
  let masters = await selectMasters(ctx, options ?? {});
  if (options?.brokers === undefined)
    masters = masters.filter((m) => route.brokers.some((r) => r.brokerName === m.brokerName));
  return onEachBroker(ctx, masters, (b) => writeTopic(ctx, b as BrokerAddress, topic, spec, true));
}

/**
 * Deletes a topic from every master that serves it and from the name servers.
 *
 * @throws RocketMQError `ILLEGAL_TOPIC` for a system topic (nothing is sent).
 */
export async function deleteTopic(ctx: OpContext, name: string): Promise<BrokerResult[]> {
  const topic = validateReadableTopic(name);
  if (isSystemTopic(topic))
    throw new RocketMQError(`"${topic}" is a system topic and cannot be deleted`, 'ILLEGAL_TOPIC');
  const masters = await selectMasters(ctx, {});
  const results = await onEachBroker(ctx, masters, async (b) => {
    await brokerCall(ctx, `Delete topic ${topic}`, b.address, RequestCode.DELETE_TOPIC_IN_BROKER, { topic });
  });
  const clusters = [...new Set(masters.map((m) => (m as BrokerAddress).cluster))];
  for (const clusterName of clusters) {
    await namesrvCall(
      ctx,
      `Delete topic ${topic} from the name server`,
      RequestCode.DELETE_TOPIC_IN_NAMESRV,
      {
        topic,
        clusterName,
      },
    );
  }
  return results;
}

/**
 * Topic names known to the name servers, sorted. System, retry, dead-letter and reply topics, and the
 * topics named after each cluster and broker, only with `includeSystem`.
 */
export async function listTopics(ctx: OpContext, includeSystem: boolean): Promise<string[]> {
  const body = await namesrvCall(ctx, 'Topic list', RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
  const names = (Array.isArray(body.topicList) ? body.topicList : []).filter(
    (t): t is string => typeof t === 'string',
  );
  if (includeSystem) return names.sort();
  const own = new Set((await listBrokers(ctx)).flatMap((b) => [b.cluster, b.brokerName]));
  return names
    .filter(
      (t) => !own.has(t) && !isSystemTopic(t) && !/^%(RETRY|DLQ)%/.test(t) && !t.endsWith('_REPLY_TOPIC'),
    )
    .sort();
}

/** Route, type and per-queue offsets of a topic. @throws RocketMQError `TOPIC_NOT_FOUND` */
export async function describeTopic(ctx: OpContext, name: string): Promise<TopicDescription> {
  const topic = validateReadableTopic(name);
  const route = await topicRoute(ctx, topic);
  const brokers: TopicOnBroker[] = [];
  const queues: QueueStatus[] = [];
  await Promise.all(
    route.brokers.map(async (b) => {
      let type: TopicMessageType | undefined;
      if (b.address !== undefined) {
        const config = await topicConfig(ctx, b.address, topic);
        type = messageTypeOf(config.attributes);
        const stats = await brokerCall(
          ctx,
          `Stats of topic ${topic}`,
          b.address,
          RequestCode.GET_TOPIC_STATS_INFO,
          {
            topic,
          },
        );
        for (const [key, value] of Object.entries(rec(stats.offsetTable))) {
          const mq = rec(JSON.parse(key));
          const v = rec(value);
          queues.push({
            brokerName: str(mq.brokerName) || b.brokerName,
            queueId: num(mq.queueId),
            minOffset: num(v.minOffset),
            maxOffset: num(v.maxOffset),
            lastUpdateTimestamp: num(v.lastUpdateTimestamp),
          });
        }
      }
      brokers.push({
        brokerName: b.brokerName,
        address: b.address,
        readQueues: b.readQueues,
        writeQueues: b.writeQueues,
        perm: permissionOf(b.perm),
        type,
      });
    }),
  );
  brokers.sort((a, b) => a.brokerName.localeCompare(b.brokerName));
  queues.sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
  return { topic, type: brokers.find((b) => b.type !== undefined)?.type, brokers, queues };
}
