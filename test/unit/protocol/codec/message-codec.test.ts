import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  DeadLetterQueueSchema,
  DigestSchema,
  DigestType,
  Encoding,
  type Message,
  MessageSchema,
  MessageType,
  ResourceSchema,
  SystemPropertiesSchema,
} from '../../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { validateMessage } from '../../../../src/model/message.js';
import { crc32Hex, md5Hex } from '../../../../src/protocol/codec/digest.js';
import { fromProtoMessage } from '../../../../src/protocol/codec/message-codec.js';
import { toProtoMessage } from '../../../helpers/reference-encoders.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'fixtures');
const NOW = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const ENDPOINT = 'ipv4:127.0.0.1:8081';
const ID = '0156F7E71C361B303905A5172500000007';
const attempt = { messageId: ID, namespace: 'ns', bornHost: 'host-1', now: NOW, queueId: 3 };

/** Simulates the proxy: turns a sent message into a received one (wire round trip + server fields). */
function received(sent: Message, patch: (m: Message) => void = () => {}): Message {
  const m = fromBinary(MessageSchema, toBinary(MessageSchema, sent));
  const sys = m.systemProperties!;
  sys.receiptHandle = 'handle-1';
  sys.queueOffset = 77n;
  sys.deliveryAttempt = 2;
  sys.storeTimestamp = timestampFromMs(NOW + 10);
  sys.storeHost = '10.0.0.9:10911';
  sys.bodyDigest = create(DigestSchema, { type: DigestType.MD5, checksum: md5Hex(m.body) });
  patch(m);
  return fromBinary(MessageSchema, toBinary(MessageSchema, m));
}

describe('toProtoMessage (one send attempt)', () => {
  test('maps every field of a NORMAL message', () => {
    const prepared = validateMessage(
      { topic: 'orders', body: 'hello', tag: 'created', keys: ['k1', 'k2'], properties: { a: 'b' } },
      { now: NOW },
    );
    const m = toProtoMessage(prepared, attempt);
    assert.equal(m.topic?.resourceNamespace, 'ns');
    assert.equal(m.topic?.name, 'orders');
    assert.deepEqual(m.userProperties, { a: 'b' });
    assert.equal(Buffer.from(m.body).toString(), 'hello');
    const sys = m.systemProperties!;
    assert.equal(sys.tag, 'created');
    assert.deepEqual(sys.keys, ['k1', 'k2']);
    assert.equal(sys.messageId, ID);
    assert.equal(sys.bodyEncoding, Encoding.IDENTITY);
    assert.equal(sys.bodyDigest, undefined);
    assert.equal(sys.messageType, MessageType.NORMAL);
    assert.equal(sys.bornTimestamp?.seconds, BigInt(Math.floor(NOW / 1000)));
    assert.equal(sys.bornTimestamp?.nanos, 678_000_000);
    assert.equal(sys.bornHost, 'host-1');
    assert.equal(sys.queueId, 3);
    for (const absent of ['deliveryTimestamp', 'messageGroup', 'liteTopic', 'priority'] as const) {
      assert.equal(sys[absent], undefined, absent);
    }
  });

  test('sets the type-specific fields', () => {
    const enc = (init: Parameters<typeof validateMessage>[0], transactional = false) =>
      toProtoMessage(validateMessage(init, { now: NOW, transactional }), attempt).systemProperties!;
    const fifo = enc({ topic: 't', body: 'x', messageGroup: 'g1' });
    assert.equal(fifo.messageType, MessageType.FIFO);
    assert.equal(fifo.messageGroup, 'g1');
    const delay = enc({ topic: 't', body: 'x', delayMs: 60_000 });
    assert.equal(delay.messageType, MessageType.DELAY);
    assert.equal(delay.deliveryTimestamp?.seconds, BigInt(Math.floor((NOW + 60_000) / 1000)));
    const prio = enc({ topic: 't', body: 'x', priority: 0 });
    assert.equal(prio.messageType, MessageType.PRIORITY);
    assert.equal(prio.priority, 0);
    const lite = enc({ topic: 't', body: 'x', liteTopic: 'l1' });
    assert.equal(lite.messageType, MessageType.LITE);
    assert.equal(lite.liteTopic, 'l1');
    assert.equal(enc({ topic: 't', body: 'x' }, true).messageType, MessageType.TRANSACTION);
  });

  test('no namespace → empty resource_namespace', () => {
    const { namespace: _omit, ...noNamespace } = attempt;
    const m = toProtoMessage(validateMessage({ topic: 't', body: 'x' }, { now: NOW }), noNamespace);
    assert.equal(m.topic?.resourceNamespace, '');
  });
});

