/**
 * Lifecycle on a REAL RocketMQ 5.x proxy: `destroy()` (also during a graceful shutdown) and a bounded
 * `shutdown({ timeoutMs })` release everything every client holds — its resource counts (timers,
 * channels, calls, streams, keep-alive) are all 0 afterwards, and so are the library's in total.
 *
 * Bounds: a forced stop waits on nothing (no listener, no call, no termination notice), so it must end
 * far inside the graceful bound it cuts short (30 s); 3 s leaves room for a loaded machine and still
 * fails the old behaviour (waiting the whole graceful bound). A bounded shutdown gets its bound plus the
 * same 3 s of slack on this real network path (the exact bound + 100 ms is proven on fake time in
 * test/component/reliability/lifecycle-bounds.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../src/errors.js';
import { libraryResources, type ResourceSnapshot } from '../../src/internal/resource-count.js';
import { Producer } from '../../src/producer/index.js';
import type { BrokerHandle } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';
import { waitUntil } from '../helpers/wait-for.js';

const ZERO: ResourceSnapshot = { timers: 0, channels: 0, calls: 0, streams: 0, keepAlive: 0 };
const GRACEFUL_MS = 30_000;
const SLACK_MS = 3_000;

const isClosed = (e: unknown): boolean => e instanceof RocketMQError && e.code === 'CLOSED';

describe('lifecycle against a real RocketMQ 5.x proxy', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') skipReason = `no RocketMQ broker available: ${b}`;
    else broker = b;
  });

  after(() => releaseSharedBroker());

  test('destroy() during a graceful shutdown, a bounded shutdown with a receive in flight, and destroy() with a send in flight release every resource', async (t) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('lc');
    const pushGroup = uniqueName('lc-push');
    const simpleGroup = uniqueName('lc-simple');
    const emptyTopic = uniqueName('lc-empty');
    await broker.createTopic(topic, 'NORMAL');
    await broker.createTopic(emptyTopic, 'NORMAL');
    await broker.createConsumerGroup(pushGroup);
    await broker.createConsumerGroup(simpleGroup);

    const producer = new Producer({ endpoints: broker.endpoint, topics: [topic] });
    t.after(() => producer.destroy());
    await producer.start();

    // PushConsumer: a listener blocked for good, a graceful shutdown with a 30 s bound, then destroy().
    const signals: AbortSignal[] = [];
    const push = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: pushGroup,
      subscriptions: { [topic]: '*' },
      listener: (_m, ctx) => {
        signals.push(ctx.signal);
        return new Promise<void>(() => {});
      },
    });
    t.after(() => push.destroy());
    await push.start();
    await producer.send({ topic, body: 'blocks the listener' });
    await waitUntil(() => signals.length >= 1, 60_000, 'the listener to run');
    const graceful = push.shutdown({ timeoutMs: GRACEFUL_MS });
    const forcedAt = performance.now();
    await push.destroy();
    const forcedMs = performance.now() - forcedAt;
    await graceful;
    t.diagnostic(`push consumer: destroy() during a 30 s graceful shutdown took ${forcedMs.toFixed(0)} ms`);
    assert.ok(forcedMs < SLACK_MS, `destroy() took ${forcedMs.toFixed(0)} ms`);
    assert.equal(signals[0]?.aborted, true, 'the listener was told to stop');
    assert.equal(push.state, 'stopped');
    assert.deepEqual(push.resources(), ZERO);

    // SimpleConsumer: a long poll in flight (20 s) on an empty topic, shutdown bounded to 1 s.
    const simple = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: simpleGroup,
      subscriptions: { [emptyTopic]: '*' },
      awaitDurationMs: 20_000,
    });
    t.after(() => simple.destroy());
    await simple.start();
    const polling = simple.receive(1, 10_000, { timeoutMs: 30_000 });
    await waitUntil(() => simple.resources().streams >= 2, 10_000, 'the receive stream to open');
    const boundedAt = performance.now();
    await simple.shutdown({ timeoutMs: 1_000 });
    const boundedMs = performance.now() - boundedAt;
    await assert.rejects(polling, isClosed);
    t.diagnostic(
      `simple consumer: shutdown({ timeoutMs: 1000 }) with a long poll in flight took ${boundedMs.toFixed(0)} ms`,
    );
    assert.ok(boundedMs < 1_000 + SLACK_MS, `shutdown took ${boundedMs.toFixed(0)} ms`);
    assert.deepEqual(simple.resources(), ZERO);

    // Producer: destroy() with a send in flight; the send either completed first or rejects CLOSED.
    const sent = producer.send({ topic, body: 'in flight at destroy' }).then(
      () => 'sent',
      (e: unknown) => (isClosed(e) ? 'closed' : `unexpected: ${String(e)}`),
    );
    const destroyedAt = performance.now();
    await producer.destroy();
    const destroyedMs = performance.now() - destroyedAt;
    const outcome = await sent;
    t.diagnostic(
      `producer: destroy() with a send in flight took ${destroyedMs.toFixed(0)} ms; the send: ${outcome}`,
    );
    assert.ok(outcome === 'sent' || outcome === 'closed', outcome);
    assert.ok(destroyedMs < SLACK_MS, `destroy() took ${destroyedMs.toFixed(0)} ms`);
    assert.deepEqual(producer.resources(), ZERO);

    assert.deepEqual(libraryResources.snapshot(), ZERO, 'no client of this file holds anything');
  });
});
