/**
 * Options of the {@link PushConsumer}, their defaults, and their validation.
 *
 * @packageDocumentation
 */

import { type Interceptor, validateInterceptors } from '../protocol/interceptors.js';
import { RocketMQError } from '../errors.js';
import type { BackoffPolicy } from '../internal/backoff.js';
import type { FilterExpression } from '../model/filter-expression.js';
import type { MessageView } from '../model/message-view.js';
import type { ConsumerClientOptions } from './client-options.js';
import {
  MAX_INVISIBLE_DURATION_MS,
  MIN_INVISIBLE_DURATION_MS,
  positiveMs,
  toFilterExpression,
  validateConsumerTopic,
  validateGroup,
} from './consumer-validation.js';

/** Asks for the message again after `retryAfterMs` (0 – 12 h) instead of the retry policy's delay. */
export interface RetryLater {
  /** Delay before the message is delivered again, in ms. */
  readonly retryAfterMs: number;
}

/**
 * Lite consumers: hands the message back for `suspendMs` (0 < ms ≤ 12 h) without counting a delivery
 * attempt (ChangeInvisibleDuration with the suspend flag). On other consumers it is a plain
 * {@link RetryLater} of that delay, and the attempt counts.
 */
export interface Suspend {
  readonly suspendMs: number;
}

/**
 * What a listener reports: `'success'` acks the message; `'failure'` retries it after the retry
 * policy's delay; {@link RetryLater} retries it after the given delay; {@link Suspend} suspends it
 * (lite consumers).
 */
export type ConsumeResult = 'success' | 'failure' | RetryLater | Suspend;

/** Context handed to a listener with each message. */
export interface ConsumeContext {
  /**
   * Aborted when the message's lease is lost (it will be delivered again) or the consumer is
   * destroyed / its shutdown bound is reached. Long handlers should stop early when it fires.
   */
  readonly signal: AbortSignal;
  /** 1 for the first delivery; counts server redeliveries and (FIFO) local retries. */
  readonly attempt: number;
}

/**
 * Handles one message. Returning nothing or `'success'` acks it; `'failure'` or a throw retries it
 * after the retry policy's delay, `{ retryAfterMs }` after that delay (concurrent groups: redelivered
 * by the broker; FIFO groups: retried locally, in order, then the dead-letter queue after the last
 * attempt).
 */
export type MessageListener = (
  message: MessageView,
  context: ConsumeContext,
) => ConsumeResult | undefined | Promise<ConsumeResult | undefined> | Promise<void> | void;

/** Options of {@link PushConsumer}. */
export interface PushConsumerOptions extends ConsumerClientOptions {
  /** Topic → filter (a {@link FilterExpression} or a tag expression such as `'*'` or `'a||b'`). */
  subscriptions: Readonly<Record<string, FilterExpression | string>>;
  /** Called for every message. */
  listener: MessageListener;
  /** Listener calls in progress at once. @defaultValue 20 */
  concurrency?: number | undefined;
  /** Most messages asked for per receive (1–32; the server's batch size also caps it). @defaultValue 32 */
  maxMessagesPerReceive?: number | undefined;
  /** Messages received and not yet settled, over all queues. @defaultValue 1024 */
  maxCachedMessages?: number | undefined;
  /** Body bytes received and not yet settled, over all queues. @defaultValue 64 MiB */
  maxCachedBytes?: number | undefined;
  /**
   * Invisible duration of received messages, renewed while they wait or are handled (10 s – 12 h).
   * @defaultValue 30000
   */
  invisibleDurationMs?: number | undefined;
  /** Renew a lease when less than this is left. @defaultValue a third of the invisible duration */
  leaseRenewAheadMs?: number | undefined;
  /** Longest time a message is kept invisible by renewals; then it is left to be redelivered. @defaultValue 1 h */
  maxLeaseExtensionMs?: number | undefined;
  /** FIFO groups: consume different message groups of a batch in parallel. @defaultValue true */
  fifoConsumeAccelerator?: boolean | undefined;
  /** Entries per AckMessage. @defaultValue 32 */
  ackBatchSize?: number | undefined;
  /** Longest wait of an ack before its batch is sent. @defaultValue 5 */
  ackFlushDelayMs?: number | undefined;
  /**
   * Hooks around receive, consume, ack, change of invisible duration and dead-letter forwarding, run in
   * this order (see `protocol/interceptors.ts`). @defaultValue none
   */
  interceptors?: readonly Interceptor[] | undefined;
  // ── tuning ──
  /** Interval of the assignment scan. @defaultValue 5000 */
  assignmentScanIntervalMs?: number | undefined;
  /** Backoff of a receive loop after a failure. @defaultValue 1 s → 10 s ×2 ±20 % */
  receiveBackoff?: BackoffPolicy | undefined;
}

/** Options of {@link PushConsumer.shutdown}. */
export interface PushConsumerShutdownOptions {
  /** Bound of the graceful part (handlers finishing, acks flushed, releases). @defaultValue 10000 */
  timeoutMs?: number | undefined;
}

