/**
 * An OpenTelemetry SDK for tests: spans into an in-memory exporter, metrics through a reader that
 * collects on demand (no timers), an AsyncLocalStorage context manager and a W3C `traceparent`
 * propagator, all registered as the globals — and unregistered again by {@link OtelHarness.uninstall}
 * so that other test files in the same run see the no-op API.
 */
import {
  type Context,
  context,
  isSpanContextValid,
  metrics,
  propagation,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  type MetricData,
  MeterProvider,
  MetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A reader that only collects when asked. */
export class ManualMetricReader extends MetricReader {
  constructor(temporality = AggregationTemporality.CUMULATIVE) {
    super({ aggregationTemporalitySelector: () => temporality });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A minimal W3C trace-context propagator (`traceparent` only), written for these tests. */
export class TraceparentPropagator implements TextMapPropagator {
  readonly header: string;
  constructor(header = 'traceparent') {
    this.header = header;
  }
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(ctx);
    if (sc === undefined || !isSpanContextValid(sc)) return;
    setter.set(carrier, this.header, `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`);
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, this.header);
    const value = Array.isArray(raw) ? raw[0] : raw;
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0([01])$/.exec(value ?? '');
    if (m === null) return ctx;
    const sc: SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: Number(m[3]), isRemote: true };
    return trace.setSpanContext(ctx, sc);
  }
  fields(): string[] {
    return [this.header];
  }
}

export interface OtelHarness {
  readonly exporter: InMemorySpanExporter;
  readonly reader: ManualMetricReader;
  /** Finished spans so far. */
  spans(): ReadableSpan[];
  /** Finished spans named `name`. */
  named(name: string): ReadableSpan[];
  /** Every metric of our meter, collected now (cumulative since the start). */
  collect(): Promise<MetricData[]>;
  /** The same through a delta reader: what changed (or was observed) since its last collection. */
  collectDelta(): Promise<MetricData[]>;
  /** Unregisters the globals (the SDK keeps what it exported so far). */
  unregister(): void;
  /** Unregisters the globals and shuts the SDK down (which clears the exporter). */
  uninstall(): Promise<void>;
}

/** Registers an SDK as the OTel globals. */
export function installOtel(options: { propagator?: TextMapPropagator | null } = {}): OtelHarness {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new ManualMetricReader();
  const deltaReader = new ManualMetricReader(AggregationTemporality.DELTA);
  const meterProvider = new MeterProvider({ readers: [reader, deltaReader] });
  const ours = async (r: MetricReader): Promise<MetricData[]> => {
    const { resourceMetrics, errors } = await r.collect();
    if (errors.length > 0) throw errors[0];
    return resourceMetrics.scopeMetrics
      .filter((s) => s.scope.name === 'rocketmq-ts')
      .flatMap((s) => s.metrics);
  };
  const contextManager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(contextManager)) throw new Error('a context manager is registered');
  if (!trace.setGlobalTracerProvider(tracerProvider)) throw new Error('a tracer provider is registered');
  if (!metrics.setGlobalMeterProvider(meterProvider)) throw new Error('a meter provider is registered');
  const propagator = options.propagator === undefined ? new TraceparentPropagator() : options.propagator;
  if (propagator !== null && !propagation.setGlobalPropagator(propagator)) {
    throw new Error('a propagator is registered');
  }
  const unregister = (): void => {
    trace.disable();
    metrics.disable();
    propagation.disable();
    context.disable();
  };
  return {
    exporter,
    reader,
    spans: () => exporter.getFinishedSpans(),
    named: (name) => exporter.getFinishedSpans().filter((s) => s.name === name),
    collect: () => ours(reader),
    collectDelta: () => ours(deltaReader),
    unregister,
    uninstall: async () => {
      unregister();
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}

/** The data points of metric `name` (none when it was not reported). */
export function pointsOf<T = number>(all: readonly MetricData[], name: string): DataPoint<T>[] {
  return all.filter((m) => m.descriptor.name === name).flatMap((m) => m.dataPoints as DataPoint<T>[]);
}

/** The points of `name` whose attributes include `attrs`. */
export function pointsWith<T = number>(
  all: readonly MetricData[],
  name: string,
  attrs: Record<string, unknown>,
): DataPoint<T>[] {
  return pointsOf<T>(all, name).filter((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));
}

/** Sum of the histogram counts / counter values of `name` matching `attrs`. */
export function countOf(
  all: readonly MetricData[],
  name: string,
  attrs: Record<string, unknown> = {},
): number {
  let n = 0;
  for (const p of pointsWith<number | Histogram>(all, name, attrs)) {
    n += typeof p.value === 'number' ? p.value : p.value.count;
  }
  return n;
}
