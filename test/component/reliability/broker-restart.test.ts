/**
 * A broker that goes away and comes back on the same port (reliability-matrix rows D1, C8 analogue on the
 * in-process broker, which keeps no store across a restart): while it is down, calls fail typed and the
 * clients open few connections; once it is back, the restarted broker does not know the clients'
 * settings, heartbeats answer 40015, and the clients must send their settings again at once — not after
 * their telemetry reconnect backoff, set to a full minute here to tell the two apart.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { exponentialBackoff } from '../../../src/internal/backoff.js';
import type { ClientCoreEvents } from '../../../src/protocol/client-core.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { AtLeastOnceLedger } from '../../helpers/at-least-once.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { consumeLoop, drain, sendKeyed } from '../../helpers/ledger-flows.js';
import { consumerFor, producerFor, uniqueName, until, watchUnhandled } from './setup.js';

const SLOW_RECONNECT = exponentialBackoff({ initialMs: 60_000, maxMs: 60_000, multiplier: 1, jitter: 0 });

describe('broker restart (in-process)', () => {
  test('D1/C8 down and back on the same port: typed failures, few connections, settings re-sent at once, traffic resumes', async (t) => {
    const unhandled = watchUnhandled(t);
    const options = { longPollingMinMs: 0, minInvisibleDurationMs: 1_000, useEndpointPortFromRequest: true };
    let broker = await InProcessBroker.start(options);
    const port = broker.port;
    t.after(() => broker.shutdown());
    const proxy = await FaultProxy.start({ target: broker.endpoint }); // counts connection attempts
    t.after(() => proxy.close());
    const topic = uniqueName('restart');
    const group = uniqueName('restart-g');
    broker.createTopic(topic);
    const producer = producerFor(t, proxy.endpoint, {
      topics: [topic],
      core: { reconnectBackoff: SLOW_RECONNECT },
    });
    const consumer = consumerFor(t, proxy.endpoint, group, topic, { heartbeatIntervalMs: 200 });
    await Promise.all([producer.start(), consumer.start()]);
    const resyncs: Array<ClientCoreEvents['settings.resync']> = [];
    producer.core.on('settings.resync', (e) => resyncs.push(e));

    await broker.shutdown();
    proxy.resetStats();
    const downSince = performance.now();
    const codes = new Set<string>();
    for (let i = 0; i < 10; i++) {
      try {
        await producer.send({ topic, body: 'while down' });
        assert.fail('a send succeeded while the broker was down');
      } catch (e) {
        assert.ok(e instanceof RocketMQError, String(e));
        codes.add(e.code);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const receiveWhileDown = await consumer.receive(1, 1_000).then(
      () => 'OK',
      (e: unknown) => RocketMQError.from(e).code,
    );
    const downMs = performance.now() - downSince;
    const attempts = proxy.stats().accepted;
    assert.deepEqual([...codes], ['UNAVAILABLE']);
    assert.equal(receiveWhileDown, 'UNAVAILABLE');
    assert.ok(
      attempts <= downMs / 250 + 4,
      `${attempts} connection attempts in ${downMs.toFixed(0)} ms (no storm)`,
    );

    broker = await InProcessBroker.start({ ...options, port });
    broker.createTopic(topic);
    const upAt = performance.now();
    const session = [...producer.core.sessions.values()][0]!;
    await until(
      () => session.hasSettings,
      10_000,
      'the producer to send its settings to the restarted broker',
    );
    const resyncMs = performance.now() - upAt;
    assert.ok(resyncs.length >= 1, 'the 40015 heartbeat triggered the re-sync');
    assert.ok(
      resyncMs < 5_000,
      `settings re-sent ${resyncMs.toFixed(0)} ms after the restart (backoff was 60 s)`,
    );

    const ledger = new AtLeastOnceLedger('restart');
    const stop = new AbortController();
    const loop = consumeLoop(consumer, ledger, { signal: stop.signal, invisibleDurationMs: 1_000 });
    for (let i = 0; i < 5; i++) assert.ok((await sendKeyed(producer, ledger, topic)).receipt);
    await until(() => ledger.drained, 10_000, 'the consumer to resume');
    const rtoMs = performance.now() - upAt;
    stop.abort();
    await loop;
    await drain(consumer, ledger, { timeoutMs: 5_000, invisibleDurationMs: 1_000 });
    // Every message was sent after the restart, into a broker that stays up: no copy comes twice.
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
    t.diagnostic(
      `down ${downMs.toFixed(0)} ms with ${attempts} connection attempts; settings re-sent after ${resyncMs.toFixed(0)} ms; ` +
        `traffic back ${rtoMs.toFixed(0)} ms after the restart`,
    );
    assert.deepEqual(unhandled, []);
  });
});
