/**
 * LitePushConsumer on the in-process broker's lite topics (fake time): only subscribed lite topics are
 * delivered, each message carrying its lite topic; unsubscribing stops delivery; the offsets MAX, MIN
 * and LAST; a suspend brings the message back after the asked time without counting an attempt; the
 * quota from the group reaches the client and the server refuses beyond it; the server's refusals and
 * its unsubscribe notice. The same behaviours on a real 5.5.0 broker: test/integration/lite.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { LitePushConsumer, type LitePushConsumerOptions } from '../../../src/consumer/lite-push-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import type { MessageView } from '../../../src/model/message-view.js';
import type { ConsumerGroupOptions } from '../../../src/testing/index.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { message, uniqueName } from '../../helpers/in-process-client.js';
import { type Fixture, startBroker } from '../in-process-broker/fixture.js';

const code = (c: string) => (e: unknown) => e instanceof RocketMQError && e.code === c;

interface LiteSetup {
  fx: Fixture;
  topic: string;
  group: string;
  send(liteTopic: string, body: string): Promise<void>;
  consumer(
    opts: Omit<LitePushConsumerOptions, 'endpoints' | 'topic' | 'consumerGroup'>,
  ): Promise<LitePushConsumer>;
}

async function liteSetup(
  t: TestContext,
  group: Omit<ConsumerGroupOptions, 'liteBindTopic'> = {},
): Promise<LiteSetup> {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('lite');
  const groupName = uniqueName('lite-g');
  fx.broker.createTopic(topic, { type: 'LITE', queues: 2 });
  fx.broker.createConsumerGroup(groupName, { liteBindTopic: topic, ...group });
  const producer = fx.client();
  return {
    fx,
    topic,
    group: groupName,
    send: async (liteTopic, body) => {
      const res = await producer.send(message({ topic, liteTopic, body }));
      assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
    },
    consumer: async (opts) => {
      const c = new LitePushConsumer({
        endpoints: fx.broker.endpoint,
        topic,
        consumerGroup: groupName,
        clock: time,
        timers: time,
        ...opts,
      });
      t.after(() => c.shutdown({ timeoutMs: 0 }));
      await c.start();
      return c;
    },
  };
}

describe('LitePushConsumer (in-process broker)', () => {
  test('only subscribed lite topics are delivered, with their lite topic; unsubscribe stops delivery', async (t) => {
    const s = await liteSetup(t);
    const time = s.fx.time!;
    const got: Array<{ lite: string | undefined; body: string; topic: string }> = [];
    const c = await s.consumer({
      listener: (m: MessageView) => {
        got.push({ lite: m.liteTopic, body: m.body.toString(), topic: m.topic });
      },
    });
    await c.subscribeLite('a');
    await c.subscribeLite('b');
    await s.send('a', 'a1');
    await s.send('b', 'b1');
    await s.send('other', 'x1');
    await drive(time, () => got.length >= 2, 'a1 and b1');
    await settleIo(20);
    assert.deepEqual(
      got.map((g) => `${g.lite}:${g.body}`).sort(),
      ['a:a1', 'b:b1'],
      'the unsubscribed lite topic is not delivered',
    );
    assert.ok(
      got.every((g) => g.topic === s.topic),
      'messages name the parent topic',
    );
    await drive(time, () => s.fx.broker.stats().acked === 2, 'both acked (acks carry the lite topic)');
    await c.unsubscribeLite('a');
    assert.deepEqual([...c.liteTopics], ['b']);
    await s.send('a', 'a2');
    await s.send('b', 'b2');
    await drive(time, () => got.some((g) => g.body === 'b2'), 'b2');
    await settleIo(20);
    assert.equal(
      got.some((g) => g.body === 'a2'),
      false,
      'nothing from a lite topic after unsubscribing',
    );
    // The unsent lite topic's backlog is there for whoever subscribes to it.
    await c.subscribeLite('other', { offset: 'min' });
    await drive(time, () => got.some((g) => g.body === 'x1'), 'x1 after subscribing to its lite topic');
  });

  test('offsets: MAX skips the backlog, MIN and LAST (no position yet) replay it, LAST resumes after a pause', async (t) => {
    const s = await liteSetup(t);
    const time = s.fx.time!;
    for (const lite of ['mx', 'mn', 'ls']) {
      for (let i = 0; i < 3; i++) await s.send(lite, `old-${i}`);
    }
    const got = new Map<string, string[]>([
      ['mx', []],
      ['mn', []],
      ['ls', []],
    ]);
    const c = await s.consumer({ listener: (m) => void got.get(m.liteTopic ?? '')?.push(m.body.toString()) });
    await c.subscribeLite('mx', { offset: 'max' });
    await c.subscribeLite('mn', { offset: 'min' });
    await c.subscribeLite('ls', { offset: 'last' });
    for (const lite of ['mx', 'mn', 'ls']) await s.send(lite, 'new');
    await drive(time, () => [...got.values()].every((v) => v.includes('new')), 'the new message everywhere');
    await drive(time, () => got.get('mn')!.length === 4 && got.get('ls')!.length === 4, 'the backlogs');
    await settleIo(20);
    const all = ['new', 'old-0', 'old-1', 'old-2'];
    assert.deepEqual(got.get('mx'), ['new'], 'MAX: the backlog is skipped');
    assert.deepEqual([...got.get('mn')!].sort(), all, 'MIN: the backlog is replayed');
    assert.deepEqual([...got.get('ls')!].sort(), all, 'LAST without a position: from the start');
    await drive(time, () => s.fx.broker.stats().acked === 9, 'all acked');
    await c.unsubscribeLite('ls');
    await s.send('ls', 'while-away');
    got.set('ls', []);
    await c.subscribeLite('ls', { offset: 'last' });
    await s.send('ls', 'back');
    await drive(time, () => got.get('ls')!.length >= 2, 'the messages after resubscribing');
    assert.deepEqual(got.get('ls'), ['while-away', 'back'], 'LAST: resumed where the group left off');
  });

  test('tailN and timestamp offsets start where they say', async (t) => {
    const s = await liteSetup(t);
    const time = s.fx.time!;
    for (let i = 0; i < 4; i++) await s.send('tail', `t${i}`);
    for (let i = 0; i < 2; i++) await s.send('ts', `early-${i}`);
    time.advance(1000);
    const cut = time.now();
    await s.send('ts', 'late');
    const got: string[] = [];
    const c = await s.consumer({ listener: (m) => void got.push(`${m.liteTopic}:${m.body.toString()}`) });
    await c.subscribeLite('tail', { offset: { tailN: 2 } });
    await c.subscribeLite('ts', { offset: { timestamp: cut } });
    await drive(time, () => got.length >= 3, 'three messages');
    await settleIo(20);
    assert.deepEqual(got.sort(), ['tail:t2', 'tail:t3', 'ts:late']);
  });

  test('suspend (FIFO lite group): back after the asked time, not before, and the attempt is not counted', async (t) => {
    const s = await liteSetup(t, { fifo: true });
    const time = s.fx.time!;
    const SUSPEND_MS = 3_000;
    const seen: Array<{ at: number; attempt: number; body: string }> = [];
    const c = await s.consumer({
      listener: (m) => {
        seen.push({ at: time.now(), attempt: m.deliveryAttempt, body: m.body.toString() });
        return seen.length === 1 ? { suspendMs: SUSPEND_MS } : 'success';
      },
    });
    await c.subscribeLite('susp');
    await s.send('susp', 'first');
    await s.send('susp', 'second');
    await drive(time, () => seen.length >= 2, 'the suspended message back', { stepMs: 50 });
    const [first, back] = seen as [(typeof seen)[0], (typeof seen)[0]];
    assert.equal(back.body, 'first', 'FIFO: the rest of the lite topic waited behind the suspended message');
    assert.ok(
      back.at - first.at >= SUSPEND_MS,
      `not back before the suspend ended (${back.at - first.at} ms)`,
    );
    assert.equal(back.attempt, first.attempt, 'the suspend did not count as an attempt');
    await drive(time, () => seen.some((x) => x.body === 'second'), 'the next message after it');
    assert.equal(c.stats().nacked, 1);
  });

  test('quota: the group quota reaches the client; the client refuses before sending, the server beyond it', async (t) => {
    const s = await liteSetup(t, { liteClientQuota: 3 });
    const c = await s.consumer({ listener: () => undefined });
    assert.equal(c.liteSubscriptionQuota, 3);
    for (const i of [1, 2, 3]) await c.subscribeLite(`q${i}`);
    const calls = s.fx.broker.stats().calls.SyncLiteSubscription ?? 0;
    await assert.rejects(c.subscribeLite('q4'), code('LITE_SUBSCRIPTION_QUOTA_EXCEEDED'));
    assert.equal(s.fx.broker.stats().calls.SyncLiteSubscription ?? 0, calls, 'nothing sent');
    await c.unsubscribeLite('q1');
    await c.subscribeLite('q4');
    assert.deepEqual([...c.liteTopics].sort(), ['q2', 'q3', 'q4']);
    // The server's own check: the group's quota lowered while the client still has the old one.
    s.fx.broker.createConsumerGroup(s.group, { liteBindTopic: s.topic, liteClientQuota: 2 });
    await c.unsubscribeLite('q2');
    await assert.rejects(c.subscribeLite('q5'), code('LITE_SUBSCRIPTION_QUOTA_EXCEEDED'));
    assert.deepEqual([...c.liteTopics].sort(), ['q3', 'q4']);
  });

  test('server refusals: a normal group at start, a lite group bound to another topic, a bad lite topic', async (t) => {
    const s = await liteSetup(t);
    const normal = uniqueName('normal-g');
    s.fx.broker.createConsumerGroup(normal);
    const bad = new LitePushConsumer({
      endpoints: s.fx.broker.endpoint,
      topic: s.topic,
      consumerGroup: normal,
      listener: () => undefined,
      clock: s.fx.time!,
      timers: s.fx.time!,
    });
    t.after(() => bad.shutdown({ timeoutMs: 0 }));
    await assert.rejects(bad.start(), code('BAD_REQUEST'));

    const otherTopic = uniqueName('lite-other');
    s.fx.broker.createTopic(otherTopic, { type: 'LITE', queues: 1 });
    const c = new LitePushConsumer({
      endpoints: s.fx.broker.endpoint,
      topic: otherTopic,
      consumerGroup: s.group,
      listener: () => undefined,
      clock: s.fx.time!,
      timers: s.fx.time!,
    });
    t.after(() => c.shutdown({ timeoutMs: 0 }));
    await c.start();
    await assert.rejects(c.subscribeLite('x'), code('ILLEGAL_TOPIC'));
    assert.equal(c.liteTopics.size, 0);
    // A lite topic the client cannot judge (an empty name is caught before sending).
    await assert.rejects(c.subscribeLite(''), code('ILLEGAL_LITE_TOPIC'));
  });

  test('the server unsubscribe notice reaches onLiteUnsubscribed and delivery of that lite topic stops', async (t) => {
    const s = await liteSetup(t);
    const time = s.fx.time!;
    const dropped: string[] = [];
    const got: string[] = [];
    const c = await s.consumer({
      listener: (m) => void got.push(m.body.toString()),
      onLiteUnsubscribed: (liteTopic) => dropped.push(liteTopic),
    });
    assert.equal(s.fx.broker.clientSettings(c.clientId)?.clientType, 'LITE_PUSH_CONSUMER');
    await c.subscribeLite('chat-7');
    await c.subscribeLite('chat-8');
    assert.deepEqual(s.fx.broker.unsubscribeLite(s.group, 'chat-7'), [c.clientId]);
    await drive(time, () => dropped.length === 1, 'the notice');
    assert.deepEqual(dropped, ['chat-7']);
    assert.deepEqual([...c.liteTopics], ['chat-8']);
    await s.send('chat-7', 'gone');
    await s.send('chat-8', 'kept');
    await drive(time, () => got.includes('kept'), 'the still subscribed lite topic');
    await settleIo(20);
    assert.deepEqual(got, ['kept']);
  });
});
