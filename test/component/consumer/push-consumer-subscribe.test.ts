/**
 * PushConsumer runtime subscriptions against the in-process broker on fake time (broker and consumer
 * share one ManualTime): subscribe fetches a new topic at once and tells the server; unsubscribe hands
 * every cached message of the topic back to the group (a second consumer gets each one, none lost),
 * lets the listener call in progress finish and ack, and stops receiving; a filter replaced restarts
 * the topic under the new filter; bad input is typed and sends nothing.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import type { MessageListener, PushConsumerOptions } from '../../../src/consumer/push-consumer-options.js';
import { RocketMQError } from '../../../src/errors.js';
import { FilterExpression } from '../../../src/model/filter-expression.js';
import type { ManualTime } from '../../../src/testing/index.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { type MessageSpec, message, uniqueName } from '../../helpers/in-process-client.js';
import { type Fixture, startBroker } from '../in-process-broker/fixture.js';

interface Setup {
  fx: Fixture;
  time: ManualTime;
  topic: string;
  group: string;
  consumer: PushConsumer;
  /** Another consumer of the same group (not started). */
  consumerOf(listener: MessageListener, subscriptions?: Record<string, string>): PushConsumer;
  send(topic: string, specs: Array<Omit<MessageSpec, 'topic'>>): Promise<void>;
}

async function setup(
  t: TestContext,
  listener: MessageListener,
  options: {
    fifo?: boolean;
    queues?: number;
    subscriptions?: (topic: string) => Record<string, string>;
    consumer?: Partial<PushConsumerOptions>;
  } = {},
): Promise<Setup> {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('psub');
  const group = uniqueName('psub-group');
  fx.broker.createTopic(topic, { type: options.fifo ? 'FIFO' : 'NORMAL', queues: options.queues ?? 2 });
  fx.broker.createConsumerGroup(group, { fifo: options.fifo ?? false });
  const consumerOf = (l: MessageListener, subscriptions?: Record<string, string>): PushConsumer => {
    const c = new PushConsumer({
      endpoints: fx.broker.endpoint,
      consumerGroup: group,
      subscriptions: subscriptions ?? options.subscriptions?.(topic) ?? { [topic]: '*' },
      listener: l,
      clock: time,
      timers: time,
      ...options.consumer,
    });
    t.after(() => c.shutdown({ timeoutMs: 0 }));
    return c;
  };
  const producer = fx.client();
  return {
    fx,
    time,
    topic,
    group,
    consumer: consumerOf(listener),
    consumerOf,
    send: async (to, specs) => {
      for (let i = 0; i < specs.length; i += 100) {
        const res = await producer.send(...specs.slice(i, i + 100).map((s) => message({ topic: to, ...s })));
        assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
      }
    },
  };
}

/** Advances fake time by `ms` in steps, letting I/O run between them. */
async function advance(time: ManualTime, ms: number, stepMs = 250): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    time.advance(stepMs);
    await settleIo(3);
  }
}

/** Drives fake time until `p` settles; returns its value. */
async function settle<T>(time: ManualTime, p: Promise<T>, what: string): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  await drive(time, () => done, what, { stepMs: 50 });
  return watched;
}

/** A listener gate: calls wait while it is closed. */
function hold(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open };
}

function topicsOf(fx: Fixture, clientId: string): string[] {
  return (fx.broker.clientSettings(clientId)?.subscriptions ?? []).map((s) => s.topic).sort();
}

const codeIs = (code: string) => (e: unknown) => e instanceof RocketMQError && e.code === code;

