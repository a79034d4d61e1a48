/**
 * OTel spans and metrics of the Producer, PushConsumer and SimpleConsumer against the in-process
 * broker, with an SDK registered for this file only (in-memory span exporter, on-demand metric
 * readers, AsyncLocalStorage context manager, a W3C traceparent propagator). Broker and clients run on
 * one fake time source; `drive()` advances it and yields to I/O until a condition holds.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, type TestContext, test } from 'node:test';
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import type { MessageListener, PushConsumerOptions } from '../../../src/consumer/push-consumer-options.js';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { customizedBackoff } from '../../../src/internal/backoff.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { METRIC } from '../../../src/observability/messaging-metrics.js';
import { activeTraceIds } from '../../../src/observability/tracing.js';
import { Producer } from '../../../src/producer/producer.js';
import type { ManualTime } from '../../../src/testing/index.js';
import { message, uniqueName } from '../../helpers/in-process-client.js';
import {
  countOf,
  installOtel,
  type OtelHarness,
  pointsWith,
  TraceparentPropagator,
} from '../../helpers/otel.js';
import { type Fixture, startBroker } from '../in-process-broker/fixture.js';

const realTick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

async function drive(time: ManualTime, cond: () => boolean, what: string, stepMs = 10): Promise<void> {
  for (let virtual = 0; ; virtual += stepMs) {
    for (let i = 0; i < 3; i++) await realTick();
    if (cond()) return;
    if (virtual >= 120_000) throw new Error(`not reached within 120000 virtual ms: ${what}`);
    time.advance(stepMs);
  }
}

let otel: OtelHarness;
before(() => {
  otel = installOtel();
});
after(() => otel.uninstall());
beforeEach(() => otel.exporter.reset());

const app = trace.getTracer('app');

interface Setup {
  fx: Fixture;
  time: ManualTime;
  topic: string;
  group: string;
  producer: Producer;
  consumer: PushConsumer;
}

async function setup(
  t: TestContext,
  listener: MessageListener,
  options: {
    topicType?: 'NORMAL' | 'FIFO';
    group?: { fifo?: boolean; maxDeliveryAttempts?: number };
    consumer?: Partial<PushConsumerOptions>;
  } = {},
): Promise<Setup> {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('otel');
  const group = uniqueName('otel-group');
  fx.broker.createTopic(topic, { type: options.topicType ?? 'NORMAL', queues: 1 });
  fx.broker.createConsumerGroup(group, options.group ?? {});
  const producer = new Producer({
    endpoints: fx.broker.endpoint,
    topics: [topic],
    clock: time,
    timers: time,
    throttleBackoff: customizedBackoff([5]),
  });
  t.after(() => producer.shutdown({ timeoutMs: 0 }));
  await producer.start();
  const consumer = new PushConsumer({
    endpoints: fx.broker.endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    listener,
    clock: time,
    timers: time,
    namespace: '',
    ...options.consumer,
  });
  t.after(() => consumer.shutdown({ timeoutMs: 0 }));
  await consumer.start();
  return { fx, time, topic, group, producer, consumer };
}

function only(spans: ReadableSpan[], what: string): ReadableSpan {
  assert.equal(spans.length, 1, `exactly one ${what} span, got ${spans.length}`);
  return spans[0]!;
}

/** Runs `fn` inside a new active span of the application; returns the span too. */
async function inAppSpan<T>(name: string, fn: () => Promise<T>): Promise<{ span: Span; result: T }> {
  const span = app.startSpan(name);
  try {
    const result = await context.with(trace.setSpan(context.active(), span), fn);
    return { span, result };
  } finally {
    span.end();
  }
}

