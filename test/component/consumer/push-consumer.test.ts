/**
 * PushConsumer against the in-process broker over loopback. Broker AND consumer run on one fake time
 * source (ManualTime): invisibility, retry delays, lease renewals, long polls and ack flushes move only
 * when the test advances time. `drive()` advances time in small steps and yields to I/O until an
 * observable condition holds — no test sleeps on real time for logic.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import type { MessageListener, PushConsumerOptions } from '../../../src/consumer/push-consumer-options.js';
import { RocketMQError } from '../../../src/errors.js';
import type { MessageView } from '../../../src/model/message-view.js';
import type { ManualTime } from '../../../src/testing/index.js';
import { drive, realTick } from '../../helpers/fake-time.js';
import { type MessageSpec, message, uniqueName } from '../../helpers/in-process-client.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { type Fixture, startBroker } from '../in-process-broker/fixture.js';

interface Setup {
  fx: Fixture;
  time: ManualTime;
  topic: string;
  group: string;
  consumer: PushConsumer;
  send(spec?: Omit<MessageSpec, 'topic'>): Promise<string>;
}

async function setup(
  t: TestContext,
  listener: MessageListener,
  options: {
    topicType?: 'NORMAL' | 'FIFO';
    queues?: number;
    group?: { fifo?: boolean; maxDeliveryAttempts?: number };
    consumer?: Partial<PushConsumerOptions>;
    /** @defaultValue true; false leaves `consumer.start()` to the test. */
    start?: boolean;
  } = {},
): Promise<Setup> {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('pc');
  const group = uniqueName('pc-group');
  fx.broker.createTopic(topic, { type: options.topicType ?? 'NORMAL', queues: options.queues ?? 2 });
  fx.broker.createConsumerGroup(group, options.group ?? {});
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
  if (options.start ?? true) await consumer.start();
  const producer = fx.client();
  return {
    fx,
    time,
    topic,
    group,
    consumer,
    send: async (spec = {}) => {
      const m = message({ topic, ...spec });
      const res = await producer.send(m);
      assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
      return m.systemProperties!.messageId;
    },
  };
}

/** A listener that records every call and blocks the ones `hold` selects until released. */
function recorder(hold: (m: MessageView, attempt: number) => boolean = () => false) {
  const calls: Array<{ id: string; body: string; attempt: number; group?: string }> = [];
  const held: Array<() => void> = [];
  const signals: AbortSignal[] = [];
  let failNext: (m: MessageView, attempt: number) => boolean = () => false;
  const listener: MessageListener = async (m, ctx) => {
    calls.push({
      id: m.messageId,
      body: m.body.toString(),
      attempt: ctx.attempt,
      ...(m.messageGroup === undefined ? {} : { group: m.messageGroup }),
    });
    signals.push(ctx.signal);
    if (hold(m, ctx.attempt)) await new Promise<void>((r) => held.push(r));
    if (failNext(m, ctx.attempt)) throw new Error(`planned failure of ${m.body.toString()}`);
  };
  return {
    listener,
    calls,
    held,
    signals,
    failWhen(f: (m: MessageView, attempt: number) => boolean) {
      failNext = f;
    },
    releaseAll() {
      for (const r of held.splice(0)) r();
    },
  };
}

