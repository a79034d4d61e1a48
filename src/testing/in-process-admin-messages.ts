/**
 * Message lookup, dead letters and consumer progress of the in-process admin: the views of the
 * broker's in-memory queues that `Admin` reads from a real broker's store.
 *
 * @packageDocumentation
 */

import type {
  AdminMessage,
  DeadLetter,
  GroupLag,
  OffsetChange,
  QueueLag,
  RedriveResult,
} from '../admin/types.js';
import { RocketMQError } from '../errors.js';
import type { BrokerCore } from './broker-core.js';
import { fifoQueueIndex } from './java-hash.js';
import { DLQ_TOPIC_PREFIX, type StoredMessage, type TopicState } from './store.js';

/** The admin view of a stored message: user properties apart, system ones as the broker names them. */
export function adminMessageOf(m: StoredMessage, brokerName: string, storeHost: string): AdminMessage {
  const system: Record<string, string> = { UNIQ_KEY: m.messageId };
  if (m.tag !== undefined) system.TAGS = m.tag;
  if (m.keys.length > 0) system.KEYS = m.keys.join(' ');
  if (m.messageGroup !== undefined) system.__SHARDINGKEY = m.messageGroup;
  if (m.deadLetter !== undefined) system.DLQ_ORIGIN_TOPIC = m.deadLetter.topic;
  return {
    messageId: m.messageId,
    topic: m.topic,
    tag: m.tag,
    keys: [...m.keys],
    messageGroup: m.messageGroup,
    properties: { ...m.userProperties },
    allProperties: { ...m.userProperties, ...system },
    body: Buffer.from(m.body),
    brokerName,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    bornTimestamp: m.bornTimestampMs,
    storeTimestamp: m.storeTimestampMs,
    bornHost: m.bornHost,
    storeHost,
    reconsumeTimes: 0,
  };
}

/** Every message of a topic, queue by queue. */
export function messagesOf(topic: TopicState): StoredMessage[] {
  return topic.queues.flat();
}

/** The topic, or `TOPIC_NOT_FOUND`. */
export function requireTopicState(core: BrokerCore, name: string): TopicState {
  const t = core.store.topic(name);
  if (t === undefined) throw new RocketMQError(`Topic ${name} does not exist`, 'TOPIC_NOT_FOUND');
  return t;
}

/** The group's dead-letter topic, or `TOPIC_NOT_FOUND`. */
export function deadLetterTopic(core: BrokerCore, group: string): TopicState {
  const t = core.store.topic(`${DLQ_TOPIC_PREFIX}${group}`);
  if (t === undefined) throw new RocketMQError(`Group ${group} has no dead-letter topic`, 'TOPIC_NOT_FOUND');
  return t;
}

/** The group's consumer offsets on `topic` (0 everywhere when it never consumed: a new group starts there). */
function offsetsOf(core: BrokerCore, group: string, topic: TopicState): number[] {
  return core.delivery.consumerOffsets(group, topic) ?? topic.queues.map(() => 0);
}

/** Lag per queue of the group's topics (`topic` alone when given). */
export function groupLag(core: BrokerCore, group: string, topicName: string | undefined): GroupLag {
  const known = core.groups.peek(group) !== undefined || core.delivery.topicsOf(group).length > 0;
  if (!known) throw new RocketMQError(`Group ${group} has no consumer offsets`, 'CONSUMER_GROUP_NOT_FOUND');
  const names = topicName !== undefined ? [topicName] : core.delivery.topicsOf(group).sort();
  const brokerName = core.options.brokerName;
  const queues: QueueLag[] = [];
  for (const name of names) {
    const topic = requireTopicState(core, name);
    const offsets = offsetsOf(core, group, topic);
    topic.queues.forEach((queue, queueId) => {
      const consumerOffset = Math.min(offsets[queueId] ?? 0, queue.length);
      const lag = queue.length - consumerOffset;
      queues.push({
        topic: name,
        brokerName,
        queueId,
        brokerOffset: queue.length,
        consumerOffset,
        lag,
        oldestUnconsumedTimestamp: lag > 0 ? queue[consumerOffset]?.storeTimestampMs : undefined,
      });
    });
  }
  const stamps = queues.map((q) => q.oldestUnconsumedTimestamp).filter((s): s is number => s !== undefined);
  const oldest = stamps.length > 0 ? Math.min(...stamps) : undefined;
  return {
    group,
    totalLag: queues.reduce((s, q) => s + q.lag, 0),
    oldestUnconsumedAgeMs: oldest === undefined ? undefined : Math.max(core.clock.now() - oldest, 0),
    queues,
  };
}

/** Per queue: the first offset stored at or after `timestamp` (the queue's end when none is). */
export function offsetChanges(
  core: BrokerCore,
  group: string,
  topic: TopicState,
  timestamp: number,
): OffsetChange[] {
  const current = core.delivery.consumerOffsets(group, topic);
  return topic.queues.map((queue, queueId) => {
    const at = queue.findIndex((m) => m.storeTimestampMs >= timestamp);
    return {
      brokerName: core.options.brokerName,
      queueId,
      from: current?.[queueId] ?? -1,
      to: at < 0 ? queue.length : at,
    };
  });
}

/** Sends dead letters back to the topic they came from, keeping id, tag, keys, group and properties. */
export function redrive(
  core: BrokerCore,
  group: string,
  messageIds: readonly string[] | undefined,
  max: number,
): RedriveResult[] {
  const letters = messagesOf(deadLetterTopic(core, group)).slice(0, max);
  const results: RedriveResult[] = [];
  for (const id of messageIds ?? []) {
    if (!letters.some((l) => l.messageId === id)) {
      results.push({ messageId: id, ok: false, code: 'MESSAGE_NOT_FOUND', message: `No dead letter ${id}` });
    }
  }
  const wanted = messageIds === undefined ? letters : letters.filter((l) => messageIds.includes(l.messageId));
  for (const l of wanted) {
    const origin = l.deadLetter?.topic;
    const topic = origin === undefined ? undefined : core.store.topic(origin);
    if (topic === undefined) {
      const message = `Topic ${origin ?? '(unknown)'} of dead letter ${l.messageId} does not exist`;
      results.push({ messageId: l.messageId, ok: false, code: 'TOPIC_NOT_FOUND', message });
      continue;
    }
    const { deadLetter: _origin, ...copy } = l;
    const queueId =
      l.messageGroup !== undefined && l.messageGroup !== ''
        ? fifoQueueIndex(l.messageGroup, topic.queueCount)
        : core.store.nextQueue(topic);
    core.store.append({ ...copy, topic: topic.name, queueId, queueOffset: -1, storeTimestampMs: 0 });
    results.push({ messageId: l.messageId, ok: true, topic: topic.name });
  }
  return results;
}

/** The group's dead letters with the topic each came from. */
export function deadLetters(core: BrokerCore, group: string, max: number, storeHost: string): DeadLetter[] {
  return messagesOf(deadLetterTopic(core, group))
    .slice(0, max)
    .map((m) => ({
      ...adminMessageOf(m, core.options.brokerName, storeHost),
      originalTopic: m.deadLetter?.topic,
    }));
}
