/**
 * AckMessageRequest encoded by hand from receipts: the same bytes as protobuf-es `toBinary` of the
 * reference `buildAckRequest` in test/helpers/reference-encoders.ts (a unit test compares them), without building the generated objects. Every consumed message
 * passes through here, in batches of up to 32 (push consumer) or 128 (`ackAll`).
 *
 * Field numbers (proto/apache/rocketmq/v2/service.proto): AckMessageRequest: group = 1, topic = 2,
 * entries = 3; AckMessageEntry: message_id = 1, receipt_handle = 2, lite_topic = 3 (optional);
 * Resource: resource_namespace = 1, name = 2.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../../errors.js';
import type { ReceiptRef } from '../ack-convert.js';
import { lenFieldSize, ProtoWriter } from './proto-writer.js';

const utf8 = (s: string): number => (s.length === 0 ? 0 : Buffer.byteLength(s, 'utf8'));

interface ResourceSizes {
  readonly namespace: number;
  readonly name: number;
  readonly size: number;
}

function resourceSizes(namespace: string, name: string): ResourceSizes {
  const ns = utf8(namespace);
  const n = utf8(name);
  return {
    namespace: ns,
    name: n,
    size: (ns > 0 ? lenFieldSize(1, ns) : 0) + (n > 0 ? lenFieldSize(2, n) : 0),
  };
}

function writeResource(
  w: ProtoWriter,
  field: number,
  namespace: string,
  name: string,
  s: ResourceSizes,
): void {
  w.begin(field, s.size);
  if (s.namespace > 0) w.string(1, namespace, s.namespace);
  if (s.name > 0) w.string(2, name, s.name);
}

/**
 * The bytes of an AckMessageRequest with one entry per receipt (all of one group and topic: the first
 * receipt's group, namespace and topic are used).
 *
 * @throws RocketMQError `INVALID_ARGUMENT` for an empty list.
 */
export function encodeAckMessageRequest(refs: readonly ReceiptRef[]): Buffer {
  const first = refs[0];
  if (first === undefined) throw new RocketMQError('Nothing to acknowledge', 'INVALID_ARGUMENT');
  const namespace = first.namespace ?? '';
  const group = resourceSizes(namespace, first.group);
  const topic = resourceSizes(namespace, first.topic);
  const entries = new Array<[number, number, number, number]>(refs.length); // id, handle, lite, entry
  let total = lenFieldSize(1, group.size) + lenFieldSize(2, topic.size);
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i] as ReceiptRef;
    const id = utf8(r.messageId);
    const handle = utf8(r.receiptHandle);
    const lite = r.liteTopic === undefined ? -1 : utf8(r.liteTopic);
    const entry =
      (id > 0 ? lenFieldSize(1, id) : 0) +
      (handle > 0 ? lenFieldSize(2, handle) : 0) +
      (lite < 0 ? 0 : lenFieldSize(3, lite));
    entries[i] = [id, handle, lite, entry];
    total += lenFieldSize(3, entry);
  }
  const w = new ProtoWriter(total);
  writeResource(w, 1, namespace, first.group, group);
  writeResource(w, 2, namespace, first.topic, topic);
  for (let i = 0; i < refs.length; i++) {
    const r = refs[i] as ReceiptRef;
    const [id, handle, lite, entry] = entries[i] as [number, number, number, number];
    w.begin(3, entry);
    if (id > 0) w.string(1, r.messageId, id);
    if (handle > 0) w.string(2, r.receiptHandle, handle);
    if (r.liteTopic !== undefined) w.string(3, r.liteTopic, lite);
  }
  if (w.position !== total)
    throw new Error(`AckMessageRequest encoder wrote ${w.position} of ${total} bytes`);
  return w.buffer;
}
