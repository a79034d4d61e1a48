/**
 * Protocol-level faults injected by the in-process broker's fault hooks (error codes, stream drops,
 * hangs, malformed responses, missing fields) against the Producer, the SimpleConsumer and the client
 * core: each fault gives a typed error or a bounded recovery, a bounded number of RPCs (counted by the
 * broker), and no crash. Backoff timings are checked on fake time (ManualTime drives the client's
 * timers) so they are exact, not measured.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { exponentialBackoff } from '../../../src/internal/backoff.js';
import { Producer } from '../../../src/producer/index.js';
import type { TelemetryStateChange } from '../../../src/protocol/telemetry-session.js';
import { InProcessBroker, ManualTime } from '../../../src/testing/index.js';
import { AtLeastOnceLedger, classifyAckError, copyOf } from '../../helpers/at-least-once.js';
import { drain, handleAndAck, sendKeyed } from '../../helpers/ledger-flows.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { consumerFor, producerFor, uniqueName, until, watchUnhandled } from './setup.js';

async function brokerFor(t: TestContext, options: Parameters<typeof InProcessBroker.start>[0] = {}) {
  const broker = await InProcessBroker.start({
    longPollingMinMs: 0,
    minInvisibleDurationMs: 1_000,
    ...options,
  });
  t.after(() => broker.shutdown());
  return broker;
}

async function codeOf(p: Promise<unknown>): Promise<RocketMQError | 'OK'> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    assert.ok(e instanceof RocketMQError, `expected a RocketMQError, got ${String(e)}`);
    return e;
  }
}

async function expectCode(p: Promise<unknown>, code: string): Promise<RocketMQError> {
  const r = await codeOf(p);
  assert.notEqual(r, 'OK', `expected ${code}, got success`);
  const e = r as RocketMQError;
  assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
  return e;
}

/** Shuts a client on fake time down: its drain and grace timers only fire when time moves. */
async function shutdownOnFakeTime(
  client: { shutdown(o?: { timeoutMs?: number }): Promise<void> },
  time: ManualTime,
) {
  let done = false;
  const stopping = client.shutdown({ timeoutMs: 500 }).finally(() => {
    done = true;
  });
  while (!done) {
    time.advance(100);
    await new Promise((r) => setTimeout(r, 5));
  }
  await stopping;
}

/** A topic on `broker` and a started producer for it. */
async function producerSetup(
  t: TestContext,
  broker: InProcessBroker,
  options: Parameters<typeof producerFor>[2] = {},
) {
  const topic = uniqueName('pf');
  broker.createTopic(topic);
  const producer = producerFor(t, broker.endpoint, { topics: [topic], ...options });
  await producer.start();
  broker.resetStats();
  return { topic, producer };
}

