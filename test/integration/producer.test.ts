/**
 * Issue C's proof on a real RocketMQ 5.x broker + proxy: one test per message type and option, with
 * the messages consumed through the raw test client (the consumers are built separately).
 *
 * Tests run concurrently to keep the wall time small. Transaction checks: with the broker's defaults
 * (`transactionTimeOut` 6 s, `transactionCheckInterval` 30 s) the checker test would take up to ~40 s;
 * the test broker checks every 5 s (`testcontainers/configs.ts`), so it takes ~6–11 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code, type Message } from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { Producer, type ProducerOptions } from '../../src/producer/index.js';
import type { BrokerHandle } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { ackOne, handshake, queryRoute, receiveOnce, writableQueue } from '../helpers/raw-flow.js';

interface Received {
  readonly message: Message;
  readonly at: number;
}

/** A raw simple consumer of one topic, in its own group. */
async function rawConsumer(broker: BrokerHandle, topic: string, opts: { fifo?: boolean } = {}) {
  const group = uniqueName('pg');
  await broker.createConsumerGroup(group, { fifo: opts.fifo ?? false });
  const client = new RawClient(broker.endpoint);
  const session = await handshake(client, { kind: 'simple-consumer', group, topic });
  const queue = writableQueue(await queryRoute(client, topic));
  return {
    /** Receives (and acks) until `done(all)` holds or `boundMs` passed; returns everything received. */
    async receiveUntil(done: (all: Received[]) => boolean, boundMs: number): Promise<Received[]> {
      const all: Received[] = [];
      const end = Date.now() + boundMs;
      while (!done(all) && Date.now() < end) {
        const r = await receiveOnce(
          client,
          group,
          queue,
          20_000,
          Math.min(5_000, Math.max(1_000, end - Date.now())),
        );
        assert.ok(
          r.statuses.every((c) => c === Code.OK || c === Code.MESSAGE_NOT_FOUND),
          `receive statuses ${r.statuses}`,
        );
        const at = Date.now();
        for (const m of r.messages) {
          all.push({ message: m, at });
          await ackOne(client, group, topic, m);
        }
      }
      return all;
    },
    close() {
      session.telemetry.close();
      client.close();
    },
  };
}

const bodyOf = (r: Received): string => Buffer.from(r.message.body).toString();

