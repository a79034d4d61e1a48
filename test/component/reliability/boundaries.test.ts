/**
 * Size and content boundaries end to end (reliability-matrix rows A2, A3, F4) on the in-process broker:
 *
 * - A2 a body of exactly the server's `max_body_size` is sent, stored and received byte for byte; one
 *   byte more is refused locally (no SendMessage reaches the broker) for NORMAL, DELAY, FIFO and
 *   TRANSACTION messages, with the 4 MiB default and with a limit the broker lowered to 1 MiB in its
 *   settings (the client adopts the server-sent value).
 * - A3 accepted tags and keys (Chinese, emoji, inner spaces, several keys, a 16 KiB tag and a 16 KiB
 *   key — the total header limit is inclusive) come back byte for byte.
 * - F4 a 4 MiB body and a receive batch of 32 × 1 MiB arrive without RESOURCE_EXHAUSTED (grpc-js
 *   refuses inbound messages over 4 MiB unless the client raises the limit), every body intact.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import type { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import type { MessageView } from '../../../src/model/message-view.js';
import type { Producer } from '../../../src/producer/index.js';
import { InProcessBroker, type InProcessBrokerOptions } from '../../../src/testing/index.js';
import { consumerFor, producerFor, uniqueName } from './setup.js';

const MiB = 1024 * 1024;
const KiB = 1024;

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function brokerFor(t: TestContext, options: InProcessBrokerOptions = {}): Promise<InProcessBroker> {
  const broker = await InProcessBroker.start({
    longPollingMinMs: 0,
    minInvisibleDurationMs: 1_000,
    ...options,
  });
  t.after(() => broker.shutdown());
  return broker;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    assert.ok(e instanceof RocketMQError, `expected a RocketMQError, got ${String(e)}`);
    return e.code;
  }
}

/** Receives (and acks) until `n` messages came, or fails after `boundMs`. */
async function receiveN(consumer: SimpleConsumer, n: number, boundMs = 15_000): Promise<MessageView[]> {
  const got: MessageView[] = [];
  const end = performance.now() + boundMs;
  while (got.length < n) {
    assert.ok(performance.now() < end, `received ${got.length} of ${n} within ${boundMs} ms`);
    for (const v of await consumer.receive(32, 30_000)) {
      got.push(v);
      await consumer.ack(v);
    }
  }
  return got;
}

/** One topic per message type, a started producer for all of them and a consumer per topic. */
async function typedTopics(t: TestContext, broker: InProcessBroker) {
  const topics = {
    NORMAL: uniqueName('sz-normal'),
    DELAY: uniqueName('sz-delay'),
    FIFO: uniqueName('sz-fifo'),
    TRANSACTION: uniqueName('sz-tx'),
  } as const;
  for (const [type, name] of Object.entries(topics)) broker.createTopic(name, { type: type as never });
  const producer = producerFor(t, broker.endpoint, {
    topics: Object.values(topics),
    requestTimeoutMs: 10_000,
  });
  await producer.start();
  return { topics, producer };
}

/** Sends `body` as a message of each type; resolves with the code per type ('OK' when stored). */
async function sendEachType(
  producer: Producer,
  topics: Awaited<ReturnType<typeof typedTopics>>['topics'],
  body: Buffer,
): Promise<Record<string, string>> {
  const tx = producer.beginTransaction();
  const txSend = tx.send({ topic: topics.TRANSACTION, body });
  const codes = {
    NORMAL: await codeOf(producer.send({ topic: topics.NORMAL, body })),
    DELAY: await codeOf(producer.send({ topic: topics.DELAY, body, delayMs: 1 })),
    FIFO: await codeOf(producer.send({ topic: topics.FIFO, body, messageGroup: 'g' })),
    TRANSACTION: await codeOf(txSend),
  };
  if (codes.TRANSACTION === 'OK') await tx.commit();
  return codes;
}

const ALL_OK = { NORMAL: 'OK', DELAY: 'OK', FIFO: 'OK', TRANSACTION: 'OK' };
const ALL_TOO_LARGE = {
  NORMAL: 'MESSAGE_BODY_TOO_LARGE',
  DELAY: 'MESSAGE_BODY_TOO_LARGE',
  FIFO: 'MESSAGE_BODY_TOO_LARGE',
  TRANSACTION: 'MESSAGE_BODY_TOO_LARGE',
};

