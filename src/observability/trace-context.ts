/**
 * Restores the producer's trace context from a received message, as the remote parent of the
 * consumer's process span. In order:
 *
 * 1. the global propagator over the message properties (typically W3C `traceparent` / `tracestate`,
 *    and baggage);
 * 2. with no propagator registered (or nothing it understood): a W3C `traceparent` property, then the
 *    message's system trace context (other RocketMQ clients write a `traceparent` there);
 * 3. the `x-trace-id` + `x-span-id` properties (written by this library's producer and by the Go managed
 *    wrapper), as a remote span context marked sampled (those writers carry no flags and expect the
 *    trace to be kept).
 *
 * Ids that are not valid W3C ids (32 / 16 lowercase hex, not all zeros) are ignored.
 *
 * @packageDocumentation
 */

import {
  type Context,
  isSpanContextValid,
  isValidSpanId,
  isValidTraceId,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  type TextMapGetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { TRACE_PROPERTY } from './tracing.js';

/** Where a received message keeps its trace context. */
export interface TraceCarrier {
  readonly properties: Readonly<Record<string, string>>;
  /** The message's system trace context (W3C `traceparent` format), if any. */
  readonly traceContext?: string | undefined;
}

const propertiesGetter: TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (Object.hasOwn(carrier, key) ? carrier[key] : undefined),
};

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** Parses a W3C `traceparent` header value; `undefined` when it is not one. */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  if (value === undefined) return undefined;
  const m = TRACEPARENT.exec(value.trim());
  if (m === null || m[1] === 'ff') return undefined;
  // Version 00 has exactly four fields.
  if (m[1] === '00' && value.trim().length !== 55) return undefined;
  const sc: SpanContext = {
    traceId: m[2]!,
    spanId: m[3]!,
    traceFlags: Number.parseInt(m[4]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(sc) ? sc : undefined;
}

/**
 * The `x-trace-id` / `x-span-id` properties as a remote, sampled span context; `undefined` unless both
 * are valid W3C ids.
 */
export function traceIdPropertiesSpanContext(
  properties: Readonly<Record<string, string>>,
): SpanContext | undefined {
  const traceId = properties[TRACE_PROPERTY.traceId]?.trim().toLowerCase();
  const spanId = properties[TRACE_PROPERTY.spanId]?.trim().toLowerCase();
  if (traceId === undefined || spanId === undefined) return undefined;
  if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
  return { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
}

/**
 * The remote context of a received message (see the module documentation): a context whose span
 * context is the producer's, or `ROOT_CONTEXT` (plus any extracted baggage) when the message carries
 * none.
 */
export function remoteContext(carrier: TraceCarrier): Context {
  const properties = carrier.properties;
  const extracted = propagation.extract(ROOT_CONTEXT, properties, propertiesGetter);
  const span = trace.getSpanContext(extracted);
  if (span !== undefined && isSpanContextValid(span)) return extracted;
  const restored =
    parseTraceparent(properties[TRACE_PROPERTY.traceparent]) ??
    parseTraceparent(carrier.traceContext) ??
    traceIdPropertiesSpanContext(properties);
  return restored === undefined ? extracted : trace.setSpanContext(extracted, restored);
}
