/**
 * SendMessageRequest encoded by hand, straight from the prepared messages: the same fields and values
 * as protobuf-es `toBinary` of the reference `toProtoMessage` (test/helpers/reference-encoders.ts), without building the generated message objects first.
 * Sending is the hottest path of a producer and the generic (reflective) encoder was its largest cost
 * (bench/, `--send-levels 16` with BENCH_CPU_PROFILE). A unit test checks that both encoders produce the
 * same bytes over many generated messages.
 *
 * Field numbers (proto/apache/rocketmq/v2): SendMessageRequest.messages = 1; Message: topic = 1,
 * user_properties = 2, system_properties = 3, body = 4; Resource: resource_namespace = 1, name = 2;
 * SystemProperties: tag = 1, keys = 2, message_id = 3, body_encoding = 5, message_type = 6,
 * born_timestamp = 7, born_host = 8, delivery_timestamp = 11, queue_id = 13, message_group = 17,
 * lite_topic = 21, priority = 22; Timestamp: seconds = 1, nanos = 2; map entry: key = 1, value = 2.
 *
 * @packageDocumentation
 */

import type { MessageType, PreparedMessage } from '../../model/message.js';
import type { ToProtoMessageOptions } from './message-codec.js';
import { int32Size, lenFieldSize, ProtoWriter, tagSize, varintSize, WIRE_VARINT } from './proto-writer.js';

/** Wire values of `apache.rocketmq.v2.MessageType`. */
const MESSAGE_TYPE: Readonly<Record<MessageType, number>> = {
  NORMAL: 1,
  FIFO: 2,
  DELAY: 3,
  TRANSACTION: 4,
  LITE: 5,
  PRIORITY: 6,
};
/** `Encoding.IDENTITY`. */
const ENCODING_IDENTITY = 1;

/** A message of a request with its per-attempt context. */
export interface EncodableMessage {
  readonly message: PreparedMessage;
  readonly options: ToProtoMessageOptions;
}

const utf8 = (s: string): number => (s.length === 0 ? 0 : Buffer.byteLength(s, 'utf8'));

/** A string field's size; implicit-presence fields (`optional: false`) leave out the empty string. */
function stringFieldSize(field: number, length: number, present: boolean): number {
  return present ? lenFieldSize(field, length) : 0;
}

interface Sizes {
  namespace: number;
  topic: number;
  resource: number;
  props: Array<[number, number, number]>; // key bytes, value bytes, entry size
  tag: number;
  keys: number[];
  messageId: number;
  bornHost: number;
  messageGroup: number;
  liteTopic: number;
  bornTs: number;
  deliveryTs: number;
  system: number;
  message: number;
}

function timestampSize(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
}

function writeTimestamp(w: ProtoWriter, field: number, ms: number, size: number): void {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  w.begin(field, size);
  if (seconds !== 0) {
    w.tag(1, WIRE_VARINT);
    w.varint(seconds);
  }
  if (nanos !== 0) {
    w.tag(2, WIRE_VARINT);
    w.varint(nanos);
  }
}