describe('fromProtoMessage (digest, decompression, fields)', () => {
  test('round trip toProto → wire → fromProto keeps every field', () => {
    const prepared = validateMessage(
      {
        topic: 'orders',
        body: Buffer.from([0, 1, 2, 255]),
        tag: 'created',
        keys: ['k1'],
        properties: { a: 'b', 'x-y': 'z' },
        deliveryTimestamp: NOW + 5000,
      },
      { now: NOW },
    );
    const view = fromProtoMessage(received(toProtoMessage(prepared, attempt)), { endpoint: ENDPOINT });
    assert.equal(view.corrupted, false);
    assert.equal(view.decodeError, undefined);
    assert.equal(view.messageId, ID);
    assert.equal(view.topic, 'orders');
    assert.equal(view.tag, 'created');
    assert.deepEqual(view.keys, ['k1']);
    assert.deepEqual(view.properties, { a: 'b', 'x-y': 'z' });
    assert.deepEqual(view.body, Buffer.from([0, 1, 2, 255]));
    assert.ok(Buffer.isBuffer(view.body));
    assert.equal(view.messageType, 'DELAY');
    assert.equal(view.deliveryTimestamp?.getTime(), NOW + 5000);
    assert.equal(view.bornTimestamp.getTime(), NOW);
    assert.equal(view.bornHost, 'host-1');
    assert.equal(view.storeTimestamp?.getTime(), NOW + 10);
    assert.equal(view.storeHost, '10.0.0.9:10911');
    assert.equal(view.queueId, 3);
    assert.equal(view.queueOffset, 77n);
    assert.equal(view.deliveryAttempt, 2);
    assert.equal(view.receiptHandle, 'handle-1');
    assert.equal(view.endpoint, ENDPOINT);
    assert.equal(view.messageGroup, undefined);
  });

  test('FIFO / priority / lite / DLQ fields are mapped', () => {
    const sent = toProtoMessage(
      validateMessage({ topic: 't', body: 'x', messageGroup: 'g' }, { now: NOW }),
      attempt,
    );
    const view = fromProtoMessage(
      received(sent, (m) => {
        m.systemProperties!.deadLetterQueue = create(DeadLetterQueueSchema, {
          topic: 'orig',
          messageId: 'OID',
        });
        m.systemProperties!.traceContext = '00-abc-def-01';
      }),
      { endpoint: ENDPOINT },
    );
    assert.equal(view.messageGroup, 'g');
    assert.equal(view.messageType, 'FIFO');
    assert.deepEqual(view.deadLetterQueue, { topic: 'orig', messageId: 'OID' });
    assert.equal(view.traceContext, '00-abc-def-01');
  });

  test('a message with almost nothing set is tolerated', () => {
    const bare = create(MessageSchema, { body: Buffer.from('x') });
    const view = fromProtoMessage(bare, { endpoint: ENDPOINT });
    assert.equal(view.corrupted, false);
    assert.equal(view.messageId, '');
    assert.equal(view.topic, '');
    assert.equal(view.deliveryAttempt, 1);
    assert.equal(view.bornTimestamp.getTime(), 0);
    assert.equal(view.deliveryTimestamp, undefined);
    assert.equal(view.queueOffset, undefined);
    assert.equal(view.messageType, undefined);

    const noAttempt = create(MessageSchema, {
      topic: create(ResourceSchema, { name: 't' }),
      systemProperties: create(SystemPropertiesSchema, { messageId: 'X' }),
      body: Buffer.from('x'),
    });
    assert.equal(fromProtoMessage(noAttempt, { endpoint: ENDPOINT }).deliveryAttempt, 1);
  });

  test('digest checked on the bytes as received: CRC32 / SHA1 ok, mismatch → corrupted with raw body', () => {
    const sent = toProtoMessage(validateMessage({ topic: 't', body: 'payload' }, { now: NOW }), attempt);
    const crc = received(sent, (m) => {
      m.systemProperties!.bodyDigest = create(DigestSchema, {
        type: DigestType.CRC32,
        checksum: crc32Hex(m.body),
      });
    });
    assert.equal(fromProtoMessage(crc, { endpoint: ENDPOINT }).corrupted, false);

    const bad = received(sent, (m) => {
      m.systemProperties!.bodyDigest = create(DigestSchema, {
        type: DigestType.MD5,
        checksum: md5Hex(Buffer.from('other')),
      });
    });
    const view = fromProtoMessage(bad, { endpoint: ENDPOINT });
    assert.equal(view.corrupted, true);
    assert.match(view.decodeError ?? '', /MD5 digest mismatch/);
    assert.equal(view.body.toString(), 'payload');
    assert.equal(view.messageId, ID, 'the rest of the message is still decoded');
    assert.equal(view.receiptHandle, 'handle-1', 'the receipt handle is kept so the message can be nacked');
  });

  test('an unknown digest type is ignored', () => {
    const sent = toProtoMessage(validateMessage({ topic: 't', body: 'payload' }, { now: NOW }), attempt);
    const m = received(sent, (msg) => {
      msg.systemProperties!.bodyDigest = create(DigestSchema, { type: 42 as DigestType, checksum: 'zz' });
    });
    assert.equal(fromProtoMessage(m, { endpoint: ENDPOINT }).corrupted, false);
  });

  for (const [file, label] of [
    ['body.txt.gz', 'gzip'],
    ['body.txt.zlib', 'zlib'],
  ] as const) {
    test(`GZIP-marked ${label} body is decompressed after the digest check`, () => {
      const compressed = readFileSync(join(FIXTURES, 'compression', file));
      const sent = toProtoMessage(validateMessage({ topic: 't', body: compressed }, { now: NOW }), attempt);
      const m = received(sent, (msg) => {
        msg.systemProperties!.bodyEncoding = Encoding.GZIP; // digest (set by `received`) covers compressed bytes
      });
      const view = fromProtoMessage(m, { endpoint: ENDPOINT });
      assert.equal(view.corrupted, false, view.decodeError);
      assert.deepEqual(view.body, readFileSync(join(FIXTURES, 'compression', 'body.txt')));
    });
  }

  test('GZIP-marked LZ4 body is decompressed', () => {
    const compressed = readFileSync(join(FIXTURES, 'lz4', 'small.lz4'));
    const sent = toProtoMessage(validateMessage({ topic: 't', body: compressed }, { now: NOW }), attempt);
    const view = fromProtoMessage(
      received(sent, (m) => {
        m.systemProperties!.bodyEncoding = Encoding.GZIP;
      }),
      { endpoint: ENDPOINT },
    );
    assert.deepEqual(view.body, readFileSync(join(FIXTURES, 'lz4', 'small.txt')));
  });

  test('IDENTITY bodies are never sniffed, even if they look compressed', () => {
    const gz = readFileSync(join(FIXTURES, 'compression', 'body.txt.gz'));
    const sent = toProtoMessage(validateMessage({ topic: 't', body: gz }, { now: NOW }), attempt);
    const view = fromProtoMessage(received(sent), { endpoint: ENDPOINT });
    assert.deepEqual(view.body, gz);
    assert.equal(view.corrupted, false);
  });

  test('decompressed size is bounded', () => {
    const compressed = readFileSync(join(FIXTURES, 'compression', 'body.txt.gz'));
    const sent = toProtoMessage(validateMessage({ topic: 't', body: compressed }, { now: NOW }), attempt);
    const m = received(sent, (msg) => {
      msg.systemProperties!.bodyEncoding = Encoding.GZIP;
    });
    const view = fromProtoMessage(m, { endpoint: ENDPOINT, maxDecompressedSize: 100 });
    assert.equal(view.corrupted, true);
    assert.deepEqual(view.body, compressed);
  });

  test('a body encoding this version does not know marks the message corrupted, raw body kept', () => {
    const sent = toProtoMessage(validateMessage({ topic: 't', body: 'opaque' }, { now: NOW }), attempt);
    const unknown = received(sent, (msg) => {
      msg.systemProperties!.bodyEncoding = 7 as Encoding;
    });
    const view = fromProtoMessage(unknown, { endpoint: ENDPOINT });
    assert.equal(view.corrupted, true);
    assert.equal(view.body.toString(), 'opaque');
    assert.match(view.decodeError ?? '', /unknown body encoding 7/);
    const unspecified = received(sent, (msg) => {
      msg.systemProperties!.bodyEncoding = Encoding.ENCODING_UNSPECIFIED;
    });
    assert.equal(fromProtoMessage(unspecified, { endpoint: ENDPOINT }).corrupted, false);
  });

  test('a corrupted message in a batch leaves the others intact', () => {
    const make = (body: string | Buffer, encoding: Encoding) =>
      received(toProtoMessage(validateMessage({ topic: 't', body }, { now: NOW }), attempt), (m) => {
        m.systemProperties!.bodyEncoding = encoding;
      });
    const gz = readFileSync(join(FIXTURES, 'compression', 'body.txt.gz'));
    const truncatedLz4 = readFileSync(join(FIXTURES, 'lz4', 'small.lz4')).subarray(0, 20);
    const batch = [
      make('first', Encoding.IDENTITY),
      make(Buffer.from('definitely not compressed'), Encoding.GZIP), // unknown magic
      make(gz, Encoding.GZIP),
      make(truncatedLz4, Encoding.GZIP),
      make(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00]), Encoding.GZIP), // broken (or unsupported) zstd
      make('last', Encoding.IDENTITY),
    ];
    const views = batch.map((m) => fromProtoMessage(m, { endpoint: ENDPOINT }));
    assert.deepEqual(
      views.map((v) => v.corrupted),
      [false, true, false, true, true, false],
    );
    assert.equal(views[0]!.body.toString(), 'first');
    assert.equal(views[1]!.body.toString(), 'definitely not compressed', 'raw body kept');
    assert.match(views[1]!.decodeError ?? '', /not recognised/);
    assert.deepEqual(views[2]!.body, readFileSync(join(FIXTURES, 'compression', 'body.txt')));
    assert.deepEqual(views[3]!.body, truncatedLz4);
    assert.match(views[3]!.decodeError ?? '', /^lz4 decompression failed: truncated/);
    assert.match(views[4]!.decodeError ?? '', /zstd/);
    assert.equal(views[5]!.body.toString(), 'last');
  });

  test('never throws, even on a malformed object', () => {
    const broken = {
      systemProperties: {
        messageId: 'M',
        get keys(): string[] {
          throw new Error('boom');
        },
      },
    };
    const view = fromProtoMessage(broken as unknown as Message, { endpoint: ENDPOINT });
    assert.equal(view.corrupted, true);
    assert.equal(view.messageId, 'M');
    assert.match(view.decodeError ?? '', /boom/);
  });
});
