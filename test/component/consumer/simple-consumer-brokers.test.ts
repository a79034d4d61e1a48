/**
 * `SimpleConsumer.messages()` over two brokers: two in-process brokers that list each other's queues in
 * their routes (`addRoutePeer`, as a cluster's route names every broker), on one fake clock.
 *
 * The iterator keeps one long poll per broker. An idle broker's poll never delays another's messages:
 * with 20 s long polls and the clock never advanced, every message arrives (a single poll at a time
 * would leave a message on the other broker waiting for a poll that only time can end). Each broker
 * holds at most one batch not yet yielded; `break`, abort and shutdown end the iteration and hand back
 * what was received and not yielded, and what a poll still open brings later; nothing leaks.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { InProcessBroker, ManualTime } from '../../../src/testing/index.js';
import { message, TestClient, uniqueName } from '../../helpers/in-process-client.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { until } from '../in-process-broker/fixture.js';

const AWAIT_MS = 20_000;

/** A full garbage collection: a stop signal must still reach the polls afterwards. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

interface Pair {
  time: ManualTime;
  a: InProcessBroker;
  b: InProcessBroker;
  topic: string;
  group: string;
  baseline: Map<string, number>;
  consumer: SimpleConsumer;
  send(on: InProcessBroker, body: string): Promise<void>;
  /** Closes the test's senders (their connections are not the consumer's). */
  closeSenders(): void;
  /** Waits until each of `brokers` has exactly one receive parked. */
  parked(...brokers: InProcessBroker[]): Promise<void>;
}

async function startBroker(t: TestContext, time: ManualTime, brokerName: string): Promise<InProcessBroker> {
  const broker = await InProcessBroker.start({ longPollingMinMs: 0, clock: time, brokerName });
  t.after(() => broker.shutdown());
  return broker;
}

async function pair(
  t: TestContext,
  options: { peers?: boolean; routeRefreshIntervalMs?: number } = {},
): Promise<Pair> {
  const time = new ManualTime();
  const a = await startBroker(t, time, 'broker-a');
  const b = await startBroker(t, time, 'broker-b');
  if (options.peers ?? true) {
    a.addRoutePeer(b);
    b.addRoutePeer(a);
  }
  const topic = uniqueName('spread');
  const group = uniqueName('spread-g');
  for (const broker of [a, b]) {
    broker.createTopic(topic, { queues: 2 });
    broker.createConsumerGroup(group);
  }
  const clients = new Map<InProcessBroker, TestClient>();
  t.after(() => {
    for (const c of clients.values()) c.close();
  });
  const baseline = resources();
  const consumer = new SimpleConsumer({
    endpoints: a.endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    awaitDurationMs: AWAIT_MS,
    routeRefreshIntervalMs: options.routeRefreshIntervalMs,
  });
  t.after(() => consumer.shutdown());
  await consumer.start();
  return {
    time,
    a,
    b,
    topic,
    group,
    baseline,
    consumer,
    send: async (on, body) => {
      let client = clients.get(on);
      if (client === undefined) {
        client = new TestClient(on.endpoint);
        clients.set(on, client);
      }
      const res = await client.send(message({ topic, body }));
      assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
    },
    closeSenders: () => {
      for (const c of clients.values()) c.close();
      clients.clear();
    },
    parked: (...brokers) =>
      until(
        () => brokers.every((br) => br.stats().waitingReceives === 1),
        5_000,
        `a receive parked on ${brokers.length} broker(s)`,
      ),
  };
}

async function shutdownClean(p: Pair): Promise<void> {
  await p.consumer.shutdown();
  p.closeSenders();
  for (const [kind, n] of Object.entries(p.consumer.resources())) assert.equal(n, 0, `${kind} left`);
  await assertNoExtraResources(p.baseline);
}

