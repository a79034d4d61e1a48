/**
 * Conversions between wire messages and {@link StoredMessage}: what SendMessage keeps, and the system
 * properties a delivered message carries (proxy `GrpcConverter.buildSystemProperties`).
 *
 * @packageDocumentation
 */

import { createHash } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { durationMs, timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import {
  DigestType,
  Encoding,
  type Message,
  MessageSchema,
  MessageType,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import type { StoredMessage } from './store.js';

/** Builds the stored form of a sent message (queue id, offset and store time are set later). */
export function toStoredMessage(
  message: Message,
  topic: string,
  peerHost: string,
  nowMs: number,
): StoredMessage {
  const sys = message.systemProperties;
  const tag = sys?.tag;
  const group = sys?.messageGroup;
  const trace = sys?.traceContext;
  const bornHost = sys?.bornHost?.trim() ? sys.bornHost : peerHost;
  return {
    topic,
    messageId: sys?.messageId ?? '',
    body: message.body,
    bodyEncoding: sys?.bodyEncoding === Encoding.GZIP ? Encoding.GZIP : Encoding.IDENTITY,
    userProperties: { ...message.userProperties },
    tag: tag === undefined || tag === '' ? undefined : tag,
    keys: (sys?.keys ?? []).filter((k) => k !== ''),
    messageGroup: group === undefined || group === '' ? undefined : group,
    deliveryTimestampMs: sys?.deliveryTimestamp ? timestampMs(sys.deliveryTimestamp) : undefined,
    priority: sys?.priority,
    traceContext: trace === undefined || trace === '' ? undefined : trace,
    bornTimestampMs: sys?.bornTimestamp ? timestampMs(sys.bornTimestamp) : nowMs,
    bornHost,
    queueId: -1,
    queueOffset: -1,
    storeTimestampMs: 0,
  };
}

/** Orphaned-transaction recovery duration of a message in ms (0 when absent). */
export function recoveryDurationMs(message: Message): number {
  const d = message.systemProperties?.orphanedTransactionRecoveryDuration;
  return d === undefined ? 0 : durationMs(d);
}

/** Delivery details added to a message on the way out. */
export interface DeliveryInfo {
  readonly receiptHandle?: string;
  readonly deliveryAttempt?: number;
  /** Message type to report; derived from the properties when omitted. */
  readonly messageType?: MessageType;
  readonly storeHost: string;
}

/** Uppercase hex MD5, as the proxy puts in `body_digest`. */
export function md5Hex(body: Uint8Array): string {
  return createHash('md5').update(body).digest('hex').toUpperCase();
}

/** The wire form of a stored message, with the system properties the proxy sets on delivery. */
export function toWireMessage(m: StoredMessage, info: DeliveryInfo): Message {
  // The proxy's order (TopicMessageType.parseFromMessageProperty): TRAN_MSG, delay, group, priority.
  const derived = m.transactional
    ? MessageType.TRANSACTION
    : m.deliveryTimestampMs !== undefined
      ? MessageType.DELAY
      : m.messageGroup !== undefined
        ? MessageType.FIFO
        : m.lite !== undefined
          ? MessageType.LITE
          : m.priority !== undefined
            ? MessageType.PRIORITY
            : MessageType.NORMAL;
  // Properties with empty values do not survive the broker's property encoding.
  const userProperties: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.userProperties)) if (k !== '' && v !== '') userProperties[k] = v;
  return create(MessageSchema, {
    topic: { name: m.lite?.parent ?? m.topic },
    userProperties,
    body: m.body,
    systemProperties: {
      tag: m.tag,
      keys: [...m.keys],
      messageId: m.messageId,
      bodyDigest: { type: DigestType.MD5, checksum: md5Hex(m.body) },
      bodyEncoding: m.bodyEncoding,
      messageType: info.messageType ?? derived,
      bornTimestamp: timestampFromMs(m.bornTimestampMs),
      bornHost: m.bornHost,
      storeTimestamp: timestampFromMs(m.storeTimestampMs),
      storeHost: info.storeHost,
      deliveryTimestamp:
        m.deliveryTimestampMs === undefined ? undefined : timestampFromMs(m.deliveryTimestampMs),
      receiptHandle: info.receiptHandle,
      queueId: m.queueId,
      queueOffset: BigInt(m.queueOffset),
      deliveryAttempt: info.deliveryAttempt,
      messageGroup: m.messageGroup,
      traceContext: m.traceContext,
      deadLetterQueue: m.deadLetter,
      priority: m.priority,
      liteTopic: m.lite?.liteTopic,
    },
  });
}
