/**
 * Consumer progress: lag per queue with the age of the oldest unconsumed message, and offset reset
 * to a timestamp (with a dry run). The reset is done by the broker (`useServerSideResetOffset`, on by
 * default in 5.x), so it reaches pop consumers that the broker cannot call back.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { selectMasters, topicRoute } from './cluster.js';
import { brokerCall, num, type OpContext, rec, str } from './context.js';
import { pullMessages } from './pull.js';
import { RequestCode } from './remoting/codes.js';
import { parseBody } from './remoting/json.js';
import { onEachBroker } from './results.js';
import type { GroupLag, OffsetChange, OffsetResetResult, QueueLag } from './types.js';
import { validateGroupName, validateReadableTopic, validateTimestamp } from './validation.js';

interface QueueOffsets {
  readonly topic: string;
  readonly brokerName: string;
  readonly address: string;
  readonly queueId: number;
  readonly brokerOffset: number;
  readonly consumerOffset: number;
}

async function consumeStats(
  ctx: OpContext,
  group: string,
  topic: string | undefined,
): Promise<QueueOffsets[]> {
  const masters = await selectMasters(ctx, {});
  const out: QueueOffsets[] = [];
  let found = false;
  await Promise.all(
    masters.map(async (b) => {
      const res = await ctx.pool.call({
        address: b.address,
        code: RequestCode.GET_CONSUME_STATS,
        extFields: topic === undefined ? { consumerGroup: group } : { consumerGroup: group, topic },
        signal: ctx.signal,
        timeoutMs: ctx.requestTimeoutMs,
      });
      if (res.code !== 0) return; // this broker has no offsets of the group
      found = true;
      for (const [key, value] of Object.entries(rec(parseBody(res.body).offsetTable))) {
        const mq = rec(JSON.parse(key));
        const v = rec(value);
        out.push({
          topic: str(mq.topic),
          brokerName: str(mq.brokerName) || b.brokerName,
          address: b.address,
          queueId: num(mq.queueId),
          brokerOffset: num(v.brokerOffset),
          consumerOffset: num(v.consumerOffset),
        });
      }
    }),
  );
  if (!found) throw new RocketMQError(`Group ${group} has no consumer offsets`, 'CONSUMER_GROUP_NOT_FOUND');
  return out.sort(
    (a, b) =>
      a.topic.localeCompare(b.topic) || a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId,
  );
}

/** Lag of a group per queue, in total, and the age of its oldest unconsumed message. */
export async function groupLag(ctx: OpContext, name: string, topic: string | undefined): Promise<GroupLag> {
  const group = validateGroupName(name);
  const t = topic === undefined ? undefined : validateReadableTopic(topic);
  const rows = await consumeStats(ctx, group, t);
  const queues: QueueLag[] = await Promise.all(
    rows.map(async (q) => {
      const consumed = Math.max(q.consumerOffset, 0);
      const lag = Math.max(q.brokerOffset - consumed, 0);
      let oldest: number | undefined;
      if (lag > 0) {
        const first = await pullMessages(ctx, q.address, q.topic, q.queueId, consumed, 1);
        oldest = first.messages[0]?.storeTimestamp;
      }
      return {
        topic: q.topic,
        brokerName: q.brokerName,
        queueId: q.queueId,
        brokerOffset: q.brokerOffset,
        consumerOffset: q.consumerOffset,
        lag,
        oldestUnconsumedTimestamp: oldest,
      };
    }),
  );
  const totalLag = queues.reduce((s, q) => s + q.lag, 0);
  const stamps = queues.map((q) => q.oldestUnconsumedTimestamp).filter((s): s is number => s !== undefined);
  const oldest = stamps.length > 0 ? Math.min(...stamps) : undefined;
  return {
    group,
    totalLag,
    oldestUnconsumedAgeMs: oldest === undefined ? undefined : Math.max(ctx.clock.now() - oldest, 0),
    queues,
  };
}

/**
 * Moves a group's offsets on `topic` to the first message stored at or after `timestamp` (earlier:
 * replay; later: skip). A dry run reports the change and sends nothing that alters state.
 */
export async function resetOffset(
  ctx: OpContext,
  groupName: string,
  topicName: string,
  timestamp: number,
  dryRun: boolean,
): Promise<OffsetResetResult> {
  const group = validateGroupName(groupName);
  const topic = validateReadableTopic(topicName);
  validateTimestamp('timestamp', timestamp);
  const route = await topicRoute(ctx, topic);
  const current = await consumeStats(ctx, group, topic).catch((e: unknown) => {
    if (RocketMQError.from(e).code === 'CONSUMER_GROUP_NOT_FOUND') return [] as QueueOffsets[];
    throw e;
  });
  const changes: OffsetChange[] = [];
  await Promise.all(
    route.brokers.map(async (b) => {
      if (b.address === undefined) return;
      for (let queueId = 0; queueId < b.readQueues; queueId++) {
        const res = await ctx.pool.ok(`Offset of ${topic} at ${timestamp}`, {
          address: b.address,
          code: RequestCode.SEARCH_OFFSET_BY_TIMESTAMP,
          extFields: { topic, queueId: String(queueId), timestamp: String(timestamp) },
          signal: ctx.signal,
          timeoutMs: ctx.requestTimeoutMs,
        });
        const from =
          current.find((c) => c.brokerName === b.brokerName && c.queueId === queueId)?.consumerOffset ?? -1;
        changes.push({ brokerName: b.brokerName, queueId, from, to: Number(res.extFields.offset ?? 0) });
      }
    }),
  );
  changes.sort((a, b) => a.brokerName.localeCompare(b.brokerName) || a.queueId - b.queueId);
  if (dryRun) return { group, topic, timestamp, applied: false, changes, brokers: [] };
  const targets = route.brokers.filter((b): b is typeof b & { address: string } => b.address !== undefined);
  const brokers = await onEachBroker(ctx, targets, async (b) => {
    await brokerCall(
      ctx,
      `Reset offset of ${group} on ${topic}`,
      b.address,
      RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
      {
        topic,
        group,
        timestamp: String(timestamp),
        isForce: 'true',
        queueId: '-1',
      },
    );
  });
  return { group, topic, timestamp, applied: true, changes, brokers };
}
