/**
 * C9, server-side connection limits and keepalive: a broker that closes idle connections (the proxy's
 * `grpcClientIdleTimeMills`), a broker (or load balancer) that sends GOAWAY to every connection after a
 * maximum age, and the client's keepalive pings. Sends must not fail, reconnects must stay bounded (no
 * storm), and the keepalive options must reach the channel.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { RocketMQError } from '../../../src/errors.js';
import { AtLeastOnceLedger } from '../../helpers/at-least-once.js';
import { consumeLoop } from '../../helpers/ledger-flows.js';
import { consumerFor, faultyBroker, producerFor, uniqueName, until, watchUnhandled } from './setup.js';

const INVISIBLE_MS = 1_000;

describe('C9 idle GOAWAY and keepalive', () => {
  test('C9 a server idle timeout (300 ms) shorter than the idle period: the telemetry stream keeps the connection in use; the first send after idling succeeds on the same connection', async (t) => {
    const unhandled = watchUnhandled(t);
    const { broker, proxy } = await faultyBroker(t, { connectionIdleTimeoutMs: 300 });
    const topic = uniqueName('c9-idle');
    broker.createTopic(topic);
    const producer = producerFor(t, proxy.endpoint, {
      topics: [topic],
      core: { heartbeatIntervalMs: 60_000, heartbeatInitialDelayMs: 60_000 },
    });
    await producer.start();
    assert.ok((await producer.send({ topic, body: 'before' })).messageId);
    const accepted = proxy.stats().accepted;
    // The idle limit is real: a connection without calls is closed by the server.
    const bare = new grpc.Client(proxy.endpoint, grpc.credentials.createInsecure());
    t.after(() => bare.close());
    await new Promise<void>((resolve, reject) =>
      bare.waitForReady(Date.now() + 5_000, (err) => (err ? reject(err) : resolve())),
    );
    assert.equal(proxy.stats().active, 2);
    await until(() => proxy.stats().active === 1, 5_000, 'the server to close the idle bare connection');
    // The fault: nothing but the producer's open telemetry stream for ten idle timeouts.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.ok((await producer.send({ topic, body: 'after idling' })).messageId);
    assert.equal(
      proxy.stats().accepted,
      accepted + 1,
      'no reconnect of the producer: with its telemetry stream open the connection is never idle',
    );
    assert.deepEqual(unhandled, []);
  });

  test('C9 GOAWAY to every connection after 1 s (max connection age, grace 300 ms) under steady sends and a consume loop: no send fails, reconnects ≈ one per age, consuming goes on', async (t) => {
    const unhandled = watchUnhandled(t);
    const AGE_MS = 1_000;
    const { broker, proxy } = await faultyBroker(t, {
      connectionMaxAgeMs: AGE_MS,
      connectionAgeGraceMs: 300,
    });
    const topic = uniqueName('c9-age');
    broker.createTopic(topic);
    const producer = producerFor(t, proxy.endpoint, { topics: [topic] });
    const consumer = consumerFor(t, proxy.endpoint, uniqueName('c9-g'), topic, { awaitDurationMs: 500 });
    await Promise.all([producer.start(), consumer.start()]);
    proxy.resetStats();
    const ledger = new AtLeastOnceLedger('c9');
    const stop = new AbortController();
    t.after(() => stop.abort());
    const loop = consumeLoop(consumer, ledger, { signal: stop.signal, invisibleDurationMs: INVISIBLE_MS });
    const started = performance.now();
    const failures: string[] = [];
    let sends = 0;
    while (performance.now() - started < 5 * AGE_MS) {
      const key = ledger.nextKey();
      sends += 1;
      await ledger.send(key, () =>
        producer.send({ topic, body: `body of ${key}`, keys: [key] }).catch((e: unknown) => {
          failures.push(RocketMQError.from(e).code);
          throw e;
        }),
      );
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = performance.now() - started;
    await until(() => ledger.drained, 10_000, 'every message consumed');
    stop.abort();
    await loop;
    const connections = proxy.stats().accepted;
    t.diagnostic(
      `${sends} sends in ${elapsed.toFixed(0)} ms, ${failures.length} failed ${JSON.stringify(failures)}, ${connections} connections`,
    );
    assert.deepEqual(failures, [], 'no send failed');
    // Two clients, each reconnecting about once per connection age.
    assert.ok(connections >= 2, `${connections} connections: the server did close them`);
    assert.ok(
      connections <= 2 * (elapsed / AGE_MS + 2),
      `${connections} connections in ${elapsed.toFixed(0)} ms (no storm)`,
    );
    ledger.assertHolds({ log: (l) => t.diagnostic(l) });
    assert.deepEqual(unhandled, []);
  });

  test('C9 keepalive options reach the channel: with 500 ms pings a silently dropped connection is replaced without any call or heartbeat', async (t) => {
    const unhandled = watchUnhandled(t);
    const { broker, proxy } = await faultyBroker(t);
    const topic = uniqueName('c9-ka');
    broker.createTopic(topic);
    const producer = producerFor(t, proxy.endpoint, {
      topics: [topic],
      core: {
        heartbeatIntervalMs: 600_000,
        heartbeatInitialDelayMs: 600_000,
        transportRecovery: false,
        channelOptions: { 'grpc.keepalive_time_ms': 500, 'grpc.keepalive_timeout_ms': 500 },
      },
    });
    await producer.start();
    assert.ok((await producer.send({ topic, body: 'x' })).messageId);
    assert.equal(producer.core.pool.channelOptions['grpc.keepalive_time_ms'], 500);
    proxy.resetStats();
    proxy.blackholeExisting();
    const droppedAt = performance.now();
    await until(() => proxy.stats().accepted >= 1, 10_000, 'keepalive to replace the silent connection');
    const detectedMs = performance.now() - droppedAt;
    const session = [...producer.core.sessions.values()][0]!;
    await until(() => session.hasSettings, 10_000, 'the telemetry stream to come back');
    assert.ok((await producer.send({ topic, body: 'y' })).messageId);
    t.diagnostic(`silent connection replaced ${detectedMs.toFixed(0)} ms after it went silent`);
    assert.ok(detectedMs < 5_000, `detected after ${detectedMs.toFixed(0)} ms`);
    assert.deepEqual(unhandled, []);
  });
});