describe('PushConsumer: concurrent consumption', () => {
  test('every message reaches the listener once and is acked, in fewer AckMessage calls than messages', async (t) => {
    const r = recorder();
    const s = await setup(t, r.listener, { consumer: { concurrency: 4 } });
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(await s.send({ body: `m${i}` }));
    await drive(s.time, () => s.consumer.stats().acked === 20, '20 acks');
    assert.deepEqual(new Set(r.calls.map((c) => c.id)), ids);
    assert.equal(r.calls.length, 20, 'each message handled once');
    const stats = s.fx.broker.stats();
    assert.equal(stats.acked, 20);
    assert.equal(stats.inflight, 0);
    assert.ok(stats.calls.AckMessage < 20, `batched acks: ${stats.calls.AckMessage} AckMessage calls`);
    assert.equal(s.consumer.stats().ackRequests, stats.calls.AckMessage);
    assert.equal(s.consumer.stats().fifo, false);
  });

  test('a worker takes the next message while the ack of the last one waits for its batch', async (t) => {
    const r = recorder();
    const s = await setup(t, r.listener, {
      queues: 1,
      consumer: { concurrency: 1, ackFlushDelayMs: 5_000 },
    });
    for (let i = 0; i < 5; i++) await s.send({ body: `w${i}` });
    // One worker, and no ack can flush for 5 virtual s: all five are handled before that.
    await drive(s.time, () => r.calls.length === 5, 'five listener calls', { maxVirtualMs: 4_000 });
    assert.equal(s.consumer.stats().acked, 0, 'no ack has gone out yet');
    assert.equal(s.consumer.stats().cachedMessages, 5, 'a message keeps its cache space until settled');
    await drive(s.time, () => s.consumer.stats().acked === 5, 'the batch flushed', { stepMs: 100 });
    assert.equal(s.fx.broker.stats().calls.AckMessage, 1, 'the five acks went out in one request');
    assert.equal(s.consumer.stats().cachedMessages, 0);
  });

  test('a failure is nacked with the retry delay and redelivered with attempt 2; then acked', async (t) => {
    const r = recorder();
    r.failWhen((_m, attempt) => attempt === 1);
    const s = await setup(t, r.listener);
    const id = await s.send({ body: 'retry me' });
    await drive(
      s.time,
      () => r.calls.length === 1 && s.consumer.stats().nacked === 1,
      'first attempt nacked',
    );
    // The broker's customized policy: 1 s before the 2nd attempt. Not earlier:
    const nackedAt = s.time.now();
    await drive(s.time, () => r.calls.length === 2, 'redelivery', { stepMs: 50, maxVirtualMs: 5_000 });
    assert.ok(s.time.now() - nackedAt >= 1_000 - 50, `redelivered after ${s.time.now() - nackedAt} ms`);
    assert.deepEqual(
      r.calls.map((c) => [c.id, c.attempt]),
      [
        [id, 1],
        [id, 2],
      ],
    );
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'ack of attempt 2');
  });

  test('{ retryAfterMs } nacks with that delay instead of the policy', async (t) => {
    const calls: number[] = [];
    const s = await setup(t, (_m, ctx) => {
      calls.push(ctx.attempt);
      return ctx.attempt === 1 ? { retryAfterMs: 7_000 } : 'success';
    });
    await s.send({ body: 'later' });
    await drive(s.time, () => s.consumer.stats().nacked === 1, 'nacked');
    const nackedAt = s.time.now();
    await drive(s.time, () => calls.length === 2, 'redelivery', { stepMs: 100, maxVirtualMs: 10_000 });
    const waited = s.time.now() - nackedAt;
    assert.ok(waited >= 6_900 && waited <= 7_300, `redelivered after ${waited} ms`);
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'acked');
  });

  test('an unknown listener result counts as a failure (never acked by mistake)', async (t) => {
    const calls: number[] = [];
    const s = await setup(t, ((_m: MessageView, ctx: { attempt: number }) => {
      calls.push(ctx.attempt);
      return ctx.attempt === 1 ? { retryAfterMs: -5 } : undefined;
    }) as unknown as MessageListener);
    await s.send({ body: 'odd' });
    await drive(s.time, () => calls.length === 2, 'retried', { stepMs: 50 });
    assert.equal(s.consumer.stats().failed, 1);
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'acked');
  });

  test('maxMessagesPerReceive caps each receive', async (t) => {
    const r = recorder();
    const s = await setup(t, r.listener, { queues: 1, consumer: { maxMessagesPerReceive: 2 }, start: false });
    for (let i = 0; i < 6; i++) await s.send({ body: `b${i}` });
    await s.consumer.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 6, 'all acked');
    assert.ok(s.fx.broker.stats().calls.ReceiveMessage >= 3, 'at least three receives of two');
  });

  test('after the last attempt the broker moves the message to the dead-letter queue', async (t) => {
    const r = recorder();
    r.failWhen(() => true);
    const s = await setup(t, r.listener, { group: { maxDeliveryAttempts: 3 } });
    await s.send({ body: 'poison' });
    await drive(s.time, () => s.fx.broker.stats().deadLettered === 1, 'dead-lettered', {
      stepMs: 100,
      maxVirtualMs: 60_000,
    });
    assert.deepEqual(
      r.calls.map((c) => c.attempt),
      [1, 2, 3],
    );
    assert.equal(s.fx.broker.stats().acked, 0);
  });

  test('a listener slower than the invisible duration is not redelivered while it runs (lease renewal)', async (t) => {
    const r = recorder(() => true);
    const s = await setup(t, r.listener, { consumer: { invisibleDurationMs: 10_000 } });
    await s.send({ body: 'slow' });
    await drive(s.time, () => r.calls.length === 1, 'first call');
    const start = s.time.now();
    // Ten invisible durations pass while the listener holds the message.
    await drive(s.time, () => s.time.now() - start >= 100_000, '100 s', {
      stepMs: 250,
      maxVirtualMs: 101_000,
    });
    assert.equal(r.calls.length, 1, 'not delivered again while handled');
    assert.ok(s.consumer.stats().leaseRenewals >= 9, `renewals: ${s.consumer.stats().leaseRenewals}`);
    assert.equal(r.signals[0]?.aborted, false);
    r.releaseAll();
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'ack with the renewed receipt');
    assert.equal(s.consumer.stats().settleFailures, 0);
  });

  test('past maxLeaseExtensionMs the lease lapses: the signal aborts and the message comes again', async (t) => {
    const r = recorder((_m, attempt) => attempt === 1);
    const s = await setup(t, r.listener, {
      consumer: { invisibleDurationMs: 10_000, maxLeaseExtensionMs: 25_000 },
    });
    await s.send({ body: 'too slow' });
    await drive(s.time, () => r.calls.length === 1, 'first call');
    await drive(s.time, () => r.signals[0]?.aborted === true, 'lease lost', {
      stepMs: 250,
      maxVirtualMs: 40_000,
    });
    await drive(s.time, () => r.calls.length === 2, 'redelivered', { stepMs: 250, maxVirtualMs: 40_000 });
    assert.equal(r.calls[1]?.attempt, 2);
    assert.equal(s.consumer.stats().leasesLost, 1);
    r.releaseAll(); // the first call ends late: its settle is skipped (lease lost)
    await drive(s.time, () => s.fx.broker.stats().acked === 1, 'the redelivery is acked');
  });

  test('the prefetch cache is bounded by count and refills as messages settle', async (t) => {
    const r = recorder(() => true);
    const s = await setup(t, r.listener, {
      queues: 1,
      consumer: { maxCachedMessages: 4, concurrency: 2 },
    });
    for (let i = 0; i < 12; i++) await s.send({ body: `c${i}` });
    await drive(s.time, () => r.calls.length === 2, 'two in the listener');
    await drive(s.time, () => s.consumer.stats().cachedMessages === 4, 'cache full');
    // Time passes; the loop waits for room without receiving more.
    const receives = s.fx.broker.stats().calls.ReceiveMessage;
    await drive(s.time, () => s.time.now() > 0 && true, 'yield');
    s.time.advance(5_000);
    for (let i = 0; i < 5; i++) await realTick();
    assert.equal(s.consumer.stats().cachedMessages, 4);
    assert.equal(s.fx.broker.stats().calls.ReceiveMessage, receives, 'no receive while the cache is full');
    assert.ok(s.fx.broker.stats().inflight <= 4);
    // Release as they come: everything is consumed.
    await drive(
      s.time,
      () => {
        r.releaseAll();
        return s.fx.broker.stats().acked === 12;
      },
      'all 12 acked',
    );
    assert.equal(r.calls.length, 12);
  });

  test('a corrupted message never reaches the listener', async (t) => {
    const r = recorder();
    const s = await setup(t, r.listener, { group: { maxDeliveryAttempts: 2 } });
    s.fx.broker.faults.malformed('ReceiveMessage', 'bad-digest');
    await s.send({ body: 'damaged on the way' });
    await drive(s.time, () => s.fx.broker.stats().deadLettered === 1, 'corrupted → retries → DLQ', {
      stepMs: 100,
    });
    assert.equal(r.calls.length, 0);
  });
});