describe('A2 body size limit from the server settings', () => {
  for (const [label, limit, brokerOptions] of [
    ['the 4 MiB default', 4 * MiB, {}],
    ['a limit lowered to 1 MiB by the broker', MiB, { maxBodySize: MiB }],
  ] as const) {
    test(`${label}: exactly the limit is stored and received byte for byte for every type; one byte more is refused locally`, async (t) => {
      const broker = await brokerFor(t, brokerOptions);
      const { topics, producer } = await typedTopics(t, broker);
      assert.equal(
        producer.core.settings.current.maxBodySizeBytes,
        limit,
        'the server-sent limit is adopted',
      );

      const before = broker.stats().calls;
      const over = await sendEachType(producer, topics, Buffer.alloc(limit + 1, 0x61));
      assert.deepEqual(over, ALL_TOO_LARGE);
      const after = broker.stats().calls;
      assert.equal(after.SendMessage, before.SendMessage, 'no SendMessage for a body over the limit');
      assert.equal(broker.stats().halfMessages, 0);

      const body = Buffer.alloc(limit);
      for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
      assert.deepEqual(await sendEachType(producer, topics, body), ALL_OK);
      for (const topic of Object.values(topics)) {
        const consumer = consumerFor(t, broker.endpoint, uniqueName('sz-g'), topic, {
          requestTimeoutMs: 10_000,
        });
        await consumer.start();
        const [v] = await receiveN(consumer, 1);
        assert.equal(v!.body.length, limit, `${topic}: body length`);
        assert.equal(sha(v!.body), sha(body), `${topic}: body bytes`);
        assert.equal(v!.corrupted, false);
      }
    });
  }
});

describe('A3 accepted tags and keys round-trip byte for byte', () => {
  test('Chinese, emoji, inner spaces, several keys, a 16 KiB tag and a 16 KiB key', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('a3');
    broker.createTopic(topic);
    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    const consumer = consumerFor(t, broker.endpoint, uniqueName('a3-g'), topic);
    await Promise.all([producer.start(), consumer.start()]);
    const cases: Array<{ tag?: string; keys?: string[]; properties?: Record<string, string> }> = [
      { tag: '中文标签', keys: ['键-1'] },
      { tag: 'tag with spaces', keys: ['k one', 'k two', 'k three'] },
      { tag: '😀-émoji', keys: ['🔑', 'ключ', 'مفتاح'] },
      { tag: 't'.repeat(16 * KiB) }, // the header total (tag + keys + properties) may be exactly 16 KiB
      { keys: ['k'.repeat(16 * KiB)] },
      { tag: 'p', properties: { 名字: '值', 'key.with-dots_1': 'v a l u e' } },
    ];
    const sent = new Map<string, (typeof cases)[number]>();
    for (const c of cases) {
      const receipt = await producer.send({ topic, body: 'x', ...c });
      sent.set(receipt.messageId, c);
    }
    const got = await receiveN(consumer, cases.length);
    assert.equal(got.length, cases.length);
    for (const v of got) {
      const c = sent.get(v.messageId);
      assert.ok(c, `unexpected message ${v.messageId}`);
      assert.equal(v.tag, c.tag);
      assert.deepEqual([...v.keys], c.keys ?? []);
      for (const [k, value] of Object.entries(c.properties ?? {})) assert.equal(v.properties[k], value);
      if (c.tag !== undefined) assert.equal(Buffer.byteLength(v.tag!), Buffer.byteLength(c.tag));
    }
    // One byte over the inclusive 16 KiB total is refused locally.
    const calls = broker.stats().calls.SendMessage;
    assert.equal(
      await codeOf(producer.send({ topic, body: 'x', tag: 't'.repeat(16 * KiB), keys: ['k'] })),
      'MESSAGE_PROPERTIES_TOO_LARGE',
    );
    assert.equal(broker.stats().calls.SendMessage, calls);
  });
});

describe('F4 large bodies on receive', () => {
  test('a receive batch of 32 × 1 MiB comes in one call, every body intact (no RESOURCE_EXHAUSTED)', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('f4');
    broker.createTopic(topic, { queues: 1 });
    const producer = producerFor(t, broker.endpoint, { topics: [topic], requestTimeoutMs: 10_000 });
    const consumer = consumerFor(t, broker.endpoint, uniqueName('f4-g'), topic, { requestTimeoutMs: 20_000 });
    await Promise.all([producer.start(), consumer.start()]);
    const digests = new Map<string, string>();
    for (let i = 0; i < 32; i++) {
      const body = Buffer.alloc(MiB, i + 1);
      body.writeUInt32BE(i, 0);
      const r = await producer.send({ topic, body });
      digests.set(r.messageId, sha(body));
    }
    const batch = await consumer.receive(32, 30_000);
    assert.equal(batch.length, 32, 'one receive call returns the 32 messages');
    for (const v of batch) {
      assert.equal(v.corrupted, false);
      assert.equal(v.body.length, MiB);
      assert.equal(sha(v.body), digests.get(v.messageId), `body of ${v.messageId}`);
    }
    for (const v of batch) await consumer.ack(v);
  });
});
