/**
 * Lifecycle that keeps its word, on the in-process broker and ONE fake time source (ManualTime) shared
 * by the broker and the clients: a shutdown bound holds whatever is in flight, `destroy()` is
 * immediate, and `destroy()` during a graceful shutdown ends it at once. "At once" is measured in fake
 * time against a graceful bound of 30 s: the forced stop must complete within 200 virtual ms, which
 * the graceful path cannot (it waits on a blocked listener or a hung call until the bound).
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import type { MessageListener } from '../../../src/consumer/push-consumer-options.js';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { libraryResources, type ResourceSnapshot } from '../../../src/internal/resource-count.js';
import { Registry } from '../../../src/managed/registry.js';
import { Producer } from '../../../src/producer/index.js';
import type { ManualTime } from '../../../src/testing/index.js';
import { drive } from '../../helpers/fake-time.js';
import { message, uniqueName } from '../../helpers/in-process-client.js';
import { type Fixture, startBroker } from '../in-process-broker/fixture.js';

const GRACEFUL_MS = 30_000;
/** Virtual time a forced stop may take (it needs none: only I/O turns). */
const FORCED_MS = 200;
const ZERO: ResourceSnapshot = { timers: 0, channels: 0, calls: 0, streams: 0, keepAlive: 0 };

/** Tracks when a promise settled, in virtual time since `time` was read here. */
function watch<T>(time: ManualTime, p: Promise<T>): { readonly done: boolean; readonly atMs: number } {
  const from = time.monotonic();
  const state = { done: false, atMs: Number.NaN };
  p.then(
    () => {
      state.done = true;
      state.atMs = time.monotonic() - from;
    },
    () => {
      state.done = true;
      state.atMs = time.monotonic() - from;
    },
  );
  return state;
}

function closedError(e: unknown): boolean {
  return e instanceof RocketMQError && e.code === 'CLOSED';
}

async function sendOne(fx: Fixture, topic: string, body: string): Promise<void> {
  const res = await fx.client().send(message({ topic, body }));
  assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
}

async function pushSetup(t: TestContext, listener: MessageListener) {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('lb-push');
  const group = uniqueName('lb-push-g');
  fx.broker.createTopic(topic, { queues: 1 });
  fx.broker.createConsumerGroup(group);
  const consumer = new PushConsumer({
    endpoints: fx.broker.endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    listener,
    clock: time,
    timers: time,
  });
  t.after(() => consumer.destroy());
  await consumer.start();
  return { fx, time, topic, consumer };
}

async function simpleSetup(t: TestContext) {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('lb-simple');
  fx.broker.createTopic(topic);
  const consumer = new SimpleConsumer({
    endpoints: fx.broker.endpoint,
    consumerGroup: uniqueName('lb-simple-g'),
    subscriptions: { [topic]: '*' },
    awaitDurationMs: 1_000,
    clock: time,
    timers: time,
  });
  t.after(() => consumer.destroy());
  await consumer.start();
  await sendOne(fx, topic, 'x');
  const [view] = await consumer.receive(1, 30_000);
  assert.ok(view !== undefined, 'a message to ack');
  return { fx, time, topic, consumer, view };
}

async function producerSetup(t: TestContext) {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('lb-prod');
  fx.broker.createTopic(topic);
  const producer = new Producer({
    endpoints: fx.broker.endpoint,
    topics: [topic],
    clock: time,
    timers: time,
  });
  t.after(() => producer.destroy());
  await producer.start();
  return { fx, time, topic, producer };
}

