/**
 * SimpleConsumer against the in-process broker over loopback: receive/ack/changeInvisibleDuration round
 * trips, redelivery with delivery attempts, tag and SQL filters, abort of a long poll, shutdown without
 * leftovers, the async iterator, subscription changes, and error frames.
 *
 * Most tests drive the broker with fake time (ManualTime): invisibility and long polls move only when
 * the test advances time; "nothing is delivered" is checked by letting a receive park at the broker and
 * then ending its poll by advancing time.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { SimpleConsumer, type SimpleConsumerOptions } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { exponentialBackoff } from '../../../src/internal/backoff.js';
import { FilterExpression } from '../../../src/model/filter-expression.js';
import { MessageView } from '../../../src/model/message-view.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { type MessageSpec, message, uniqueName } from '../../helpers/in-process-client.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { type Fixture, startBroker, until } from '../in-process-broker/fixture.js';

const GROUP_PREFIX = 'sc-group';

interface Setup {
  fx: Fixture;
  topic: string;
  group: string;
  consumer: SimpleConsumer;
  send(spec: Omit<MessageSpec, 'topic'> & { topic?: string }): Promise<string>;
}

async function setup(
  t: TestContext,
  options: {
    fakeTime?: boolean;
    brokerOptions?: Parameters<typeof startBroker>[1];
    consumer?: Partial<SimpleConsumerOptions>;
    filter?: FilterExpression | string;
    start?: boolean;
  } = {},
): Promise<Setup> {
  const fx = await startBroker(t, { fakeTime: options.fakeTime ?? true, ...options.brokerOptions });
  const topic = uniqueName('sc');
  const group = uniqueName(GROUP_PREFIX);
  fx.broker.createTopic(topic);
  fx.broker.createConsumerGroup(group);
  const consumer = new SimpleConsumer({
    endpoints: fx.broker.endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: options.filter ?? '*' },
    awaitDurationMs: 1_000,
    ...options.consumer,
  });
  t.after(() => consumer.shutdown());
  if (options.start ?? true) await consumer.start();
  const producer = fx.client();
  return {
    fx,
    topic,
    group,
    consumer,
    send: async (spec) => {
      const m = message({ topic, ...spec });
      const res = await producer.send(m);
      assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
      return m.systemProperties!.messageId;
    },
  };
}

/** Starts a receive, lets it park at the (fake-time) broker, then ends its poll; returns its result. */
async function receiveParked(s: Setup, max = 32, invisibleMs = 30_000): Promise<MessageView[]> {
  const pending = s.consumer.receive(max, invisibleMs);
  await until(() => s.fx.broker.stats().waitingReceives === 1, 5_000, 'receive to park');
  s.fx.time!.advance(1_000);
  return pending;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<RocketMQError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RocketMQError, `expected a RocketMQError, got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected a rejection with ${code}`);
}