describe('spans: producer → message → push consumer', () => {
  test('the process span is a child of the publish span (restored remote context), the settle span a child of the process span, the receive span linked', async (t) => {
    const seen: Array<{ ids: ReturnType<typeof activeTraceIds>; view: MessageView; inner: Span }> = [];
    const s = await setup(t, async (view) => {
      const inner = app.startSpan('user work'); // nests under the active span: the process span
      inner.end();
      seen.push({ ids: activeTraceIds(), view, inner });
    });
    const { span: parent, result: receipt } = await inAppSpan('checkout', () =>
      s.producer.send({ topic: s.topic, body: 'hello', tag: 'created', keys: ['k1', 'k2'] }),
    );
    await drive(s.time, () => otel.named(`ack ${s.topic}`).length === 1, 'the ack span');

    const send = only(otel.named(`send ${s.topic}`), 'send');
    assert.equal(send.kind, SpanKind.PRODUCER);
    assert.equal(
      send.parentSpanContext?.spanId,
      parent.spanContext().spanId,
      'publish span under the app span',
    );
    assert.equal(send.spanContext().traceId, parent.spanContext().traceId);
    assert.deepEqual(
      {
        system: send.attributes['messaging.system'],
        type: send.attributes['messaging.operation.type'],
        name: send.attributes['messaging.operation.name'],
        destination: send.attributes['messaging.destination.name'],
        id: send.attributes['messaging.message.id'],
        tag: send.attributes['messaging.rocketmq.message.tag'],
        keys: send.attributes['messaging.rocketmq.message.keys'],
        messageType: send.attributes['messaging.rocketmq.message.type'],
        namespace: send.attributes['messaging.rocketmq.namespace'],
        clientId: send.attributes['messaging.rocketmq.client_id'],
        server: send.attributes['server.address'],
        port: send.attributes['server.port'],
        attempts: send.attributes['messaging.rocketmq.send.attempts'],
        batch: send.attributes['messaging.batch.message_count'],
        error: send.attributes['error.type'],
      },
      {
        system: 'rocketmq',
        type: 'send',
        name: 'send',
        destination: s.topic,
        id: receipt.messageId,
        tag: 'created',
        keys: ['k1', 'k2'],
        messageType: 'normal',
        namespace: '',
        clientId: s.producer.clientId,
        server: '127.0.0.1',
        port: s.fx.broker.port,
        attempts: 1,
        batch: undefined,
        error: undefined,
      },
    );

    // The message carries the publish span's context.
    assert.equal(seen.length, 1);
    const props = seen[0]!.view.properties;
    const sc = send.spanContext();
    assert.equal(props.traceparent, `00-${sc.traceId}-${sc.spanId}-01`);
    assert.equal(props['x-trace-id'], sc.traceId);
    assert.equal(props['x-span-id'], sc.spanId);

    const receive = only(otel.named(`receive ${s.topic}`), 'receive');
    assert.equal(receive.kind, SpanKind.CLIENT);
    assert.equal(receive.parentSpanContext, undefined, 'push receive spans start at the root');
    assert.equal(receive.attributes['messaging.operation.type'], 'receive');
    assert.equal(receive.attributes['messaging.batch.message_count'], 1);
    assert.equal(receive.attributes['messaging.consumer.group.name'], s.group);
    assert.equal(receive.attributes['messaging.message.id'], receipt.messageId);

    const processSpan = only(otel.named(`process ${s.topic}`), 'process');
    assert.equal(processSpan.kind, SpanKind.CONSUMER);
    assert.equal(processSpan.spanContext().traceId, sc.traceId, 'same trace as the publish');
    assert.equal(processSpan.parentSpanContext?.spanId, sc.spanId, 'parent = the publish span');
    assert.equal(processSpan.parentSpanContext?.isRemote, true);
    assert.deepEqual(
      processSpan.links.map((l) => l.context.spanId),
      [receive.spanContext().spanId],
      'linked to the receive span',
    );
    assert.equal(processSpan.attributes['messaging.operation.type'], 'process');
    assert.equal(processSpan.attributes['messaging.consumer.group.name'], s.group);
    assert.equal(processSpan.attributes['messaging.message.id'], receipt.messageId);
    assert.equal(processSpan.attributes['messaging.rocketmq.message.tag'], 'created');
    assert.equal(processSpan.attributes['messaging.rocketmq.message.delivery_attempt'], 1);
    assert.equal(processSpan.attributes['messaging.rocketmq.client_id'], s.consumer.clientId);
    assert.equal(processSpan.status.code, SpanStatusCode.UNSET);

    // The listener ran inside the process span.
    assert.deepEqual(seen[0]!.ids, {
      traceId: processSpan.spanContext().traceId,
      spanId: processSpan.spanContext().spanId,
    });
    const inner = only(otel.named('user work'), 'user work');
    assert.equal(inner.parentSpanContext?.spanId, processSpan.spanContext().spanId);

    const ack = only(otel.named(`ack ${s.topic}`), 'ack');
    assert.equal(ack.kind, SpanKind.CLIENT);
    assert.equal(ack.parentSpanContext?.spanId, processSpan.spanContext().spanId, 'settle under process');
    assert.equal(ack.spanContext().traceId, sc.traceId);
    assert.equal(ack.attributes['messaging.operation.type'], 'settle');
    assert.equal(ack.attributes['messaging.operation.name'], 'ack');
    assert.equal(ack.attributes['messaging.message.id'], receipt.messageId);
  });

  test('seed interop: x-trace-id + x-span-id alone become the sampled remote parent', async (t) => {
    const seen: Array<ReturnType<typeof activeTraceIds>> = [];
    const s = await setup(t, () => {
      seen.push(activeTraceIds());
    });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    const raw = s.fx.client();
    const res = await raw.send(
      message({
        topic: s.topic,
        props: { 'x-trace-id': traceId, 'x-span-id': spanId, 'x-request-id': 'r1' },
      }),
    );
    assert.equal(res.status?.code, 20000);
    await drive(s.time, () => otel.named(`ack ${s.topic}`).length === 1, 'the ack span');
    const processSpan = only(otel.named(`process ${s.topic}`), 'process');
    assert.equal(processSpan.spanContext().traceId, traceId);
    assert.equal(processSpan.parentSpanContext?.spanId, spanId);
    assert.equal(processSpan.parentSpanContext?.isRemote, true);
    assert.equal(processSpan.spanContext().traceFlags & 1, 1, 'x-trace-id/x-span-id parents are sampled');
    assert.deepEqual(seen, [{ traceId, spanId: processSpan.spanContext().spanId }]);
  });

  test('a message without (valid) trace context starts a new trace, still linked to its receive span', async (t) => {
    const s = await setup(t, () => undefined);
    const raw = s.fx.client();
    await raw.send(message({ topic: s.topic, props: { 'x-trace-id': 'not-hex', 'x-span-id': 'abc' } }));
    await drive(s.time, () => otel.named(`ack ${s.topic}`).length === 1, 'the ack span');
    const processSpan = only(otel.named(`process ${s.topic}`), 'process');
    assert.equal(processSpan.parentSpanContext, undefined);
    const receive = only(otel.named(`receive ${s.topic}`), 'receive');
    assert.equal(processSpan.links[0]?.context.spanId, receive.spanContext().spanId);
  });

  test('the global propagator is what restores the parent (a propagator with its own header)', async (t) => {
    propagation.disable();
    propagation.setGlobalPropagator(new TraceparentPropagator('x-custom-parent'));
    t.after(() => {
      propagation.disable();
      propagation.setGlobalPropagator(new TraceparentPropagator());
    });
    const s = await setup(t, () => undefined);
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const spanId = 'b7ad6b7169203331';
    const raw = s.fx.client();
    await raw.send(message({ topic: s.topic, props: { 'x-custom-parent': `00-${traceId}-${spanId}-01` } }));
    await drive(s.time, () => otel.named(`ack ${s.topic}`).length === 1, 'the ack span');
    const processSpan = only(otel.named(`process ${s.topic}`), 'process');
    assert.equal(processSpan.spanContext().traceId, traceId);
    assert.equal(processSpan.parentSpanContext?.spanId, spanId);
  });

  test('retries are events of one publish span; a failed listener call ends its span in error and the nack is its child', async (t) => {
    let calls = 0;
    const s = await setup(
      t,
      () => {
        calls++;
        if (calls === 1) throw new TypeError('planned failure');
      },
      { group: { maxDeliveryAttempts: 5 } },
    );
    s.fx.broker.faults.failNext('SendMessage', 1, { code: 50001 });
    const receipt = await s.producer.send({ topic: s.topic, body: 'x' });
    const send = only(otel.named(`send ${s.topic}`), 'send');
    assert.equal(send.attributes['messaging.rocketmq.send.attempts'], 2);
    assert.equal(send.attributes['messaging.message.id'], receipt.messageId);
    assert.equal(send.events.length, 1);
    assert.equal(send.events[0]!.name, 'send attempt failed');
    assert.equal(send.events[0]!.attributes?.['messaging.rocketmq.send.attempts'], 1);
    assert.equal(typeof send.events[0]!.attributes?.['error.type'], 'string');
    assert.equal(send.status.code, SpanStatusCode.UNSET);

    await drive(s.time, () => s.consumer.stats().acked === 1, 'redelivered and acked');
    const processes = otel.named(`process ${s.topic}`);
    assert.equal(processes.length, 2);
    const [failed, retried] = processes;
    assert.equal(failed!.status.code, SpanStatusCode.ERROR);
    assert.equal(failed!.attributes['error.type'], 'TypeError');
    assert.ok(failed!.events.some((e) => e.name === 'exception'));
    assert.equal(failed!.attributes['messaging.rocketmq.message.delivery_attempt'], 1);
    assert.equal(retried!.attributes['messaging.rocketmq.message.delivery_attempt'], 2);
    for (const p of processes) assert.equal(p.parentSpanContext?.spanId, send.spanContext().spanId);
    const nack = only(otel.named(`nack ${s.topic}`), 'nack');
    assert.equal(nack.parentSpanContext?.spanId, failed!.spanContext().spanId);
    const ack = only(otel.named(`ack ${s.topic}`), 'ack');
    assert.equal(ack.parentSpanContext?.spanId, retried!.spanContext().spanId);
  });

  test('a send that fails for good ends its span with error.type; a batch is one span', async (t) => {
    const s = await setup(t, () => undefined);
    s.fx.broker.faults.failNext('SendMessage', 1, { code: 40000 });
    await assert.rejects(s.producer.send({ topic: s.topic, body: 'x' }));
    const failed = only(otel.named(`send ${s.topic}`), 'failed send');
    assert.equal(failed.status.code, SpanStatusCode.ERROR);
    assert.equal(typeof failed.attributes['error.type'], 'string');
    assert.notEqual(failed.attributes['error.type'], '_OTHER');
    otel.exporter.reset();

    const batch = await s.producer.sendBatch([
      { topic: s.topic, body: 'a' },
      { topic: s.topic, body: 'b' },
      { topic: s.topic, body: 'c' },
    ]);
    const span = only(otel.named(`send ${s.topic}`), 'batch send');
    assert.equal(span.attributes['messaging.batch.message_count'], 3);
    assert.equal(span.attributes['messaging.message.id'], undefined);
    await drive(s.time, () => s.consumer.stats().acked === 3, '3 acks');
    const processes = otel.named(`process ${s.topic}`);
    assert.equal(processes.length, 3);
    for (const p of processes) {
      assert.equal(
        p.parentSpanContext?.spanId,
        span.spanContext().spanId,
        'each message under the batch span',
      );
    }
    assert.deepEqual(
      new Set(processes.map((p) => p.attributes['messaging.message.id'])),
      new Set(batch.messageIds),
    );
  });

  test('FIFO: the last failed attempt is dead-lettered under its process span', async (t) => {
    const s = await setup(
      t,
      () => {
        throw new Error('always');
      },
      { topicType: 'FIFO', group: { fifo: true, maxDeliveryAttempts: 2 } },
    );
    await s.producer.send({ topic: s.topic, body: 'x', messageGroup: 'g1' });
    await drive(s.time, () => s.consumer.stats().deadLettered === 1, 'dead-lettered');
    await drive(s.time, () => otel.named(`dead_letter ${s.topic}`).length === 1, 'the dead-letter span');
    const processes = otel.named(`process ${s.topic}`);
    assert.equal(processes.length, 2, 'two local attempts');
    const dlq = only(otel.named(`dead_letter ${s.topic}`), 'dead_letter');
    assert.equal(dlq.parentSpanContext?.spanId, processes[1]!.spanContext().spanId);
    assert.equal(dlq.attributes['messaging.operation.type'], 'settle');
    const metrics = await otel.collect();
    assert.equal(
      countOf(metrics, METRIC.settledMessages, {
        'messaging.destination.name': s.topic,
        'messaging.rocketmq.settle.outcome': 'dead_lettered',
      }),
      1,
    );
    assert.equal(processes[0]!.attributes['messaging.rocketmq.message.type'], 'fifo');
    assert.equal(processes[0]!.attributes['messaging.rocketmq.message.group'], 'g1');
  });
});