describe('PushConsumer: destroy() escalates a graceful shutdown', () => {
  test('destroy() during shutdown({ timeoutMs: 30 s }) with a blocked listener resolves within 200 virtual ms and aborts the listener signal', async (t) => {
    const signals: AbortSignal[] = [];
    const s = await pushSetup(t, (_m, ctx) => {
      signals.push(ctx.signal);
      return new Promise<void>(() => {}); // blocked for good
    });
    await sendOne(s.fx, s.topic, 'blocked');
    await drive(s.time, () => signals.length === 1, 'listener running');
    const graceful = watch(s.time, s.consumer.shutdown({ timeoutMs: GRACEFUL_MS }));
    await drive(s.time, () => s.consumer.state === 'running' && signals[0]?.aborted === false, 'draining', {
      maxVirtualMs: 100,
    });
    const forced = watch(s.time, s.consumer.destroy());
    await drive(s.time, () => forced.done, 'destroy resolved', { maxVirtualMs: FORCED_MS });
    assert.equal(signals[0]?.aborted, true, 'the listener was told to stop');
    assert.equal(s.consumer.state, 'stopped');
    await drive(s.time, () => graceful.done, 'the graceful promise too', { maxVirtualMs: 0 });
    assert.deepEqual(s.consumer.resources(), ZERO, 'timers, channels, calls and streams released');
    assert.equal(s.fx.broker.stats().acked, 0, 'the blocked message was not acked');
  });
});

describe('SimpleConsumer: the shutdown bound holds calls in flight', () => {
  test('shutdown({ timeoutMs: 500 }) with an ack hung at the broker (ack timeout 6 s) resolves within 500–600 virtual ms; the ack rejects CLOSED', async (t) => {
    const s = await simpleSetup(t);
    s.fx.broker.faults.hang('AckMessage');
    const ack = s.consumer.ack(s.view, { timeoutMs: 6_000 });
    const acked = watch(s.time, ack);
    await drive(s.time, () => s.consumer.resources().calls === 1, 'ack in flight', { maxVirtualMs: 0 });
    const stopping = watch(s.time, s.consumer.shutdown({ timeoutMs: 500 }));
    await drive(s.time, () => stopping.done, 'shutdown resolved', { maxVirtualMs: 600 });
    assert.ok(stopping.atMs >= 500, `the hung ack got the graceful bound (resolved at ${stopping.atMs} ms)`);
    assert.ok(stopping.atMs <= 600, `resolved at ${stopping.atMs} virtual ms`);
    assert.ok(acked.done, 'the ack settled');
    await assert.rejects(ack, closedError);
    assert.equal(s.consumer.state, 'stopped');
    assert.deepEqual(s.consumer.resources(), ZERO);
    s.fx.broker.faults.clear();
  });

  test('destroy() during shutdown({ timeoutMs: 30 s }) with a hung ack resolves within 200 virtual ms; the ack rejects CLOSED', async (t) => {
    const s = await simpleSetup(t);
    s.fx.broker.faults.hang('AckMessage');
    const ack = s.consumer.ack(s.view, { timeoutMs: 60_000 });
    await drive(s.time, () => s.consumer.resources().calls === 1, 'ack in flight', { maxVirtualMs: 0 });
    const graceful = watch(s.time, s.consumer.shutdown({ timeoutMs: GRACEFUL_MS }));
    const forced = watch(s.time, s.consumer.destroy());
    await drive(s.time, () => forced.done && graceful.done, 'destroyed', { maxVirtualMs: FORCED_MS });
    await assert.rejects(ack, closedError);
    assert.deepEqual(s.consumer.resources(), ZERO);
    s.fx.broker.faults.clear();
  });

  test('destroy() on a running consumer ends a receive in flight (CLOSED) at once', async (t) => {
    const s = await simpleSetup(t);
    const pending = s.consumer.receive(1, 30_000, { timeoutMs: 60_000 });
    await drive(s.time, () => s.consumer.resources().streams >= 2, 'receive stream open', {
      maxVirtualMs: 0,
    });
    const forced = watch(s.time, s.consumer.destroy());
    await drive(s.time, () => forced.done, 'destroyed', { maxVirtualMs: FORCED_MS });
    await assert.rejects(pending, closedError);
    assert.deepEqual(s.consumer.resources(), ZERO);
  });
});