describe('SimpleConsumer round trips', () => {
  test('receive → ack: fields are mapped, and an acked message is not delivered again', async (t) => {
    const s = await setup(t);
    const id = await s.send({ body: 'payload', tag: 'TagA', keys: ['k1', 'k2'], props: { color: 'red' } });
    const views = await s.consumer.receive(32, 30_000);
    assert.equal(views.length, 1);
    const v = views[0]!;
    assert.ok(v instanceof MessageView);
    assert.equal(v.messageId, id);
    assert.equal(v.topic, s.topic);
    assert.equal(v.tag, 'TagA');
    assert.deepEqual(v.keys, ['k1', 'k2']);
    assert.deepEqual(v.properties, { color: 'red' });
    assert.equal(v.body.toString(), 'payload');
    assert.equal(v.deliveryAttempt, 1);
    assert.equal(v.corrupted, false);
    assert.ok(v.receiptHandle);
    assert.ok(v.endpoint.includes(String(s.fx.broker.port)));
    assert.ok(v.storeTimestamp instanceof Date);

    await s.consumer.ack(v);
    assert.equal(s.fx.broker.stats().acked, 1);
    s.fx.time!.advance(60_000);
    assert.deepEqual(await receiveParked(s), []);
  });

  test('an un-acked message is redelivered after its invisible duration with attempt + 1', async (t) => {
    const s = await setup(t);
    const id = await s.send({ body: 'again' });
    const [first] = await s.consumer.receive(1, 10_000);
    assert.equal(first?.deliveryAttempt, 1);
    s.fx.time!.advance(8_000);
    assert.deepEqual(await receiveParked(s), [], 'still invisible at 9 s');
    s.fx.time!.advance(1_000);
    const [second] = await s.consumer.receive(1, 10_000);
    assert.equal(second?.messageId, id);
    assert.equal(second?.deliveryAttempt, 2);
    await s.consumer.ack(second!);
    s.fx.time!.advance(60_000);
    assert.deepEqual(await receiveParked(s), []);
  });

  test('changeInvisibleDuration returns a view with a new receipt that later acks use', async (t) => {
    const s = await setup(t);
    await s.send({ body: 'slow' });
    const [v] = await s.consumer.receive(1, 10_000);
    const renewed = await s.consumer.changeInvisibleDuration(v!, 30_000);
    assert.ok(renewed instanceof MessageView);
    assert.notEqual(renewed.receiptHandle, v!.receiptHandle);
    assert.equal(renewed.messageId, v!.messageId);
    assert.equal(renewed.body.toString(), 'slow');
    s.fx.time!.advance(15_000); // past the original 10 s, within the new 30 s
    assert.deepEqual(await receiveParked(s), [], 'the extension holds');
    await s.consumer.ack(renewed);
    s.fx.time!.advance(60_000);
    assert.deepEqual(await receiveParked(s), [], 'acked with the new handle: never again');
  });

  test('changeInvisibleDuration(0) makes the message visible again at once', async (t) => {
    const s = await setup(t);
    const id = await s.send({ body: 'nack' });
    const [v] = await s.consumer.receive(1, 60_000);
    await s.consumer.changeInvisibleDuration(v!, 0);
    const [again] = await s.consumer.receive(1, 60_000);
    assert.equal(again?.messageId, id);
    assert.ok(again!.deliveryAttempt >= 2);
  });

  test('maxMessages bounds the batch', async (t) => {
    const s = await setup(t);
    for (let i = 0; i < 5; i++) await s.send({ body: `m${i}` });
    const a = await s.consumer.receive(3, 30_000);
    assert.equal(a.length, 3);
    const b = await s.consumer.receive(32, 30_000);
    assert.equal(b.length, 2);
    assert.deepEqual([...a, ...b].map((m) => m.body.toString()).sort(), ['m0', 'm1', 'm2', 'm3', 'm4']);
  });
});