describe('PushConsumer: FIFO consumption', () => {
  test('per-group order holds with concurrency > 1 and failures retried locally', async (t) => {
    const r = recorder();
    const failedOnce = new Set<string>();
    r.failWhen((m) => {
      const body = m.body.toString();
      if (body.endsWith('-2') && !failedOnce.has(body)) {
        failedOnce.add(body);
        return true;
      }
      return false;
    });
    const s = await setup(t, r.listener, {
      topicType: 'FIFO',
      queues: 2,
      group: { fifo: true },
      consumer: { concurrency: 4 },
    });
    const groups = ['A', 'B', 'C'];
    for (let i = 0; i < 5; i++) for (const g of groups) await s.send({ body: `${g}-${i}`, group: g });
    await drive(s.time, () => s.fx.broker.stats().acked === 15, '15 acks', { stepMs: 50 });
    assert.equal(s.consumer.stats().fifo, true);
    for (const g of groups) {
      const seq = r.calls.filter((c) => c.group === g).map((c) => c.body);
      assert.deepEqual(seq, [`${g}-0`, `${g}-1`, `${g}-2`, `${g}-2`, `${g}-3`, `${g}-4`], `order of ${g}`);
    }
    const retried = r.calls.filter((c) => c.body.endsWith('-2') && c.attempt === 2);
    assert.equal(retried.length, 3, 'local retries count the attempt');
    assert.equal(s.consumer.stats().nacked, 0, 'FIFO retries stay local');
  });

  test('groups of one batch run in parallel with the accelerator', async (t) => {
    const r = recorder((m) => m.messageGroup === 'slow');
    const s = await setup(t, r.listener, {
      topicType: 'FIFO',
      queues: 1,
      group: { fifo: true },
      consumer: { concurrency: 4 },
      start: false,
    });
    // Sent before the consumer starts, so one receive returns all three as one batch (an ordered
    // queue serves its next batch only after the previous one is settled).
    await s.send({ body: 'slow-0', group: 'slow' });
    await s.send({ body: 'fast-0', group: 'fast' });
    await s.send({ body: 'fast-1', group: 'fast' });
    await s.consumer.start();
    await drive(s.time, () => r.calls.filter((c) => c.group === 'fast').length === 2, 'fast group done');
    assert.deepEqual(
      r.calls.map((c) => c.body).sort(),
      ['fast-0', 'fast-1', 'slow-0'],
      'the slow group does not block the fast one',
    );
    r.releaseAll();
    await drive(s.time, () => s.fx.broker.stats().acked === 3, 'all acked');
  });

  test('without the accelerator a batch is consumed strictly in queue order', async (t) => {
    const r = recorder((m) => m.messageGroup === 'slow');
    const s = await setup(t, r.listener, {
      topicType: 'FIFO',
      queues: 1,
      group: { fifo: true },
      consumer: { concurrency: 4, fifoConsumeAccelerator: false },
      start: false,
    });
    await s.send({ body: 'slow-0', group: 'slow' });
    await s.send({ body: 'fast-0', group: 'fast' });
    await s.consumer.start();
    await drive(s.time, () => r.calls.length === 1, 'first call');
    s.time.advance(1_000);
    for (let i = 0; i < 5; i++) await realTick();
    assert.deepEqual(
      r.calls.map((c) => c.body),
      ['slow-0'],
    );
    r.releaseAll();
    await drive(s.time, () => s.fx.broker.stats().acked === 2, 'both acked');
    assert.deepEqual(
      r.calls.map((c) => c.body),
      ['slow-0', 'fast-0'],
    );
  });

  test('after max attempts a FIFO message is forwarded to the dead-letter queue and the group moves on', async (t) => {
    const r = recorder();
    r.failWhen((m) => m.body.toString() === 'bad');
    const s = await setup(t, r.listener, {
      topicType: 'FIFO',
      queues: 1,
      group: { fifo: true, maxDeliveryAttempts: 3 },
    });
    await s.send({ body: 'bad', group: 'g' });
    await s.send({ body: 'next', group: 'g' });
    await drive(
      s.time,
      () => s.fx.broker.stats().acked >= 1 && s.consumer.stats().deadLettered === 1,
      'DLQ + ack',
      {
        stepMs: 100,
      },
    );
    assert.deepEqual(
      r.calls.map((c) => `${c.body}#${c.attempt}`),
      ['bad#1', 'bad#2', 'bad#3', 'next#1'],
    );
    assert.equal(s.fx.broker.stats().deadLettered, 1);
  });

  // Message n left unsettled (its ack refused, or its lease lost while the listener ran) will come
  // again: message n + 1 of its group must not run before it, or the group's order breaks.
  test('an ack refused with INVALID_RECEIPT_HANDLE (40013): the next message of the group waits for its redelivery', async (t) => {
    const r = recorder();
    const s = await setup(t, r.listener, {
      topicType: 'FIFO',
      queues: 1,
      group: { fifo: true },
      consumer: { concurrency: 4, invisibleDurationMs: 10_000 },
      start: false,
    });
    // One batch holds both (sent before start): n and n + 1 of one group in one bucket.
    await s.send({ body: 'n', group: 'g' });
    await s.send({ body: 'n+1', group: 'g' });
    s.fx.broker.faults.failNext('AckMessage', 1, { code: 40013, message: 'refused by the test' });
    await s.consumer.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 2, 'both acked', { stepMs: 100 });
    const seq = r.calls.map((c) => c.body);
    assert.deepEqual(seq.slice(0, 2), ['n', 'n'], `n runs again before n + 1 ever runs: ${seq.join(', ')}`);
    assert.equal(seq.at(-1), 'n+1');
    assert.equal(s.consumer.stats().settleFailures, 1, 'the refused ack is counted');
  });

  test('a lease lost while the listener runs: the next message of the group waits for the redelivery', async (t) => {
    const r = recorder();
    const listener: MessageListener = async (m, ctx) => {
      await r.listener(m, ctx);
      // The first attempt of n outlives its lease: it returns only once the lease is lost.
      if (m.body.toString() === 'n' && ctx.attempt === 1) {
        await new Promise<void>((resolve) =>
          ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
    };
    const s = await setup(t, listener, {
      topicType: 'FIFO',
      queues: 1,
      group: { fifo: true },
      consumer: { concurrency: 4, invisibleDurationMs: 10_000 },
      start: false,
    });
    await s.send({ body: 'n', group: 'g' });
    await s.send({ body: 'n+1', group: 'g' });
    // The first renewal is refused: it is n's (leases are renewed in receive order), so only n's lease
    // is lost while n + 1's stays held, ready to run.
    s.fx.broker.faults.failNext('ChangeInvisibleDuration', 1, {
      code: 40013,
      message: 'refused by the test',
    });
    await s.consumer.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 2, 'both acked', { stepMs: 250 });
    assert.equal(s.consumer.stats().leasesLost, 1, 'only the lease of n is lost');
    assert.equal(r.signals[0]?.aborted, true, "n's listener saw its lease lost");
    const seq = r.calls.map((c) => c.body);
    assert.deepEqual(seq.slice(0, 2), ['n', 'n'], `n runs again before n + 1 ever runs: ${seq.join(', ')}`);
    assert.equal(seq.at(-1), 'n+1');
  });
});

