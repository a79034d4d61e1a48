/**
 * A blackhole during a PushConsumer long poll (reliability-matrix rows C3; the SimpleConsumer twin is in
 * network-faults.test.ts), through the TCP fault proxy in front of the in-process broker:
 *
 * - the blackholed receive ends by its deadline, the broker's long-polling time + requestTimeout;
 * - the loop goes on over a new connection (heartbeat-driven transport recovery) and retries with the
 *   SAME attempt id: on an ordered queue the broker then hands back the message it had popped into the
 *   swallowed answer as the same delivery attempt, long before its 30 s invisibility ends (a new
 *   attempt id would find the queue blocked until then). A receive already in flight on the old
 *   connection when it is replaced still runs to its deadline, so this takes up to ~2 deadlines;
 * - later messages follow in order, each handled once, and everything is acked (0 lost).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import { exponentialBackoff } from '../../../src/internal/backoff.js';
import type { Logger } from '../../../src/observability/logger.js';
import { faultyBroker, producerFor, uniqueName, until } from './setup.js';

const LONG_POLL_MS = 1_000;
const REQUEST_TIMEOUT_MS = 1_000;
const INVISIBLE_MS = 30_000;

/** A logger that keeps each message with its time. */
function timedLogger(): Logger & { readonly records: Array<{ at: number; level: string; message: string }> } {
  const records: Array<{ at: number; level: string; message: string }> = [];
  const put = (level: string) => (message: string) => {
    records.push({ at: performance.now(), level, message });
  };
  return { records, debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

describe('C3 blackhole during a push-consumer long poll', () => {
  test('the receive ends by its deadline, the retry reuses the attempt id and gets the swallowed message back at once', async (t) => {
    const { broker, proxy } = await faultyBroker(t, { longPollingMaxMs: LONG_POLL_MS });
    const topic = uniqueName('c3p');
    const group = uniqueName('c3p-g');
    broker.createTopic(topic, { type: 'FIFO', queues: 1 });
    broker.createConsumerGroup(group, { fifo: true });
    const producer = producerFor(t, broker.endpoint, { topics: [topic] }); // direct: only the consumer suffers
    const handled: Array<{ body: string; attempt: number; at: number }> = [];
    const logger = timedLogger();
    const consumer = new PushConsumer({
      endpoints: proxy.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: (m, ctx) => {
        handled.push({ body: m.body.toString(), attempt: ctx.attempt, at: performance.now() });
      },
      invisibleDurationMs: INVISIBLE_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      heartbeatIntervalMs: 200,
      receiveBackoff: exponentialBackoff({ initialMs: 100, maxMs: 500, multiplier: 2, jitter: 0.2 }),
      logger,
    });
    t.after(() => consumer.shutdown({ timeoutMs: 1_000 }));
    await Promise.all([producer.start(), consumer.start()]);

    await producer.send({ topic, body: 'first', messageGroup: 'g' });
    await until(() => broker.stats().acked === 1, 5_000, 'the first message acked');
    await until(() => broker.stats().waitingReceives === 1, 5_000, 'a parked long poll');
    const acceptedBefore = proxy.stats().accepted;
    proxy.blackholeExisting();
    const blackholedAt = performance.now();
    // Delivered into the parked poll, whose answer the blackhole swallows: popped, never seen.
    await producer.send({ topic, body: 'swallowed', messageGroup: 'g' });
    await until(() => broker.stats().inflight === 1, 5_000, 'the message to be popped');
    const poppedAt = performance.now();

    await until(() => handled.some((h) => h.body === 'swallowed'), 25_000, 'the swallowed message');
    const back = handled.find((h) => h.body === 'swallowed')!;
    const failedReceive = logger.records.find(
      (r) => r.at >= blackholedAt && r.message.startsWith('receive failed'),
    );
    assert.ok(failedReceive, 'the blackholed receive failed (and was retried)');
    const endedAfter = failedReceive.at - blackholedAt;
    // Its deadline, plus one request timeout of slack for the failure to reach the loop: a fixed 500 ms
    // of real time is not a bound on a loaded 2-core machine.
    assert.ok(
      endedAfter <= LONG_POLL_MS + 2 * REQUEST_TIMEOUT_MS,
      `the blackholed receive ended ${endedAfter.toFixed(0)} ms after the blackhole (deadline ${LONG_POLL_MS} + ${REQUEST_TIMEOUT_MS} ms)`,
    );
    const backAfter = back.at - poppedAt;
    assert.ok(
      backAfter < INVISIBLE_MS / 2,
      `handed back ${backAfter.toFixed(0)} ms after the pop: replayed for the same attempt id, not after its ${INVISIBLE_MS} ms invisibility`,
    );
    assert.equal(back.attempt, 1, 'the same delivery attempt');
    assert.ok(proxy.stats().droppedBytes > 0, 'bytes went into the blackhole');
    const newConnections = proxy.stats().accepted - acceptedBefore;
    assert.ok(newConnections >= 1 && newConnections <= 3, `${newConnections} new connection(s) (no storm)`);

    for (let i = 0; i < 5; i++) await producer.send({ topic, body: `after-${i}`, messageGroup: 'g' });
    // Acked at the broker AND the answers back at the consumer (the broker counts an ack before its answer
    // is on the wire).
    await until(() => broker.stats().acked === 7 && consumer.stats().acked === 7, 10_000, 'everything acked');
    assert.deepEqual(
      handled.map((h) => h.body),
      ['first', 'swallowed', 'after-0', 'after-1', 'after-2', 'after-3', 'after-4'],
      'each once, in order',
    );
    assert.equal(broker.stats().inflight, 0);
    // Stopped while the broker is still up (see the hooks of setup.ts, which close the broker first).
    await consumer.shutdown({ timeoutMs: 1_000 });
    t.diagnostic(
      `receive ended ${endedAfter.toFixed(0)} ms after the blackhole; swallowed message back ${backAfter.toFixed(0)} ms after its pop; ${newConnections} new connection(s)`,
    );
  });
});