function measure(m: PreparedMessage, o: ToProtoMessageOptions): Sizes {
  const namespace = utf8(o.namespace ?? '');
  const topic = utf8(m.topic);
  const resource = stringFieldSize(1, namespace, namespace > 0) + stringFieldSize(2, topic, topic > 0);
  const props: Array<[number, number, number]> = [];
  let propsSize = 0;
  for (const key in m.properties) {
    const k = utf8(key);
    const v = utf8(m.properties[key] as string);
    const entry = lenFieldSize(1, k) + lenFieldSize(2, v);
    props.push([k, v, entry]);
    propsSize += lenFieldSize(2, entry);
  }
  const tag = m.tag === undefined ? -1 : utf8(m.tag);
  const keys = m.keys.map(utf8);
  const messageId = utf8(o.messageId);
  const bornHost = utf8(o.bornHost);
  const messageGroup = m.messageGroup === undefined ? -1 : utf8(m.messageGroup);
  const liteTopic = m.liteTopic === undefined ? -1 : utf8(m.liteTopic);
  const bornTs = timestampSize(o.now);
  const deliveryTs = m.deliveryTimestamp === undefined ? -1 : timestampSize(m.deliveryTimestamp);
  let system =
    (tag < 0 ? 0 : lenFieldSize(1, tag)) +
    stringFieldSize(3, messageId, messageId > 0) +
    2 + // body_encoding: tag + IDENTITY
    2 + // message_type: tag + value (all values < 128)
    lenFieldSize(7, bornTs) +
    stringFieldSize(8, bornHost, bornHost > 0) +
    (deliveryTs < 0 ? 0 : lenFieldSize(11, deliveryTs)) +
    (o.queueId === 0 ? 0 : 1 + int32Size(o.queueId)) +
    (messageGroup < 0 ? 0 : lenFieldSize(17, messageGroup)) +
    (liteTopic < 0 ? 0 : lenFieldSize(21, liteTopic)) +
    (m.priority === undefined ? 0 : tagSize(22) + int32Size(m.priority));
  for (const k of keys) system += lenFieldSize(2, k);
  const message =
    lenFieldSize(1, resource) +
    propsSize +
    lenFieldSize(3, system) +
    (m.body.byteLength === 0 ? 0 : lenFieldSize(4, m.body.byteLength));
  return {
    namespace,
    topic,
    resource,
    props,
    tag,
    keys,
    messageId,
    bornHost,
    messageGroup,
    liteTopic,
    bornTs,
    deliveryTs,
    system,
    message,
  };
}

function writeMessage(w: ProtoWriter, m: PreparedMessage, o: ToProtoMessageOptions, s: Sizes): void {
  w.begin(1, s.message); // SendMessageRequest.messages
  w.begin(1, s.resource); // Message.topic
  if (s.namespace > 0) w.string(1, o.namespace ?? '', s.namespace);
  if (s.topic > 0) w.string(2, m.topic, s.topic);
  let i = 0;
  for (const key in m.properties) {
    const [k, v, entry] = s.props[i++] as [number, number, number];
    w.begin(2, entry); // Message.user_properties entry
    w.string(1, key, k);
    w.string(2, m.properties[key] as string, v);
  }
  w.begin(3, s.system); // Message.system_properties
  if (m.tag !== undefined) w.string(1, m.tag, s.tag);
  for (let j = 0; j < m.keys.length; j++) w.string(2, m.keys[j] as string, s.keys[j] as number);
  if (s.messageId > 0) w.string(3, o.messageId, s.messageId);
  w.tag(5, WIRE_VARINT);
  w.varint(ENCODING_IDENTITY);
  w.tag(6, WIRE_VARINT);
  w.varint(MESSAGE_TYPE[m.type]);
  writeTimestamp(w, 7, o.now, s.bornTs);
  if (s.bornHost > 0) w.string(8, o.bornHost, s.bornHost);
  if (m.deliveryTimestamp !== undefined) writeTimestamp(w, 11, m.deliveryTimestamp, s.deliveryTs);
  if (o.queueId !== 0) {
    w.tag(13, WIRE_VARINT);
    w.int32(o.queueId);
  }
  if (m.messageGroup !== undefined) w.string(17, m.messageGroup, s.messageGroup);
  if (m.liteTopic !== undefined) w.string(21, m.liteTopic, s.liteTopic);
  if (m.priority !== undefined) {
    w.tag(22, WIRE_VARINT);
    w.int32(m.priority);
  }
  if (m.body.byteLength > 0) w.bytes(4, m.body);
}

/** The bytes of a SendMessageRequest carrying `messages`, in order. */
export function encodeSendMessageRequest(messages: readonly EncodableMessage[]): Buffer {
  const sizes = messages.map(({ message, options }) => measure(message, options));
  let total = 0;
  for (const s of sizes) total += lenFieldSize(1, s.message);
  const w = new ProtoWriter(total);
  for (let i = 0; i < messages.length; i++) {
    const { message, options } = messages[i] as EncodableMessage;
    writeMessage(w, message, options, sizes[i] as Sizes);
  }
  if (w.position !== total) {
    throw new Error(`SendMessageRequest encoder wrote ${w.position} of ${total} bytes`);
  }
  return w.buffer;
}
