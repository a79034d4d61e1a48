/**
 * One OTel span per admin call (`rocketmq.admin <operation>`, kind CLIENT). With no TracerProvider
 * registered nothing is created.
 *
 * @packageDocumentation
 */

import { context, SpanKind } from '@opentelemetry/api';
import { ATTR, MESSAGING_SYSTEM } from './messaging-attributes.js';
import { endSpanWithError, startMessagingSpan, tracingEnabled } from './messaging-spans.js';

/** The admin operation of a span. */
export const ADMIN_OPERATION_ATTR = 'messaging.rocketmq.admin.operation';

/** Ends the span of one admin call. */
export interface AdminCallSpan {
  ok(): void;
  fail(err: unknown): void;
}

/** Starts the span of an admin call, or returns `undefined` when tracing is off. */
export function startAdminSpan(operation: string): AdminCallSpan | undefined {
  if (!tracingEnabled()) return undefined;
  const span = startMessagingSpan({
    name: `rocketmq.admin ${operation}`,
    kind: SpanKind.CLIENT,
    attributes: { [ATTR.system]: MESSAGING_SYSTEM, [ADMIN_OPERATION_ATTR]: operation },
    parent: context.active(),
  });
  return { ok: () => span.end(), fail: (err) => endSpanWithError(span, err) };
}
