/**
 * The idempotent listener helper against the in-process broker on fake time: a message whose ack is
 * lost comes again after its invisible time and is acked without a second listener call; failures mark
 * nothing; a user key dedupes distinct messages; the in-memory store's LRU and TTL on an injected
 * clock; bad options are refused.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import {
  type IdempotencyStore,
  idempotentListener,
  MemoryIdempotencyStore,
} from '../../../src/consumer/idempotent-listener.js';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import type { MessageListener } from '../../../src/consumer/push-consumer-options.js';
import { RocketMQError } from '../../../src/errors.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { ManualTime } from '../../../src/testing/index.js';
import { drive } from '../../helpers/fake-time.js';
import { type MessageSpec, message, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker } from '../in-process-broker/fixture.js';

const INVISIBLE_MS = 10_000;

async function setup(t: TestContext, listener: MessageListener, concurrency?: number) {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('idem');
  const group = uniqueName('idem-group');
  fx.broker.createTopic(topic, { queues: 1 });
  fx.broker.createConsumerGroup(group, { maxDeliveryAttempts: 16 });
  const consumer = new PushConsumer({
    endpoints: fx.broker.endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    listener,
    invisibleDurationMs: INVISIBLE_MS,
    ...(concurrency === undefined ? {} : { concurrency }),
    clock: time,
    timers: time,
  });
  t.after(() => consumer.shutdown({ timeoutMs: 0 }));
  const producer = fx.client();
  const send = async (spec: Omit<MessageSpec, 'topic'> = {}): Promise<string> => {
    const m = message({ topic, ...spec });
    const res = await producer.send(m);
    assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
    return m.systemProperties!.messageId;
  };
  return { fx, time, consumer, send };
}

describe('idempotentListener (in-process broker, fake time)', () => {
  test('an ack lost after success: the redelivery is acked without calling the listener again', async (t) => {
    const handled: string[] = [];
    const deliveries: number[] = [];
    const inner: MessageListener = (m) => {
      handled.push(m.messageId);
    };
    const wrapped = idempotentListener(inner, { ttlMs: 60_000 });
    const s = await setup(t, (m, ctx) => {
      deliveries.push(ctx.attempt);
      return wrapped(m, ctx);
    });
    const id = await s.send({ body: 'pay-once' });
    // The first ack is refused (non-retriable): the message stays unacked and comes back.
    s.fx.broker.faults.failNext('AckMessage', 1, { code: 40013, message: 'ack lost for the test' });
    await s.consumer.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'the redelivery acked', { stepMs: 200 });
    assert.deepEqual(deliveries, [1, 2], 'delivered twice (the first ack was lost)');
    assert.deepEqual(handled, [id], 'the listener ran once');
    assert.equal(s.consumer.stats().settleFailures, 1, 'the lost ack is counted');
  });

  test('a failure marks nothing: the redelivery calls the listener again', async (t) => {
    let calls = 0;
    const s = await setup(
      t,
      idempotentListener(
        () => {
          calls++;
          return calls === 1 ? 'failure' : 'success';
        },
        { ttlMs: 60_000 },
      ),
    );
    await s.send({ body: 'retry-me' });
    await s.consumer.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'acked after the retry', { stepMs: 200 });
    assert.equal(calls, 2);
  });

  test('a user key: a second message with the same business key is acked unseen', async (t) => {
    const seen: string[] = [];
    const s = await setup(
      t,
      idempotentListener(
        (m) => {
          seen.push(m.body.toString());
        },
        { ttlMs: 60_000, key: (m: MessageView) => m.keys[0] ?? m.messageId },
      ),
      // One listener call at a time: the store is not a lock between concurrent calls.
      1,
    );
    await s.send({ body: 'first', keys: ['order-7'] });
    await s.send({ body: 'second', keys: ['order-7'] });
    await s.send({ body: 'other', keys: ['order-8'] });
    await s.consumer.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 3, 'all three acked', { stepMs: 200 });
    assert.deepEqual(seen, ['first', 'other']);
  });

  test('an async store is awaited; a store that fails fails the delivery (redelivered, listener run once)', async (t) => {
    const keys = new Map<string, number>();
    let failHas = 1;
    const store: IdempotencyStore = {
      has: async (k) => {
        if (failHas-- > 0) throw new Error('store down');
        return keys.has(k);
      },
      mark: async (k, ttl) => {
        keys.set(k, ttl);
      },
    };
    let calls = 0;
    const s = await setup(
      t,
      idempotentListener(
        () => {
          calls++;
        },
        { ttlMs: 5_000, store },
      ),
    );
    const id = await s.send({ body: 'x' });
    await s.consumer.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'acked after the store recovered', {
      stepMs: 200,
    });
    assert.equal(calls, 1);
    assert.deepEqual([...keys], [[id, 5_000]]);
  });
});

describe('MemoryIdempotencyStore', () => {
  test('keys expire after their TTL on the injected clock', () => {
    const time = new ManualTime();
    const store = new MemoryIdempotencyStore({ clock: time });
    store.mark('a', 1_000);
    time.advance(999);
    assert.equal(store.has('a'), true);
    time.advance(1);
    assert.equal(store.has('a'), false);
    assert.equal(store.size, 0, 'an expired key is dropped when touched');
  });

  test('past maxEntries the least recently used key goes first', () => {
    const store = new MemoryIdempotencyStore({ maxEntries: 2, clock: new ManualTime() });
    store.mark('a', 10_000);
    store.mark('b', 10_000);
    assert.equal(store.has('a'), true, 'a is now the most recently used');
    store.mark('c', 10_000);
    assert.equal(store.has('b'), false, 'b was pushed out');
    assert.equal(store.has('a'), true);
    assert.equal(store.has('c'), true);
  });
});

test('bad options are refused with INVALID_ARGUMENT', () => {
  const ok: MessageListener = () => undefined;
  const cases: Array<[string, () => unknown]> = [
    ['listener not a function', () => idempotentListener(42 as unknown as MessageListener, { ttlMs: 1 })],
    ['ttlMs 0', () => idempotentListener(ok, { ttlMs: 0 })],
    ['ttlMs negative', () => idempotentListener(ok, { ttlMs: -1 })],
    ['ttlMs infinite', () => idempotentListener(ok, { ttlMs: Number.POSITIVE_INFINITY })],
    ['ttlMs missing', () => idempotentListener(ok, {} as { ttlMs: number })],
    ['key not a function', () => idempotentListener(ok, { ttlMs: 1, key: 'id' as never })],
    ['store without mark', () => idempotentListener(ok, { ttlMs: 1, store: { has: () => false } as never })],
    ['maxEntries 0', () => new MemoryIdempotencyStore({ maxEntries: 0 })],
    ['maxEntries 1.5', () => new MemoryIdempotencyStore({ maxEntries: 1.5 })],
  ];
  for (const [what, run] of cases) {
    assert.throws(run, (e: unknown) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT', what);
  }
});