describe('PushConsumer: shutdown', () => {
  test('shutdown lets the listener in progress finish and acks it; waiting messages are released at once', async (t) => {
    const r = recorder(() => true);
    const s = await setup(t, r.listener, { queues: 1, consumer: { concurrency: 1 } });
    for (let i = 0; i < 3; i++) await s.send({ body: `s${i}` });
    await drive(
      s.time,
      () => r.calls.length === 1 && s.consumer.stats().cachedMessages === 3,
      'one running, two waiting',
    );
    const stopping = s.consumer.shutdown({ timeoutMs: 30_000 });
    // At least the two waiting ones. The long poll still open as the shutdown begins may take one of
    // them again once it is visible; it hands that one back too (released twice), so more than two can
    // be counted; the broker's count shows that nothing but the running message stays invisible.
    await drive(
      s.time,
      () => s.consumer.stats().released >= 2 && s.fx.broker.stats().inflight === 1,
      'waiting ones released: only the running message is invisible',
    );
    r.releaseAll();
    await drive(s.time, () => s.consumer.state === 'stopped', 'stopped', { stepMs: 10 });
    await stopping;
    const stats = s.fx.broker.stats();
    assert.equal(stats.acked, 1, 'the handled message was acked');
    assert.equal(stats.inflight, 0, 'nothing left invisible');
    assert.equal(r.calls.length, 1);
    assert.equal(s.fx.broker.stats().telemetryStreams, 0);
  });

  test('a message taken by the receive in flight as shutdown begins is handed back, not stranded: the next consumer gets it at once', async (t) => {
    const a = recorder();
    const s = await setup(t, a.listener, { queues: 1 });
    await drive(s.time, () => s.fx.broker.stats().waitingReceives === 1, 'the long poll parked');
    const sentAt = s.time.now();
    // The broker pops the message for the parked poll and writes it while the shutdown starts: a cancel
    // would lose that race and leave the message invisible for the whole 30 s invisible duration.
    await s.send({ body: 'racing' });
    const stopping = s.consumer.shutdown({ timeoutMs: 30_000 });
    await drive(s.time, () => s.consumer.state === 'stopped', 'stopped', { maxVirtualMs: 10_000 });
    await stopping;
    if (a.calls.length === 0) {
      assert.equal(s.consumer.stats().released, 1, 'released by the shutdown');
      assert.equal(s.fx.broker.stats().inflight, 0, 'visible again at once');
    }
    const b = recorder();
    const next = new PushConsumer({
      endpoints: s.fx.broker.endpoint,
      consumerGroup: s.group,
      subscriptions: { [s.topic]: '*' },
      listener: b.listener,
      clock: s.time,
      timers: s.time,
    });
    t.after(() => next.shutdown({ timeoutMs: 0 }));
    await next.start();
    await drive(s.time, () => a.calls.length + b.calls.length === 1, 'handled by one of them', {
      maxVirtualMs: 5_000,
    });
    assert.ok(s.time.now() - sentAt < 5_000, `handled ${s.time.now() - sentAt} virtual ms after the send`);
  });

  test('a shutdown bound reached aborts the listener signal; the message is delivered again later', async (t) => {
    const r = recorder(() => true);
    const s = await setup(t, r.listener, { queues: 1, consumer: { invisibleDurationMs: 10_000 } });
    const id = await s.send({ body: 'stuck' });
    await drive(s.time, () => r.calls.length === 1, 'running');
    const stopping = s.consumer.shutdown({ timeoutMs: 2_000 });
    await drive(s.time, () => r.signals[0]?.aborted === true, 'signal aborted', { stepMs: 100 });
    await drive(s.time, () => s.consumer.state === 'stopped', 'stopped', { stepMs: 100 });
    await stopping;
    assert.equal(s.fx.broker.stats().acked, 0);
    r.releaseAll();
    // Delivered again: once its last lease (10 s at most) has run out, the group receives it as attempt 2.
    s.time.advance(10_001);
    const c = s.fx.client();
    await c.consumerSession(s.group, [s.topic]);
    const again = await c.receive({ group: s.group, topic: s.topic });
    assert.deepEqual(
      again.messages.map((m) => [m.systemProperties?.messageId, m.systemProperties?.deliveryAttempt]),
      [[id, 2]],
    );
  });

  test('destroy() returns without waiting for listeners', async (t) => {
    const r = recorder(() => true);
    const s = await setup(t, r.listener);
    await s.send({ body: 'x' });
    await drive(s.time, () => r.calls.length === 1, 'running');
    await s.consumer.destroy();
    assert.equal(s.consumer.state, 'stopped');
    assert.equal(r.signals[0]?.aborted, true);
    r.releaseAll();
  });

  test('start after shutdown fails with CLOSED; shutdown is idempotent', async (t) => {
    const s = await setup(t, recorder().listener);
    await Promise.all([s.consumer.shutdown(), s.consumer.shutdown()]);
    await assert.rejects(
      s.consumer.start(),
      (e: unknown) => e instanceof RocketMQError && e.code === 'CLOSED',
    );
  });

  test('shutdown leaves no handles', async (t) => {
    const before = resources();
    const fx = await startBroker(t, { fakeTime: false });
    const topic = uniqueName('pc-leak');
    fx.broker.createTopic(topic);
    const consumer = new PushConsumer({
      endpoints: fx.broker.endpoint,
      consumerGroup: uniqueName('pc-leak-g'),
      subscriptions: { [topic]: '*' },
      listener: () => undefined,
    });
    await consumer.start();
    assert.ok(consumer.stats().assignments >= 1);
    await consumer.shutdown();
    await fx.broker.shutdown();
    await assertNoExtraResources(before);
  });
});

