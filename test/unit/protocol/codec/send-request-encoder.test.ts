/**
 * The hand-written SendMessageRequest encoder against the reference: `toProtoMessage` + protobuf-es
 * `toBinary`. Same bytes for every generated message (a seeded generator covers every optional field,
 * empty and non-ASCII strings, large and negative numbers and batches), and the decoded request equals
 * the reference message.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { SendMessageRequestSchema } from '../../../../src/gen/apache/rocketmq/v2/service_pb.js';
import type { MessageType, PreparedMessage } from '../../../../src/model/message.js';
import type { ToProtoMessageOptions } from '../../../../src/protocol/codec/message-codec.js';
import { int32Size, ProtoWriter, varintSize } from '../../../../src/protocol/codec/proto-writer.js';
import {
  type EncodableMessage,
  encodeSendMessageRequest,
} from '../../../../src/protocol/codec/send-request-encoder.js';
import { toProtoMessage } from '../../../helpers/reference-encoders.js';

function reference(messages: readonly EncodableMessage[]): Uint8Array {
  return toBinary(
    SendMessageRequestSchema,
    create(SendMessageRequestSchema, {
      messages: messages.map((m) => toProtoMessage(m.message, m.options)),
    }),
  );
}

/** mulberry32: a small seeded PRNG, so a failure is reproducible from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '0', '-', '_', ' ', 'é', '中', '😀', '\u{10ffff}'];
const TYPES: MessageType[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION', 'LITE', 'PRIORITY'];

function generate(rand: () => number): EncodableMessage {
  const int = (max: number) => Math.floor(rand() * max);
  const str = (max: number) =>
    Array.from({ length: int(max + 1) }, () => ALPHABET[int(ALPHABET.length)]).join('');
  const maybe = <T>(make: () => T): T | undefined => (rand() < 0.5 ? make() : undefined);
  const properties: Record<string, string> = {};
  for (let i = int(5); i > 0; i--) properties[`${str(6)}k${i}`] = str(200);
  const bodySize = [0, 1, 127, 128, 16_383, 16_384, 70_000][int(7)] as number;
  const message: PreparedMessage = {
    topic: rand() < 0.1 ? '' : str(40),
    body: Buffer.alloc(bodySize, int(256)),
    keys: Array.from({ length: int(4) }, () => str(10)),
    properties,
    type: TYPES[int(TYPES.length)] as MessageType,
    ...(rand() < 0.5 ? { tag: str(12) } : {}),
    ...(rand() < 0.3 ? { messageGroup: str(20) } : {}),
    ...(rand() < 0.2 ? { liteTopic: str(20) } : {}),
    ...(rand() < 0.3 ? { deliveryTimestamp: [0, 999, 1000, 1_700_000_000_123, 2 ** 41 + 7][int(5)] } : {}),
    ...(rand() < 0.3 ? { priority: [0, 1, 9, 127, 128, 2 ** 31 - 1, -1][int(7)] } : {}),
  };
  const options: ToProtoMessageOptions = {
    messageId: rand() < 0.05 ? '' : `01${str(30)}`,
    bornHost: rand() < 0.1 ? '' : str(20),
    now: [0, 1, 1_700_000_000_000, 1_764_703_935_001, Date.UTC(2099, 11, 31, 23, 59, 59, 999)][
      int(5)
    ] as number,
    queueId: [0, 1, 7, 127, 128, 300, 2 ** 31 - 1, -1, -(2 ** 31)][int(9)] as number,
  };
  const ns = maybe(() => str(10));
  if (ns !== undefined) options.namespace = ns;
  return { message, options };
}

describe('encodeSendMessageRequest', () => {
  test('writes the same bytes as toProtoMessage + toBinary over 2,000 generated requests', () => {
    const rand = prng(20261202);
    for (let i = 0; i < 2_000; i++) {
      const batch = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => generate(rand));
      const ours = encodeSendMessageRequest(batch);
      const ref = reference(batch);
      if (!Buffer.from(ref).equals(ours)) {
        const decoded = fromBinary(SendMessageRequestSchema, ours);
        const expected = fromBinary(SendMessageRequestSchema, ref);
        assert.fail(
          `request ${i} differs (${ours.length} vs ${ref.length} bytes; decodes equal: ${equals(SendMessageRequestSchema, decoded, expected)}): ${JSON.stringify(batch, (_k, v) => (v?.type === 'Buffer' ? `<${v.data.length} bytes>` : v))}`,
        );
      }
    }
  });

  test('a typical 1 KiB message decodes to the reference message', () => {
    const m: EncodableMessage = {
      message: {
        topic: 'orders',
        body: Buffer.alloc(1024, 7),
        keys: ['k1'],
        properties: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        type: 'NORMAL',
        tag: 'created',
      },
      options: {
        messageId: '0156F7E71C361B303905A5172500000007',
        bornHost: 'h',
        now: 1_764_703_935_001,
        queueId: 2,
      },
    };
    const decoded = fromBinary(SendMessageRequestSchema, encodeSendMessageRequest([m]));
    const expected = create(SendMessageRequestSchema, { messages: [toProtoMessage(m.message, m.options)] });
    assert.ok(equals(SendMessageRequestSchema, decoded, expected));
    assert.equal(decoded.messages[0]?.systemProperties?.tag, 'created');
    assert.equal(decoded.messages[0]?.body.length, 1024);
  });
});

describe('ProtoWriter', () => {
  test('varints and int32 sizes match what is written, at every boundary', () => {
    const values = [
      0,
      1,
      127,
      128,
      16_383,
      16_384,
      2 ** 21 - 1,
      2 ** 21,
      2 ** 28 - 1,
      2 ** 28,
      2 ** 35,
      2 ** 53 - 1,
    ];
    for (const v of values) {
      const w = new ProtoWriter(varintSize(v));
      w.varint(v);
      assert.equal(w.position, varintSize(v), `varint ${v}`);
    }
    for (const v of [-1, -2, -128, -(2 ** 31), 0, 2 ** 31 - 1]) {
      const w = new ProtoWriter(int32Size(v));
      w.int32(v);
      assert.equal(w.position, int32Size(v), `int32 ${v}`);
    }
    const w = new ProtoWriter(10);
    w.int32(-1);
    assert.deepEqual([...w.buffer], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });
});
