/**
 * Reference encoders of the two requests the library encodes by hand: built with the generated
 * protobuf-es types and `create`, they are what `src/protocol/codec/send-request-encoder.ts` and
 * `ack-request-encoder.ts` must match byte for byte (their unit tests compare them over generated
 * inputs), and what the contract driver sends. Test-only: the library itself never builds these objects.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { RocketMQError } from '../../src/errors.js';
import {
  Encoding,
  type Message,
  MessageSchema,
  MessageType as ProtoMessageType,
  ResourceSchema,
  SystemPropertiesSchema,
} from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  type AckMessageRequest,
  AckMessageRequestSchema,
} from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import type { PreparedMessage } from '../../src/model/message.js';
import type { ReceiptRef } from '../../src/protocol/ack-convert.js';
import type { ToProtoMessageOptions } from '../../src/protocol/codec/message-codec.js';
import { toResource } from '../../src/protocol/convert.js';

/**
 * A validated message as the wire `Message` of one send attempt: system properties (keys, message id,
 * born timestamp/host, body encoding `IDENTITY`, queue id, message type, and the optional tag, delivery
 * timestamp, message group, lite topic and priority), user properties, body unchanged and never
 * compressed, no digest.
 */
export function toProtoMessage(message: PreparedMessage, options: ToProtoMessageOptions): Message {
  const system: MessageInitShape<typeof SystemPropertiesSchema> = {
    keys: message.keys.length === 0 ? [] : [...message.keys],
    messageId: options.messageId,
    bodyEncoding: Encoding.IDENTITY,
    messageType: ProtoMessageType[message.type], // the model's type names are the enum's
    bornTimestamp: timestampFromMs(options.now),
    bornHost: options.bornHost,
    queueId: options.queueId,
  };
  if (message.tag !== undefined) system.tag = message.tag;
  if (message.deliveryTimestamp !== undefined)
    system.deliveryTimestamp = timestampFromMs(message.deliveryTimestamp);
  if (message.messageGroup !== undefined) system.messageGroup = message.messageGroup;
  if (message.liteTopic !== undefined) system.liteTopic = message.liteTopic;
  if (message.priority !== undefined) system.priority = message.priority;
  return create(MessageSchema, {
    topic: create(ResourceSchema, { resourceNamespace: options.namespace ?? '', name: message.topic }),
    userProperties: { ...message.properties },
    systemProperties: create(SystemPropertiesSchema, system),
    body: message.body,
  });
}

/** An AckMessageRequest with one entry per receipt (all of one group and topic). */
export function buildAckRequest(refs: readonly ReceiptRef[]): AckMessageRequest {
  const first = refs[0];
  if (first === undefined) throw new RocketMQError('Nothing to acknowledge', 'INVALID_ARGUMENT');
  const namespace = first.namespace ?? '';
  return create(AckMessageRequestSchema, {
    group: toResource(first.group, namespace),
    topic: toResource(first.topic, namespace),
    entries: refs.map((r) => ({
      messageId: r.messageId,
      receiptHandle: r.receiptHandle,
      ...(r.liteTopic === undefined ? {} : { liteTopic: r.liteTopic }),
    })),
  });
}