describe('PushConsumer: bad options', () => {
  const base: PushConsumerOptions = {
    endpoints: '127.0.0.1:8081',
    consumerGroup: 'g',
    subscriptions: { t: '*' },
    listener: () => undefined,
  };
  const cases: Array<[string, Partial<Record<keyof PushConsumerOptions, unknown>>, string]> = [
    ['no listener', { listener: undefined }, 'INVALID_ARGUMENT'],
    ['no subscription', { subscriptions: {} }, 'INVALID_ARGUMENT'],
    ['bad topic', { subscriptions: { 'a b': '*' } }, 'ILLEGAL_TOPIC'],
    ['bad group', { consumerGroup: '' }, 'ILLEGAL_CONSUMER_GROUP'],
    ['bad filter', { subscriptions: { t: '' } }, 'ILLEGAL_FILTER_EXPRESSION'],
    ['concurrency 0', { concurrency: 0 }, 'INVALID_ARGUMENT'],
    ['maxCachedMessages 1.5', { maxCachedMessages: 1.5 }, 'INVALID_ARGUMENT'],
    ['invisible 5 s', { invisibleDurationMs: 5_000 }, 'ILLEGAL_INVISIBLE_TIME'],
    [
      'renew ahead ≥ invisible',
      { invisibleDurationMs: 10_000, leaseRenewAheadMs: 10_000 },
      'INVALID_ARGUMENT',
    ],
    ['accelerator not boolean', { fifoConsumeAccelerator: 'yes' }, 'INVALID_ARGUMENT'],
    ['empty endpoints', { endpoints: ' ' }, 'INVALID_ARGUMENT'],
    ['ack batch 0', { ackBatchSize: 0 }, 'INVALID_ARGUMENT'],
    ['negative flush delay', { ackFlushDelayMs: -1 }, 'INVALID_ARGUMENT'],
  ];
  for (const [name, patch, code] of cases) {
    test(`${name} → ${code}`, () => {
      assert.throws(
        () => new PushConsumer({ ...base, ...patch } as PushConsumerOptions),
        (e: unknown) => e instanceof RocketMQError && e.code === code,
      );
    });
  }
});
