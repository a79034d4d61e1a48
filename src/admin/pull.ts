/**
 * Reads stored messages of one queue without consuming them: a pull as the broker's tools group,
 * which commits no offset of any user group.
 *
 * @packageDocumentation
 */

import type { OpContext } from './context.js';
import { decodeMessages, type StoredMessage } from './message-codec.js';
import { RequestCode, ResponseCode } from './remoting/codes.js';
import { responseError } from './remoting/pool.js';

/** The broker's own group for tools. */
const TOOLS_GROUP = 'TOOLS_CONSUMER';
/** Pull flag: the subscription is given in the request. */
const FLAG_SUBSCRIPTION = 4;

export interface PullResult {
  readonly messages: StoredMessage[];
  /** Where the next read starts. */
  readonly nextOffset: number;
}

/** Reads up to `max` messages from `offset`; an offset past the end reads nothing. */
export async function pullMessages(
  ctx: OpContext,
  address: string,
  topic: string,
  queueId: number,
  offset: number,
  max: number,
): Promise<PullResult> {
  const res = await ctx.pool.call({
    address,
    code: RequestCode.PULL_MESSAGE,
    extFields: {
      consumerGroup: TOOLS_GROUP,
      topic,
      queueId: String(queueId),
      queueOffset: String(offset),
      maxMsgNums: String(max),
      sysFlag: String(FLAG_SUBSCRIPTION),
      commitOffset: '0',
      suspendTimeoutMillis: '0',
      subscription: '*',
      subVersion: '0',
      expressionType: 'TAG',
    },
    signal: ctx.signal,
    timeoutMs: ctx.requestTimeoutMs,
  });
  const next = Number(res.extFields.nextBeginOffset ?? offset);
  if (res.code === ResponseCode.SUCCESS) {
    return { messages: res.body ? decodeMessages(res.body) : [], nextOffset: next };
  }
  if (
    res.code === ResponseCode.PULL_NOT_FOUND ||
    res.code === ResponseCode.PULL_RETRY_IMMEDIATELY ||
    res.code === ResponseCode.PULL_OFFSET_MOVED
  ) {
    return { messages: [], nextOffset: next };
  }
  throw responseError(`Read of ${topic} queue ${queueId}`, res);
}

/** The smallest and largest (exclusive) offsets of a queue. */
export async function queueBounds(
  ctx: OpContext,
  address: string,
  topic: string,
  queueId: number,
): Promise<{ min: number; max: number }> {
  const ext = { topic, queueId: String(queueId) };
  const x = { address, extFields: ext, signal: ctx.signal, timeoutMs: ctx.requestTimeoutMs };
  const [lo, hi] = await Promise.all([
    ctx.pool.ok(`Min offset of ${topic}`, { ...x, code: RequestCode.GET_MIN_OFFSET }),
    ctx.pool.ok(`Max offset of ${topic}`, { ...x, code: RequestCode.GET_MAX_OFFSET }),
  ]);
  return { min: Number(lo.extFields.offset ?? 0), max: Number(hi.extFields.offset ?? 0) };
}
