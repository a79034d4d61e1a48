/**
 * Message lookup (by id, by key in a time range), dead-letter listing and redrive.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { RESERVED_PROPERTY_KEYS } from '../model/message.js';
import { topicRoute } from './cluster.js';
import type { OpContext } from './context.js';
import { decodeMessages, encodeProperties, type StoredMessage } from './message-codec.js';
import { pullMessages, queueBounds } from './pull.js';
import { RequestCode, ResponseCode } from './remoting/codes.js';
import { responseError } from './remoting/pool.js';
import type { AdminMessage, DeadLetter, RedriveResult } from './types.js';
import {
  validateGroupName,
  validatePositive,
  validateReadableTopic,
  validateTimeRange,
} from './validation.js';

/**
 * Properties the broker and the clients set for themselves; the rest are the user's: the keys the
 * proxy reserves, and those the broker adds to stored messages.
 */
const SYSTEM_PROPERTIES: ReadonlySet<string> = new Set([
  ...RESERVED_PROPERTY_KEYS,
  'ORIGIN_GROUP',
  'TRANS_OFFSET',
  '_SYS_MSG_PRIORITY_',
  'INNER_NUM',
  'INNER_BASE',
  'CHECK_IMMUNITY_TIME_IN_SECONDS',
  '__transactionId__',
  'TRANSACTION_CHECK_TIMES',
  '__SHARDINGKEY',
  'PROPERTY_FORWARD_QUEUE_ID',
  'REDIRECT',
  'INNER_MULTI_DISPATCH',
  'TRACE_CONTEXT',
  'TIMER_ROLL_LABEL',
]);
/** Properties a redriven message keeps besides the user's: its id, tag, keys, group and trace context. */
const KEPT_ON_REDRIVE = ['UNIQ_KEY', 'TAGS', 'KEYS', '__SHARDINGKEY', 'TRACE_CONTEXT'];
const MAX_QUERY = 64;
const MAX_DLQ_READ = 10_000;

function isSystemProperty(key: string): boolean {
  return SYSTEM_PROPERTIES.has(key) || key.startsWith('__RMQ.TRANSIENT.') || key.startsWith('__CRC32#');
}

/** The public view of a stored message. */
export function toAdminMessage(m: StoredMessage, brokerName: string): AdminMessage {
  const p = m.properties;
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) if (!isSystemProperty(k)) properties[k] = v;
  return {
    messageId: p.UNIQ_KEY ?? '',
    topic: m.topic,
    tag: p.TAGS,
    keys: (p.KEYS ?? '').split(' ').filter((k) => k !== ''),
    messageGroup: p.__SHARDINGKEY,
    properties,
    allProperties: p,
    body: m.body,
    brokerName,
    queueId: m.queueId,
    queueOffset: m.queueOffset,
    bornTimestamp: m.bornTimestamp,
    storeTimestamp: m.storeTimestamp,
    bornHost: m.bornHost,
    storeHost: m.storeHost,
    reconsumeTimes: m.reconsumeTimes,
  };
}

async function query(
  ctx: OpContext,
  topic: string,
  key: string,
  range: { begin: number; end: number },
  max: number,
  uniqueKey: boolean,
): Promise<AdminMessage[]> {
  const route = await topicRoute(ctx, topic);
  const found: AdminMessage[] = [];
  await Promise.all(
    route.brokers.map(async (b) => {
      if (b.address === undefined) return;
      const res = await ctx.pool.call({
        address: b.address,
        code: RequestCode.QUERY_MESSAGE,
        extFields: {
          topic,
          key,
          maxNum: String(max),
          beginTimestamp: String(range.begin),
          endTimestamp: String(range.end),
          ...(uniqueKey ? { _UNIQUE_KEY_QUERY: 'true' } : {}),
        },
        signal: ctx.signal,
        timeoutMs: ctx.requestTimeoutMs,
      });
      if (res.code === ResponseCode.QUERY_NOT_FOUND) return;
      if (res.code !== ResponseCode.SUCCESS) throw responseError(`Query of ${topic}`, res);
      for (const m of res.body ? decodeMessages(res.body) : []) found.push(toAdminMessage(m, b.brokerName));
    }),
  );
  return found.sort((a, b) => a.storeTimestamp - b.storeTimestamp || a.queueOffset - b.queueOffset);
}