describe('SimpleConsumer.messages() over several brokers', () => {
  test('an idle broker never delays another broker’s messages (the clock never moves)', async (t) => {
    const p = await pair(t);
    const start = p.time.now();
    const it = p.consumer.messages({ invisibleDurationMs: 30_000 });
    const order: Array<[InProcessBroker, string]> = [
      [p.b, 'b1'],
      [p.a, 'a1'],
      [p.b, 'b2'],
      [p.b, 'b3'],
      [p.a, 'a2'],
    ];
    for (const [broker, body] of order) {
      const next = it.next();
      // Both brokers long-poll at once: the one that gets the message answers now.
      await p.parked(p.a, p.b);
      await p.send(broker, body);
      const got = await next;
      assert.equal(got.done, false);
      assert.equal(got.value?.body.toString(), body);
      await p.consumer.ack(got.value!);
    }
    assert.equal(p.time.now(), start, 'no poll had to time out');
    assert.equal(p.a.stats().acked + p.b.stats().acked, order.length);
    await it.return();
    await shutdownClean(p);
  });

  test('each broker holds at most one batch of maxMessages not yet yielded', async (t) => {
    const p = await pair(t);
    for (let i = 0; i < 5; i++) {
      await p.send(p.a, `a${i}`);
      await p.send(p.b, `b${i}`);
    }
    const got: string[] = [];
    const held = (): number[] => [p.a.stats().inflight, p.b.stats().inflight];
    for await (const m of p.consumer.messages({ maxMessages: 2, invisibleDurationMs: 30_000 })) {
      got.push(m.body.toString());
      // Received and not acked = the message in hand plus at most one batch not yet yielded per broker
      // (never the 5 each broker has).
      // Let any receive just opened finish or park first.
      await new Promise<void>((r) => setImmediate(r));
      await until(() => [p.a, p.b].every((br) => br.stats().receiveStreams === br.stats().waitingReceives));
      for (const n of held()) assert.ok(n <= 3, `at most one batch of 2 held per broker: ${held()}`);
      await p.consumer.ack(m);
      if (got.length === 10) break;
    }
    assert.deepEqual(
      [...got].sort(),
      Array.from({ length: 5 }, (_, i) => [`a${i}`, `b${i}`])
        .flat()
        .sort(),
    );
    await shutdownClean(p);
  });

  test('break hands back what was received and not yielded, and what a poll open at the break brings', async (t) => {
    const p = await pair(t);
    for (let i = 0; i < 3; i++) await p.send(p.a, `a${i}`);
    let first: MessageView | undefined;
    for await (const m of p.consumer.messages({ maxMessages: 4, invisibleDurationMs: 30_000 })) {
      first = m;
      await p.parked(p.b);
      break;
    }
    assert.ok(first !== undefined);
    // The two not yielded went back at once; the yielded one stays with the application.
    assert.equal(p.a.stats().inflight, 1);
    // broker-b's poll was left open (not cancelled): a message it takes now is released too.
    assert.equal(p.b.stats().waitingReceives, 1);
    await p.send(p.b, 'b-late');
    await until(() => p.b.stats().waitingReceives === 0 && p.b.stats().calls.ChangeInvisibleDuration === 1);
    assert.equal(p.b.stats().inflight, 0);

    // The clock has not moved: the three released messages are visible now, the yielded one is not.
    const again: MessageView[] = [];
    for await (const m of p.consumer.messages({ invisibleDurationMs: 30_000 })) {
      again.push(m);
      await p.consumer.ack(m);
      if (again.length === 3) break;
    }
    assert.deepEqual(again.map((m) => m.body.toString()).sort(), ['a1', 'a2', 'b-late']);
    for (const m of again) assert.equal(m.deliveryAttempt, 2, `${m.body} delivered a second time`);
    await p.consumer.ack(first);
    await shutdownClean(p);
  });

  test('abort ends the iteration at once (also after a garbage collection); the open polls end on their own; nothing leaks', async (t) => {
    const p = await pair(t);
    const ac = new AbortController();
    const it = p.consumer.messages({ signal: ac.signal });
    const next = it.next();
    await p.parked(p.a, p.b);
    collectGarbage();
    await new Promise<void>((r) => setImmediate(r));
    collectGarbage();
    ac.abort();
    let ended = false;
    void next.then(() => {
      ended = true;
    });
    await until(() => ended, 5_000, 'the iteration to end on abort');
    assert.deepEqual(await next, { done: true, value: undefined });
    const calls = p.a.stats().calls.ReceiveMessage + p.b.stats().calls.ReceiveMessage;
    p.time.advance(AWAIT_MS);
    // The polls end with their long poll: no receive left open on either side, before any shutdown.
    await until(
      () =>
        p.a.stats().receiveStreams === 0 &&
        p.b.stats().receiveStreams === 0 &&
        p.consumer.resources().calls === 0,
      5_000,
      'the open polls to end',
    );
    assert.equal(
      p.a.stats().calls.ReceiveMessage + p.b.stats().calls.ReceiveMessage,
      calls,
      'no new receive',
    );
    await shutdownClean(p);
  });

  test('shutdown during the iteration ends it; nothing leaks', async (t) => {
    const p = await pair(t);
    const it = p.consumer.messages();
    const next = it.next();
    await p.parked(p.a, p.b);
    await p.consumer.shutdown({ timeoutMs: 1_000 });
    assert.deepEqual(await next, { done: true, value: undefined });
    await shutdownClean(p);
  });

  test('a broker that joins the route gets its own poll', async (t) => {
    const p = await pair(t, { peers: false, routeRefreshIntervalMs: 50 });
    const it = p.consumer.messages({ invisibleDurationMs: 30_000 });
    const next = it.next();
    await p.parked(p.a);
    assert.equal(p.b.stats().calls.ReceiveMessage, 0, 'broker-b is not in the route yet');
    p.a.addRoutePeer(p.b);
    await p.parked(p.b);
    await p.send(p.b, 'b-joined');
    assert.equal((await next).value?.body.toString(), 'b-joined');
    await it.return();
    await shutdownClean(p);
  });
});
