/**
 * OpenTelemetry: the clients use `@opentelemetry/api` only; register any SDK and their spans and metrics
 * appear. Here: `@opentelemetry/sdk-trace-base` with an in-memory exporter, `@opentelemetry/sdk-metrics`
 * with a reader collected on demand, and the AsyncLocalStorage context manager.
 *
 * One message sent inside an application span ("checkout") and handled by a PushConsumer gives:
 *
 *   checkout                       (the application's span)
 *   └─ send <topic>                PRODUCER; its context travels in the message (traceparent, x-trace-id/x-span-id)
 *      └─ process <topic>          CONSUMER, around the listener; parent restored from the message,
 *         │                        link → the receive span
 *         ├─ charge card           (the listener's own span: the listener runs in the process span)
 *         └─ ack <topic>           settle
 *   receive <topic>                CLIENT, its own trace (the push consumer's receive loop)
 *
 * and metrics such as messaging.client.sent.messages and messaging.process.duration.
 *
 *   npx tsx examples/otel.ts                (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { context, metrics, type Span, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  type DataPoint,
  DataPointType,
  type Histogram,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Producer, PushConsumer } from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, uniqueName } from './support.js';

/** A metric reader that collects only when asked (no export timer). */
class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

async function main(): Promise<void> {
  // ── the SDK: what an application does once at startup ──
  const finished = new Inbox<ReadableSpan>();
  const notify: SpanProcessor = {
    onStart: () => {},
    onEnd: (span) => finished.push(span),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter), notify],
  });
  const reader = new OnDemandReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  const tracer = trace.getTracer('shop');

  try {
    await using broker = await openBroker();
    const topic = uniqueName('orders');
    const group = uniqueName('billing');
    await broker.createTopic(topic, 'NORMAL');
    await broker.createGroup(group);
    log(`broker: ${broker.describe}; topic ${topic}`);

    await using consumer = new PushConsumer({
      endpoints: broker.endpoint,
      credentials: broker.credentials,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: async (message) => {
        // The listener runs inside the process span: spans it starts are its children.
        await tracer.startActiveSpan('charge card', async (span: Span) => {
          span.setAttribute('order', message.body.toString());
          span.end();
        });
      },
    });
    await consumer.start();
    await using producer = new Producer({
      endpoints: broker.endpoint,
      credentials: broker.credentials,
      topics: [topic],
    });
    await producer.start();

    const receipt = await tracer.startActiveSpan('checkout', async (span: Span) => {
      try {
        return await producer.send({ topic, body: 'order-42' });
      } finally {
        span.end();
      }
    });
    log(`sent ${receipt.messageId} inside span "checkout"`);

    const spans = await finished.until(
      (s) => s.some((x) => x.name === `ack ${topic}`),
      'the ack span of the consumed message',
      broker.inProcess ? 10_000 : 30_000,
    );
    const one = (name: string): ReadableSpan => {
      const found = spans.find((s) => s.name === name);
      if (found === undefined) throw new Error(`no span "${name}"`);
      return found;
    };
    const checkout = one('checkout');
    const send = one(`send ${topic}`);
    const receive = one(`receive ${topic}`);
    const process = one(`process ${topic}`);
    const charge = one('charge card');
    const ack = one(`ack ${topic}`);
    printTree(spans);

    const id = (s: ReadableSpan): string => s.spanContext().spanId;
    const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId;
    expect(
      send.kind === SpanKind.PRODUCER && parentOf(send) === id(checkout),
      'send is a PRODUCER span, child of "checkout"',
    );
    expect(
      process.spanContext().traceId === send.spanContext().traceId && parentOf(process) === id(send),
      'process is in the publisher’s trace, child of the send span (context restored from the message)',
    );
    expect(process.parentSpanContext?.isRemote === true, 'that parent came from the message (remote)');
    expect(
      process.links.some((l) => l.context.spanId === id(receive)),
      'process links to the receive span that fetched the message',
    );
    expect(parentOf(receive) === undefined, 'receive starts its own trace (the consumer’s background loop)');
    expect(parentOf(charge) === id(process), 'the listener’s own span is a child of process');
    expect(parentOf(ack) === id(process), 'the ack span is a child of process');
    expect(
      String(send.attributes['messaging.message.id']) === receipt.messageId &&
        send.attributes['messaging.destination.name'] === topic,
      'the send span carries the message id and the topic',
      send.attributes,
    );

    const { resourceMetrics } = await reader.collect();
    const ours = resourceMetrics.scopeMetrics
      .filter((s) => s.scope.name === 'rocketmq-ts')
      .flatMap((s) => s.metrics);
    const total = (name: string): number =>
      ours
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) => m.dataPoints as DataPoint<number | Histogram>[])
        .reduce((n, p) => n + (typeof p.value === 'number' ? p.value : p.value.count), 0);
    for (const m of ours) {
      const what =
        m.dataPointType === DataPointType.HISTOGRAM
          ? 'histogram, values recorded'
          : m.dataPointType === DataPointType.GAUGE
            ? 'gauge, last observed'
            : 'counter';
      log(`  metric ${m.descriptor.name} [${m.descriptor.unit}] (${what}): ${total(m.descriptor.name)}`);
    }
    expect(total('messaging.client.sent.messages') === 1, 'messaging.client.sent.messages counted the send');
    expect(
      total('messaging.process.duration') === 1,
      'messaging.process.duration recorded the listener call',
    );
    await consumer.shutdown();
  } finally {
    trace.disable();
    metrics.disable();
    context.disable();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  }
}

/** Prints the spans as trees, one per trace, with their links. */
function printTree(spans: readonly ReadableSpan[]): void {
  const byParent = new Map<string | undefined, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  for (const s of spans) {
    const p = s.parentSpanContext?.spanId;
    const key = p !== undefined && ids.has(p) ? p : undefined;
    byParent.set(key, [...(byParent.get(key) ?? []), s]);
  }
  const names = new Map(spans.map((s) => [s.spanContext().spanId, s.name]));
  const print = (s: ReadableSpan, depth: number): void => {
    const links = s.links
      .map((l) => ` → link to "${names.get(l.context.spanId) ?? l.context.spanId}"`)
      .join('');
    log(
      `${'   '.repeat(depth)}${depth > 0 ? '└─ ' : ''}${s.name} [${SpanKind[s.kind]}] trace ${s.spanContext().traceId.slice(0, 8)}… span ${s.spanContext().spanId}${links}`,
    );
    const children = (byParent.get(s.spanContext().spanId) ?? []).sort(
      (a, b) => hr(a.startTime) - hr(b.startTime),
    );
    for (const c of children) print(c, depth + 1);
  };
  for (const root of (byParent.get(undefined) ?? []).sort((a, b) => hr(a.startTime) - hr(b.startTime)))
    print(root, 0);
}

function hr(t: [number, number]): number {
  return t[0] * 1e9 + t[1];
}

runExample(main);