describe('PushConsumer: runtime subscriptions', () => {
  test('subscribe a second topic at run time: settings sent again, queues assigned before it resolves, its messages consumed', async (t) => {
    const seen: string[] = [];
    const s = await setup(t, (m) => {
      seen.push(`${m.topic}:${m.body.toString()}`);
    });
    await s.consumer.start();
    const other = uniqueName('psub-other');
    s.fx.broker.createTopic(other, { queues: 3 });
    await s.send(
      other,
      Array.from({ length: 20 }, (_, i) => ({ body: `o${i}` })),
    );
    // Pop-mode assignments are one per broker of each topic.
    assert.equal(s.consumer.stats().assignments, 1);
    await s.consumer.subscribe(other, '*');
    assert.equal(s.consumer.stats().assignments, 2, 'the new topic is assigned without waiting for a scan');
    assert.deepEqual([...s.consumer.subscriptions.keys()].sort(), [s.topic, other].sort());
    await drive(s.time, () => topicsOf(s.fx, s.consumer.clientId).length === 2, 'settings sent again');
    assert.deepEqual(topicsOf(s.fx, s.consumer.clientId), [s.topic, other].sort());
    await drive(s.time, () => s.consumer.stats().acked === 20, '20 acks', { stepMs: 5 });
    assert.deepEqual(seen.sort(), Array.from({ length: 20 }, (_, i) => `${other}:o${i}`).sort());
    // The same filter again changes nothing.
    await s.consumer.subscribe(other, '*');
    assert.equal(s.consumer.stats().released, 0);
  });

  test('subscribe to an unknown topic fails and leaves the subscriptions (and the server) unchanged', async (t) => {
    const s = await setup(t, () => undefined);
    await s.consumer.start();
    await drive(s.time, () => topicsOf(s.fx, s.consumer.clientId).length === 1, 'settings');
    await assert.rejects(s.consumer.subscribe('no-such-topic-psub', '*'), codeIs('TOPIC_NOT_FOUND'));
    assert.deepEqual([...s.consumer.subscriptions.keys()], [s.topic]);
    await advance(s.time, 1_000);
    assert.deepEqual(topicsOf(s.fx, s.consumer.clientId), [s.topic]);
  });

  test('unsubscribe with 300 cached: every unstarted one handed back, the running call acks, no more receives, a second consumer gets the rest exactly once', async (t) => {
    const gate = hold();
    const handledByA: string[] = [];
    const other = uniqueName('psub-keep');
    const s = await setup(
      t,
      async (m) => {
        handledByA.push(m.messageId);
        await gate.wait();
      },
      {
        subscriptions: (topic) => ({ [topic]: '*', [other]: '*' }),
        consumer: { concurrency: 1, maxCachedMessages: 1_000 },
      },
    );
    s.fx.broker.createTopic(other, { queues: 1 });
    await s.send(
      s.topic,
      Array.from({ length: 300 }, (_, i) => ({ body: `m${i}` })),
    );
    await s.consumer.start();
    await drive(s.time, () => s.consumer.stats().received === 300, '300 received', { stepMs: 5 });
    assert.equal(handledByA.length, 1, 'one listener call holds the only worker');
    const receivesBefore = s.fx.broker.stats().calls.ReceiveMessage;
    assert.equal(await settle(s.time, s.consumer.unsubscribe(s.topic), 'unsubscribe'), true);
    assert.deepEqual([...s.consumer.subscriptions.keys()], [other]);
    // A long poll still open when the cache was handed back may take one of those messages again; it
    // hands that one back once more.
    assert.ok(
      s.consumer.stats().released >= 299,
      `every message not given to the listener handed back: ${s.consumer.stats().released}`,
    );
    assert.equal(s.consumer.stats().assignments, 1, "the topic's assignment dropped");
    await drive(s.time, () => topicsOf(s.fx, s.consumer.clientId).length === 1, 'settings sent again');
    assert.deepEqual(topicsOf(s.fx, s.consumer.clientId), [other]);
    gate.open();
    await drive(s.time, () => s.consumer.stats().acked === 1, 'the running call acks');
    assert.equal(s.fx.broker.stats().inflight, 0, 'nothing left invisible');
    // Only the kept topic's queue receives from now on (one long poll per 5 s at most).
    const receivesAfter = s.fx.broker.stats().calls.ReceiveMessage;
    await advance(s.time, 20_000, 500);
    assert.ok(
      s.fx.broker.stats().calls.ReceiveMessage - receivesAfter <= 5,
      `receives after unsubscribe: ${s.fx.broker.stats().calls.ReceiveMessage - receivesAfter} (before: ${receivesBefore})`,
    );
    assert.equal(handledByA.length, 1, 'no listener call for the dropped topic');
    const handledByB: string[] = [];
    const b = s.consumerOf((m) => {
      handledByB.push(m.messageId);
    });
    await b.start();
    await drive(s.time, () => b.stats().acked === 299, '299 acks by the second consumer', { stepMs: 5 });
    assert.equal(new Set(handledByB).size, 299, 'each handed-back message once');
    assert.ok(!handledByB.includes(handledByA[0]!), 'the acked message never comes back');
    assert.equal(s.fx.broker.stats().acked, 300);
  });

  test('unsubscribing a paused topic ends its pause and hands its cache back', async (t) => {
    const gate = hold();
    let calls = 0;
    const s = await setup(
      t,
      async () => {
        calls++;
        await gate.wait();
      },
      { consumer: { concurrency: 1 } },
    );
    await s.send(
      s.topic,
      Array.from({ length: 40 }, (_, i) => ({ body: `p${i}` })),
    );
    await s.consumer.start();
    await drive(s.time, () => s.consumer.stats().received === 40, '40 received', { stepMs: 5 });
    s.consumer.pause();
    assert.equal(await settle(s.time, s.consumer.unsubscribe(s.topic), 'unsubscribe'), true);
    assert.deepEqual(s.consumer.paused(), [], 'no longer paused');
    assert.ok(s.consumer.stats().released >= 39, `released ${s.consumer.stats().released} of 39`);
    gate.open();
    await drive(s.time, () => s.consumer.stats().acked === 1, 'the running call acks');
    assert.equal(calls, 1, 'nothing else reached the listener');
    assert.equal(s.fx.broker.stats().inflight, 0);
    assert.equal(await s.consumer.unsubscribe(s.topic), false, 'a second unsubscribe');
    assert.throws(() => s.consumer.pause([s.topic]), codeIs('INVALID_ARGUMENT'));
  });

  test('FIFO: unsubscribed while a batch is cached, the second consumer continues each group in order', async (t) => {
    const gate = hold();
    const seen: string[] = [];
    const s = await setup(
      t,
      async (m) => {
        seen.push(m.body.toString());
        await gate.wait();
      },
      { fifo: true, queues: 1, consumer: { concurrency: 4 } },
    );
    const groups = ['A', 'B', 'C'];
    const specs: Array<Omit<MessageSpec, 'topic'>> = [];
    for (let i = 0; i < 20; i++) for (const g of groups) specs.push({ body: `${g}-${i}`, group: g });
    await s.send(s.topic, specs);
    await s.consumer.start();
    await drive(s.time, () => seen.length === 3, 'the head of each group in the listener');
    const cached = s.consumer.stats().cachedMessages;
    const handedBack = s.consumer.unsubscribe(s.topic);
    gate.open();
    assert.equal(await settle(s.time, handedBack, 'unsubscribe'), true);
    await drive(s.time, () => s.consumer.stats().acked === 3, 'the three running calls ack');
    assert.ok(s.consumer.stats().released >= cached - 3, 'the unstarted messages handed back');
    const b = s.consumerOf((m) => {
      seen.push(m.body.toString());
    });
    await b.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 60, '60 acks', { stepMs: 10 });
    assert.equal(seen.length, 60, 'each message once');
    for (const g of groups) {
      assert.deepEqual(
        seen.filter((x) => x.startsWith(`${g}-`)),
        Array.from({ length: 20 }, (_, i) => `${g}-${i}`),
        `order of ${g}`,
      );
    }
  });

  test('FIFO: a message waiting for its local retry when the topic is unsubscribed is handed back, not retried', async (t) => {
    let calls = 0;
    const s = await setup(
      t,
      () => {
        calls++;
        return 'failure'; // the first call fails: a local retry after the policy's 1 s
      },
      { fifo: true, queues: 1 },
    );
    await s.send(
      s.topic,
      Array.from({ length: 5 }, (_, i) => ({ body: `A-${i}`, group: 'A' })),
    );
    await s.consumer.start();
    await drive(s.time, () => calls === 1, 'the first call', { stepMs: 5 });
    assert.equal(await settle(s.time, s.consumer.unsubscribe(s.topic), 'unsubscribe'), true);
    await advance(s.time, 5_000);
    assert.equal(calls, 1, 'no local retry after the unsubscribe');
    assert.ok(s.consumer.stats().released >= 5, `released ${s.consumer.stats().released} of 5`);
    assert.equal(s.fx.broker.stats().inflight, 0, 'nothing left invisible');
    const seen: string[] = [];
    const b = s.consumerOf((m) => {
      seen.push(m.body.toString());
    });
    await b.start();
    await drive(s.time, () => b.stats().acked === 5, '5 acks by the second consumer', { stepMs: 10 });
    assert.deepEqual(
      seen,
      Array.from({ length: 5 }, (_, i) => `A-${i}`),
      'the group continues in order',
    );
  });

  test('replacing a filter hands back what was cached under the old one and consumes under the new one', async (t) => {
    const gate = hold();
    const seen: string[] = [];
    const s = await setup(
      t,
      async (m) => {
        seen.push(m.tag ?? '');
        await gate.wait();
      },
      { subscriptions: (topic) => ({ [topic]: 'a' }), consumer: { concurrency: 1 } },
    );
    await s.send(
      s.topic,
      Array.from({ length: 30 }, () => ({ tag: 'a' })),
    );
    await s.consumer.start();
    await drive(s.time, () => s.consumer.stats().received === 30, 'tag a received');
    const replaced = s.consumer.subscribe(s.topic, FilterExpression.tag('b'));
    gate.open();
    await settle(s.time, replaced, 'subscribe');
    assert.equal(s.consumer.subscriptions.get(s.topic)?.expression, 'b');
    assert.ok(s.consumer.stats().released >= 29, 'the unstarted tag-a messages handed back');
    // Like the broker's pop, messages passed over under the old filter are not offered again: send new ones.
    await s.send(
      s.topic,
      Array.from({ length: 10 }, () => ({ tag: 'b' })),
    );
    await drive(s.time, () => seen.filter((x) => x === 'b').length === 10, 'tag b consumed', { stepMs: 5 });
    assert.deepEqual(seen.slice(0, 1), ['a'], 'the call in progress finished');
    assert.ok(
      seen.slice(1).every((x) => x === 'b'),
      'nothing of the old filter reaches the listener after the change',
    );
    await drive(s.time, () => topicsOf(s.fx, s.consumer.clientId).length === 1, 'settings');
    assert.equal(s.fx.broker.clientSettings(s.consumer.clientId)?.subscriptions?.[0]?.expression, 'b');
  });

  test('before start: subscribe and unsubscribe change what start uses; after shutdown subscribe is CLOSED', async (t) => {
    const seen: string[] = [];
    const s = await setup(t, (m) => {
      seen.push(m.topic);
    });
    const other = uniqueName('psub-pre');
    s.fx.broker.createTopic(other, { queues: 1 });
    await s.consumer.subscribe(other, '*');
    assert.equal(await s.consumer.unsubscribe(s.topic), true);
    assert.equal(s.fx.broker.stats().calls.QueryRoute ?? 0, 0, 'nothing sent before start');
    await s.send(other, [{ body: 'x' }]);
    await s.send(s.topic, [{ body: 'y' }]);
    await s.consumer.start();
    await drive(s.time, () => seen.length === 1, 'one message');
    await advance(s.time, 2_000);
    assert.deepEqual(seen, [other]);
    assert.deepEqual(topicsOf(s.fx, s.consumer.clientId), [other]);
    await settle(s.time, s.consumer.shutdown({ timeoutMs: 1_000 }), 'shutdown');
    await assert.rejects(s.consumer.subscribe(other, '*'), codeIs('CLOSED'));
  });

  test('bad input → typed errors, nothing sent, nothing changed', async (t) => {
    const s = await setup(t, () => undefined);
    await s.consumer.start();
    s.fx.broker.resetStats();
    const c = s.consumer;
    await assert.rejects(c.subscribe('bad topic!', '*'), codeIs('ILLEGAL_TOPIC'));
    await assert.rejects(c.subscribe('', '*'), codeIs('ILLEGAL_TOPIC'));
    await assert.rejects(c.subscribe(42 as unknown as string, '*'), codeIs('INVALID_ARGUMENT'));
    await assert.rejects(c.subscribe(s.topic, 'a||'), codeIs('ILLEGAL_FILTER_EXPRESSION'));
    await assert.rejects(c.subscribe(s.topic, 42 as unknown as string), codeIs('INVALID_ARGUMENT'));
    await assert.rejects(c.subscribe(s.topic, '*', { timeoutMs: -1 }), codeIs('INVALID_ARGUMENT'));
    await assert.rejects(c.unsubscribe('bad topic!'), codeIs('ILLEGAL_TOPIC'));
    await assert.rejects(c.unsubscribe(undefined as unknown as string), codeIs('INVALID_ARGUMENT'));
    assert.equal(await c.unsubscribe('not-subscribed'), false);
    assert.deepEqual([...c.subscriptions.keys()], [s.topic]);
    assert.equal(c.subscriptions.get(s.topic)?.expression, '*');
    const calls = s.fx.broker.stats().calls;
    assert.equal(calls.QueryRoute ?? 0, 0);
    assert.equal(calls.QueryAssignment ?? 0, 0);
    assert.equal(c.stats().released, 0);
  });
});