describe('SimpleConsumer.ackAll', () => {
  test('acks a whole batch in one AckMessage, and none of it is delivered again', async (t) => {
    const s = await setup(t);
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(await s.send({ body: `m${i}` }));
    const views = await s.consumer.receive(32, 30_000);
    assert.equal(views.length, 20);
    s.fx.broker.resetStats();
    const results = await s.consumer.ackAll(views);
    assert.equal(s.fx.broker.stats().calls.AckMessage, 1);
    assert.equal(s.fx.broker.stats().acked, 20);
    assert.deepEqual(
      results.map((r) => r.message.messageId),
      views.map((v) => v.messageId),
      'results come back in input order',
    );
    assert.ok(results.every((r) => r.error === undefined));
    s.fx.time!.advance(60_000);
    assert.deepEqual(await receiveParked(s), []);
  });

  test('each message has its own outcome: a superseded receipt fails, the others are acked', async (t) => {
    const s = await setup(t);
    for (let i = 0; i < 3; i++) await s.send({ body: `m${i}` });
    const views = await s.consumer.receive(32, 30_000);
    assert.equal(views.length, 3);
    await s.consumer.changeInvisibleDuration(views[1]!, 30_000); // views[1]'s handle is now stale
    const results = await s.consumer.ackAll(views);
    assert.equal(results[0]?.error, undefined);
    assert.equal(results[1]?.error?.code, 'INVALID_RECEIPT_HANDLE');
    assert.equal(results[2]?.error, undefined);
    assert.equal(s.fx.broker.stats().acked, 2);
  });

  test('more than 128 messages go out in chunks of at most 128 entries', async (t) => {
    const s = await setup(t);
    for (let i = 0; i < 140; i++) await s.send({ body: `m${i}` });
    const views: MessageView[] = [];
    while (views.length < 140) {
      const batch = await s.consumer.receive(32, 30_000);
      assert.ok(batch.length > 0, 'the backlog is there');
      views.push(...batch);
    }
    s.fx.broker.resetStats();
    const results = await s.consumer.ackAll(views);
    assert.equal(s.fx.broker.stats().calls.AckMessage, 2);
    assert.equal(s.fx.broker.stats().acked, 140);
    assert.equal(results.filter((r) => r.error !== undefined).length, 0);
  });

  test('a request that fails as a whole gives its error to every message of it; they come back', async (t) => {
    const s = await setup(t);
    for (let i = 0; i < 4; i++) await s.send({ body: `m${i}` });
    const views = await s.consumer.receive(32, 10_000);
    s.fx.broker.faults.failNext('AckMessage', 1, { grpcStatus: 14 });
    const results = await s.consumer.ackAll(views);
    assert.deepEqual(
      results.map((r) => r.error?.code),
      ['UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE', 'UNAVAILABLE'],
    );
    assert.equal(s.fx.broker.stats().acked, 0);
    s.fx.time!.advance(11_000);
    const again = await s.consumer.receive(32, 30_000);
    assert.deepEqual(again.map((v) => v.messageId).sort(), views.map((v) => v.messageId).sort());
  });

  test('bad input and wrong state send nothing; an empty array sends nothing', async (t) => {
    const s = await setup(t);
    await s.send({});
    const [v] = await s.consumer.receive(1, 30_000);
    s.fx.broker.resetStats();
    await rejectsWith(s.consumer.ackAll(v as unknown as MessageView[]), 'INVALID_ARGUMENT');
    await rejectsWith(s.consumer.ackAll(null as unknown as MessageView[]), 'INVALID_ARGUMENT');
    await rejectsWith(s.consumer.ackAll([v!, {} as MessageView]), 'INVALID_ARGUMENT');
    await rejectsWith(
      s.consumer.ackAll([v!, new MessageView({ ...v!, endpoint: 'ipv4:10.9.9.9:1' })]),
      'INVALID_ARGUMENT',
    );
    await rejectsWith(s.consumer.ackAll([v!], { timeoutMs: -1 }), 'INVALID_ARGUMENT');
    assert.deepEqual(await s.consumer.ackAll([]), []);
    assert.equal(s.fx.broker.stats().calls.AckMessage, 0);
    await s.consumer.shutdown();
    await rejectsWith(s.consumer.ackAll([v!]), 'CLOSED');
  });
});

describe('SimpleConsumer filters', () => {
  test('tag a||b selects exactly the a and b messages', async (t) => {
    const s = await setup(t, { filter: FilterExpression.tag('a||b') });
    const want = [await s.send({ tag: 'a' }), await s.send({ tag: 'b' })];
    await s.send({ tag: 'c' });
    await s.send({});
    await s.send({ tag: 'ab' });
    const got = await s.consumer.receive(32, 30_000);
    assert.deepEqual(got.map((m) => m.messageId).sort(), [...want].sort());
    s.fx.time!.advance(1);
    assert.deepEqual(await receiveParked(s), []);
  });

  test('an SQL92 filter selects exactly the matching messages', async (t) => {
    const s = await setup(t, { filter: FilterExpression.sql("region = 'eu' AND amount > 5") });
    const want = await s.send({ props: { region: 'eu', amount: '10' } });
    await s.send({ props: { region: 'eu', amount: '3' } });
    await s.send({ props: { region: 'us', amount: '10' } });
    await s.send({});
    const got = await s.consumer.receive(32, 30_000);
    assert.deepEqual(
      got.map((m) => m.messageId),
      [want],
    );
  });

  test('subscribe at runtime replaces the filter; unsubscribe stops receiving', async (t) => {
    const s = await setup(t, { filter: 'x' });
    await s.send({ tag: 'y', body: 'y1' });
    assert.deepEqual(await receiveParked(s), []);
    await s.consumer.subscribe(s.topic, 'y');
    assert.equal(s.consumer.subscriptions.get(s.topic)?.expression, 'y');
    // Like the broker's pop, messages skipped by the old filter are not re-offered: send another one.
    await s.send({ tag: 'y', body: 'y2' });
    const got = await s.consumer.receive(32, 30_000);
    assert.deepEqual(
      got.map((m) => m.body.toString()),
      ['y2'],
    );
    assert.equal(s.consumer.unsubscribe(s.topic), true);
    assert.equal(s.consumer.unsubscribe(s.topic), false);
    await rejectsWith(s.consumer.receive(1, 30_000), 'INVALID_STATE');
  });

  test('subscribe to a second topic: receives take the topics in turn', async (t) => {
    const s = await setup(t);
    const other = uniqueName('sc-other');
    s.fx.broker.createTopic(other);
    await s.consumer.subscribe(other, FilterExpression.all);
    await s.send({ body: 'one' });
    await s.send({ topic: other, body: 'two' });
    const a = await s.consumer.receive(32, 30_000);
    const b = await s.consumer.receive(32, 30_000);
    assert.deepEqual([...a, ...b].map((m) => m.topic).sort(), [s.topic, other].sort());
    assert.equal(a.length, 1);
    assert.equal(b.length, 1);
  });

  test('subscribe to an unknown topic fails and leaves the subscriptions unchanged', async (t) => {
    const s = await setup(t);
    await rejectsWith(s.consumer.subscribe('no-such-topic-x', '*'), 'TOPIC_NOT_FOUND');
    assert.deepEqual([...s.consumer.subscriptions.keys()], [s.topic]);
  });
});

