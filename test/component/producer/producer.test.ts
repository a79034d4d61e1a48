/**
 * The Producer against the in-process broker over loopback: lifecycle, every message type, retries
 * under injected failures, throttling backoff, no retry on 4xx, type checks without RPCs, batches,
 * recall, transactions and the transaction checker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { TRACE_PROPERTY } from '../../../src/observability/tracing.js';
import { customizedBackoff } from '../../../src/internal/backoff.js';
import { ManualClock } from '../../../src/internal/clock.js';
import { BROKER_AVOIDANCE_MS } from '../../../src/producer/broker-avoidance.js';
import { Producer, type ProducerOptions } from '../../../src/producer/index.js';
import { InProcessBroker, ManualTime } from '../../../src/testing/index.js';

let counter = 0;
const uniqueTopic = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

/** Waits (bounded, on I/O turns) until `cond()` holds. */
async function waitFor(cond: () => boolean, what: string, boundMs = 3_000): Promise<void> {
  const started = performance.now();
  while (!cond()) {
    if (performance.now() - started > boundMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<RocketMQError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RocketMQError, `expected a RocketMQError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a rejection with ${code}`);
}

describe('Producer against the in-process broker', () => {
  let broker: InProcessBroker;
  const producers: Producer[] = [];
  const make = (options: Partial<ProducerOptions> = {}): Producer => {
    const p = new Producer({
      endpoints: broker.endpoint,
      throttleBackoff: customizedBackoff([5]),
      ...options,
    });
    producers.push(p);
    return p;
  };
  const sends = (): number => broker.stats().calls.SendMessage;

  before(async () => {
    broker = await InProcessBroker.start();
  });

  after(async () => {
    await Promise.all(producers.map((p) => p.shutdown({ timeoutMs: 1_000 })));
    await broker.shutdown();
  });

  test('lifecycle: INVALID_STATE before start, idempotent start/shutdown, CLOSED after', async () => {
    const topic = uniqueTopic('life');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    await rejectsWith(p.send({ topic, body: 'x' }), 'INVALID_STATE');
    const [a, b] = [p.start(), p.start()];
    assert.equal(a, b, 'concurrent starts share one promise');
    await a;
    await p.start();
    const receipt = await p.send({ topic, body: 'hello', tag: 't', keys: ['k1'] });
    assert.equal(receipt.messageId.length, 34);
    assert.equal(receipt.queue.topic, topic);
    assert.equal(typeof receipt.offset, 'bigint');
    assert.ok(receipt.endpoint.includes(String(broker.port)));
    const stopping = p.shutdown();
    assert.equal(p.shutdown(), stopping, 'shutdown is idempotent');
    await stopping;
    await rejectsWith(p.send({ topic, body: 'x' }), 'CLOSED');
    await rejectsWith(p.start(), 'CLOSED');
    assert.throws(() => p.beginTransaction(), { code: 'CLOSED' });
  });

  test('Symbol.asyncDispose shuts the producer down', async () => {
    const topic = uniqueTopic('dispose');
    broker.createTopic(topic);
    let kept: Producer;
    {
      await using p = make({ topics: [topic] });
      kept = p;
      await p.start();
      await p.send({ topic, body: 'x' });
    }
    assert.equal(kept.state, 'stopped');
  });

  test('a send while start() runs waits for it', async () => {
    const topic = uniqueTopic('early');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    const starting = p.start();
    const receipt = await p.send({ topic, body: 'x' });
    await starting;
    assert.equal(receipt.queue.topic, topic);
  });

  test('retries retriable failures on the same message id, isolating the endpoint', async () => {
    const topic = uniqueTopic('retry');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    await p.start();
    broker.resetStats();
    broker.faults.failNext('SendMessage', 2, { code: 50001 });
    const receipt = await p.send({ topic, body: 'x' });
    assert.equal(sends(), 3, 'two failures then a success');
    assert.equal(broker.stats().stored >= 1, true);
    assert.deepEqual(p.isolatedEndpoints, [receipt.endpoint], 'the failing endpoint was isolated');
    const readmitted = await p.probeIsolated();
    assert.deepEqual(readmitted, [receipt.endpoint], 'a successful heartbeat re-admits it');
    assert.deepEqual(p.isolatedEndpoints, []);
  });

  test('a retriable failure avoids its broker for 10 s by the clock; a lone broker is still tried', async () => {
    const topic = uniqueTopic('avoid');
    broker.createTopic(topic);
    const clock = new ManualClock(Date.now());
    const p = make({ topics: [topic], clock });
    await p.start();
    broker.resetStats();
    broker.faults.failNext('SendMessage', 1, { code: 50001, message: 'connect to broker failed' });
    const receipt = await p.send({ topic, body: 'x' });
    assert.equal(sends(), 2, 'one failure, then the retry');
    assert.deepEqual(p.avoidedBrokers, [receipt.queue.brokerName], 'the failing broker is avoided');
    await p.send({ topic, body: 'y' });
    assert.equal(sends(), 3, 'the only broker of the route is still sent to while avoided');
    clock.advance(BROKER_AVOIDANCE_MS);
    assert.deepEqual(p.avoidedBrokers, [], 'avoidance ends after its period');
  });

  test('gives up after maxAttempts with the last error (gRPC UNAVAILABLE)', async () => {
    const topic = uniqueTopic('exhaust');
    broker.createTopic(topic);
    const p = make({ topics: [topic], maxAttempts: 2 });
    await p.start();
    broker.resetStats();
    broker.faults.failNext('SendMessage', 5, { grpcStatus: 14 });
    await rejectsWith(p.send({ topic, body: 'x' }), 'UNAVAILABLE');
    assert.equal(sends(), 2);
    broker.faults.clear();
  });

  test('throttling (42900) backs off and retries', async () => {
    const topic = uniqueTopic('throttle');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    await p.start();
    broker.resetStats();
    broker.faults.failNext('SendMessage', 1, { code: 42900 });
    await p.send({ topic, body: 'x' });
    assert.equal(sends(), 2);
  });

  test('a 4xx answer is not retried', async () => {
    const topic = uniqueTopic('no-retry');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    await p.start();
    broker.resetStats();
    broker.faults.failNext('SendMessage', 1, { code: 40000 });
    await rejectsWith(p.send({ topic, body: 'x' }), 'BAD_REQUEST');
    assert.equal(sends(), 1);
    assert.deepEqual(p.isolatedEndpoints, [], 'a 4xx does not isolate');
  });

  test('the total timeout bounds all attempts', async () => {
    const topic = uniqueTopic('budget');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    await p.start();
    broker.faults.hang('SendMessage');
    try {
      const err = await rejectsWith(p.send({ topic, body: 'x' }, { timeoutMs: 100 }), 'TIMEOUT');
      assert.ok(err.retriable);
    } finally {
      broker.faults.clear();
    }
  });

  test('an aborted signal stops the send with ABORTED', async () => {
    const topic = uniqueTopic('abort');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    await p.start();
    await rejectsWith(p.send({ topic, body: 'x' }, { signal: AbortSignal.abort() }), 'ABORTED');
  });

  test('a message of another type than the topic fails locally, no RPC', async () => {
    const topic = uniqueTopic('fifo-only');
    broker.createTopic(topic, { type: 'FIFO' });
    const p = make({ topics: [topic] });
    await p.start();
    broker.resetStats();
    await rejectsWith(p.send({ topic, body: 'x' }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    await rejectsWith(p.send({ topic, body: 'x', delayMs: 1000 }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    assert.equal(sends(), 0);
  });

  test('FIFO messages of one group go to one queue', async () => {
    const topic = uniqueTopic('fifo');
    broker.createTopic(topic, { type: 'FIFO', queues: 4 });
    const p = make({ topics: [topic] });
    await p.start();
    const receipts = [];
    for (let i = 0; i < 5; i++) receipts.push(await p.send({ topic, body: `m${i}`, messageGroup: 'g1' }));
    assert.equal(new Set(receipts.map((r) => r.queue.queueId)).size, 1);
  });

  test('delay message: recall handle, then recall', async () => {
    const topic = uniqueTopic('delay');
    broker.createTopic(topic, { type: 'DELAY' });
    const p = make({ topics: [topic] });
    await p.start();
    const receipt = await p.send({ topic, body: 'later', delayMs: 60_000 });
    assert.ok(receipt.recallHandle, 'a recall handle');
    assert.equal(broker.stats().scheduled >= 1, true);
    const before = broker.stats().scheduled;
    const id = await p.recallMessage(topic, receipt.recallHandle!);
    assert.equal(id, receipt.messageId);
    assert.equal(broker.stats().scheduled, before - 1);
    await rejectsWith(p.recallMessage(topic, ' '), 'INVALID_ARGUMENT');
  });

  test('priority message on a PRIORITY topic', async () => {
    const topic = uniqueTopic('prio');
    broker.createTopic(topic, { type: 'PRIORITY' });
    const p = make({ topics: [topic] });
    await p.start();
    const receipt = await p.send({ topic, body: 'x', priority: 3 });
    assert.ok(receipt.messageId);
  });

  test('sendBatch: one request, the proxy entries, our ids', async () => {
    const topic = uniqueTopic('batch');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    await p.start();
    broker.resetStats();
    const storedBefore = broker.stats().stored;
    const result = await p.sendBatch([
      { topic, body: 'a' },
      { topic, body: 'b' },
      { topic, body: 'c' },
    ]);
    assert.equal(sends(), 1);
    assert.equal(result.messageIds.length, 3);
    assert.ok(result.entries.length >= 1);
    assert.equal(broker.stats().stored - storedBefore, 3);
    await rejectsWith(
      p.sendBatch([
        { topic, body: 'a' },
        { topic, body: 'b', delayMs: 10 },
      ]),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    );
    await rejectsWith(p.sendBatch([]), 'INVALID_ARGUMENT');
    assert.equal(sends(), 1);
  });

  test('transactions: commit makes the message visible, rollback drops it', async () => {
    const topic = uniqueTopic('tx');
    broker.createTopic(topic, { type: 'TRANSACTION' });
    const p = make({ topics: [topic] });
    await p.start();
    const stored0 = broker.stats().stored;
    const tx = p.beginTransaction();
    const r1 = await tx.send({ topic, body: 'one' });
    const r2 = await tx.send({ topic, body: 'two' });
    assert.ok(r1.transactionId && r2.transactionId);
    assert.equal(broker.stats().halfMessages >= 2, true);
    await tx.commit();
    assert.equal(tx.state, 'committed');
    assert.equal(broker.stats().stored - stored0, 2);
    await tx.commit(); // idempotent
    await rejectsWith(tx.rollback(), 'INVALID_STATE');
    await rejectsWith(tx.send({ topic, body: 'late' }), 'INVALID_STATE');

    const tx2 = p.beginTransaction();
    await tx2.send({ topic, body: 'gone' });
    await tx2.rollback();
    assert.equal(tx2.state, 'rolled-back');
    assert.equal(broker.stats().stored - stored0, 2, 'rolled-back message not stored');

    await rejectsWith(p.beginTransaction().commit(), 'INVALID_STATE');
    const undeclared = uniqueTopic('tx-undeclared');
    broker.createTopic(undeclared, { type: 'TRANSACTION' });
    await rejectsWith(p.beginTransaction().send({ topic: undeclared, body: 'x' }), 'INVALID_ARGUMENT');
    await rejectsWith(
      p.beginTransaction().send({ topic, body: 'x', messageGroup: 'g' }),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    );
  });

  test('trace seeds are written into the message properties', async () => {
    const topic = uniqueTopic('trace');
    broker.createTopic(topic);
    const p = make({ topics: [topic] });
    await p.start();
    const receipt = await p.send(
      { topic, body: 'x', properties: { a: 'b' } },
      { requestId: 'req-1', traceId: 't1', spanId: 's1' },
    );
    // Read back what the broker stored: the given ids travel as message properties beside the user's.
    const group = uniqueTopic('trace-g');
    const consumer = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 1_000,
    });
    await consumer.start();
    try {
      const [view] = await consumer.receive(1, 10_000);
      assert.equal(view?.messageId, receipt.messageId);
      assert.equal(view?.properties.a, 'b');
      assert.equal(view?.properties[TRACE_PROPERTY.requestId], 'req-1');
      assert.equal(view?.properties[TRACE_PROPERTY.traceId], 't1');
      assert.equal(view?.properties[TRACE_PROPERTY.spanId], 's1');
      await consumer.ack(view!);
    } finally {
      await consumer.shutdown();
    }
  });
});

describe('Producer transaction checker (broker-driven checks on manual time)', () => {
  test('the checker answers a check with EndTransaction (SERVER_CHECK)', async () => {
    const time = new ManualTime();
    const broker = await InProcessBroker.start({ clock: time, transactionCheckDelayMs: 1_000 });
    const topic = uniqueTopic('txcheck');
    broker.createTopic(topic, { type: 'TRANSACTION' });
    const checked: string[] = [];
    const p = new Producer({
      endpoints: broker.endpoint,
      topics: [topic],
      transactionChecker: (m) => {
        checked.push(m.body.toString());
        return m.body.toString() === 'commit-me' ? 'COMMIT' : 'ROLLBACK';
      },
    });
    try {
      await p.start();
      const stored0 = broker.stats().stored;
      await p.beginTransaction().send({ topic, body: 'commit-me' });
      await p.beginTransaction().send({ topic, body: 'drop-me' });
      assert.equal(broker.stats().halfMessages, 2);
      await time.advanceAndSettle(1_500);
      await waitFor(() => broker.stats().halfMessages === 0, 'both transactions resolved');
      assert.deepEqual(checked.sort(), ['commit-me', 'drop-me']);
      assert.equal(broker.stats().stored - stored0, 1, 'only the committed one is stored');
    } finally {
      await p.shutdown({ timeoutMs: 1_000 });
      await broker.shutdown();
    }
  });
});
