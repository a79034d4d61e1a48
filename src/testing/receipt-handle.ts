/**
 * Receipt handles in the layout of the broker's pop check-point (`ReceiptHandle.encode`):
 * `startOffset retrieveTime invisibleTime reviveQueueId topicType brokerName queueId offset commitLogOffset`.
 * The last field carries a per-delivery sequence number, which makes every handle unique.
 *
 * @packageDocumentation
 */

import { Code } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { BrokerStatusError } from './status.js';

/** Decoded fields of a handle. */
export interface ReceiptHandleFields {
  readonly retrieveTime: number;
  readonly invisibleTime: number;
  readonly brokerName: string;
  readonly queueId: number;
  readonly offset: number;
  readonly sequence: number;
}

/** Encodes a handle. */
export function encodeReceiptHandle(f: ReceiptHandleFields): string {
  return [
    f.offset,
    f.retrieveTime,
    f.invisibleTime,
    0,
    0,
    f.brokerName,
    f.queueId,
    f.offset,
    f.sequence,
  ].join(' ');
}

const LONG = /^[+-]?\d+$/;

/**
 * Decodes a handle like `ReceiptHandle.decode`.
 *
 * @throws BrokerStatusError `INTERNAL_SERVER_ERROR` for an undecodable handle (the proxy surfaces the
 * parser's `IllegalArgumentException`/`NumberFormatException` as 50001).
 */
export function decodeReceiptHandle(handle: string): ReceiptHandleFields {
  const parts = handle.split(' ');
  if (parts.length < 8) {
    throw new BrokerStatusError(Code.INTERNAL_SERVER_ERROR, `Parse failed, dataList size ${parts.length}`);
  }
  for (const i of [0, 1, 2, 3, 6, 7, ...(parts.length >= 9 ? [8] : [])]) {
    if (!LONG.test(parts[i]!)) {
      throw new BrokerStatusError(Code.INTERNAL_SERVER_ERROR, `For input string: "${parts[i]}"`);
    }
  }
  return {
    retrieveTime: Number(parts[1]),
    invisibleTime: Number(parts[2]),
    brokerName: parts[5]!,
    queueId: Number(parts[6]),
    offset: Number(parts[7]),
    sequence: parts.length >= 9 ? Number(parts[8]) : -1,
  };
}

/** True when the handle's own invisibility window has passed (`ReceiptHandle.isExpired`). */
export function isReceiptHandleExpired(f: ReceiptHandleFields, nowMs: number): boolean {
  return f.retrieveTime + f.invisibleTime <= nowMs;
}
