/**
 * The clients' metric instruments, from `metrics.getMeter('rocketmq-ts', VERSION)`.
 *
 * | instrument | kind | unit | what |
 * |---|---|---|---|
 * | `messaging.client.operation.duration` | histogram | s | send, receive and settle calls |
 * | `messaging.process.duration` | histogram | s | push consumer listener calls |
 * | `messaging.client.sent.messages` | counter | {message} | messages sent (`error.type` when the send failed) |
 * | `messaging.client.consumed.messages` | counter | {message} | messages received |
 * | `messaging.rocketmq.consumer.delivery_latency` | histogram | s | listener start − when the message became deliverable |
 * | `messaging.rocketmq.consumer.await_time` | histogram | s | listener start − receipt (time in the prefetch cache) |
 * | `messaging.rocketmq.consumer.settled_messages` | counter | {message} | settles by `messaging.rocketmq.settle.outcome` |
 * | `messaging.rocketmq.consumer.cached_messages` | observable gauge | {message} | push consumer prefetch cache |
 * | `messaging.rocketmq.consumer.cached_bytes` | observable gauge | By | push consumer prefetch cache |
 *
 * Instruments are created once per global MeterProvider (so a provider registered after a client was
 * created is picked up). With no provider registered, {@link instruments} returns `undefined` and the
 * callers record nothing — no attribute objects are built.
 *
 * @packageDocumentation
 */

import {
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type ObservableGauge,
  ValueType,
} from '@opentelemetry/api';
import { VERSION } from '../version.js';
import { ATTR, MESSAGING_SYSTEM, type ServerAddress } from './messaging-attributes.js';

/** Instrumentation scope name of the meter and the tracer. */
export const INSTRUMENTATION_NAME = 'rocketmq-ts';

/** Metric names. */
export const METRIC = Object.freeze({
  operationDuration: 'messaging.client.operation.duration',
  processDuration: 'messaging.process.duration',
  sentMessages: 'messaging.client.sent.messages',
  consumedMessages: 'messaging.client.consumed.messages',
  deliveryLatency: 'messaging.rocketmq.consumer.delivery_latency',
  awaitTime: 'messaging.rocketmq.consumer.await_time',
  settledMessages: 'messaging.rocketmq.consumer.settled_messages',
  cachedMessages: 'messaging.rocketmq.consumer.cached_messages',
  cachedBytes: 'messaging.rocketmq.consumer.cached_bytes',
});

/** The conventions' advice for messaging durations, in seconds. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
/** Latencies can be much longer (a backlog, a redelivery after the invisible duration). */
const LATENCY_BUCKETS = [...DURATION_BUCKETS, 30, 60, 300, 1800, 3600];

/** The instruments of one MeterProvider. */
export interface Instruments {
  readonly meter: Meter;
  readonly operationDuration: Histogram;
  readonly processDuration: Histogram;
  readonly sentMessages: Counter;
  readonly consumedMessages: Counter;
  readonly deliveryLatency: Histogram;
  readonly awaitTime: Histogram;
  readonly settledMessages: Counter;
  readonly cachedMessages: ObservableGauge;
  readonly cachedBytes: ObservableGauge;
}

let cached: { readonly provider: MeterProvider; readonly instruments: Instruments | undefined } | undefined;

/** The instruments of the global MeterProvider; `undefined` when none is registered (no-op). */
export function instruments(): Instruments | undefined {
  const provider = metrics.getMeterProvider();
  if (cached?.provider === provider) return cached.instruments;
  const meter = provider.getMeter(INSTRUMENTATION_NAME, VERSION);
  const created = meter === createNoopMeter() ? undefined : createInstruments(meter);
  cached = { provider, instruments: created };
  return created;
}

function createInstruments(meter: Meter): Instruments {
  const seconds = (name: string, description: string, buckets: number[]): Histogram =>
    meter.createHistogram(name, {
      description,
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: buckets },
    });
  const messages = (name: string, description: string): Counter =>
    meter.createCounter(name, { description, unit: '{message}', valueType: ValueType.INT });
  return {
    meter,
    operationDuration: seconds(
      METRIC.operationDuration,
      'Duration of messaging operations initiated by a producer or consumer client.',
      DURATION_BUCKETS,
    ),
    processDuration: seconds(
      METRIC.processDuration,
      'Duration of processing operations (push consumer listener calls).',
      DURATION_BUCKETS,
    ),
    sentMessages: messages(METRIC.sentMessages, 'Number of messages a producer attempted to send.'),
    consumedMessages: messages(
      METRIC.consumedMessages,
      'Number of messages delivered to the application by a consumer.',
    ),
    deliveryLatency: seconds(
      METRIC.deliveryLatency,
      'Time from when a message became deliverable (delivery, store or born time) to the start of its listener call.',
      LATENCY_BUCKETS,
    ),
    awaitTime: seconds(
      METRIC.awaitTime,
      'Time a received message waited in the prefetch cache before its listener call started.',
      LATENCY_BUCKETS,
    ),
    settledMessages: messages(
      METRIC.settledMessages,
      'Consumed messages by settle outcome (acked, nacked, dead_lettered, released, failed).',
    ),
    cachedMessages: meter.createObservableGauge(METRIC.cachedMessages, {
      description: 'Messages received by a push consumer and not yet settled.',
      unit: '{message}',
      valueType: ValueType.INT,
    }),
    cachedBytes: meter.createObservableGauge(METRIC.cachedBytes, {
      description: 'Body bytes of the messages received by a push consumer and not yet settled.',
      unit: 'By',
      valueType: ValueType.INT,
    }),
  };
}

/** Low-cardinality attributes of a metric point. */
export function metricAttributes(
  operationType: string,
  operationName: string,
  topic: string,
  consumerGroup: string | undefined,
  server: ServerAddress | undefined,
  error: string | undefined,
): Attributes {
  const a: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationType]: operationType,
    [ATTR.operationName]: operationName,
    [ATTR.destination]: topic,
  };
  if (consumerGroup !== undefined) a[ATTR.consumerGroup] = consumerGroup;
  if (server !== undefined) {
    a[ATTR.serverAddress] = server.host;
    a[ATTR.serverPort] = server.port;
  }
  if (error !== undefined) a[ATTR.errorType] = error;
  return a;
}

/** What the cache gauges read. */
export interface CacheSource {
  stats(): { readonly cachedMessages: number; readonly cachedBytes: number };
}

/**
 * Reports `source`'s cache on the two gauges until the returned function is called. The callback
 * holds `source` weakly (a consumer dropped without shutdown is not kept alive; its callback then
 * removes itself). With no MeterProvider, nothing is registered.
 */
export function observeCache(source: CacheSource, attributes: Attributes): () => void {
  const inst = instruments();
  if (inst === undefined) return () => {};
  const ref = new WeakRef(source);
  const observables = [inst.cachedMessages, inst.cachedBytes];
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    inst.meter.removeBatchObservableCallback(callback, observables);
  };
  const callback: BatchObservableCallback = (result) => {
    const s = ref.deref();
    if (s === undefined) {
      queueMicrotask(remove); // not while the SDK iterates its callbacks
      return;
    }
    const stats = s.stats();
    result.observe(inst.cachedMessages, stats.cachedMessages, attributes);
    result.observe(inst.cachedBytes, stats.cachedBytes, attributes);
  };
  inst.meter.addBatchObservableCallback(callback, observables);
  return remove;
}
