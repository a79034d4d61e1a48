/**
 * Trace-context properties of sent messages (`@opentelemetry/api` is imported only under
 * `observability/`, so the rest of the library never depends on its types).
 *
 * {@link traceProperties} computes the trace-context properties a producer writes into a message:
 *
 * - the current OTel context through the global propagator (`propagation.inject` with a
 *   `TextMapSetter` over a plain record), typically `traceparent` / `tracestate`; when no propagator is
 *   registered but a span is active, a W3C `traceparent` is written from the active span;
 * - `x-trace-id` / `x-span-id`: from the options, else from the active span;
 * - `x-request-id`: from the options.
 *
 * With no OTel SDK installed, the API is a no-op and only the explicit options produce properties.
 *
 * The OTel spans and metrics of the clients are in `client-telemetry.ts` (with `messaging-spans.ts`,
 * `messaging-metrics.ts`, `messaging-attributes.ts` and `trace-context.ts`); every `@opentelemetry/api`
 * import stays in this folder.
 *
 * @packageDocumentation
 */

import {
  type Context,
  context,
  isSpanContextValid,
  propagation,
  type TextMapSetter,
  trace,
} from '@opentelemetry/api';

/** Property names written into messages. */
export const TRACE_PROPERTY = Object.freeze({
  traceparent: 'traceparent',
  traceId: 'x-trace-id',
  spanId: 'x-span-id',
  requestId: 'x-request-id',
});

/** Explicit trace identifiers (win over the active span). */
export interface TraceSeed {
  readonly traceId?: string | undefined;
  readonly spanId?: string | undefined;
  readonly requestId?: string | undefined;
}

const recordSetter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

/**
 * The trace-context properties for a message sent now (see the module documentation), from `ctx`: the
 * active context, or the producer's publish span context when it has one.
 */
export function traceProperties(
  seed: TraceSeed = {},
  ctx: Context = context.active(),
): Record<string, string> {
  const out: Record<string, string> = {};
  propagation.inject(ctx, out, recordSetter);
  const span = trace.getSpan(ctx)?.spanContext();
  const valid = span !== undefined && isSpanContextValid(span);
  if (valid && out[TRACE_PROPERTY.traceparent] === undefined) {
    const flags = (span.traceFlags & 0xff).toString(16).padStart(2, '0');
    out[TRACE_PROPERTY.traceparent] = `00-${span.traceId}-${span.spanId}-${flags}`;
  }
  const traceId = seed.traceId ?? (valid ? span.traceId : undefined);
  const spanId = seed.spanId ?? (valid ? span.spanId : undefined);
  if (traceId) out[TRACE_PROPERTY.traceId] = traceId;
  if (spanId) out[TRACE_PROPERTY.spanId] = spanId;
  if (seed.requestId) out[TRACE_PROPERTY.requestId] = seed.requestId;
  return out;
}

/** Trace and span ids of the active span, when there is a valid one. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const span = trace.getSpan(context.active())?.spanContext();
  if (span === undefined || !isSpanContextValid(span)) return undefined;
  return { traceId: span.traceId, spanId: span.spanId };
}
