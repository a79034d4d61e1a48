/**
 * Metadata changes and consumer semantics under change (reliability-matrix rows D6, D7, E6, G3, G4) on the
 * in-process broker:
 *
 * - D6 a topic grows from 4 to 8 queues: the route refresh brings the new queues into use; a topic
 *   deleted while a producer uses it: `TOPIC_NOT_FOUND`, not retried, and another topic keeps flowing.
 * - D7 an orphaned transaction (its producer went away before deciding) is resolved by the checker of
 *   another producer of the topic, over its telemetry stream.
 * - E6 a receive in the same tick as start(): no "settings missing" error.
 * - G3 an ack after the invisible duration: `INVALID_RECEIPT_HANDLE` surfaced (never swallowed), the
 *   message comes back with the next delivery attempt and that ack settles it.
 * - G4 acking the same delivery twice: the second ack is refused, and nothing is redelivered.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { AtLeastOnceLedger, classifyAckError, copyOf } from '../../helpers/at-least-once.js';
import { drain, sendKeyed } from '../../helpers/ledger-flows.js';
import { consumerFor, producerFor, uniqueName, until } from './setup.js';

async function brokerFor(t: TestContext) {
  const broker = await InProcessBroker.start({
    longPollingMinMs: 0,
    minInvisibleDurationMs: 1_000,
    transactionCheckDelayMs: 200,
    transactionCheckIntervalMs: 200,
  });
  t.after(() => broker.shutdown());
  return broker;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    assert.ok(e instanceof RocketMQError, String(e));
    return e.code;
  }
}

describe('route changes', () => {
  test('D6 queues 4 → 8: after the route refresh the new queues receive messages', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('grow');
    broker.createTopic(topic, { queues: 4 });
    const producer = producerFor(t, broker.endpoint, {
      topics: [topic],
      core: { routeRefreshIntervalMs: 200 },
    });
    await producer.start();
    const used = new Set<number>();
    for (let i = 0; i < 16; i++) used.add((await producer.send({ topic, body: `a${i}` })).queue.queueId);
    assert.ok([...used].every((q) => q < 4));
    broker.createTopic(topic, { queues: 8 });
    await until(
      () => (producer.core.routes.peek(topic)?.queues.length ?? 0) === 8,
      5_000,
      'the refreshed route',
    );
    for (let i = 0; i < 64; i++) used.add((await producer.send({ topic, body: `b${i}` })).queue.queueId);
    assert.ok(
      [...used].some((q) => q >= 4),
      `queues used: ${[...used].sort().join(',')}`,
    );
  });

  test('D6 topic deleted while in use: TOPIC_NOT_FOUND, one call per send, another topic keeps flowing', async (t) => {
    const broker = await brokerFor(t);
    const doomed = uniqueName('doomed');
    const other = uniqueName('other');
    broker.createTopic(doomed);
    broker.createTopic(other);
    const producer = producerFor(t, broker.endpoint, { topics: [doomed, other] });
    await producer.start();
    await producer.send({ topic: doomed, body: 'before' });
    assert.equal(broker.deleteTopic(doomed), true);
    broker.resetStats();
    for (let i = 0; i < 5; i++)
      assert.equal(await codeOf(producer.send({ topic: doomed, body: 'x' })), 'TOPIC_NOT_FOUND');
    assert.ok(broker.stats().calls.SendMessage <= 5, `${broker.stats().calls.SendMessage} calls for 5 sends`);
    for (let i = 0; i < 5; i++) assert.ok((await producer.send({ topic: other, body: 'y' })).messageId);
  });
});

describe('transactions and consumer semantics', () => {
  test('D7 an orphaned half message is resolved by the checker of another producer of the topic', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('orphan');
    broker.createTopic(topic, { type: 'TRANSACTION' });
    const gone = producerFor(t, broker.endpoint, { topics: [topic] });
    await gone.start();
    await gone.beginTransaction().send({ topic, body: 'orphan' });
    await gone.shutdown(); // went away before commit or rollback
    assert.equal(broker.stats().halfMessages, 1);
    const checked: string[] = [];
    const heir = producerFor(t, broker.endpoint, {
      topics: [topic],
      transactionChecker: (m) => {
        checked.push(m.body.toString());
        return 'COMMIT';
      },
    });
    await heir.start();
    await until(() => broker.stats().halfMessages === 0, 10_000, 'the check to be resolved');
    assert.deepEqual(checked, ['orphan']);
    const consumer = consumerFor(t, broker.endpoint, uniqueName('orphan-g'), topic);
    await consumer.start();
    const [v] = await consumer.receive(1, 10_000);
    assert.equal(v?.body.toString(), 'orphan');
  });

  test('E6 a receive in the same tick as start(): refused INVALID_STATE before any call (no server-side error); the first receive after start gets the message', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('e6');
    broker.createTopic(topic);
    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    await producer.start();
    await producer.send({ topic, body: 'early' });
    const consumer = consumerFor(t, broker.endpoint, uniqueName('e6-g'), topic);
    const starting = consumer.start();
    const receiving = consumer.receive(1, 10_000).catch((e: unknown) => e);
    await starting;
    const got = await receiving;
    // The client refuses it while starting: the broker never sees a receive before the settings.
    assert.ok(got instanceof RocketMQError, `refused, not answered: ${String(got)}`);
    assert.equal(got.code, 'INVALID_STATE');
    assert.equal(broker.stats().calls.ReceiveMessage, 0, 'nothing reached the broker');
    const again = await consumer.receive(1, 10_000);
    assert.equal(again[0]?.body.toString(), 'early');
  });

  test('G3 ack after the invisible duration: INVALID_RECEIPT_HANDLE surfaced, redelivered with attempt 2, settled by that ack', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('g3');
    broker.createTopic(topic);
    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    const consumer = consumerFor(t, broker.endpoint, uniqueName('g3-g'), topic);
    await Promise.all([producer.start(), consumer.start()]);
    const ledger = new AtLeastOnceLedger('g3');
    const { key } = await sendKeyed(producer, ledger, topic);
    const [v] = await consumer.receive(1, 1_000);
    ledger.handled(key, { copy: copyOf(v!), attempt: v!.deliveryAttempt });
    await until(() => broker.stats().inflight === 0, 5_000, 'the invisibility to expire');
    const late = await consumer.ack(v!).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(late instanceof RocketMQError && late.code === 'INVALID_RECEIPT_HANDLE', String(late));
    ledger.acked(key, classifyAckError(late), { copy: copyOf(v!), err: late });
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: 1_000 });
    const deliveries = ledger.deliveriesOf(key);
    assert.equal(deliveries.length, 2);
    assert.equal(deliveries[1]!.attempt, 2);
    // The refused late ack causes exactly one redelivery, and that one is settled.
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 1 });
  });

  test('G4 the same delivery acked twice: the second is refused (not swallowed), nothing comes back', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('g4');
    broker.createTopic(topic);
    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    const consumer = consumerFor(t, broker.endpoint, uniqueName('g4-g'), topic);
    await Promise.all([producer.start(), consumer.start()]);
    await producer.send({ topic, body: 'once' });
    const [v] = await consumer.receive(1, 1_000);
    await consumer.ack(v!);
    assert.equal(await codeOf(consumer.ack(v!)), 'INVALID_RECEIPT_HANDLE');
    assert.equal(broker.stats().acked, 1);
    // Keep receiving past the invisible duration: an applied ack means no redelivery.
    const end = performance.now() + 1_500;
    while (performance.now() < end) assert.deepEqual(await consumer.receive(1, 1_000), []);
  });
});
