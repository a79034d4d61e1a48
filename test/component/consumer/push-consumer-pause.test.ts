/**
 * PushConsumer pause/resume against the in-process broker on fake time (broker and consumer share one
 * ManualTime): while paused no receive goes out and no listener call starts, cached messages keep their
 * leases, and everything is consumed exactly once after resume.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import type { MessageListener, PushConsumerOptions } from '../../../src/consumer/push-consumer-options.js';
import { RocketMQError } from '../../../src/errors.js';
import type { ManualTime } from '../../../src/testing/index.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { type MessageSpec, message, uniqueName } from '../../helpers/in-process-client.js';
import { type Fixture, startBroker } from '../in-process-broker/fixture.js';

interface Setup {
  fx: Fixture;
  time: ManualTime;
  topic: string;
  consumer: PushConsumer;
  sendAll(specs: Array<Omit<MessageSpec, 'topic'>>): Promise<void>;
}

async function setup(
  t: TestContext,
  listener: MessageListener,
  options: { fifo?: boolean; queues?: number; consumer?: Partial<PushConsumerOptions> } = {},
): Promise<Setup> {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('pause');
  const group = uniqueName('pause-group');
  fx.broker.createTopic(topic, { type: options.fifo ? 'FIFO' : 'NORMAL', queues: options.queues ?? 2 });
  fx.broker.createConsumerGroup(group, { fifo: options.fifo ?? false });
  const consumer = new PushConsumer({
    endpoints: fx.broker.endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    listener,
    clock: time,
    timers: time,
    ...options.consumer,
  });
  t.after(() => consumer.shutdown({ timeoutMs: 0 }));
  const producer = fx.client();
  return {
    fx,
    time,
    topic,
    consumer,
    sendAll: async (specs) => {
      for (let i = 0; i < specs.length; i += 100) {
        const res = await producer.send(...specs.slice(i, i + 100).map((s) => message({ topic, ...s })));
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

describe('PushConsumer: pause and resume', () => {
  test('a backlog of 1,000 paused mid-way: no listener call and no receive while paused, leases renewed, nothing redelivered, all consumed once after resume', async (t) => {
    const calls: Array<{ id: string; attempt: number }> = [];
    const s = await setup(
      t,
      (m, ctx) => {
        calls.push({ id: m.messageId, attempt: ctx.attempt });
      },
      { consumer: { concurrency: 4, maxCachedMessages: 200 } },
    );
    await s.sendAll(Array.from({ length: 1_000 }, (_, i) => ({ body: `b${i}` })));
    await s.consumer.start();
    await drive(s.time, () => calls.length >= 100, '100 listener calls', { stepMs: 5 });
    s.consumer.pause();
    assert.deepEqual(s.consumer.paused(), [s.topic]);
    const atPause = calls.length;
    // Receives already open may complete into the cache; after that nothing is asked for.
    await advance(s.time, 2_000);
    const receivesAfterDrain = s.fx.broker.stats().calls.ReceiveMessage;
    const renewalsBefore = s.consumer.stats().leaseRenewals;
    const cached = s.consumer.stats().cachedMessages;
    assert.ok(cached > 0, 'messages wait in the cache while paused');
    // Three invisible durations (30 s each): without renewal the cached messages would come back.
    await advance(s.time, 90_000, 500);
    assert.equal(calls.length, atPause, 'no listener call started while paused');
    assert.equal(s.fx.broker.stats().calls.ReceiveMessage, receivesAfterDrain, 'no receive while paused');
    assert.ok(s.consumer.stats().leaseRenewals > renewalsBefore, 'leases of cached messages renewed');
    assert.equal(s.consumer.stats().leasesLost, 0);
    assert.equal(s.consumer.stats().cachedMessages, cached, 'the cache is kept');
    s.consumer.resume();
    assert.deepEqual(s.consumer.paused(), []);
    await drive(s.time, () => s.consumer.stats().acked === 1_000, '1,000 acks', { stepMs: 5 });
    assert.equal(calls.length, 1_000, 'each message handled once');
    assert.equal(new Set(calls.map((c) => c.id)).size, 1_000);
    assert.ok(
      calls.every((c) => c.attempt === 1),
      'nothing redelivered',
    );
    assert.equal(s.fx.broker.stats().acked, 1_000);
  });

  test('FIFO: the order of each message group holds across a pause', async (t) => {
    const seen: string[] = [];
    const s = await setup(
      t,
      (m) => {
        seen.push(m.body.toString());
      },
      { fifo: true, queues: 1, consumer: { concurrency: 4 } },
    );
    const groups = ['A', 'B', 'C'];
    const specs: Array<Omit<MessageSpec, 'topic'>> = [];
    for (let i = 0; i < 40; i++) for (const g of groups) specs.push({ body: `${g}-${i}`, group: g });
    await s.sendAll(specs);
    await s.consumer.start();
    await drive(s.time, () => seen.length >= 10, '10 listener calls', { stepMs: 5 });
    s.consumer.pause([s.topic]);
    const atPause = seen.length;
    await advance(s.time, 60_000, 500);
    assert.equal(seen.length, atPause, 'no listener call while paused');
    s.consumer.resume([s.topic]);
    await drive(s.time, () => s.fx.broker.stats().acked === 120, '120 acks', { stepMs: 10 });
    assert.equal(seen.length, 120, 'each message once');
    for (const g of groups) {
      const seq = seen.filter((b) => b.startsWith(`${g}-`));
      assert.deepEqual(
        seq,
        Array.from({ length: 40 }, (_, i) => `${g}-${i}`),
        `order of ${g}`,
      );
    }
  });

  test('shutdown while paused releases the cache at once and ends within its bound', async (t) => {
    let calls = 0;
    // The first call holds its (only) worker until the consumer is paused again, so the rest of the
    // backlog is still cached when the pause begins, however fast the machine.
    let unblock!: () => void;
    const held = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const s = await setup(
      t,
      async () => {
        calls++;
        if (calls === 1) await held;
      },
      { consumer: { concurrency: 1 } },
    );
    await s.sendAll(Array.from({ length: 50 }, (_, i) => ({ body: `s${i}` })));
    s.consumer.pause();
    await s.consumer.start();
    await advance(s.time, 1_000);
    assert.equal(calls, 0, 'a consumer started paused calls no listener');
    s.consumer.resume();
    await drive(s.time, () => calls > 0, 'a listener call');
    s.consumer.pause();
    unblock();
    await advance(s.time, 1_000);
    const cached = s.consumer.stats().cachedMessages;
    assert.ok(cached > 0, 'messages cached while paused');
    const shutdown = s.consumer.shutdown({ timeoutMs: 5_000 });
    await drive(s.time, () => s.consumer.state === 'stopped', 'shutdown done', { stepMs: 50 });
    await shutdown;
    // A long poll still open at shutdown may take a handed-back message again and hand it back once more.
    assert.ok(
      s.consumer.stats().released >= cached,
      `every cached message handed back: ${s.consumer.stats().released} released of ${cached} cached`,
    );
    assert.equal(s.fx.broker.stats().inflight, 0, 'nothing left invisible');
  });

  test('bad input → typed errors, nothing paused', () => {
    const c = new PushConsumer({
      endpoints: '127.0.0.1:8081',
      consumerGroup: 'g',
      subscriptions: { t: '*' },
      listener: () => undefined,
    });
    const invalid = (e: unknown) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT';
    assert.throws(() => c.pause(['other']), invalid, 'a topic not subscribed');
    assert.throws(() => c.pause(['t', 'other']), invalid, 'one topic not subscribed');
    assert.throws(() => c.pause([]), invalid, 'an empty list');
    assert.throws(() => c.pause('t' as unknown as string[]), invalid, 'not an array');
    assert.throws(() => c.pause([1] as unknown as string[]), invalid, 'not a string');
    assert.throws(() => c.resume(['other']), invalid, 'resume a topic not subscribed');
    assert.deepEqual(c.paused(), []);
    c.pause(['t']);
    c.pause(['t']);
    assert.deepEqual(c.paused(), ['t'], 'pausing twice is harmless');
  });
});