describe('producer under broker faults', () => {
  test('retriable 50001 twice: retried, the third attempt stores it once, with one message id', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker);
    broker.faults.failNext('SendMessage', 2, { code: 50001 });
    const receipt = await producer.send({ topic, body: 'x' });
    assert.equal(broker.stats().calls.SendMessage, 3);
    assert.equal(broker.stats().stored, 1);
    const consumer = consumerFor(t, broker.endpoint, uniqueName('pf-g'), topic);
    await consumer.start();
    const [view] = await consumer.receive(1, 10_000);
    assert.equal(view?.messageId, receipt.messageId);
  });

  test('non-retriable 40000: one call, BAD_REQUEST, nothing stored', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker);
    broker.faults.failNext('SendMessage', 1, { code: 40000 });
    const e = await expectCode(producer.send({ topic, body: 'x' }), 'BAD_REQUEST');
    assert.equal(e.retriable, false);
    assert.equal(e.brokerCode, 40000);
    assert.equal(broker.stats().calls.SendMessage, 1);
    assert.equal(broker.stats().stored, 0);
  });

  test('retries stop at maxAttempts: 3 × UNAVAILABLE → 3 calls, the last error', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker);
    broker.faults.failNext('SendMessage', 10, { grpcStatus: 14 });
    await expectCode(producer.send({ topic, body: 'x' }), 'UNAVAILABLE');
    assert.equal(broker.stats().calls.SendMessage, 3, 'exactly maxAttempts calls (no retry storm)');
  });

  test('TOO_MANY_REQUESTS: each retry waits the backoff exactly (fake time), then succeeds', async (t) => {
    const broker = await brokerFor(t);
    const time = new ManualTime();
    const topic = uniqueName('throttle');
    broker.createTopic(topic);
    const producer = new Producer({
      endpoints: broker.endpoint,
      topics: [topic],
      clock: time,
      timers: time,
      throttleBackoff: exponentialBackoff({ initialMs: 250, maxMs: 5_000, multiplier: 2, jitter: 0 }),
    });
    t.after(() => shutdownOnFakeTime(producer, time));
    await producer.start();
    broker.resetStats();
    broker.faults.failNext('SendMessage', 2, { code: 42900 });
    const sending = producer.send({ topic, body: 'x' });
    const calls = () => broker.stats().calls.SendMessage;
    await until(() => calls() === 1, 5_000, 'the first attempt');
    for (const wait of [250, 500]) {
      const before = calls();
      const armedAt = time.now();
      await until(() => time.nextDueAt === armedAt + wait, 5_000, `a ${wait} ms backoff to be armed`);
      time.advance(wait - 1);
      assert.equal(calls(), before, `no retry before ${wait} ms`);
      time.advance(1);
      await until(() => calls() === before + 1, 5_000, 'the retry');
    }
    const receipt = await sending;
    assert.ok(receipt.messageId);
    assert.equal(calls(), 3);
  });

  test('a hung broker: the send ends with TIMEOUT at its total budget, attempts share it', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker, { requestTimeoutMs: 400 });
    broker.faults.hang('SendMessage');
    const started = performance.now();
    await expectCode(producer.send({ topic, body: 'x' }, { timeoutMs: 1_000 }), 'TIMEOUT');
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 950 && elapsed < 1_600, `ended after ${elapsed.toFixed(0)} ms (budget 1 s)`);
    // Each attempt gets min(400 ms, what is left of the 1 s): 400 + 400 + 200 ms when timers are on
    // time. gRPC deadlines are real time, so on a loaded machine a late first answer can leave no budget
    // for a third attempt; never more than maxAttempts (3), and never fewer than two (400 ms < 1 s).
    const calls = broker.stats().calls.SendMessage;
    assert.ok(calls >= 2 && calls <= 3, `${calls} attempts in a 1 s budget of 400 ms attempts`);
    broker.faults.clear();
  });

  test('C4 response lost after the broker stored it: the retry carries the same message id; the two copies are deduplicable', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker, { requestTimeoutMs: 300 });
    broker.faults.delay('SendMessage', 600); // the first attempt times out, then is stored anyway
    const ledger = new AtLeastOnceLedger('c4');
    const sending = sendKeyed(producer, ledger, topic);
    await until(() => broker.stats().calls.SendMessage === 1, 5_000, 'the first attempt');
    broker.faults.clear(); // later attempts are answered at once; the first is still held
    const { receipt } = await sending;
    assert.ok(receipt);
    await until(() => broker.stats().stored === 2, 5_000, 'the late first copy');
    const consumer = consumerFor(t, broker.endpoint, uniqueName('c4-g'), topic);
    await consumer.start();
    const views = [...(await consumer.receive(32, 2_000)), ...(await consumer.receive(32, 2_000))];
    assert.equal(views.length, 2);
    assert.deepEqual(
      views.map((v) => v.messageId),
      [receipt.messageId, receipt.messageId],
    );
    for (const v of views) await handleAndAck(consumer, ledger, v);
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: 2_000 });
    // One lost answer, one retry: exactly one extra copy, delivered once, and nothing else twice.
    const r = ledger.assertHolds({ log: (l) => t.diagnostic(l), maxDuplicates: 1 });
    assert.equal(r.copies, 1);
  });

  test('malformed SendMessage answers: no entries → INTERNAL, not retried; no top-level status but OK entries → accepted', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker);
    broker.faults.malformed('SendMessage', 'empty-payload');
    const e = await expectCode(producer.send({ topic, body: 'x' }), 'INTERNAL');
    assert.equal(e.retriable, false);
    assert.equal(broker.stats().calls.SendMessage, 1);
    // Each entry carries its own status; OK entries mean stored, whatever the missing envelope says.
    broker.faults.malformed('SendMessage', 'no-status');
    assert.ok((await producer.send({ topic, body: 'y' })).messageId);
    assert.equal(broker.stats().calls.SendMessage, 2);
    broker.faults.clear();
    assert.ok((await producer.send({ topic, body: 'fine' })).messageId);
  });

  test('QueryRoute without queues: sends fail typed (FORBIDDEN) until the route is good again', async (t) => {
    const broker = await brokerFor(t);
    const producer = producerFor(t, broker.endpoint);
    await producer.start();
    const topic = uniqueName('noqueue');
    broker.createTopic(topic);
    broker.faults.malformed('QueryRoute', 'empty-payload');
    const first = await codeOf(producer.send({ topic, body: 'x' }));
    assert.ok(first instanceof RocketMQError, `the send failed: ${String(first)}`);
    assert.equal(first.code, 'FORBIDDEN', first.message);
    assert.equal(broker.stats().calls.SendMessage, 0);
    broker.faults.clear();
    await until(() => broker.stats().calls.QueryRoute >= 1, 5_000, 'a route query');
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      ok = (await codeOf(producer.send({ topic, body: 'x' }))) === 'OK';
      if (!ok) await producer.core.routes.refresh(topic).catch(() => {});
    }
    assert.ok(ok, 'the producer recovered once the route had queues');
  });

  test('QueryRoute UNAVAILABLE twice at start: retried with backoff, start succeeds', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('route-retry');
    broker.createTopic(topic);
    broker.faults.failNext('QueryRoute', 2, { grpcStatus: 14 });
    const producer = producerFor(t, broker.endpoint, {
      topics: [topic],
      core: {
        startupRouteBackoff: exponentialBackoff({ initialMs: 10, maxMs: 20, multiplier: 2, jitter: 0 }),
      },
    });
    await producer.start();
    assert.equal(broker.stats().calls.QueryRoute, 3);
    assert.equal(producer.state, 'running');
  });

  test('TOPIC_NOT_FOUND at start fails at once (one QueryRoute, no retries)', async (t) => {
    const broker = await brokerFor(t);
    const producer = producerFor(t, broker.endpoint, { topics: ['no-such-topic-here'] });
    await expectCode(producer.start(), 'TOPIC_NOT_FOUND');
    assert.equal(broker.stats().calls.QueryRoute, 1);
    assert.equal(producer.state, 'failed');
    await expectCode(producer.send({ topic: 'no-such-topic-here', body: 'x' }), 'INVALID_STATE');
  });

  test('QueryRoute hung at start: start({ timeoutMs }) ends with TIMEOUT in time', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('route-hang');
    broker.createTopic(topic);
    broker.faults.hang('QueryRoute');
    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    const started = performance.now();
    const e = await codeOf(producer.start({ timeoutMs: 800 }));
    const elapsed = performance.now() - started;
    assert.notEqual(e, 'OK');
    assert.ok(['TIMEOUT', 'ABORTED'].includes((e as RocketMQError).code), (e as RocketMQError).code);
    assert.ok(elapsed < 1_500, `start gave up after ${elapsed.toFixed(0)} ms (bound 800 ms)`);
    broker.faults.clear();
  });

  test('EndTransaction UNAVAILABLE: commit retried, the message is delivered once', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('tx');
    broker.createTopic(topic, { type: 'TRANSACTION' });
    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    await producer.start();
    const tx = producer.beginTransaction();
    await tx.send({ topic, body: 'half' });
    broker.faults.failNext('EndTransaction', 1, { grpcStatus: 14 });
    await tx.commit();
    assert.equal(broker.stats().calls.EndTransaction, 2);
    await until(() => broker.stats().halfMessages === 0 && broker.stats().stored === 1, 5_000, 'the commit');
  });
});

