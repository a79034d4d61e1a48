/**
 * The broker's stored-message layout (what query, view and pull responses carry, one record after
 * another) and the property string of remoting sends.
 *
 *   totalSize i32 | magic i32 | bodyCRC i32 | queueId i32 | flag i32 | queueOffset i64 |
 *   physicalOffset i64 | sysFlag i32 | bornTimestamp i64 | bornHost (4 or 16 bytes + port i32) |
 *   storeTimestamp i64 | storeHost (4 or 16 bytes + port i32) | reconsumeTimes i32 |
 *   preparedTransactionOffset i64 | bodyLength i32 | body | topicLength (i8, or i16 with the v2 magic) |
 *   topic | propertiesLength i16 | properties
 *
 * Properties are `name \u0001 value \u0002` pairs.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { decompress } from '../protocol/codec/decompress.js';

const MAGIC_V1 = -626843481;
const MAGIC_V2 = -626843477;
const FLAG_COMPRESSED = 0x1;
const FLAG_BORN_HOST_V6 = 0x10;
const FLAG_STORE_HOST_V6 = 0x20;
const NAME_VALUE = '\u0001';
const PROPERTY_END = '\u0002';

/** A message as the broker stored it. */
export interface StoredMessage {
  readonly topic: string;
  readonly queueId: number;
  readonly queueOffset: number;
  /** Offset in the broker's commit log. */
  readonly commitLogOffset: number;
  readonly bornTimestamp: number;
  readonly storeTimestamp: number;
  /** `ip:port` of the producer as the broker saw it. */
  readonly bornHost: string;
  /** `ip:port` of the broker that stored it. */
  readonly storeHost: string;
  readonly reconsumeTimes: number;
  readonly body: Buffer;
  /** Every property, system ones included. */
  readonly properties: Readonly<Record<string, string>>;
}

/** Parses the property string of a message. */
export function decodeProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of text.split(PROPERTY_END)) {
    const i = pair.indexOf(NAME_VALUE);
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

/** The property string of a remoting send. */
export function encodeProperties(properties: Readonly<Record<string, string>>): string {
  return Object.entries(properties)
    .map(([k, v]) => `${k}${NAME_VALUE}${v}${PROPERTY_END}`)
    .join('');
}

function host(buf: Buffer, at: number, v6: boolean): [string, number] {
  const n = v6 ? 16 : 4;
  const ip = v6
    ? Array.from({ length: 8 }, (_, i) => buf.readUInt16BE(at + 2 * i).toString(16)).join(':')
    : Array.from(buf.subarray(at, at + 4)).join('.');
  return [`${ip}:${buf.readInt32BE(at + n)}`, at + n + 4];
}

/**
 * Decodes every message record of a response body.
 *
 * @throws RocketMQError `INTERNAL` on a record that does not fit the layout.
 */
export function decodeMessages(buf: Buffer): StoredMessage[] {
  const out: StoredMessage[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const total = buf.readInt32BE(at);
    const magic = buf.readInt32BE(at + 4);
    if (total <= 0 || at + total > buf.length || (magic !== MAGIC_V1 && magic !== MAGIC_V2)) {
      throw new RocketMQError(`Malformed stored message at byte ${at}`, 'INTERNAL');
    }
    out.push(decodeOne(buf.subarray(at, at + total), magic === MAGIC_V2));
    at += total;
  }
  return out;
}

function decodeOne(r: Buffer, v2: boolean): StoredMessage {
  let p = 12;
  const queueId = r.readInt32BE(p);
  p += 8; // queueId, flag
  const queueOffset = Number(r.readBigInt64BE(p));
  const commitLogOffset = Number(r.readBigInt64BE(p + 8));
  p += 16;
  const sysFlag = r.readInt32BE(p);
  p += 4;
  const bornTimestamp = Number(r.readBigInt64BE(p));
  p += 8;
  const [bornHost, afterBorn] = host(r, p, (sysFlag & FLAG_BORN_HOST_V6) !== 0);
  p = afterBorn;
  const storeTimestamp = Number(r.readBigInt64BE(p));
  p += 8;
  const [storeHost, afterStore] = host(r, p, (sysFlag & FLAG_STORE_HOST_V6) !== 0);
  p = afterStore;
  const reconsumeTimes = r.readInt32BE(p);
  p += 12; // reconsumeTimes, preparedTransactionOffset
  const bodyLength = r.readInt32BE(p);
  p += 4;
  let body: Buffer = Buffer.from(r.subarray(p, p + bodyLength));
  p += bodyLength;
  if ((sysFlag & FLAG_COMPRESSED) !== 0) {
    const d = decompress(body);
    if (!d.ok) throw new RocketMQError(`Cannot decompress a stored message body: ${d.error}`, 'INTERNAL');
    body = d.body;
  }
  const topicLength = v2 ? r.readUInt16BE(p) : r.readUInt8(p);
  p += v2 ? 2 : 1;
  const topic = r.subarray(p, p + topicLength).toString('utf8');
  p += topicLength;
  const propertiesLength = r.readUInt16BE(p);
  p += 2;
  const properties = decodeProperties(r.subarray(p, p + propertiesLength).toString('utf8'));
  return {
    topic,
    queueId,
    queueOffset,
    commitLogOffset,
    bornTimestamp,
    storeTimestamp,
    bornHost,
    storeHost,
    reconsumeTimes,
    body,
    properties,
  };
}
