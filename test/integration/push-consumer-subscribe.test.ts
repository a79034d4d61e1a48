/**
 * PushConsumer runtime subscriptions on a REAL RocketMQ 5.x proxy (the runner's shared broker):
 * a topic subscribed at run time is consumed; a topic unsubscribed while 300 messages are cached hands
 * every one not yet given to the listener back, and a second consumer of the group gets each of them
 * (ledger: every sent id handled, none handled after its ack); bad input is typed. About 15 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { RocketMQError } from '../../src/errors.js';
import { Producer } from '../../src/producer/producer.js';
import type { Interceptor } from '../../src/protocol/interceptors.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { waitUntil } from '../helpers/wait-for.js';

const codeIs = (code: string) => (e: unknown) => e instanceof RocketMQError && e.code === code;

describe('PushConsumer runtime subscriptions against a real RocketMQ 5.x proxy', () => {
  const shared = useSharedBroker({ before, after });
  let producer: Producer | undefined;

  async function producerFor(endpoint: string): Promise<Producer> {
    if (producer === undefined) {
      producer = new Producer({ endpoints: endpoint });
      await producer.start({ timeoutMs: 20_000 });
    }
    return producer;
  }

  after(() => producer?.shutdown());

  test('a topic subscribed at run time is consumed; an unknown topic is refused and changes nothing', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const first = uniqueName('psub-a');
    const second = uniqueName('psub-b');
    const group = uniqueName('psub-g');
    await Promise.all([
      broker.createTopic(first, 'NORMAL'),
      broker.createTopic(second, 'NORMAL'),
      broker.createConsumerGroup(group),
    ]);
    const p = await producerFor(broker.endpoint);
    const seen = new Map<string, string>();
    const consumer = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [first]: '*' },
      listener: (m) => {
        seen.set(m.messageId, m.topic);
      },
    });
    t.after(() => consumer.shutdown({ timeoutMs: 2_000 }));
    await consumer.start({ timeoutMs: 20_000 });
    await assert.rejects(
      consumer.subscribe(uniqueName('psub-none'), '*', { timeoutMs: 10_000 }),
      codeIs('TOPIC_NOT_FOUND'),
    );
    assert.deepEqual([...consumer.subscriptions.keys()], [first]);
    await consumer.subscribe(second, '*', { timeoutMs: 10_000 });
    assert.deepEqual([...consumer.subscriptions.keys()].sort(), [first, second].sort());
    assert.ok(consumer.stats().assignments >= 2, 'the new topic is assigned when subscribe resolves');
    const sent = new Map<string, string>();
    for (let i = 0; i < 20; i++) {
      const topic = i % 2 === 0 ? second : first;
      sent.set((await p.send({ topic, body: `s${i}` })).messageId, topic);
    }
    await waitUntil(() => seen.size >= sent.size, 20_000, 'every message of both topics consumed');
    assert.deepEqual(new Map([...seen].filter(([id]) => sent.has(id))), sent);
  });

  test('unsubscribe while 300 messages are cached: a second consumer of the group gets every one back, none lost, none handled after its ack', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('psub-u');
    const group = uniqueName('psub-ug');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);
    const p = await producerFor(broker.endpoint);
    const ids = new Set<string>();
    for (let i = 0; i < 300; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, j) => p.send({ topic, body: `u${i + j}` })),
      );
      for (const r of batch) ids.add(r.messageId);
    }
    /** Ledger: every listener call (who, id, when) and every ack (id, when it completed). */
    const handled: Array<{ by: 'a' | 'b'; id: string; at: number }> = [];
    const acked = new Map<string, number>();
    const ackHook: Interceptor = {
      after: (ctx, o) => {
        if (ctx.point !== 'ack' || o.status !== 'ok') return;
        for (const m of ctx.messages) if (!acked.has(m.messageId)) acked.set(m.messageId, performance.now());
      },
    };
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const a = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      concurrency: 1,
      maxCachedMessages: 1_000,
      invisibleDurationMs: 30_000,
      interceptors: [ackHook],
      listener: async (m) => {
        handled.push({ by: 'a', id: m.messageId, at: performance.now() });
        await gate; // slow: holds the only worker, so the rest stays cached
      },
    });
    t.after(() => a.shutdown({ timeoutMs: 2_000 }));
    await a.start({ timeoutMs: 20_000 });
    await waitUntil(() => a.stats().cachedMessages >= 300, 20_000, '300 messages cached');
    const cached = a.stats().cachedMessages;
    assert.equal(await a.unsubscribe(topic), true);
    assert.deepEqual([...a.subscriptions.keys()], []);
    assert.equal(a.stats().assignments, 0);
    const released = a.stats().released;
    t.diagnostic(`cached ${cached}, handed back ${released}`);
    assert.ok(released >= cached - 1, `every unstarted message handed back: ${released} of ${cached - 1}`);
    open();
    await waitUntil(() => a.stats().acked === 1, 10_000, "the running call's ack");
    const b = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      interceptors: [ackHook],
      listener: (m) => {
        handled.push({ by: 'b', id: m.messageId, at: performance.now() });
      },
    });
    t.after(() => b.shutdown({ timeoutMs: 2_000 }));
    await b.start({ timeoutMs: 20_000 });
    await waitUntil(() => [...ids].every((id) => acked.has(id)), 30_000, 'every sent message acked');
    assert.equal(handled.filter((h) => h.by === 'a').length, 1, 'the unsubscribed consumer handled only one');
    assert.deepEqual(new Set(handled.map((h) => h.id)), ids, 'every sent id handled');
    const late = handled.filter((h) => {
      const at = acked.get(h.id);
      return at !== undefined && h.at > at;
    });
    assert.deepEqual(late, [], 'nothing handled after its ack');
    assert.equal(a.stats().settleFailures + b.stats().settleFailures, 0);
  });

  test('bad input is typed and changes nothing', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('psub-x');
    const group = uniqueName('psub-xg');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);
    const c = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: 'a' },
      listener: () => undefined,
    });
    t.after(() => c.shutdown({ timeoutMs: 2_000 }));
    await c.start({ timeoutMs: 20_000 });
    await assert.rejects(c.subscribe('bad topic!', '*'), codeIs('ILLEGAL_TOPIC'));
    await assert.rejects(c.subscribe(topic, 'a||'), codeIs('ILLEGAL_FILTER_EXPRESSION'));
    await assert.rejects(c.subscribe(topic, 7 as unknown as string), codeIs('INVALID_ARGUMENT'));
    await assert.rejects(c.unsubscribe('bad topic!'), codeIs('ILLEGAL_TOPIC'));
    assert.equal(await c.unsubscribe(uniqueName('psub-not')), false);
    assert.equal(c.subscriptions.get(topic)?.expression, 'a');
    await c.shutdown({ timeoutMs: 2_000 });
    await assert.rejects(c.subscribe(topic, '*'), codeIs('CLOSED'));
  });
});
