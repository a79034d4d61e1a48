/**
 * SimpleConsumer on a REAL RocketMQ 5.x proxy: receive/ack/changeInvisibleDuration round trips, exact
 * tag (and, when the broker allows it, SQL92) filtering, and "acked is not redelivered while an
 * un-acked control is" (the proxy's minimum invisible duration is 10 s). Messages are produced with the
 * raw wire helpers (the Producer is developed separately).
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../src/errors.js';
import { FilterExpression } from '../../src/model/filter-expression.js';
import type { MessageView } from '../../src/model/message-view.js';
import type { BrokerHandle } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';
import { skipOrFailInCi } from '../helpers/ci.js';
import { RawClient } from '../helpers/raw-client.js';
import { handshake, type RawSend, sendOne } from '../helpers/raw-flow.js';

/** The proxy clamps long polling to ≥ 5 s; shorter keeps empty polls cheap. */
const AWAIT_MS = 5_000;
const INVISIBLE_MS = 10_000;

describe('SimpleConsumer against a real RocketMQ 5.x proxy', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';
  const producers: RawClient[] = [];

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') {
      skipReason = `no RocketMQ broker available: ${b}`;
      return;
    }
    broker = b;
  });

  after(async () => {
    for (const p of producers) p.close();
    await releaseSharedBroker();
  });

  /** A fresh topic and group, a started consumer with `filter`, and a producer for the topic. */
  async function setup(t: TestContext, prefix: string, filter: FilterExpression | string = '*') {
    const b = broker!;
    const topic = uniqueName(prefix);
    const group = uniqueName(`${prefix}-g`);
    await b.createTopic(topic, 'NORMAL');
    await b.createConsumerGroup(group);
    const producer = new RawClient(b.endpoint);
    producers.push(producer);
    const session = await handshake(producer, { kind: 'producer', topics: [topic] });
    t.after(() => session.telemetry.close());
    const consumer = new SimpleConsumer({
      endpoints: b.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: filter },
      awaitDurationMs: AWAIT_MS,
    });
    t.after(() => consumer.shutdown());
    await consumer.start();
    const send = (m: Omit<RawSend, 'topic' | 'body'> & { body?: string }) =>
      sendOne(producer, { ...m, topic, body: Buffer.from(m.body ?? 'x') });
    return { topic, group, consumer, send };
  }

  /** Receives until `want` ids were seen or `polls` receives are done; returns every view by id. */
  async function receiveUntil(
    consumer: SimpleConsumer,
    want: readonly string[],
    polls: number,
  ): Promise<Map<string, MessageView>> {
    const seen = new Map<string, MessageView>();
    for (let i = 0; i < polls && !want.every((id) => seen.has(id)); i++) {
      for (const m of await consumer.receive(32, INVISIBLE_MS)) seen.set(m.messageId, m);
    }
    return seen;
  }

  test('receive → ack and receive → changeInvisibleDuration → ack with the new handle', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'sc-rt');
    const a = await s.send({ body: 'first', tag: 'TagA', keys: ['k1'], properties: { color: 'blue' } });
    const b = await s.send({ body: 'second' });
    const seen = await receiveUntil(s.consumer, [a, b], 6);
    const va = seen.get(a);
    const vb = seen.get(b);
    assert.ok(va && vb, 'both messages received');
    assert.equal(va.topic, s.topic);
    assert.equal(va.body.toString(), 'first');
    assert.equal(va.tag, 'TagA');
    assert.deepEqual([...va.keys], ['k1']);
    assert.equal(va.properties.color, 'blue');
    assert.equal(va.deliveryAttempt, 1);
    assert.ok(va.receiptHandle);
    assert.ok(va.bornTimestamp.getTime() > 0);
    await s.consumer.ack(va);

    const renewed = await s.consumer.changeInvisibleDuration(vb, 30_000);
    assert.notEqual(renewed.receiptHandle, vb.receiptHandle, 'a new receipt handle');
    await s.consumer.ack(renewed);
  });

  test('acked messages are not redelivered while an un-acked control is (attempt 2)', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'sc-redeliver');
    const acked = await s.send({ body: 'acked' });
    const control = await s.send({ body: 'control' });
    const first = await receiveUntil(s.consumer, [acked, control], 6);
    assert.ok(first.get(acked) && first.get(control), 'both received');
    await s.consumer.ack(first.get(acked)!);

    let back: MessageView | undefined;
    for (let i = 0; i < 10 && back === undefined; i++) {
      for (const m of await s.consumer.receive(32, INVISIBLE_MS)) {
        assert.notEqual(m.messageId, acked, 'an acked message must not come back');
        if (m.messageId === control) back = m;
      }
    }
    assert.ok(back, 'the un-acked control came back after its invisible duration');
    assert.equal(back.deliveryAttempt, 2);
    await s.consumer.ack(back);
  });

  test('ackAll settles a whole batch: none of it comes back, the un-acked control does', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'sc-ackall');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await s.send({ body: `batch-${i}` }));
    const control = await s.send({ body: 'control' });
    const first = await receiveUntil(s.consumer, [...ids, control], 10);
    assert.ok(
      [...ids, control].every((id) => first.has(id)),
      'everything received',
    );
    const batch = ids.map((id) => first.get(id)!);
    const results = await s.consumer.ackAll(batch);
    assert.deepEqual(
      results.map((r) => [r.message.messageId, r.error?.code]),
      ids.map((id) => [id, undefined]),
    );

    let back: MessageView | undefined;
    for (let i = 0; i < 10 && back === undefined; i++) {
      for (const m of await s.consumer.receive(32, INVISIBLE_MS)) {
        assert.ok(!ids.includes(m.messageId), `acked ${m.messageId} must not come back`);
        if (m.messageId === control) back = m;
      }
    }
    assert.ok(back, 'the un-acked control came back after its invisible duration');
    assert.deepEqual(await s.consumer.ackAll([back]), [{ message: back }]);
  });

  test('tag filter a||b selects exactly the a and b messages', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'sc-tag', FilterExpression.tag('a||b'));
    const want = [await s.send({ tag: 'a' }), await s.send({ tag: 'b' })];
    const others = [await s.send({ tag: 'c' }), await s.send({}), await s.send({ tag: 'ab' })];
    const seen = await receiveUntil(s.consumer, want, 6);
    // One more poll: nothing else may show up.
    for (const m of await s.consumer.receive(32, INVISIBLE_MS)) seen.set(m.messageId, m);
    assert.deepEqual([...seen.keys()].sort(), [...want].sort());
    for (const id of others) assert.ok(!seen.has(id));
    for (const m of seen.values()) await s.consumer.ack(m);
  });

  test('SQL92 filter selects exactly the matching messages (needs enablePropertyFilter=true)', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'sc-sql', FilterExpression.sql("region = 'eu' AND amount > 5"));
    const want = await s.send({ properties: { region: 'eu', amount: '10' } });
    const others = [
      await s.send({ properties: { region: 'eu', amount: '3' } }),
      await s.send({ properties: { region: 'us', amount: '10' } }),
      await s.send({}),
    ];
    let seen: Map<string, MessageView>;
    try {
      seen = await receiveUntil(s.consumer, [want], 6);
      for (const m of await s.consumer.receive(32, INVISIBLE_MS)) seen.set(m.messageId, m);
    } catch (e) {
      if (e instanceof RocketMQError && !e.retriable) {
        // Visible, not silent: the shared test broker runs without SQL filtering.
        return skipOrFailInCi(
          t,
          `the broker refused the SQL92 filter (${e.code}: ${e.message}); set enablePropertyFilter=true`,
        );
      }
      throw e;
    }
    assert.deepEqual([...seen.keys()], [want]);
    for (const id of others) assert.ok(!seen.has(id));
    await s.consumer.ack(seen.get(want)!);
  });
});
