/**
 * LiteSimpleConsumer on the in-process broker (the broker on fake time). The 5.5.0 proxy does not serve
 * LITE_SIMPLE_CONSUMER (test/integration/lite.test.ts asserts its refusal), so this is where the lite
 * simple consumer is proven: only subscribed lite topics are received, each message with its lite
 * topic; ack and change-invisible carry it; a suspend comes back after its time with the same attempt
 * while a plain change-invisible counts one; the iterator; bad input; the server's unsubscribe notice;
 * shutdown leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import {
  LiteSimpleConsumer,
  type LiteSimpleConsumerOptions,
} from '../../../src/consumer/lite-simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { message, uniqueName } from '../../helpers/in-process-client.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { type Fixture, startBroker, until } from '../in-process-broker/fixture.js';

const code = (c: string) => (e: unknown) => e instanceof RocketMQError && e.code === c;

interface Setup {
  fx: Fixture;
  topic: string;
  group: string;
  consumer: LiteSimpleConsumer;
  send(liteTopic: string, body: string): Promise<void>;
}

async function setup(t: TestContext, opts: Partial<LiteSimpleConsumerOptions> = {}): Promise<Setup> {
  const fx = await startBroker(t, { fakeTime: true });
  const topic = uniqueName('lsc');
  const group = uniqueName('lsc-g');
  fx.broker.createTopic(topic, { type: 'LITE', queues: 2 });
  fx.broker.createConsumerGroup(group, { liteBindTopic: topic });
  const consumer = new LiteSimpleConsumer({
    endpoints: fx.broker.endpoint,
    consumerGroup: group,
    topic,
    awaitDurationMs: 1_000,
    ...opts,
  });
  t.after(() => consumer.shutdown());
  await consumer.start();
  const producer = fx.client();
  return {
    fx,
    topic,
    group,
    consumer,
    send: async (liteTopic, body) => {
      const res = await producer.send(message({ topic, liteTopic, body }));
      assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
    },
  };
}

describe('LiteSimpleConsumer (in-process broker)', () => {
  test('receives only the subscribed lite topics, each message with its lite topic; ack carries it', async (t) => {
    const s = await setup(t);
    assert.equal(s.fx.broker.clientSettings(s.consumer.clientId)?.clientType, 'LITE_SIMPLE_CONSUMER');
    await s.consumer.subscribeLite('a');
    await s.consumer.subscribeLite('b', { offset: 'min' });
    await s.send('a', 'a1');
    await s.send('b', 'b1');
    await s.send('x', 'x1');
    const got = await s.consumer.receive(32, 30_000);
    assert.deepEqual(got.map((m) => `${m.liteTopic}:${m.body.toString()}`).sort(), ['a:a1', 'b:b1']);
    assert.ok(got.every((m) => m.topic === s.topic));
    for (const m of got) await s.consumer.ack(m);
    assert.equal(s.fx.broker.stats().acked, 2);
    await s.consumer.unsubscribeLite('a');
    await s.consumer.subscribeLite('x', { offset: 'min' });
    await s.send('a', 'a2');
    const next = await s.consumer.receive(32, 30_000);
    assert.deepEqual(
      next.map((m) => `${m.liteTopic}:${m.body.toString()}`),
      ['x:x1'],
      'the unsubscribed lite topic is not received',
    );
    const [r] = await s.consumer.ackAll(next);
    assert.equal(r?.error, undefined);
  });

  test('changeInvisibleDuration: a suspend comes back after its time with the same attempt; a plain one counts', async (t) => {
    const s = await setup(t);
    const time = s.fx.time!;
    await s.consumer.subscribeLite('s');
    await s.send('s', 'first');
    const [m1] = await s.consumer.receive(1, 30_000);
    assert.equal(m1?.deliveryAttempt, 1);
    await s.consumer.changeInvisibleDuration(m1!, 2_000, { suspend: true });
    time.advance(1_000);
    await s.send('s', 'later');
    const mid = await s.consumer.receive(32, 30_000);
    assert.deepEqual(
      mid.map((m) => m.body.toString()),
      ['later'],
      'the suspended message stays away until its time',
    );
    await s.consumer.ack(mid[0]!);
    time.advance(1_000);
    const [back] = await s.consumer.receive(1, 30_000);
    assert.equal(back?.body.toString(), 'first');
    assert.equal(back?.deliveryAttempt, 1, 'a suspend is not a delivery attempt');
    await s.consumer.changeInvisibleDuration(back!, 1_000);
    time.advance(1_000);
    const [again] = await s.consumer.receive(1, 30_000);
    assert.equal(again?.deliveryAttempt, 2, 'a plain change of invisibility counts');
    await s.consumer.ack(again!);
  });

  test('bad input is refused with typed codes, nothing sent', async (t) => {
    const s = await setup(t);
    await s.consumer.subscribeLite('s');
    await s.send('s', 'm');
    const [m] = await s.consumer.receive(1, 30_000);
    const calls = () => s.fx.broker.stats().calls.ChangeInvisibleDuration ?? 0;
    const before = calls();
    await assert.rejects(
      s.consumer.changeInvisibleDuration(m!, 0, { suspend: true }),
      code('ILLEGAL_INVISIBLE_TIME'),
    );
    await assert.rejects(
      s.consumer.changeInvisibleDuration(m!, 1_000, { suspend: 'yes' as unknown as boolean }),
      code('INVALID_ARGUMENT'),
    );
    assert.equal(calls(), before, 'nothing sent');
    await assert.rejects(s.consumer.subscribeLite('bad name'), code('ILLEGAL_LITE_TOPIC'));
    await assert.rejects(s.consumer.subscribeLite('s2', { offset: { tailN: 0 } }), code('ILLEGAL_OFFSET'));
    assert.throws(
      () =>
        new LiteSimpleConsumer({
          endpoints: s.fx.broker.endpoint,
          consumerGroup: s.group,
          topic: s.topic,
          subscriptions: { [s.topic]: '*' },
        } as LiteSimpleConsumerOptions),
      code('INVALID_ARGUMENT'),
    );
    const idle = new LiteSimpleConsumer({
      endpoints: s.fx.broker.endpoint,
      consumerGroup: s.group,
      topic: s.topic,
    });
    await assert.rejects(idle.subscribeLite('s'), code('INVALID_STATE'));
    await idle.shutdown();
  });

  test('a regular group is refused at start (BAD_REQUEST)', async (t) => {
    const s = await setup(t);
    const normal = uniqueName('regular');
    s.fx.broker.createConsumerGroup(normal);
    const c = new LiteSimpleConsumer({
      endpoints: s.fx.broker.endpoint,
      consumerGroup: normal,
      topic: s.topic,
    });
    t.after(() => c.shutdown());
    await assert.rejects(c.start(), code('BAD_REQUEST'));
  });

  test('messages() yields the lite messages; the unsubscribe notice reaches onLiteUnsubscribed', async (t) => {
    const dropped: string[] = [];
    const s = await setup(t, { onLiteUnsubscribed: (l) => dropped.push(l) });
    await s.consumer.subscribeLite('it');
    for (const i of [1, 2, 3]) await s.send('it', `m${i}`);
    const seen: string[] = [];
    const ac = new AbortController();
    for await (const m of s.consumer.messages({ signal: ac.signal, maxMessages: 2 })) {
      seen.push(m.body.toString());
      await s.consumer.ack(m);
      if (seen.length === 3) ac.abort();
    }
    assert.deepEqual(seen.sort(), ['m1', 'm2', 'm3']);
    assert.deepEqual(s.fx.broker.unsubscribeLite(s.group, 'it'), [s.consumer.clientId]);
    await until(() => dropped.length === 1, 10_000, 'the notice');
    assert.deepEqual(dropped, ['it']);
    assert.equal(s.consumer.liteTopics.size, 0);
  });

  test('shutdown leaves no timer, channel or stream behind', async (t) => {
    const s = await setup(t);
    const baseline = resources();
    const c = new LiteSimpleConsumer({
      endpoints: s.fx.broker.endpoint,
      consumerGroup: s.group,
      topic: s.topic,
      liteResyncIntervalMs: 1_000,
    });
    await c.start();
    await c.subscribeLite('r');
    await c.shutdown();
    assert.equal(c.state, 'stopped');
    await assertNoExtraResources(baseline);
  });
});