describe('Producer on a real broker', { concurrency: true }, () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';
  const producers: Producer[] = [];
  const closers: Array<() => void> = [];

  const startProducer = async (topics: string[], extra: Partial<ProducerOptions> = {}) => {
    const p = new Producer({ endpoints: broker!.endpoint, topics, ...extra });
    producers.push(p);
    await p.start({ timeoutMs: 20_000 });
    return p;
  };
  const consumer = async (topic: string, opts: { fifo?: boolean } = {}) => {
    const c = await rawConsumer(broker!, topic, opts);
    closers.push(() => c.close());
    return c;
  };

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') {
      skipReason = `no RocketMQ broker available: ${b}`;
      return;
    }
    broker = b;
  });

  after(async () => {
    for (const close of closers) close();
    await Promise.all(producers.map((p) => p.shutdown({ timeoutMs: 2_000 })));
    await releaseSharedBroker();
  });

  test('NORMAL: round trip with tag, keys, properties and trace seeds', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('pn');
    await broker.createTopic(topic, 'NORMAL');
    const p = await startProducer([topic]);
    const c = await consumer(topic);
    const receipt = await p.send(
      { topic, body: 'hello', tag: 'TagA', keys: ['k1'], properties: { color: 'blue' } },
      { requestId: 'req-42' },
    );
    assert.equal(receipt.queue.topic, topic);
    const got = await c.receiveUntil((all) => all.length >= 1, 20_000);
    assert.equal(got.length, 1);
    const m = got[0]!.message;
    assert.equal(m.systemProperties?.messageId, receipt.messageId);
    assert.equal(bodyOf(got[0]!), 'hello');
    assert.equal(m.systemProperties?.tag, 'TagA');
    assert.deepEqual([...(m.systemProperties?.keys ?? [])], ['k1']);
    assert.equal(m.userProperties.color, 'blue');
    assert.equal(m.userProperties['x-request-id'], 'req-42');
  });

  test('batch: one request, every message delivered', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('pb');
    await broker.createTopic(topic, 'NORMAL');
    const p = await startProducer([topic]);
    const c = await consumer(topic);
    const result = await p.sendBatch([1, 2, 3].map((i) => ({ topic, body: `b${i}` })));
    assert.equal(result.messageIds.length, 3);
    assert.equal(result.entries.length, 1, 'the proxy answers a batch with one entry');
    const got = await c.receiveUntil((all) => all.length >= 3, 20_000);
    assert.deepEqual(got.map(bodyOf).sort(), ['b1', 'b2', 'b3']);
  });

  test('DELAY: delivered after the delay (±1.5 s); a recalled one never', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('pd');
    await broker.createTopic(topic, 'DELAY');
    const p = await startProducer([topic]);
    const c = await consumer(topic);
    const delayMs = 3_000;
    const sentAt = Date.now();
    const kept = await p.send({ topic, body: 'kept', delayMs });
    const recalled = await p.send({ topic, body: 'recalled', delayMs });
    assert.ok(recalled.recallHandle, 'the 5.4 proxy returns a recall handle');
    assert.equal(await p.recallMessage(topic, recalled.recallHandle!), recalled.messageId);
    const got = await c.receiveUntil(
      (all) => Date.now() - sentAt > delayMs + 4_000 || all.length >= 2,
      15_000,
    );
    const keptGot = got.find((r) => r.message.systemProperties?.messageId === kept.messageId);
    assert.ok(keptGot, 'the delay message arrived');
    const lateness = keptGot.at - (sentAt + delayMs);
    assert.ok(lateness > -1_500 && lateness < 5_000, `delivered ${lateness} ms after its time`);
    assert.equal(
      got.some((r) => bodyOf(r) === 'recalled'),
      false,
      'the recalled message was never delivered',
    );
  });

  test('FIFO: order per message group', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('pf');
    await broker.createTopic(topic, 'FIFO');
    const p = await startProducer([topic]);
    const c = await consumer(topic, { fifo: true });
    for (let i = 0; i < 5; i++) {
      await p.send({ topic, body: `a${i}`, messageGroup: 'ga' });
      await p.send({ topic, body: `b${i}`, messageGroup: 'gb' });
    }
    const got = await c.receiveUntil((all) => all.length >= 10, 30_000);
    const order = (g: string) => got.map(bodyOf).filter((b) => b.startsWith(g));
    assert.deepEqual(order('a'), ['a0', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(order('b'), ['b0', 'b1', 'b2', 'b3', 'b4']);
  });

  test('TRANSACTION: committed visible, rolled back never delivered', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('pt');
    await broker.createTopic(topic, 'TRANSACTION');
    const p = await startProducer([topic], { transactionChecker: () => 'ROLLBACK' });
    const c = await consumer(topic);
    const rolled = p.beginTransaction();
    await rolled.send({ topic, body: 'rolled-back' });
    await rolled.rollback();
    const committed = p.beginTransaction();
    const r = await committed.send({ topic, body: 'committed' });
    assert.ok(r.transactionId);
    await committed.commit();
    const got = await c.receiveUntil((all) => all.length >= 2, 8_000);
    assert.deepEqual(got.map(bodyOf), ['committed']);
  });

  test('TRANSACTION: an orphaned transaction is resolved by the checker', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('pc');
    await broker.createTopic(topic, 'TRANSACTION');
    const checked: string[] = [];
    const p = await startProducer([topic], {
      transactionChecker: (m) => {
        checked.push(m.body.toString());
        return m.body.toString() === 'commit-by-check' ? 'COMMIT' : 'ROLLBACK';
      },
    });
    const c = await consumer(topic);
    await p.beginTransaction().send({ topic, body: 'commit-by-check' }); // never ended by the app
    const got = await c.receiveUntil((all) => all.length >= 1, 45_000);
    assert.deepEqual(got.map(bodyOf), ['commit-by-check']);
    assert.ok(checked.includes('commit-by-check'), 'the checker was asked');
  });

  test('PRIORITY: accepted on a PRIORITY topic; higher priorities are delivered first', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('pp');
    await broker.createTopic(topic, 'PRIORITY');
    const p = await startProducer([topic]);
    // The 5.4 broker puts a priority message on queue min(priority, queues − 1) and pops the
    // highest queue first (priorityOrderAsc=false). Sent before any consumer exists.
    for (const priority of [0, 3, 1, 2]) await p.send({ topic, body: `prio-${priority}`, priority });
    const c = await consumer(topic);
    const got = await c.receiveUntil((all) => all.length >= 4, 30_000);
    assert.deepEqual(got.map(bodyOf), ['prio-3', 'prio-2', 'prio-1', 'prio-0']);
    assert.deepEqual(
      got.map((r) => r.message.systemProperties?.queueId),
      [3, 2, 1, 0],
      'stored on the queue of its priority',
    );
  });

  test('PRIORITY on a NORMAL topic: refused locally as a type conflict, nothing sent', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('pn');
    await broker.createTopic(topic, 'NORMAL');
    const p = await startProducer([topic]);
    await assert.rejects(p.send({ topic, body: 'x', priority: 1 }), {
      code: 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    });
  });

  test('a message of another type than the topic → MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('px');
    await broker.createTopic(topic, 'FIFO');
    const p = await startProducer([topic]);
    await assert.rejects(p.send({ topic, body: 'x' }), { code: 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE' });
    await assert.rejects(p.send({ topic, body: 'x', delayMs: 1_000 }), {
      code: 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    });
  });
});