/** A message by the id its producer assigned. @throws RocketMQError `MESSAGE_NOT_FOUND` */
export async function getMessage(
  ctx: OpContext,
  topicName: string,
  messageId: string,
): Promise<AdminMessage> {
  const topic = validateReadableTopic(topicName);
  if (typeof messageId !== 'string' || !/^[0-9A-Fa-f]{16,64}$/.test(messageId)) {
    throw new RocketMQError(`"${String(messageId)}" is not a message id`, 'ILLEGAL_MESSAGE_ID');
  }
  const all = await query(ctx, topic, messageId, { begin: 0, end: Number.MAX_SAFE_INTEGER }, 32, true);
  const hit = all.find((m) => m.messageId === messageId);
  if (hit === undefined) throw new RocketMQError(`No message ${messageId} in ${topic}`, 'MESSAGE_NOT_FOUND');
  return hit;
}

/** Messages of `topic` carrying `key`, stored within the range. */
export async function findMessages(
  ctx: OpContext,
  topicName: string,
  key: string,
  options: { begin?: number | undefined; end?: number | undefined; max?: number | undefined },
): Promise<AdminMessage[]> {
  const topic = validateReadableTopic(topicName);
  if (typeof key !== 'string' || key.length === 0 || /\s/.test(key)) {
    throw new RocketMQError('The key must be a non-empty string without spaces', 'ILLEGAL_MESSAGE_KEY');
  }
  const range = validateTimeRange(options.begin ?? 0, options.end ?? ctx.clock.now());
  const max = validatePositive('max', options.max ?? 32, MAX_QUERY);
  const all = await query(ctx, topic, key, range, max, false);
  return all
    .filter((m) => m.keys.includes(key) && m.storeTimestamp >= range.begin && m.storeTimestamp <= range.end)
    .slice(0, max);
}

/**
 * The topic a dead letter was first sent to. Pop consumption retries through `%RETRY%<group>_<topic>`
 * (or `+` as the separator in newer brokers), which the dead letter keeps in `RETRY_TOPIC`.
 */
export function originalTopicOf(p: Readonly<Record<string, string>>, group: string): string | undefined {
  if (p.DLQ_ORIGIN_TOPIC) return p.DLQ_ORIGIN_TOPIC;
  const retry = p.RETRY_TOPIC;
  if (retry !== undefined) {
    for (const g of [p.ORIGIN_GROUP, group]) {
      for (const sep of ['_', '+']) {
        const prefix = `%RETRY%${g}${sep}`;
        if (g && retry.startsWith(prefix) && retry.length > prefix.length) return retry.slice(prefix.length);
      }
    }
    if (!retry.startsWith('%RETRY%')) return retry;
  }
  return p.REAL_TOPIC;
}

function dlqTopic(group: string): string {
  return `%DLQ%${validateGroupName(group)}`;
}

/**
 * The messages in a group's dead-letter topic, oldest first.
 * @throws RocketMQError `TOPIC_NOT_FOUND` when the group has no dead-letter topic.
 */