describe('telemetry and heartbeat under broker faults', () => {
  test('UNAUTHORIZED failure frame at start fails start at once, not at the settings timeout', async (t) => {
    const broker = await brokerFor(t);
    broker.faults.failNext('Telemetry', 1, { code: 40100, message: 'no such user' });
    const producer = producerFor(t, broker.endpoint, { core: { startupSettingsTimeoutMs: 10_000 } });
    const started = performance.now();
    const e = await expectCode(producer.start(), 'UNAUTHORIZED');
    assert.ok(performance.now() - started < 2_000);
    assert.equal(e.brokerCode, 40100);
  });

  test('a settings reply without settings (malformed) → SETTINGS_TIMEOUT at its bound; no crash', async (t) => {
    const broker = await brokerFor(t);
    broker.faults.malformed('Telemetry', 'empty-payload');
    const producer = producerFor(t, broker.endpoint, { core: { startupSettingsTimeoutMs: 600 } });
    const started = performance.now();
    await expectCode(producer.start(), 'SETTINGS_TIMEOUT');
    assert.ok(performance.now() - started < 1_500);
  });

  test('a settings reply without a status (missing field) is still accepted', async (t) => {
    const broker = await brokerFor(t);
    broker.faults.malformed('Telemetry', 'no-status');
    const producer = producerFor(t, broker.endpoint);
    await producer.start();
    assert.equal(producer.state, 'running');
  });

  test('refused telemetry reconnects follow the backoff exactly: 1 s, 2 s, 4 s … 30 s (fake time, no storm)', async (t) => {
    const broker = await brokerFor(t);
    const time = new ManualTime();
    const producer = new Producer({
      endpoints: broker.endpoint,
      clock: time,
      timers: time,
      random: () => 0.5,
    });
    t.after(() => producer.shutdown({ timeoutMs: 500 }));
    await producer.start();
    const session = [...producer.core.sessions.values()][0]!;
    const backoffs: TelemetryStateChange[] = [];
    session.on('state', (e) => {
      if (e.to === 'backoff') backoffs.push(e);
    });
    broker.faults.failNext('Telemetry', 100, { grpcStatus: 14 });
    const opened = broker.stats().calls.Telemetry;
    broker.faults.dropStreams();
    const expected = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    for (let i = 0; i < expected.length; i++) {
      await until(() => backoffs.length === i + 1, 5_000, `backoff ${i + 1}`);
      assert.equal(backoffs[i]!.delayMs, expected[i], `delay before reconnect ${i + 1}`);
      time.advance(expected[i]! - 1);
      assert.equal(broker.stats().calls.Telemetry, opened + i, 'no reconnect before the delay');
      time.advance(1);
      await until(() => broker.stats().calls.Telemetry === opened + i + 1, 5_000, `reconnect ${i + 1}`);
    }
    // 91 s of refusals cost 7 reconnect attempts. Healing: the next attempt gets settings, the count resets.
    await until(() => backoffs.length === expected.length + 1, 5_000, 'the last backoff');
    broker.faults.clear();
    time.advance(30_000);
    await until(() => session.state === 'open' && session.hasSettings, 5_000, 'settings after healing');
    assert.equal(session.attempt, 0);
  });

  test('streams dropped while running: telemetry renews itself, sends keep working', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker);
    const session = [...producer.core.sessions.values()][0]!;
    for (let i = 0; i < 3; i++) {
      const opened = broker.stats().calls.Telemetry;
      broker.faults.dropStreams();
      await until(
        () => broker.stats().calls.Telemetry === opened + 1 && session.hasSettings,
        5_000,
        'renewal',
      );
      assert.ok((await producer.send({ topic, body: `after drop ${i}` })).messageId);
    }
    assert.equal(broker.stats().telemetryStreams, 1);
  });

  test('heartbeat errors are survived without extra heartbeats or a transport recovery', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker);
    let recoveries = 0;
    producer.core.on('transport.recovered', () => recoveries++);
    broker.faults.failNext('Heartbeat', 5, { code: 50001 });
    const started = performance.now();
    await until(() => broker.stats().calls.Heartbeat >= 8, 10_000, 'eight heartbeats');
    const perSecond = broker.stats().calls.Heartbeat / ((performance.now() - started) / 1000);
    assert.ok(perSecond <= 6, `${perSecond.toFixed(1)} heartbeats/s at a 200 ms interval`);
    assert.equal(recoveries, 0);
    assert.ok((await producer.send({ topic, body: 'x' })).messageId);
  });

  test('a broker that stops answering heartbeats: recoveries are bounded by the cooldown', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer } = await producerSetup(t, broker, {
      requestTimeoutMs: 300,
      core: { transportRecovery: { cooldownMs: 60_000 } },
    });
    let recoveries = 0;
    producer.core.on('transport.recovered', () => recoveries++);
    broker.faults.hang('Heartbeat');
    await until(() => recoveries === 1, 5_000, 'a recovery');
    const beats = broker.stats().calls.Heartbeat;
    await until(() => broker.stats().calls.Heartbeat >= beats + 4, 5_000, 'more timed-out heartbeats');
    assert.equal(recoveries, 1, 'one recovery per cooldown');
    assert.ok((await producer.send({ topic, body: 'x' })).messageId, 'sends unaffected');
    broker.faults.clear();
  });
});

