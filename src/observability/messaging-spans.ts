/**
 * Span plumbing of the messaging instrumentation: the tracer, a cheap "is tracing on" test, and
 * starting / ending spans. The operations built on it (publish, receive, process, settle) are in
 * `client-telemetry.ts`.
 *
 * With no TracerProvider registered, {@link tracingEnabled} is false and callers create no span and
 * build no attributes at all.
 *
 * @packageDocumentation
 */

import {
  type Attributes,
  type Context,
  type Link,
  ProxyTracerProvider,
  type Span,
  type SpanKind,
  SpanStatusCode,
  type TimeInput,
  trace,
} from '@opentelemetry/api';
import { VERSION } from '../version.js';
import { ATTR, errorType } from './messaging-attributes.js';
import { INSTRUMENTATION_NAME } from './messaging-metrics.js';

/** What the global ProxyTracerProvider delegates to while no SDK is registered. */
const NOOP_DELEGATE = new ProxyTracerProvider().getDelegate();

/**
 * True when a TracerProvider is registered. Reads the global provider and compares its delegate with
 * the API's no-op one: no allocation. A provider registered through another copy of the API counts as
 * registered.
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_DELEGATE;
}

/** Options of {@link startMessagingSpan}. */
export interface MessagingSpanOptions {
  readonly name: string;
  readonly kind: SpanKind;
  /** Given at creation, so that samplers see them. */
  readonly attributes: Attributes;
  readonly parent: Context;
  readonly links?: Link[] | undefined;
  readonly startTime?: TimeInput | undefined;
}

/** Starts a span of our tracer (looked up per call, so a provider registered later is used). */
export function startMessagingSpan(o: MessagingSpanOptions): Span {
  const tracer = trace.getTracer(INSTRUMENTATION_NAME, VERSION);
  return tracer.startSpan(
    o.name,
    {
      kind: o.kind,
      attributes: o.attributes,
      ...(o.links === undefined ? {} : { links: o.links }),
      ...(o.startTime === undefined ? {} : { startTime: o.startTime }),
    },
    o.parent,
  );
}

/**
 * Ends `span` as failed: `error.type`, status ERROR and, for an `Error`, an exception event.
 * `err` may be a plain `error.type` string (a failure that is not an exception).
 */
export function endSpanWithError(span: Span, err: unknown, endTime?: TimeInput): void {
  if (span.isRecording()) {
    const type = typeof err === 'string' ? err : errorType(err);
    span.setAttribute(ATTR.errorType, type);
    if (err instanceof Error) {
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    } else {
      span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    }
  }
  span.end(endTime);
}