export async function listDeadLetters(ctx: OpContext, group: string, max: number): Promise<DeadLetter[]> {
  const topic = dlqTopic(group);
  validatePositive('max', max, MAX_DLQ_READ);
  const route = await topicRoute(ctx, topic).catch((e: unknown) => {
    const err = RocketMQError.from(e);
    if (err.code === 'TOPIC_NOT_FOUND') {
      throw new RocketMQError(`Group ${group} has no dead-letter topic`, 'TOPIC_NOT_FOUND', { cause: err });
    }
    throw err;
  });
  const out: DeadLetter[] = [];
  for (const b of route.brokers) {
    if (b.address === undefined) continue;
    for (let queueId = 0; queueId < b.readQueues && out.length < max; queueId++) {
      const bounds = await queueBounds(ctx, b.address, topic, queueId);
      let offset = bounds.min;
      while (offset < bounds.max && out.length < max) {
        const page = await pullMessages(
          ctx,
          b.address,
          topic,
          queueId,
          offset,
          Math.min(32, max - out.length),
        );
        for (const m of page.messages) {
          const view = toAdminMessage(m, b.brokerName);
          const p = m.properties;
          out.push({ ...view, originalTopic: originalTopicOf(p, group) });
        }
        if (page.nextOffset <= offset) break;
        offset = page.nextOffset;
      }
    }
  }
  return out;
}

/**
 * Sends chosen dead letters (all when `messageIds` is undefined) back to their original topic, keeping
 * id, tag, keys, message group and user properties; one result per message.
 */
export async function redriveDeadLetters(
  ctx: OpContext,
  group: string,
  messageIds: readonly string[] | undefined,
  max: number,
): Promise<RedriveResult[]> {
  if (
    messageIds !== undefined &&
    (!Array.isArray(messageIds) || messageIds.some((id) => typeof id !== 'string'))
  ) {
    throw new RocketMQError('messageIds must be an array of message ids', 'INVALID_ARGUMENT');
  }
  const letters = await listDeadLetters(ctx, group, max);
  const wanted = messageIds === undefined ? letters : letters.filter((l) => messageIds.includes(l.messageId));
  const results: RedriveResult[] = [];
  for (const id of messageIds ?? []) {
    if (!letters.some((l) => l.messageId === id)) {
      results.push({ messageId: id, ok: false, code: 'MESSAGE_NOT_FOUND', message: `No dead letter ${id}` });
    }
  }
  let next = 0;
  for (const l of wanted) {
    try {
      if (l.originalTopic === undefined) {
        throw new RocketMQError('The dead letter does not name its original topic', 'NOT_FOUND');
      }
      const route = await topicRoute(ctx, l.originalTopic);
      const writable = route.brokers.filter(
        (b) => b.address !== undefined && (b.perm & 2) !== 0 && b.writeQueues > 0,
      );
      const target = writable[next++ % Math.max(writable.length, 1)];
      if (target?.address === undefined) {
        throw new RocketMQError(`Topic ${l.originalTopic} has no writable queue`, 'FORBIDDEN');
      }
      const properties: Record<string, string> = { ...l.properties, WAIT: 'true' };
      for (const k of KEPT_ON_REDRIVE) {
        const v = l.allProperties[k];
        if (v !== undefined) properties[k] = v;
      }
      await ctx.pool.ok(`Redrive of ${l.messageId}`, {
        address: target.address,
        code: RequestCode.SEND_MESSAGE,
        extFields: {
          producerGroup: 'CLIENT_INNER_PRODUCER',
          topic: l.originalTopic,
          defaultTopic: 'TBW102',
          defaultTopicQueueNums: '4',
          queueId: String(next % target.writeQueues),
          sysFlag: '0',
          bornTimestamp: String(ctx.clock.now()),
          flag: '0',
          properties: encodeProperties(properties),
          reconsumeTimes: '0',
          unitMode: 'false',
        },
        body: l.body,
        signal: ctx.signal,
        timeoutMs: ctx.requestTimeoutMs,
      });
      results.push({ messageId: l.messageId, ok: true, topic: l.originalTopic });
    } catch (e) {
      if (ctx.signal.aborted) throw RocketMQError.from(e);
      const err = RocketMQError.from(e);
      results.push({ messageId: l.messageId, ok: false, code: err.code, message: err.message });
    }
  }
  return results;
}
