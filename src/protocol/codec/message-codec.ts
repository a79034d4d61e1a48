/**
 * Conversion between the public message types (`src/model`) and the wire `Message`, for sending and
 * for receiving.
 *
 * @packageDocumentation
 */

import { type Timestamp, timestampMs } from '@bufbuild/protobuf/wkt';
import {
  Encoding,
  type Message,
  MessageType as ProtoMessageType,
} from '../../gen/apache/rocketmq/v2/definition_pb.js';
import type { MessageType } from '../../model/message.js';
import { MessageView } from '../../model/message-view.js';
import { DEFAULT_MAX_DECOMPRESSED_SIZE, decompress } from './decompress.js';
import { verifyDigest } from './digest.js';

const TO_PROTO_TYPE: Readonly<Record<MessageType, ProtoMessageType>> = {
  NORMAL: ProtoMessageType.NORMAL,
  FIFO: ProtoMessageType.FIFO,
  DELAY: ProtoMessageType.DELAY,
  TRANSACTION: ProtoMessageType.TRANSACTION,
  LITE: ProtoMessageType.LITE,
  PRIORITY: ProtoMessageType.PRIORITY,
};

const FROM_PROTO_TYPE: ReadonlyMap<ProtoMessageType, MessageType> = new Map(
  Object.entries(TO_PROTO_TYPE).map(([k, v]) => [v, k as MessageType]),
);

/** Per-attempt context of a message's encoding (`send-request-encoder.ts`). */
export interface ToProtoMessageOptions {
  /** The message's id, generated once and reused for every attempt. */
  messageId: string;
  /** The client's namespace (`''` for none). */
  namespace?: string;
  /** This host's name (the proxy falls back to the peer address when blank). */
  bornHost: string;
  /** Born timestamp of this attempt, epoch ms (re-stamped on every attempt). */
  now: number;
  /** Id of the queue chosen for this attempt (the proxy ignores it, but SDKs send it). */
  queueId: number;
}

/** Context of {@link fromProtoMessage}. */
export interface FromProtoMessageOptions {
  /** Key of the endpoints the message was received from. */
  endpoint: string;
  /** Bound on a decompressed body. @defaultValue {@link DEFAULT_MAX_DECOMPRESSED_SIZE} */
  maxDecompressedSize?: number;
}

function toDate(ts: Timestamp | undefined): Date | undefined {
  if (ts === undefined) return undefined;
  const ms = timestampMs(ts);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Decodes a received message. Never throws and never fails a batch:
 *
 * 1. the body digest is checked over the bytes as received: a mismatch marks the message `corrupted`
 *    (body kept as received, no decompression); an unknown digest type is ignored;
 * 2. if the body is marked `GZIP`, it is decompressed by magic bytes (see `decompress.ts`); a failure
 *    marks the message `corrupted` with the raw body kept and the reason in `decodeError`; an encoding
 *    this version does not know marks it `corrupted` the same way;
 * 3. missing optional fields are tolerated: `deliveryAttempt` defaults to 1, timestamps become `Date`s
 *    or are left out.
 *
 * Should mapping fail unexpectedly anyway, the result is a `corrupted` view carrying what could be read.
 */
export function fromProtoMessage(msg: Message, options: FromProtoMessageOptions): MessageView {
  try {
    return decode(msg, options);
  } catch (err) {
    return new MessageView({
      messageId: String(msg?.systemProperties?.messageId ?? ''),
      topic: String(msg?.topic?.name ?? ''),
      body: msg?.body instanceof Uint8Array ? toBuffer(msg.body) : Buffer.alloc(0),
      receiptHandle: String(msg?.systemProperties?.receiptHandle ?? ''),
      endpoint: options.endpoint,
      corrupted: true,
      decodeError: `message could not be decoded: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}

/** Absent, `ENCODING_UNSPECIFIED` and `IDENTITY` all mean the body is sent as is. */
function isPlainEncoding(encoding: Encoding | undefined): boolean {
  return (
    encoding === undefined || encoding === Encoding.ENCODING_UNSPECIFIED || encoding === Encoding.IDENTITY
  );
}

function decode(msg: Message, options: FromProtoMessageOptions): MessageView {
  const sys = msg.systemProperties;
  const raw = toBuffer(msg.body ?? new Uint8Array(0));
  let body = raw;
  let decodeError: string | undefined;

  const verdict = verifyDigest(raw, sys?.bodyDigest);
  if (verdict.status === 'mismatch') {
    decodeError = `body ${verdict.algorithm} digest mismatch (expected ${verdict.expected}, got ${verdict.actual})`;
  } else if (sys?.bodyEncoding === Encoding.GZIP) {
    const result = decompress(raw, {
      maxOutputLength: options.maxDecompressedSize ?? DEFAULT_MAX_DECOMPRESSED_SIZE,
    });
    if (result.ok) body = result.body;
    else decodeError = result.error;
  } else if (!isPlainEncoding(sys?.bodyEncoding)) {
    // A newer server's encoding: handing the bytes over as the body would be silent corruption.
    decodeError = `unknown body encoding ${String(sys?.bodyEncoding)}; body kept as received`;
  }

  const attempt = sys?.deliveryAttempt;
  const dlq = sys?.deadLetterQueue;
  return new MessageView({
    messageId: sys?.messageId ?? '',
    topic: msg.topic?.name ?? '',
    tag: sys?.tag,
    keys: sys?.keys ?? [],
    messageGroup: sys?.messageGroup,
    liteTopic: sys?.liteTopic,
    priority: sys?.priority,
    messageType: sys === undefined ? undefined : FROM_PROTO_TYPE.get(sys.messageType),
    properties: Object.fromEntries(Object.entries(msg.userProperties ?? {})),
    body,
    deliveryAttempt: attempt !== undefined && attempt > 0 ? attempt : 1,
    bornTimestamp: toDate(sys?.bornTimestamp),
    bornHost: sys?.bornHost ?? '',
    storeTimestamp: toDate(sys?.storeTimestamp),
    storeHost: sys?.storeHost || undefined,
    deliveryTimestamp: toDate(sys?.deliveryTimestamp),
    queueId: sys?.queueId ?? 0,
    queueOffset: sys?.queueOffset,
    traceContext: sys?.traceContext,
    deadLetterQueue: dlq === undefined ? undefined : { topic: dlq.topic, messageId: dlq.messageId },
    receiptHandle: sys?.receiptHandle ?? '',
    endpoint: options.endpoint,
    corrupted: decodeError !== undefined,
    decodeError,
  });
}