describe('metrics', () => {
  test('durations, latencies, counters and cache gauges carry the right values and attributes; gauges end at shutdown', async (t) => {
    const held: Array<() => void> = [];
    let first = true;
    const s = await setup(
      t,
      async () => {
        if (first) {
          first = false;
          await new Promise<void>((r) => held.push(r));
        }
      },
      { consumer: { concurrency: 1 } },
    );
    for (const body of ['aaaa', 'bb', 'c']) await s.producer.send({ topic: s.topic, body });
    await drive(
      s.time,
      () => held.length === 1 && s.consumer.stats().cachedMessages === 3,
      'one held, three cached',
    );

    const during = await otel.collect();
    const gaugeAttrs = {
      'messaging.consumer.group.name': s.group,
      'messaging.client.id': s.consumer.clientId,
    };
    assert.deepEqual(
      pointsWith(during, METRIC.cachedMessages, gaugeAttrs).map((p) => p.value),
      [3],
    );
    assert.deepEqual(
      pointsWith(during, METRIC.cachedBytes, gaugeAttrs).map((p) => p.value),
      [7],
    );

    s.time.advance(2_000); // the first listener call takes 2 s; the others wait in the cache meanwhile
    held[0]!();
    await drive(s.time, () => s.consumer.stats().acked === 3, '3 acks');

    const m = await otel.collect();
    const topic = { 'messaging.destination.name': s.topic };
    const consumer = { ...topic, 'messaging.consumer.group.name': s.group };

    const sends = pointsWith<Histogram>(m, METRIC.operationDuration, {
      ...topic,
      'messaging.operation.name': 'send',
    });
    assert.equal(
      sends.reduce((n, p) => n + p.value.count, 0),
      3,
    );
    assert.equal(sends[0]!.attributes['messaging.system'], 'rocketmq');
    assert.equal(sends[0]!.attributes['messaging.operation.type'], 'send');
    assert.equal(sends[0]!.attributes['error.type'], undefined);
    assert.equal(countOf(m, METRIC.sentMessages, topic), 3);

    assert.ok(
      countOf(m, METRIC.operationDuration, { ...consumer, 'messaging.operation.name': 'receive' }) >= 1,
    );
    assert.equal(countOf(m, METRIC.consumedMessages, consumer), 3);
    assert.equal(countOf(m, METRIC.operationDuration, { ...consumer, 'messaging.operation.name': 'ack' }), 3);
    assert.equal(
      countOf(m, METRIC.settledMessages, { ...consumer, 'messaging.rocketmq.settle.outcome': 'acked' }),
      3,
    );

    const process = pointsWith<Histogram>(m, METRIC.processDuration, consumer);
    assert.equal(process.length, 1);
    assert.equal(process[0]!.value.count, 3);
    assert.ok(process[0]!.value.max! >= 2, `the held call took ≥ 2 s: ${process[0]!.value.max}`);

    const wait = pointsWith<Histogram>(m, METRIC.awaitTime, consumer);
    assert.equal(wait[0]!.value.count, 3);
    assert.ok(wait[0]!.value.sum! >= 4, `two messages waited ≥ 2 s in the cache: sum ${wait[0]!.value.sum}`);
    assert.ok(wait[0]!.value.min! < 1, 'the first one did not wait');
    const latency = pointsWith<Histogram>(m, METRIC.deliveryLatency, consumer);
    assert.equal(latency[0]!.value.count, 3);
    assert.ok(latency[0]!.value.max! >= 2 && latency[0]!.value.min! >= 0);

    // The delta reader reports a gauge only when its callback observed it in that collection.
    const running = await otel.collectDelta();
    assert.deepEqual(
      pointsWith(running, METRIC.cachedMessages, gaugeAttrs).map((p) => p.value),
      [0],
      'observed while running: the cache is empty again',
    );
    await s.consumer.shutdown({ timeoutMs: 1_000 });
    const stopped = await otel.collectDelta();
    assert.deepEqual(pointsWith(stopped, METRIC.cachedMessages, gaugeAttrs), [], 'gauge callback removed');
    assert.deepEqual(pointsWith(stopped, METRIC.cachedBytes, gaugeAttrs), []);
  });

  test('failed settles and failed sends are counted with error.type', async (t) => {
    const s = await setup(t, () => 'failure', { group: { maxDeliveryAttempts: 5 } });
    s.fx.broker.faults.failNext('SendMessage', 1, { code: 40000 });
    await assert.rejects(s.producer.send({ topic: s.topic, body: 'x' }));
    s.fx.broker.faults.failNext('ChangeInvisibleDuration', 1, { code: 40000 });
    await s.producer.send({ topic: s.topic, body: 'y' });
    await drive(s.time, () => s.consumer.stats().settleFailures === 1, 'a failed nack');
    const m = await otel.collect();
    const topic = { 'messaging.destination.name': s.topic };
    const failedSends = pointsWith(m, METRIC.sentMessages, topic).filter((p) => p.attributes['error.type']);
    assert.equal(failedSends.length, 1);
    assert.equal(failedSends[0]!.value, 1);
    assert.equal(
      countOf(m, METRIC.settledMessages, {
        ...topic,
        'messaging.operation.name': 'nack',
        'messaging.rocketmq.settle.outcome': 'failed',
      }),
      1,
    );
    const processFailures = pointsWith<Histogram>(m, METRIC.processDuration, {
      ...topic,
      'error.type': 'failure',
    });
    assert.ok(processFailures.length === 1 && processFailures[0]!.value.count >= 1);
    const nack = otel.named(`nack ${s.topic}`).find((sp) => sp.status.code === SpanStatusCode.ERROR);
    assert.ok(nack, 'the failed nack span is in error');
  });
});