describe('Producer: destroy()', () => {
  test('destroy() with a send hung at the broker resolves within 200 virtual ms; the send rejects CLOSED', async (t) => {
    const s = await producerSetup(t);
    s.fx.broker.faults.hang('SendMessage');
    const sent = s.producer.send({ topic: s.topic, body: 'hung' }, { timeoutMs: 60_000 });
    await drive(s.time, () => s.producer.resources().calls === 1, 'send in flight', { maxVirtualMs: 0 });
    const forced = watch(s.time, s.producer.destroy());
    await drive(s.time, () => forced.done, 'destroyed', { maxVirtualMs: FORCED_MS });
    await assert.rejects(sent, closedError);
    assert.equal(s.producer.state, 'stopped');
    assert.deepEqual(s.producer.resources(), ZERO);
    await assert.rejects(s.producer.send({ topic: s.topic, body: 'late' }), closedError);
    s.fx.broker.faults.clear();
  });

  test('destroy() during shutdown({ timeoutMs: 30 s }) with a hung send ends it within 200 virtual ms', async (t) => {
    const s = await producerSetup(t);
    s.fx.broker.faults.hang('SendMessage');
    const sent = s.producer.send({ topic: s.topic, body: 'hung' }, { timeoutMs: 60_000 });
    await drive(s.time, () => s.producer.resources().calls === 1, 'send in flight', { maxVirtualMs: 0 });
    const graceful = watch(s.time, s.producer.shutdown({ timeoutMs: GRACEFUL_MS }));
    await drive(s.time, () => graceful.done, 'graceful still waiting', { maxVirtualMs: 100 }).then(
      () => assert.fail('the graceful shutdown must wait for the hung send'),
      () => {},
    );
    const forced = watch(s.time, s.producer.destroy());
    await drive(s.time, () => forced.done && graceful.done, 'destroyed', { maxVirtualMs: FORCED_MS });
    await assert.rejects(sent, closedError);
    assert.deepEqual(s.producer.resources(), ZERO);
    s.fx.broker.faults.clear();
  });
});

describe('Registry: a second shutdown signal forces the shutdown', () => {
  test('the second SIGUSR2 ends a graceful shutdown (30 s bound, handler blocked) within 200 virtual ms', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const time = fx.time!;
    const topic = uniqueName('lb-mg');
    const group = uniqueName('lb-mg-g');
    fx.broker.createTopic(topic, { queues: 1 });
    fx.broker.createConsumerGroup(group);
    const registry = new Registry({
      clock: time,
      timers: time,
      consumerOptions: { clock: time, timers: time },
      producerOptions: { clock: time, timers: time },
    });
    t.after(() => registry.destroy());
    const signals: AbortSignal[] = [];
    registry.registerConsumer(
      { jobName: 'blocked', topic, endpoint: fx.broker.endpoint, consumerGroup: group },
      (ctx) => {
        signals.push(ctx.signal);
        return new Promise<void>(() => {});
      },
    );
    const producer = await registry.registerProducer({ endpoint: fx.broker.endpoint, topics: [topic] });
    registry.startAllConsumers();
    await sendOne(fx, topic, 'blocked');
    await drive(time, () => signals.length === 1, 'handler running');
    const remove = registry.handleShutdownSignals(['SIGUSR2']);
    t.after(remove);
    const stopped = watch(time, registry.waitStop({ timeoutMs: GRACEFUL_MS }));
    process.emit('SIGUSR2', 'SIGUSR2');
    await drive(time, () => stopped.done, 'graceful still waiting', { maxVirtualMs: 100 }).then(
      () => assert.fail('the first signal must drain gracefully (the handler is blocked)'),
      () => {},
    );
    assert.equal(signals[0]?.aborted, false, 'the first signal lets the handler run');
    const forcedAt = time.monotonic();
    process.emit('SIGUSR2', 'SIGUSR2');
    await drive(time, () => stopped.done, 'stopped after the second signal', { maxVirtualMs: FORCED_MS });
    assert.ok(time.monotonic() - forcedAt <= FORCED_MS);
    assert.equal(signals[0]?.aborted, true, 'the handler was told to stop');
    assert.equal(registry.consumer('blocked')?.state, 'closed');
    await assert.rejects(producer.send({ topic, body: 'late' }), closedError);
    assert.deepEqual(registry.resources(), ZERO);
    assert.deepEqual(libraryResources.snapshot(), ZERO, 'every client of the registry released everything');
  });
});
