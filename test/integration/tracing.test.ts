/**
 * OTel on a REAL RocketMQ 5.x proxy: a message sent with the Producer inside an active span is
 * consumed by a PushConsumer whose process span is a child of the publish span (same trace, parent
 * span id = the publish span's id) — the context travelled through the broker in the message
 * properties. The SDK (in-memory exporter, context manager, W3C propagator) is registered for this
 * file only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { activeTraceIds } from '../../src/observability/tracing.js';
import { Producer } from '../../src/producer/producer.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { installOtel, type OtelHarness } from '../helpers/otel.js';
import { waitUntil } from '../helpers/wait-for.js';

describe('tracing through a real RocketMQ 5.x proxy', () => {
  const shared = useSharedBroker({ before, after });
  let otel: OtelHarness;
  before(() => {
    otel = installOtel();
  });
  after(() => otel.uninstall());

  test('publish span → message → process span (its child) → ack span (child of process)', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('trace');
    const group = uniqueName('trace-g');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);

    const producer = new Producer({ endpoints: broker.endpoint, topics: [topic] });
    t.after(() => producer.shutdown());
    await producer.start({ timeoutMs: 20_000 });

    const inListener: Array<ReturnType<typeof activeTraceIds>> = [];
    const consumer = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: () => {
        inListener.push(activeTraceIds());
      },
      ackFlushDelayMs: 0,
    });
    t.after(() => consumer.shutdown({ timeoutMs: 2_000 }));
    await consumer.start({ timeoutMs: 20_000 });

    const app = trace.getTracer('app').startSpan('place order');
    const receipt = await context.with(trace.setSpan(context.active(), app), () =>
      producer.send({ topic, body: 'traced', tag: 'order' }),
    );
    app.end();
    // The ack span ends once the broker confirmed the (batched) ack.
    await waitUntil(() => otel.named(`ack ${topic}`).length > 0, 30_000, 'the ack span');

    const [send] = otel.named(`send ${topic}`);
    assert.ok(send, 'a publish span');
    assert.equal(send.kind, SpanKind.PRODUCER);
    assert.equal(send.parentSpanContext?.spanId, app.spanContext().spanId);
    assert.equal(send.attributes['messaging.message.id'], receipt.messageId);

    const processes = otel.named(`process ${topic}`);
    assert.equal(processes.length, 1, 'one listener call');
    const processSpan = processes[0]!;
    assert.equal(processSpan.kind, SpanKind.CONSUMER);
    assert.equal(processSpan.spanContext().traceId, send.spanContext().traceId, 'same trace id');
    assert.equal(processSpan.parentSpanContext?.spanId, send.spanContext().spanId, 'parent = publish span');
    assert.equal(processSpan.attributes['messaging.message.id'], receipt.messageId);
    assert.equal(processSpan.attributes['messaging.rocketmq.message.tag'], 'order');
    assert.deepEqual(inListener, [
      { traceId: processSpan.spanContext().traceId, spanId: processSpan.spanContext().spanId },
    ]);

    const [receive] = otel.named(`receive ${topic}`);
    assert.ok(receive, 'a receive span');
    assert.equal(processSpan.links[0]?.context.spanId, receive.spanContext().spanId);
    const [ack] = otel.named(`ack ${topic}`);
    assert.equal(ack!.parentSpanContext?.spanId, processSpan.spanContext().spanId);
    assert.equal(ack!.attributes['server.port'] !== undefined, true);
  });
});