describe('SimpleConsumer spans', () => {
  test('receive and settle spans under the caller’s span; the settle spans link the receive span', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('otel-simple');
    const group = uniqueName('otel-simple-group');
    fx.broker.createTopic(topic, { queues: 1 });
    fx.broker.createConsumerGroup(group);
    const consumer = new SimpleConsumer({
      endpoints: fx.broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 1_000,
    });
    t.after(() => consumer.shutdown({ timeoutMs: 0 }));
    await consumer.start();
    await fx.client().send(message({ topic, body: 'one' }));
    const { span: parent } = await inAppSpan('poll', async () => {
      const [view] = await consumer.receive(1, 15_000);
      assert.ok(view);
      const moved = await consumer.changeInvisibleDuration(view, 20_000);
      await consumer.ack(moved);
    });
    const receive = only(otel.named(`receive ${topic}`), 'receive');
    assert.equal(receive.parentSpanContext?.spanId, parent.spanContext().spanId);
    assert.equal(receive.attributes['messaging.consumer.group.name'], group);
    const change = only(otel.named(`change_invisible_duration ${topic}`), 'change_invisible_duration');
    const ack = only(otel.named(`ack ${topic}`), 'ack');
    for (const settle of [change, ack]) {
      assert.equal(settle.parentSpanContext?.spanId, parent.spanContext().spanId);
      assert.equal(settle.attributes['messaging.operation.type'], 'settle');
      assert.deepEqual(
        settle.links.map((l) => l.context.spanId),
        [receive.spanContext().spanId],
      );
    }
    const m = await otel.collect();
    assert.equal(
      countOf(m, METRIC.operationDuration, {
        'messaging.destination.name': topic,
        'messaging.operation.name': 'ack',
      }),
      1,
    );
    assert.equal(
      countOf(m, METRIC.settledMessages, {
        'messaging.destination.name': topic,
        'messaging.operation.name': 'change_invisible_duration',
      }),
      0,
      'a lease change is no settle outcome',
    );
  });
});