describe('simple consumer under broker faults', () => {
  async function consumerSetup(
    t: TestContext,
    broker: InProcessBroker,
    options: Parameters<typeof consumerFor>[4] = {},
  ) {
    const topic = uniqueName('sf');
    const group = uniqueName('sf-g');
    broker.createTopic(topic);
    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    const consumer = consumerFor(t, broker.endpoint, group, topic, options);
    await Promise.all([producer.start(), consumer.start()]);
    return { topic, producer, consumer, ledger: new AtLeastOnceLedger(uniqueName('sf')) };
  }

  test('streams dropped during a long poll: receive fails UNAVAILABLE, messages() recovers and delivers', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer, consumer, ledger } = await consumerSetup(t, broker, { awaitDurationMs: 5_000 });
    const pending = consumer.receive(1, 1_000);
    await until(() => broker.stats().waitingReceives === 1, 5_000, 'parked poll');
    broker.faults.dropStreams();
    await expectCode(pending, 'UNAVAILABLE');
    const it = consumer.messages({ invisibleDurationMs: 1_000 });
    const next = it.next();
    await until(() => broker.stats().waitingReceives === 1, 5_000, 'parked poll of the iterator');
    broker.faults.dropStreams();
    await sendKeyed(producer, ledger, topic);
    const first = await next;
    assert.equal(first.done, false);
    await handleAndAck(consumer, ledger, first.value!);
    await it.return(undefined);
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: 1_000 });
    // The streams dropped were polls parked on an empty queue: no answer with a message was lost.
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('a hung ReceiveMessage ends with TIMEOUT at its deadline; the consumer then gets the message', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer, consumer, ledger } = await consumerSetup(t, broker, {
      awaitDurationMs: 300,
      requestTimeoutMs: 500,
    });
    broker.faults.hang('ReceiveMessage');
    const started = performance.now();
    await expectCode(consumer.receive(1, 1_000, { timeoutMs: 800 }), 'TIMEOUT');
    const elapsed = performance.now() - started;
    assert.ok(
      elapsed >= 750 && elapsed < 1_500,
      `timed out after ${elapsed.toFixed(0)} ms (deadline 800 ms)`,
    );
    broker.faults.clear();
    await sendKeyed(producer, ledger, topic);
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: 1_000 });
    // The hung receive was abandoned before the message was sent: it can at most pop it unseen, so
    // every delivery the consumer sees is a first one.
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('throttled receives (42900) back off in messages() instead of spinning', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer, consumer, ledger } = await consumerSetup(t, broker, {
      retryBackoff: exponentialBackoff({ initialMs: 100, maxMs: 400, multiplier: 2, jitter: 0 }),
    });
    broker.resetStats();
    broker.faults.failNext('ReceiveMessage', 4, { code: 42900 });
    const { key } = await sendKeyed(producer, ledger, topic);
    const started = performance.now();
    for await (const v of consumer.messages({ invisibleDurationMs: 1_000 })) {
      await handleAndAck(consumer, ledger, v);
      break;
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 100 + 200 + 400 + 400, `4 throttled receives took ${elapsed.toFixed(0)} ms`);
    // 4 throttled + the one that delivered; messages() may also have opened its next long poll as the
    // message was yielded (one more, never a spin).
    const calls = broker.stats().calls.ReceiveMessage;
    assert.ok(calls === 5 || calls === 6, `${calls} ReceiveMessage calls`);
    assert.equal(ledger.deliveriesOf(key).length, 1);
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: 1_000 });
    // Throttling refuses receives before anything is popped: nothing is delivered twice.
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('a body that does not match its digest is delivered marked corrupted; the client goes on', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer, consumer } = await consumerSetup(t, broker);
    await producer.send({ topic, body: 'tampered' });
    broker.faults.malformed('ReceiveMessage', 'bad-digest');
    const [v] = await consumer.receive(1, 1_000);
    assert.equal(v?.corrupted, true);
    broker.faults.clear();
    await consumer.ack(v!);
    await producer.send({ topic, body: 'intact' });
    const [w] = await consumer.receive(1, 1_000);
    assert.equal(w?.corrupted, false);
    assert.equal(w?.body.toString(), 'intact');
  });

  test('a receive answer without message frames (empty payload) is an empty receive, not an error', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer, consumer, ledger } = await consumerSetup(t, broker);
    await sendKeyed(producer, ledger, topic);
    broker.faults.malformed('ReceiveMessage', 'empty-payload');
    const got = await codeOf(consumer.receive(1, 1_000));
    broker.faults.clear();
    // The popped message was dropped from the answer: it must come back after its invisibility.
    assert.ok(got === 'OK' || (got as RocketMQError).code === 'INTERNAL', String(got));
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: 1_000 });
    // The dropped answer was never seen: the redelivery is the message's first delivery.
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('ack failures: UNAVAILABLE is retriable and the retry settles it; 40013 is not retried; nothing comes back after the ack', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer, consumer, ledger } = await consumerSetup(t, broker);
    const { key } = await sendKeyed(producer, ledger, topic);
    const [v] = await consumer.receive(1, 1_000);
    broker.resetStats();
    broker.faults.failNext('AckMessage', 1, { grpcStatus: 14 });
    await handleAndAck(consumer, ledger, v!);
    assert.equal(broker.stats().calls.AckMessage, 2, 'the transient failure was retried once');
    broker.faults.failNext('AckMessage', 1, { code: 40013 });
    const e = await expectCode(consumer.ack(v!), 'INVALID_RECEIPT_HANDLE');
    assert.equal(e.retriable, false);
    // The drain receives past the invisibility: an applied ack means no redelivery.
    await drain(consumer, ledger, { timeoutMs: 3_000, invisibleDurationMs: 1_000 });
    assert.equal(ledger.deliveriesOf(key).length, 1);
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('ack answered without a status → INTERNAL; its outcome is unknown and no redelivery shows it was applied', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer, consumer, ledger } = await consumerSetup(t, broker);
    const { key } = await sendKeyed(producer, ledger, topic);
    const [v] = await consumer.receive(1, 1_000);
    broker.faults.malformed('AckMessage', 'no-status');
    const e = await expectCode(consumer.ack(v!), 'INTERNAL');
    broker.faults.clear();
    ledger.handled(key, { copy: copyOf(v!), attempt: v!.deliveryAttempt });
    ledger.acked(key, classifyAckError(e), { copy: copyOf(v!), err: e });
    assert.equal(ledger.unconfirmedCount, 1);
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: 1_000 });
    assert.equal(ledger.deliveriesOf(key).length, 1, 'not redelivered: the broker had applied the ack');
    assert.equal(broker.stats().acked, 1);
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('ChangeInvisibleDuration refused (40013) → INVALID_RECEIPT_HANDLE, one call', async (t) => {
    const broker = await brokerFor(t);
    const { topic, producer, consumer } = await consumerSetup(t, broker);
    await producer.send({ topic, body: 'x' });
    const [v] = await consumer.receive(1, 1_000);
    broker.resetStats();
    broker.faults.failNext('ChangeInvisibleDuration', 1, { code: 40013 });
    await expectCode(consumer.changeInvisibleDuration(v!, 5_000), 'INVALID_RECEIPT_HANDLE');
    assert.equal(broker.stats().calls.ChangeInvisibleDuration, 1);
  });

  test('QueryRoute UNAVAILABLE at consumer start: retried, start succeeds', async (t) => {
    const broker = await brokerFor(t);
    const topic = uniqueName('sc-route');
    broker.createTopic(topic);
    broker.faults.failNext('QueryRoute', 1, { grpcStatus: 14 });
    const consumer = consumerFor(t, broker.endpoint, uniqueName('g'), topic);
    await consumer.start();
    assert.equal(broker.stats().calls.QueryRoute, 2);
  });
});

