/**
 * Micro-benchmark of the OTel instrumentation's cost per message with NO SDK registered (the
 * default), against the bare work it wraps; then the same with an SDK (batch span processor with an
 * exporter that drops, a metric reader that is never collected) for scale. Run:
 * `npx tsx scripts/bench-otel-noop.ts`.
 *
 * Each case runs N iterations a few times and reports the best ns/op and bytes allocated per op
 * (heap growth with GC disabled between samples is not measurable portably, so allocations are read
 * as `process.memoryUsage().heapUsed` deltas over a run without a GC in between — indicative only).
 */
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { systemClock } from '../src/internal/clock.js';
import { ClientTelemetry } from '../src/observability/client-telemetry.js';
import { tracingEnabled } from '../src/observability/messaging-spans.js';
import { traceProperties } from '../src/observability/tracing.js';
import { ManualMetricReader, TraceparentPropagator } from '../test/helpers/otel.js';

const N = 1_000_000;
const view = {
  topic: 'orders',
  messageId: '01ABCDEF0123456789ABCDEF0123456789',
  tag: 'created',
  keys: ['k1'],
  messageType: 'NORMAL',
  body: Buffer.from('hello'),
  properties: { 'x-request-id': 'r1' },
  bornTimestamp: new Date(),
};
const t = new ClientTelemetry({ clientId: 'bench', namespace: '', consumerGroup: 'g' }, systemClock);
let sink = 0;
const work = (): number => ++sink;

function bench(name: string, n: number, fn: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  let bytes = 0;
  for (let round = 0; round < 5; round++) {
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    const ns = Number(process.hrtime.bigint() - t0) / n;
    const grew = (process.memoryUsage().heapUsed - heap0) / n;
    if (ns < best) {
      best = ns;
      bytes = grew;
    }
  }
  console.log(
    `${name.padEnd(58)} ${best.toFixed(1).padStart(8)} ns/op  ~${Math.max(0, bytes).toFixed(0)} B/op`,
  );
  return best;
}

function suite(label: string, n: number): void {
  console.log(`\n── ${label} (tracingEnabled=${tracingEnabled()})`);
  const bare = bench('listener call, bare', n, () => {
    work();
  });
  const proc = bench('  + startProcess / run / succeed', n, () => {
    const op = t.startProcess(view, 1, 0);
    op.run(work);
    op.succeed();
  });
  bench('settle: startSettle / succeed', n, () => {
    t.startSettle('ack', view, undefined, 'root').succeed();
  });
  const props = bench('traceProperties() alone (before this change)', n, () => {
    traceProperties({});
  });
  const send = bench('  startSend / traceProperties / succeed', n, () => {
    const op = t.startSend(view, 1, false);
    op.traceProperties({});
    op.succeed(undefined, 1, undefined);
  });
  bench('receive: startReceive / succeed([view])', n, () => {
    t.startReceive('orders', undefined, 'root').succeed([view]);
  });
  console.log(
    `overhead per listener call: ${(proc - bare).toFixed(1)} ns; per send: ${(send - props).toFixed(1)} ns`,
  );
}

const probe = trace.getTracer('probe');
suite('no SDK registered', N);
bench('reference: tracer.startSpan + isRecording + end (no SDK)', N, () => {
  const s = probe.startSpan('x', {}, context.active());
  if (s.isRecording()) s.setAttribute('a', 1);
  s.end();
});

const tracerProvider = new BasicTracerProvider({
  spanProcessors: [
    new BatchSpanProcessor(
      { export: (_spans, done) => done({ code: 0 }), shutdown: () => Promise.resolve() },
      { maxQueueSize: 100_000, scheduledDelayMillis: 50 },
    ),
  ],
});
const meterProvider = new MeterProvider({ readers: [new ManualMetricReader()] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);
propagation.setGlobalPropagator(new TraceparentPropagator());
suite('SDK registered (batch span processor, metric reader)', 50_000);
trace.disable();
metrics.disable();
propagation.disable();
context.disable();
await tracerProvider.shutdown();
await meterProvider.shutdown();
console.log(`\n(sink ${sink})`);
