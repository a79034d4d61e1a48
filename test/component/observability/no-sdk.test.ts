/**
 * Without an OTel SDK the instrumentation is a no-op: no errors, no trace properties, no active span
 * in the listener, shared no-op operations (nothing allocated per message). A provider registered
 * later is picked up by clients created before it, and unregistering it makes everything a no-op
 * again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { trace } from '@opentelemetry/api';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import { ManualClock } from '../../../src/internal/clock.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { ClientTelemetry } from '../../../src/observability/client-telemetry.js';
import { instruments, METRIC } from '../../../src/observability/messaging-metrics.js';
import { tracingEnabled } from '../../../src/observability/messaging-spans.js';
import { activeTraceIds } from '../../../src/observability/tracing.js';
import { Producer } from '../../../src/producer/producer.js';
import { uniqueName } from '../../helpers/in-process-client.js';
import { countOf, installOtel } from '../../helpers/otel.js';
import { startBroker } from '../in-process-broker/fixture.js';

const realTick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('no OTel SDK registered', () => {
  test('the API is the no-op one (this file registers nothing at load)', () => {
    assert.equal(tracingEnabled(), false);
    assert.equal(instruments(), undefined);
    assert.equal(trace.getActiveSpan(), undefined);
  });

  test('every operation is one shared no-op object', () => {
    const t = new ClientTelemetry({ clientId: 'c', namespace: '', consumerGroup: 'g' }, new ManualClock());
    const m = { topic: 't', messageId: 'id', keys: [], properties: {} };
    assert.equal(t.startSend(m, 1, false), t.startSend(m, 1, false));
    assert.equal(t.startReceive('t', undefined, 'root'), t.startReceive('t', undefined, 'root'));
    const p = t.startProcess(m, 1, 0);
    assert.equal(p, t.startProcess(m, 1, 0));
    assert.equal(
      p.run(() => 42),
      42,
    );
    assert.equal(t.startSettle('ack', m, undefined, 'root'), t.startSettle('nack', m, undefined, 'root'));
    assert.deepEqual(t.startSend(m, 1, false).traceProperties({ requestId: 'r' }), { 'x-request-id': 'r' });
    const unobserve = t.observeCache({ stats: () => ({ cachedMessages: 0, cachedBytes: 0 }) });
    unobserve();
  });

  test('send and consume work, write no trace properties and run the listener outside any span', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const time = fx.time!;
    const topic = uniqueName('nosdk');
    const group = uniqueName('nosdk-group');
    fx.broker.createTopic(topic, { queues: 1 });
    fx.broker.createConsumerGroup(group);
    const seen: Array<{ view: MessageView; ids: ReturnType<typeof activeTraceIds> }> = [];
    const producer = new Producer({
      endpoints: fx.broker.endpoint,
      topics: [topic],
      clock: time,
      timers: time,
    });
    t.after(() => producer.shutdown({ timeoutMs: 0 }));
    const consumer = new PushConsumer({
      endpoints: fx.broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: (view) => {
        seen.push({ view, ids: activeTraceIds() });
      },
      clock: time,
      timers: time,
    });
    t.after(() => consumer.shutdown({ timeoutMs: 0 }));
    await producer.start();
    await consumer.start();
    await producer.send({ topic, body: 'plain' }, { requestId: 'req-9' });
    for (let v = 0; consumer.stats().acked < 1; v += 10) {
      assert.ok(v < 60_000, 'acked within 60 virtual s');
      for (let i = 0; i < 3; i++) await realTick();
      time.advance(10);
    }
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.ids, undefined);
    const props = seen[0]!.view.properties;
    assert.equal(props.traceparent, undefined);
    assert.equal(props['x-trace-id'], undefined);
    assert.equal(props['x-span-id'], undefined);
    assert.equal(props['x-request-id'], 'req-9', 'explicit seeds are still written');

    // A provider registered now is used by these same clients; unregistering makes them no-ops again.
    const otel = installOtel();
    try {
      assert.equal(tracingEnabled(), true);
      assert.notEqual(instruments(), undefined);
      await producer.send({ topic, body: 'traced' });
      assert.equal(otel.named(`send ${topic}`).length, 1);
      const m = await otel.collect();
      assert.equal(countOf(m, METRIC.sentMessages, { 'messaging.destination.name': topic }), 1);
      otel.unregister();
      assert.equal(tracingEnabled(), false);
      assert.equal(instruments(), undefined);
      await producer.send({ topic, body: 'untraced again' });
      assert.equal(otel.named(`send ${topic}`).length, 1, 'nothing exported once unregistered');
    } finally {
      await otel.uninstall();
    }
  });
});