describe('shutdown during broker faults', () => {
  test('E4 everything hung (send, heartbeat, termination notice): shutdown is bounded, the send fails typed, no handles', async () => {
    const baseline = resources();
    const broker = await InProcessBroker.start({ longPollingMinMs: 0 });
    const topic = uniqueName('hung');
    broker.createTopic(topic);
    const producer = new Producer({ endpoints: broker.endpoint, topics: [topic] });
    await producer.start();
    for (const rpc of ['SendMessage', 'Heartbeat', 'NotifyClientTermination', 'QueryRoute'] as const)
      broker.faults.hang(rpc);
    const send = codeOf(producer.send({ topic, body: 'x' }, { timeoutMs: 60_000 }));
    await until(() => broker.stats().calls.SendMessage === 1, 5_000, 'the hung send');
    const started = performance.now();
    await producer.shutdown({ timeoutMs: 500 });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1_500, `shutdown took ${elapsed.toFixed(0)} ms with a 500 ms timeout`);
    const r = await send;
    assert.notEqual(r, 'OK');
    assert.ok(['CLOSED', 'ABORTED'].includes((r as RocketMQError).code), (r as RocketMQError).code);
    await broker.shutdown();
    await assertNoExtraResources(baseline);
  });

  test('the broker goes away (shutdown) under load: calls fail typed and fast, clients shut down cleanly', async (t) => {
    const unhandled = watchUnhandled(t);
    const baseline = resources();
    const broker = await InProcessBroker.start({ longPollingMinMs: 0 });
    const topic = uniqueName('gone');
    broker.createTopic(topic);
    const producer = new Producer({ endpoints: broker.endpoint, topics: [topic], requestTimeoutMs: 1_000 });
    const { SimpleConsumer } = await import('../../../src/consumer/simple-consumer.js');
    const consumer = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: uniqueName('gone-g'),
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 5_000,
      requestTimeoutMs: 1_000,
    });
    await Promise.all([producer.start(), consumer.start()]);
    const receive = codeOf(consumer.receive(1, 10_000));
    await until(() => broker.stats().waitingReceives === 1, 5_000, 'parked poll');
    await broker.shutdown();
    const r = await receive;
    assert.equal((r as RocketMQError).code, 'UNAVAILABLE');
    const started = performance.now();
    const sent = await codeOf(producer.send({ topic, body: 'x' }));
    assert.equal((sent as RocketMQError).code, 'UNAVAILABLE');
    assert.ok(performance.now() - started < 2_000, 'connection refused is fast');
    await Promise.all([producer.shutdown({ timeoutMs: 1_000 }), consumer.shutdown({ timeoutMs: 1_000 })]);
    await assertNoExtraResources(baseline);
    assert.deepEqual(unhandled, []);
  });
});