describe('SimpleConsumer bad input sends nothing', () => {
  test('each bad argument has its own code and no call reaches the broker', async (t) => {
    const s = await setup(t);
    await s.send({});
    const [v] = await s.consumer.receive(1, 30_000);
    s.fx.broker.resetStats();
    const c = s.consumer;
    await rejectsWith(c.receive(0, 30_000), 'INVALID_ARGUMENT');
    await rejectsWith(c.receive(33, 30_000), 'INVALID_ARGUMENT');
    await rejectsWith(c.receive(1.5, 30_000), 'INVALID_ARGUMENT');
    await rejectsWith(c.receive(1, 9_999), 'ILLEGAL_INVISIBLE_TIME');
    await rejectsWith(c.receive(1, 12 * 3600_000 + 1), 'ILLEGAL_INVISIBLE_TIME');
    await rejectsWith(c.receive(1, 30_000, { timeoutMs: -1 }), 'INVALID_ARGUMENT');
    await rejectsWith(c.ack({} as MessageView), 'INVALID_ARGUMENT');
    await rejectsWith(c.ack(new MessageView({ ...v!, receiptHandle: '' })), 'INVALID_ARGUMENT');
    await rejectsWith(c.ack(new MessageView({ ...v!, endpoint: 'ipv4:10.9.9.9:1' })), 'INVALID_ARGUMENT');
    await rejectsWith(c.changeInvisibleDuration(v!, -1), 'ILLEGAL_INVISIBLE_TIME');
    await rejectsWith(c.changeInvisibleDuration(v!, Number.NaN), 'INVALID_ARGUMENT');
    await rejectsWith(c.subscribe('bad topic!', '*'), 'ILLEGAL_TOPIC');
    await rejectsWith(c.subscribe(s.topic, 'a||'), 'ILLEGAL_FILTER_EXPRESSION');
    await rejectsWith(c.subscribe(s.topic, 42 as unknown as string), 'INVALID_ARGUMENT');
    const calls = s.fx.broker.stats().calls;
    assert.equal(calls.ReceiveMessage, 0);
    assert.equal(calls.AckMessage, 0);
    assert.equal(calls.ChangeInvisibleDuration, 0);
    assert.equal(calls.QueryRoute, 0);
  });

  test('calls before start or after shutdown fail with INVALID_STATE / CLOSED', async (t) => {
    const s = await setup(t, { start: false });
    await rejectsWith(s.consumer.receive(1, 30_000), 'INVALID_STATE');
    await s.consumer.start();
    await s.consumer.shutdown();
    await rejectsWith(s.consumer.receive(1, 30_000), 'CLOSED');
    await rejectsWith(s.consumer.start(), 'CLOSED');
    await rejectsWith(s.consumer.subscribe(s.topic, '*'), 'CLOSED');
  });
});

