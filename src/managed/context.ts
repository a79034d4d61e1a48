/**
 * The context a managed handler gets with each message: correlation ids, the job's identity, an
 * abort signal and a logger that carries them — and the async-local "current context", so that a
 * managed producer sending from inside a handler propagates the same request id without being told.
 *
 * Ids come from the message properties the producer wrote (`x-request-id`, `x-trace-id`, `x-span-id`,
 * the names the Go managed wrapper writes too) or, when the consumer runs inside a processing span, from that
 * span; a message without a request id gets a new one.
 *
 * @packageDocumentation
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { MessageView } from '../model/message-view.js';
import { childLogger, type Logger } from '../observability/logger.js';
import { activeTraceIds, TRACE_PROPERTY } from '../observability/tracing.js';

/** What a handler gets with each message. */
export interface HandlerContext {
  /** Aborted when the message's lease is lost or the consumer is forced to stop: stop early. */
  readonly signal: AbortSignal;
  /** A logger whose entries carry requestId, jobName, topic, consumerGroup and messageId. */
  readonly logger: Logger;
  /** Request id: the message's `x-request-id`, or a new one. */
  readonly requestId: string;
  /** Trace id of the processing span, or the message's `x-trace-id`. */
  readonly traceId: string | undefined;
  /** Span id of the processing span, or the message's `x-span-id`. */
  readonly spanId: string | undefined;
  /** The job's name. */
  readonly jobName: string;
  /** The message's topic. */
  readonly topic: string;
  /** The consumer group. */
  readonly consumerGroup: string;
  /** The message's id. */
  readonly messageId: string;
  /** 1 for the first delivery. */
  readonly attempt: number;
}

const storage = new AsyncLocalStorage<HandlerContext>();

/** The context of the handler this code runs in, if any. */
export function currentHandlerContext(): HandlerContext | undefined {
  return storage.getStore();
}

/** Runs `fn` with `ctx` as the current handler context. */
export function runWithHandlerContext<T>(ctx: HandlerContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** Identity of the job a message is handled for. */
export interface JobIdentity {
  /** The job's name. */
  readonly jobName: string;
  /** The message's topic. */
  readonly topic: string;
  /** The consumer group. */
  readonly consumerGroup: string;
}

/** Builds the context of one delivery. */
export function createHandlerContext(
  job: JobIdentity,
  message: MessageView,
  delivery: { readonly signal: AbortSignal; readonly attempt: number },
  logger: Logger,
): HandlerContext {
  const props = message.properties;
  const requestId = nonEmpty(props[TRACE_PROPERTY.requestId]) ?? randomUUID();
  const active = activeTraceIds();
  const traceId = active?.traceId ?? nonEmpty(props[TRACE_PROPERTY.traceId]);
  const spanId = active?.spanId ?? nonEmpty(props[TRACE_PROPERTY.spanId]);
  return Object.freeze({
    signal: delivery.signal,
    logger: childLogger(logger, {
      requestId,
      jobName: job.jobName,
      topic: message.topic,
      consumerGroup: job.consumerGroup,
      messageId: message.messageId,
      ...(traceId === undefined ? {} : { traceId }),
    }),
    requestId,
    traceId,
    spanId,
    jobName: job.jobName,
    topic: message.topic,
    consumerGroup: job.consumerGroup,
    messageId: message.messageId,
    attempt: delivery.attempt,
  });
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}
