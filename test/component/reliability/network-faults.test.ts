/**
 * Network faults (reliability-matrix rows C1–C7, E4) between real clients and the in-process broker,
 * injected by the TCP fault proxy. The broker advertises the proxy's address in its routes, so every
 * call goes through the proxy (checked on each receipt). Each scenario asserts bounded failure, recovery
 * without a client restart, a bounded number of connection attempts, and the at-least-once ledger.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import type { ClientCore, ClientCoreEvents } from '../../../src/protocol/client-core.js';
import { exponentialBackoff } from '../../../src/internal/backoff.js';
import { AtLeastOnceLedger } from '../../helpers/at-least-once.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { consumeLoop, drain, sendKeyed } from '../../helpers/ledger-flows.js';
import {
  capturingLogger,
  consumerFor,
  faultyBroker,
  producerFor,
  uniqueName,
  until,
  watchUnhandled,
} from './setup.js';

function nextEvent<K extends keyof ClientCoreEvents>(
  core: ClientCore,
  type: K,
): Promise<ClientCoreEvents[K]> {
  return new Promise((resolve) => {
    const off = core.on(type, (e) => {
      off();
      resolve(e);
    });
  });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    assert.ok(e instanceof RocketMQError, `expected a RocketMQError, got ${String(e)}`);
    return e.code;
  }
}

const INVISIBLE_MS = 1_000;

describe('network faults through the TCP proxy (in-process broker)', () => {
  test('C2 half-open: blackholed connection → sends time out, heartbeats detect it, a new connection is opened and sends recover', async (t) => {
    const { broker, proxy } = await faultyBroker(t);
    const topic = uniqueName('c2');
    broker.createTopic(topic);
    // A second client of the same endpoint in this process, without recovery: it must not keep the
    // recovering client on the dead connection (grpc-js would share one subchannel between them).
    const bystander = producerFor(t, proxy.endpoint, { topics: [topic], core: { transportRecovery: false } });
    const producer = producerFor(t, proxy.endpoint, { topics: [topic] });
    await Promise.all([producer.start(), bystander.start()]);
    const ledger = new AtLeastOnceLedger('c2');
    await sendKeyed(producer, ledger, topic);
    await sendKeyed(bystander, ledger, topic);
    assert.equal(proxy.stats().accepted, 2, 'one connection per client');

    const recovered = nextEvent(producer.core, 'transport.recovered');
    proxy.resetStats();
    proxy.blackholeExisting();
    const started = performance.now();
    const codes: string[] = [];
    let recoveredAfterMs = Number.NaN;
    while (performance.now() - started < 15_000) {
      const before = ledger.ackedCount;
      const { receipt } = await sendKeyed(producer, ledger, topic, { timeoutMs: 1_500 });
      if (receipt !== undefined) {
        recoveredAfterMs = performance.now() - started;
        break;
      }
      codes.push('failed');
      assert.equal(ledger.ackedCount, before);
    }
    const event = await recovered;
    assert.match(event.reason, /heartbeat timeouts/);
    assert.ok(recoveredAfterMs < 8_000, `recovered after ${recoveredAfterMs.toFixed(0)} ms (bound 8 s)`);
    assert.ok(codes.length >= 1, 'at least one send failed while the connection was silent');
    assert.ok(ledger.report().sent.unknown >= 1);
    assert.ok(proxy.stats().droppedBytes > 0, 'bytes went into the blackhole');
    const attempts = proxy.stats().accepted;
    assert.ok(attempts >= 1 && attempts <= 2, `${attempts} new connections during the fault (no storm)`);
    t.diagnostic(
      `recovered after ${recoveredAfterMs.toFixed(0)} ms, ${codes.length} failed sends, ${attempts} new connection(s)`,
    );

    const consumer = consumerFor(t, broker.endpoint, uniqueName('c2-g'), topic);
    await consumer.start();
    await drain(consumer, ledger, { timeoutMs: 10_000, invisibleDurationMs: INVISIBLE_MS });
    // The consumer never goes through the proxy and acks once: no stored copy is delivered twice. (A
    // send retried after a late answer stores another copy: reported, deduplicable by its message id.)
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('C3 blackhole during a long poll: the receive ends in time, the loop recovers, the popped message comes back after its invisibility', async (t) => {
    const { broker, proxy } = await faultyBroker(t);
    const topic = uniqueName('c3');
    const group = uniqueName('c3-g');
    broker.createTopic(topic);
    const producer = producerFor(t, broker.endpoint, { topics: [topic] }); // direct: only the consumer suffers
    const receiveFailures: number[] = [];
    const logger = capturingLogger();
    const consumer = consumerFor(t, proxy.endpoint, group, topic, {
      awaitDurationMs: 2_000,
      logger: {
        ...logger,
        debug: (message, fields) => {
          if (message.startsWith('receive failed')) receiveFailures.push(performance.now());
          logger.debug(message, fields);
        },
      },
    });
    await Promise.all([producer.start(), consumer.start()]);
    const ledger = new AtLeastOnceLedger('c3');
    const stop = new AbortController();
    const loop = consumeLoop(consumer, ledger, { signal: stop.signal, invisibleDurationMs: INVISIBLE_MS });
    for (let i = 0; i < 3; i++) await sendKeyed(producer, ledger, topic);
    await until(() => ledger.ackedCount === 3, 5_000, 'the first three acks');

    await until(() => broker.stats().waitingReceives === 1, 5_000, 'a parked long poll');
    proxy.blackholeExisting();
    const blackholedAt = performance.now();
    // Delivered into the parked poll, whose answer the blackhole swallows: popped but never seen.
    const { key: swallowed } = await sendKeyed(producer, ledger, topic);
    await until(() => broker.stats().inflight === 1, 5_000, 'the message to be popped');
    for (let i = 0; i < 3; i++) await sendKeyed(producer, ledger, topic);
    await until(() => ledger.drained, 20_000, 'all messages acked after the fault');
    stop.abort();
    await loop;
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: INVISIBLE_MS });
    // The fault swallows a receive answer while the loop is parked in it (no ack in flight): the popped
    // message is seen for the first time on its redelivery, a first delivery. No copy comes twice.
    const r = ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
    assert.equal(r.sent.ok, 7);
    const seen = ledger.deliveriesOf(swallowed);
    assert.ok(
      seen.length >= 1 && seen[0]!.attempt! >= 2,
      `the swallowed message came back as attempt ${seen[0]?.attempt}`,
    );
    // In time: the blackholed receive failed by its deadline, the long poll (the proxy's 5 s minimum
    // over the 2 s asked) plus the request timeout (1 s); one more request timeout of slack for the
    // failure to reach the loop on a loaded machine.
    const endedAfter = (receiveFailures.find((at) => at >= blackholedAt) ?? Number.NaN) - blackholedAt;
    assert.ok(
      endedAfter <= 5_000 + 1_000 + 1_000,
      `the blackholed receive failed ${endedAfter.toFixed(0)} ms after the blackhole (deadline 6 s)`,
    );
    t.diagnostic(`the blackholed receive failed ${endedAfter.toFixed(0)} ms after the blackhole`);
    assert.ok(proxy.stats().droppedBytes > 0);
    assert.ok(proxy.stats().accepted <= 3, `${proxy.stats().accepted} connections in all (no storm)`);
  });

  test('C5 RST storm: every connection reset every 150 ms for 2 s under send + consume — every send settles typed, nothing lost', async (t) => {
    const unhandled = watchUnhandled(t);
    const { broker, proxy } = await faultyBroker(t);
    const topic = uniqueName('c5');
    broker.createTopic(topic);
    const producer = producerFor(t, proxy.endpoint, { topics: [topic] });
    const consumer = consumerFor(t, proxy.endpoint, uniqueName('c5-g'), topic);
    await Promise.all([producer.start(), consumer.start()]);
    const ledger = new AtLeastOnceLedger('c5');
    const stop = new AbortController();
    const loop = consumeLoop(consumer, ledger, { signal: stop.signal, invisibleDurationMs: INVISIBLE_MS });
    const storm = setInterval(() => proxy.resetAll(), 150);
    const errors = new Map<string, number>();
    // Collected here and asserted after the storm: an assertion thrown inside `ledger.send()` would be
    // caught there and recorded as an `unknown` send, never failing the test.
    const untyped: unknown[] = [];
    const started = performance.now();
    let okSends = 0;
    try {
      // 2 s of storm, longer (up to 10 s) until 5 sends got through between resets: on a loaded machine
      // a send may need more than one 150 ms gap, and "nothing lost" needs sends that were stored.
      while (performance.now() - started < 2_000 || (okSends < 5 && performance.now() - started < 10_000)) {
        const key = ledger.nextKey();
        await ledger.send(key, async () => {
          try {
            const receipt = await producer.send({ topic, body: key, keys: [key] }, { timeoutMs: 2_000 });
            okSends++;
            return receipt;
          } catch (e) {
            if (e instanceof RocketMQError) errors.set(e.code, (errors.get(e.code) ?? 0) + 1);
            else untyped.push(e);
            throw e;
          }
        });
      }
    } finally {
      clearInterval(storm);
    }
    assert.deepEqual(untyped, [], 'every send error is a RocketMQError');
    const resets = proxy.stats().resets;
    await until(() => ledger.drained, 20_000, 'every sent message acked after the storm');
    stop.abort();
    await loop;
    // Acks whose answer a reset swallowed count only if the message does not come back.
    await drain(consumer, ledger, { timeoutMs: 10_000, invisibleDurationMs: INVISIBLE_MS });
    // Sends and consumption are each one call at a time. A reset loses at most the answer of the send in
    // flight (its retry stores another copy) and of the ack in flight (the message comes again); a
    // receive it swallows was never seen. So at most two duplicates per reset.
    const r = ledger.assertHolds({ log: (l) => t.diagnostic(l), maxDuplicates: 2 * resets });
    t.diagnostic(`${resets} resets; send errors ${JSON.stringify([...errors])}`);
    assert.ok(resets >= 5, `the storm reset ${resets} connections`);
    assert.ok(r.sent.ok >= 5, 'sends got through between resets');
    assert.deepEqual(unhandled, []);
    for (const code of errors.keys())
      assert.ok(['UNAVAILABLE', 'TIMEOUT', 'CANCELLED', 'INTERNAL'].includes(code), code);
  });

  test('C6 telemetry cut repeatedly (FIN): the stream is renewed with backoff, settings re-sent, heartbeats and the transaction checker keep working', async (t) => {
    const { broker, proxy } = await faultyBroker(t, {
      transactionCheckDelayMs: 200,
      transactionCheckIntervalMs: 200,
    });
    const topic = uniqueName('c6');
    broker.createTopic(topic, { type: 'TRANSACTION' });
    let checks = 0;
    const producer = producerFor(t, proxy.endpoint, {
      topics: [topic],
      transactionChecker: () => {
        checks++;
        return 'COMMIT';
      },
    });
    await producer.start();
    const session = [...producer.core.sessions.values()][0]!;
    let settingsReplies = 0;
    session.on('settings', () => settingsReplies++);
    const telemetryBefore = broker.stats().calls.Telemetry;
    const cuts = 5;
    for (let i = 0; i < cuts; i++) {
      const replies = settingsReplies;
      assert.ok(proxy.closeAll() >= 1);
      await until(() => settingsReplies > replies, 5_000, `settings after cut ${i + 1}`);
    }
    const opened = broker.stats().calls.Telemetry - telemetryBefore;
    assert.ok(
      opened >= cuts && opened <= cuts * 2,
      `${opened} telemetry streams for ${cuts} cuts (no storm)`,
    );
    const heartbeats = broker.stats().calls.Heartbeat;
    await until(() => broker.stats().calls.Heartbeat >= heartbeats + 2, 5_000, 'heartbeats after the cuts');
    // The orphaned half message is checked over the renewed stream and committed by the checker.
    await producer.beginTransaction().send({ topic, body: 'orphan' });
    await until(() => checks >= 1 && broker.stats().halfMessages === 0, 10_000, 'the check to be answered');
    assert.equal(broker.stats().stored, 1);
    assert.equal(session.state, 'open');
  });

  test('C7 latency 200 ms each way: no spurious timeouts at the default request timeout', async (t) => {
    const { broker, proxy } = await faultyBroker(t);
    const topic = uniqueName('c7');
    broker.createTopic(topic);
    const producer = producerFor(t, proxy.endpoint, { topics: [topic], requestTimeoutMs: 3_000 });
    const consumer = consumerFor(t, proxy.endpoint, uniqueName('c7-g'), topic, { requestTimeoutMs: 3_000 });
    await Promise.all([producer.start(), consumer.start()]);
    proxy.set({ kind: 'delay', ms: 200 });
    const ledger = new AtLeastOnceLedger('c7');
    const started = performance.now();
    for (let i = 0; i < 5; i++)
      assert.ok((await sendKeyed(producer, ledger, topic)).receipt, 'send succeeded');
    const perSend = (performance.now() - started) / 5;
    assert.ok(perSend >= 390, `a send took ${perSend.toFixed(0)} ms: the delay applied`);
    // One receive takes all 5, acked one after the other at ≥ 400 ms per round trip: 10 s of
    // invisibility covers that with room for a loaded machine (an ack after it would be refused).
    await drain(consumer, ledger, { timeoutMs: 15_000, invisibleDurationMs: 10_000 });
    // Delay only: nothing is dropped and every ack lands within the invisibility: no copy comes twice.
    const r = ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
    assert.equal(r.sent.unknown + r.sent.failed, 0);
    assert.equal(r.ackFailures, 0);
  });

  test('C7 bandwidth 1 MiB/s with 1 MiB bodies: sends and receives complete, slower', async (t) => {
    const { broker, proxy } = await faultyBroker(t);
    const topic = uniqueName('c7bw');
    broker.createTopic(topic);
    const producer = producerFor(t, proxy.endpoint, { topics: [topic], requestTimeoutMs: 5_000 });
    const consumer = consumerFor(t, proxy.endpoint, uniqueName('c7bw-g'), topic, { requestTimeoutMs: 5_000 });
    await Promise.all([producer.start(), consumer.start()]);
    proxy.set({ kind: 'throttle', bytesPerSecond: 1024 * 1024 });
    const ledger = new AtLeastOnceLedger('c7bw');
    const body = Buffer.alloc(1024 * 1024, 7);
    const started = performance.now();
    for (let i = 0; i < 2; i++)
      assert.ok((await sendKeyed(producer, ledger, topic, { body })).receipt, 'send succeeded');
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 1_800, `2 MiB took ${elapsed.toFixed(0)} ms at 1 MiB/s`);
    // 15 s of invisibility: one receive of both 1 MiB bodies takes about 2 s at 1 MiB/s, plus the acks,
    // with room for a loaded machine (an ack after it would be refused).
    await drain(consumer, ledger, { timeoutMs: 20_000, invisibleDurationMs: 15_000 });
    // Throttled only: nothing is dropped and every ack lands within the invisibility: no copy comes twice.
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('C1 connection refused at start: start fails within its bound with few attempts; nothing left behind', async (t) => {
    const baseline = resources();
    const dead = await deadEndpoint();
    const proxy = await FaultProxy.start({ target: dead }); // counts the client's connection attempts
    t.after(() => proxy.close());
    const producer = producerFor(t, proxy.endpoint, {
      requestTimeoutMs: 1_000,
      core: { reconnectBackoff: undefined }, // the default 1 s → 30 s backoff
    });
    const started = performance.now();
    const code = await codeOf(producer.start());
    const elapsed = performance.now() - started;
    assert.equal(code, 'SETTINGS_TIMEOUT');
    assert.ok(elapsed < 5_500, `start failed after ${elapsed.toFixed(0)} ms (bound: settings timeout 4 s)`);
    const attempts = proxy.stats().accepted;
    // Up to 4 by the reconnect backoff, plus the one TLS/plaintext probe after the first failure.
    assert.ok(attempts >= 1 && attempts <= 5, `${attempts} connection attempts in ${elapsed.toFixed(0)} ms`);
    assert.equal(producer.state, 'failed');
    await producer.shutdown();
    await proxy.close();
    await assertNoExtraResources(baseline);
  });

  test('C1 one dead address of two in the access point: start and sends work', async (t) => {
    const { broker, proxy } = await faultyBroker(t, { useEndpointPortFromRequest: false });
    const topic = uniqueName('c1b');
    broker.createTopic(topic);
    const dead = await deadEndpoint();
    const producer = producerFor(t, `${dead};${proxy.endpoint}`, { topics: [topic] });
    await producer.start();
    const receipt = await producer.send({ topic, body: 'x' });
    assert.ok(receipt.messageId);
  });

  test('blackholed new connections at start: SETTINGS_TIMEOUT within its bound; nothing left behind', async (t) => {
    const baseline = resources();
    const { broker, proxy } = await faultyBroker(t);
    proxy.set({ kind: 'blackhole' });
    const producer = producerFor(t, proxy.endpoint, { core: { startupSettingsTimeoutMs: 1_500 } });
    const started = performance.now();
    assert.equal(await codeOf(producer.start()), 'SETTINGS_TIMEOUT');
    assert.ok(performance.now() - started < 2_500);
    await producer.shutdown();
    assert.equal(broker.stats().calls.Telemetry, 0, 'nothing reached the broker');
    await proxy.close();
    await broker.shutdown();
    await assertNoExtraResources(baseline);
  });

  test('E4 shutdown during a blackhole is bounded by its timeout; calls in flight fail typed; no handles left', async (t) => {
    const baseline = resources();
    const { broker, proxy } = await faultyBroker(t);
    const topic = uniqueName('e4');
    broker.createTopic(topic);
    const producer = producerFor(t, proxy.endpoint, { topics: [topic] });
    const consumer = consumerFor(t, proxy.endpoint, uniqueName('e4-g'), topic, { awaitDurationMs: 5_000 });
    await Promise.all([producer.start(), consumer.start()]);
    proxy.set({ kind: 'blackhole' });
    const send = codeOf(producer.send({ topic, body: 'stuck' }, { timeoutMs: 30_000 }));
    const receive = codeOf(consumer.receive(1, 10_000));
    await until(() => proxy.stats().droppedBytes > 0, 5_000, 'calls into the blackhole');
    const started = performance.now();
    await Promise.all([producer.shutdown({ timeoutMs: 500 }), consumer.shutdown({ timeoutMs: 500 })]);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2_000, `shutdown took ${elapsed.toFixed(0)} ms with a 500 ms timeout`);
    assert.ok(['CLOSED', 'ABORTED'].includes(await send), await send);
    assert.equal(await receive, 'CLOSED');
    assert.equal(producer.state, 'stopped');
    assert.equal(consumer.state, 'stopped');
    await proxy.close();
    await broker.shutdown();
    await assertNoExtraResources(baseline);
  });

  test('stream cut half-way through a large receive: typed failure, the loop recovers, the message comes back', async (t) => {
    const { broker, proxy } = await faultyBroker(t);
    const topic = uniqueName('cut');
    broker.createTopic(topic);
    const producer = producerFor(t, broker.endpoint, { topics: [topic] });
    const consumer = consumerFor(t, proxy.endpoint, uniqueName('cut-g'), topic, {
      retryBackoff: exponentialBackoff({ initialMs: 50, maxMs: 200, multiplier: 2, jitter: 0 }),
    });
    await Promise.all([producer.start(), consumer.start()]);
    const ledger = new AtLeastOnceLedger('cut');
    await sendKeyed(producer, ledger, topic, { body: Buffer.alloc(512 * 1024, 1) });
    proxy.set({ kind: 'close-after', bytes: 64 * 1024 });
    const first = await codeOf(consumer.receive(1, INVISIBLE_MS));
    assert.ok(['UNAVAILABLE', 'INTERNAL', 'CANCELLED'].includes(first), `cut receive → ${first}`);
    assert.equal(proxy.stats().cut, 1);
    proxy.heal();
    await drain(consumer, ledger, { timeoutMs: 10_000, invisibleDurationMs: INVISIBLE_MS });
    // The cut receive never handed the message over: its later delivery is the first one seen.
    const r = ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
    assert.equal(r.ackedKeys, 1);
  });
});

async function deadEndpoint(): Promise<string> {
  const net = await import('node:net');
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `127.0.0.1:${port}`;
}