describe('SimpleConsumer error frames', () => {
  test('a non-OK status frame becomes its typed error; a missing status is INTERNAL; gRPC errors pass through', async (t) => {
    const s = await setup(t);
    s.fx.broker.faults.failNext('ReceiveMessage', 1, { code: 42900 });
    const throttled = await rejectsWith(s.consumer.receive(1, 30_000), 'TOO_MANY_REQUESTS');
    assert.equal(throttled.retriable, true);
    assert.equal(throttled.brokerCode, 42900);
    assert.ok(throttled.requestId);

    s.fx.broker.faults.failNext('ReceiveMessage', 1, { grpcStatus: 14 });
    await rejectsWith(s.consumer.receive(1, 30_000), 'UNAVAILABLE');

    await s.send({ body: 'lost-frame' }); // answered at once, but without a status frame
    s.fx.broker.faults.malformed('ReceiveMessage', 'no-status');
    await rejectsWith(s.consumer.receive(1, 30_000), 'INTERNAL');
    s.fx.broker.faults.clear();

    await s.send({ body: 'fine' });
    const got = await s.consumer.receive(1, 30_000);
    assert.equal(got[0]?.body.toString(), 'fine');
  });

  test('an ack with a superseded receipt handle fails with the broker code', async (t) => {
    const s = await setup(t);
    await s.send({});
    const [v] = await s.consumer.receive(1, 30_000);
    await s.consumer.changeInvisibleDuration(v!, 30_000);
    const err = await rejectsWith(s.consumer.ack(v!), 'INVALID_RECEIPT_HANDLE');
    assert.equal(err.retriable, false);
  });
});

describe('SimpleConsumer long polling, abort and shutdown', () => {
  test('abort interrupts a long poll at once', async (t) => {
    const s = await setup(t, { fakeTime: false, consumer: { awaitDurationMs: 20_000 } });
    const ac = new AbortController();
    const started = performance.now();
    const pending = s.consumer.receive(1, 30_000, { signal: ac.signal });
    await until(() => s.fx.broker.stats().waitingReceives === 1, 5_000, 'receive to park');
    ac.abort();
    await rejectsWith(pending, 'ABORTED');
    assert.ok(performance.now() - started < 2_000, 'returned long before the 20 s poll');
    // The stream is gone; the pop itself goes on inside the broker until its polling time ends, as the
    // proxy's does.
    await until(() => s.fx.broker.stats().receiveStreams === 0, 5_000, 'broker to drop the call');
  });

  test('a receive with an already-aborted signal sends nothing', async (t) => {
    const s = await setup(t);
    s.fx.broker.resetStats();
    await rejectsWith(s.consumer.receive(1, 30_000, { signal: AbortSignal.abort() }), 'ABORTED');
    assert.equal(s.fx.broker.stats().calls.ReceiveMessage, 0);
  });

  test('an await duration under the proxy minimum (5 s) still long-polls instead of failing', async (t) => {
    // Broker polling clamped to ≥ 5 s like the Apache proxy; a 1 s await used to get a 4 s deadline,
    // which the proxy refuses (BAD_REQUEST) because it leaves less than its minimum polling time.
    const s = await setup(t, {
      brokerOptions: { longPollingMinMs: 5_000 },
      consumer: { awaitDurationMs: 1_000 },
    });
    const pending = s.consumer.receive(1, 30_000);
    await until(() => s.fx.broker.stats().waitingReceives === 1, 5_000, 'receive to park');
    s.fx.time!.advance(5_000);
    assert.deepEqual(await pending, []);
  });

  test('a message arriving during a long poll is delivered to it', async (t) => {
    const s = await setup(t, { fakeTime: false, consumer: { awaitDurationMs: 20_000 } });
    const pending = s.consumer.receive(1, 30_000);
    await until(() => s.fx.broker.stats().waitingReceives === 1, 5_000, 'receive to park');
    const id = await s.send({ body: 'late' });
    const [v] = await pending;
    assert.equal(v?.messageId, id);
  });

  test('shutdown lets a receive whose poll ends within the bound finish and hands back what it brings (CLOSED to its caller)', async (t) => {
    const s = await setup(t);
    const pending = s.consumer.receive(1, 30_000);
    await until(() => s.fx.broker.stats().waitingReceives === 1, 5_000, 'receive to park');
    const stopping = s.consumer.shutdown();
    // Sent as the consumer stops: a cancelled receive would leave it to the broker (nacked for 1 s, or
    // invisible for 30 s when the answer was already on its way).
    await s.send({ body: 'racing' });
    await rejectsWith(pending, 'CLOSED');
    await stopping;
    assert.equal(s.fx.broker.stats().inflight, 0, 'visible again at once');
    const c = s.fx.client();
    await c.consumerSession(s.group, [s.topic]);
    const got = await c.receive({ group: s.group, topic: s.topic });
    assert.deepEqual(
      got.messages.map((m) => Buffer.from(m.body).toString()),
      ['racing'],
    );
  });

  test('shutdown interrupts receives in flight (CLOSED) and leaves no handles', async (t) => {
    const baseline = resources();
    const broker = await InProcessBroker.start({ longPollingMinMs: 0 });
    t.after(() => broker.shutdown());
    const topic = uniqueName('sc-shut');
    broker.createTopic(topic);
    const consumer = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: uniqueName(GROUP_PREFIX),
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 20_000,
    });
    await consumer.start();
    const pending = consumer.receive(1, 30_000);
    await until(() => broker.stats().waitingReceives === 1, 5_000, 'receive to park');
    const started = performance.now();
    await Promise.all([consumer.shutdown(), consumer.shutdown()]);
    await rejectsWith(pending, 'CLOSED');
    assert.ok(performance.now() - started < 3_000);
    assert.equal(consumer.state, 'stopped');
    await broker.shutdown();
    await assertNoExtraResources(baseline);
  });

  test('await using shuts the consumer down', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('sc-dispose');
    fx.broker.createTopic(topic);
    let ref: SimpleConsumer | undefined;
    {
      await using consumer = new SimpleConsumer({
        endpoints: fx.broker.endpoint,
        consumerGroup: uniqueName(GROUP_PREFIX),
        subscriptions: { [topic]: '*' },
      });
      ref = consumer;
      await consumer.start();
      assert.equal(consumer.state, 'running');
    }
    assert.equal(ref.state, 'stopped');
  });
});