/** Resolved and validated options. */
export interface ResolvedPushOptions {
  readonly consumerGroup: string;
  readonly subscriptions: ReadonlyMap<string, FilterExpression>;
  readonly listener: MessageListener;
  readonly concurrency: number;
  readonly maxMessagesPerReceive: number;
  readonly maxCachedMessages: number;
  readonly maxCachedBytes: number;
  readonly invisibleDurationMs: number;
  readonly leaseRenewAheadMs: number | undefined;
  readonly maxLeaseExtensionMs: number;
  readonly fifoConsumeAccelerator: boolean;
  readonly ackBatchSize: number;
  readonly ackFlushDelayMs: number;
  readonly requestTimeoutMs: number;
  readonly assignmentScanIntervalMs: number;
  readonly interceptors: readonly Interceptor[];
}

function invalid(message: string): RocketMQError {
  return new RocketMQError(message, 'INVALID_ARGUMENT');
}

function positiveInt(name: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`${name} must be an integer from 1 to ${max}, got ${String(value)}`);
  }
  return value;
}

function nonNegativeMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw invalid(`${name} must be a non-negative, finite number of ms, got ${String(value)}`);
  }
  return value;
}

/**
 * Validates the options of a push consumer.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` for a bad option, `ILLEGAL_CONSUMER_GROUP`,
 * `ILLEGAL_TOPIC`, `ILLEGAL_FILTER_EXPRESSION`, `ILLEGAL_INVISIBLE_TIME` (invisible duration outside
 * min–12 h).
 */
export function resolvePushOptions(options: PushConsumerOptions): ResolvedPushOptions {
  if (options === null || typeof options !== 'object')
    throw invalid('PushConsumer options must be an object');
  if (typeof options.endpoints !== 'string' || options.endpoints.trim() === '') {
    throw invalid('endpoints must be a non-empty string');
  }
  const consumerGroup = validateGroup(options.consumerGroup);
  if (typeof options.listener !== 'function') throw invalid('listener must be a function');
  const subs = options.subscriptions;
  if (subs === null || typeof subs !== 'object' || Array.isArray(subs) || subs instanceof Map) {
    throw invalid('subscriptions must be a plain object { topic: filter }');
  }
  const subscriptions = new Map<string, FilterExpression>();
  for (const [topic, filter] of Object.entries(subs)) {
    subscriptions.set(validateConsumerTopic(topic), toFilterExpression(filter));
  }
  if (subscriptions.size === 0) throw invalid('subscriptions must name at least one topic');
  const minInvisible = positiveMs(
    'minInvisibleDurationMs',
    options.minInvisibleDurationMs,
    MIN_INVISIBLE_DURATION_MS,
  );
  const invisibleDurationMs = positiveMs('invisibleDurationMs', options.invisibleDurationMs, 30_000);
  if (invisibleDurationMs < minInvisible || invisibleDurationMs > MAX_INVISIBLE_DURATION_MS) {
    throw new RocketMQError(
      `invisibleDurationMs must be from ${minInvisible} to ${MAX_INVISIBLE_DURATION_MS} ms, got ${invisibleDurationMs}`,
      'ILLEGAL_INVISIBLE_TIME',
    );
  }
  const leaseRenewAheadMs =
    options.leaseRenewAheadMs === undefined
      ? undefined
      : positiveMs('leaseRenewAheadMs', options.leaseRenewAheadMs, 0);
  if (leaseRenewAheadMs !== undefined && leaseRenewAheadMs >= invisibleDurationMs) {
    throw invalid('leaseRenewAheadMs must be shorter than invisibleDurationMs');
  }
  if (options.fifoConsumeAccelerator !== undefined && typeof options.fifoConsumeAccelerator !== 'boolean') {
    throw invalid('fifoConsumeAccelerator must be a boolean');
  }
  if (options.namespace !== undefined && typeof options.namespace !== 'string') {
    throw invalid('namespace must be a string');
  }
  return {
    consumerGroup,
    subscriptions,
    listener: options.listener,
    concurrency: positiveInt('concurrency', options.concurrency, 20, 10_000),
    maxMessagesPerReceive: positiveInt('maxMessagesPerReceive', options.maxMessagesPerReceive, 32, 32),
    maxCachedMessages: positiveInt('maxCachedMessages', options.maxCachedMessages, 1024, 1_000_000),
    maxCachedBytes: positiveInt('maxCachedBytes', options.maxCachedBytes, 64 * 1024 * 1024),
    invisibleDurationMs,
    leaseRenewAheadMs,
    maxLeaseExtensionMs: positiveMs('maxLeaseExtensionMs', options.maxLeaseExtensionMs, 60 * 60 * 1000),
    fifoConsumeAccelerator: options.fifoConsumeAccelerator ?? true,
    ackBatchSize: positiveInt('ackBatchSize', options.ackBatchSize, 32, 1024),
    ackFlushDelayMs: nonNegativeMs('ackFlushDelayMs', options.ackFlushDelayMs, 5),
    requestTimeoutMs: positiveMs('requestTimeoutMs', options.requestTimeoutMs, 3_000),
    assignmentScanIntervalMs: positiveMs('assignmentScanIntervalMs', options.assignmentScanIntervalMs, 5_000),
    interceptors: validateInterceptors(options.interceptors),
  };
}