describe('SimpleConsumer.messages()', () => {
  test('yields messages across empty polls until aborted, then ends normally', async (t) => {
    const s = await setup(t, { fakeTime: false, consumer: { awaitDurationMs: 50 } });
    const ac = new AbortController();
    const got: string[] = [];
    const sent: string[] = [];
    const loop = (async () => {
      for await (const m of s.consumer.messages({
        signal: ac.signal,
        maxMessages: 2,
        invisibleDurationMs: 30_000,
      })) {
        got.push(m.messageId);
        await s.consumer.ack(m);
        if (got.length === 5) ac.abort();
      }
    })();
    // Let at least two empty polls happen before anything is sent.
    await until(() => s.fx.broker.stats().calls.ReceiveMessage >= 2, 5_000, 'empty polls');
    for (let i = 0; i < 5; i++) sent.push(await s.send({ body: `it${i}` }));
    await loop;
    assert.deepEqual([...got].sort(), [...sent].sort());
    assert.equal(s.fx.broker.stats().acked, 5);
  });

  test('retriable failures back off and continue; a non-retriable one is thrown', async (t) => {
    const s = await setup(t, {
      consumer: { retryBackoff: exponentialBackoff({ initialMs: 1, maxMs: 5, multiplier: 2, jitter: 0 }) },
    });
    const id = await s.send({ body: 'after-throttle' });
    s.fx.broker.faults.failNext('ReceiveMessage', 2, { code: 42900 });
    const it = s.consumer.messages({ invisibleDurationMs: 30_000 });
    const first = await it.next();
    assert.equal(first.done, false);
    assert.equal(first.value?.messageId, id);
    s.fx.broker.faults.failNext('ReceiveMessage', 1, { code: 40300 });
    await assert.rejects(it.next(), (e: unknown) => e instanceof RocketMQError && e.code === 'FORBIDDEN');
    assert.deepEqual(await it.next(), { done: true, value: undefined });
  });

  test('shutdown ends the iteration', async (t) => {
    const s = await setup(t);
    const it = s.consumer.messages();
    const next = it.next();
    await until(() => s.fx.broker.stats().waitingReceives === 1, 5_000, 'receive to park');
    await s.consumer.shutdown();
    assert.deepEqual(await next, { done: true, value: undefined });
  });
});

// ── resource accounting (same approach as the ClientCore component test) ──
