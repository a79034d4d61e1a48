/**
 * Argument checks shared by the consumers. Each failure has its own code; nothing is sent.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { FilterExpression } from '../model/filter-expression.js';
import { MessageView } from '../model/message-view.js';
import { describeType, hasControlChars, isBlank, quote } from '../model/text.js';
import type { FilterSpec, SubscriptionSpec } from '../protocol/settings.js';

/** Longest topic accepted for consuming (dead-letter topics `%DLQ%<group>` may exceed 127). */
export const MAX_CONSUMER_TOPIC_LENGTH = 255;
/** Longest consumer group name. */
export const MAX_GROUP_LENGTH = 255;
/** Largest receive batch (the broker's cap). */
export const MAX_RECEIVE_BATCH = 32;
/** The proxy's smallest invisible duration for a receive. */
export const MIN_INVISIBLE_DURATION_MS = 10_000;
/** The proxy's largest invisible duration. */
export const MAX_INVISIBLE_DURATION_MS = 12 * 60 * 60 * 1000;

const NAME_CHARS = /^[%a-zA-Z0-9_|-]+$/;

function invalid(message: string): RocketMQError {
  return new RocketMQError(message, 'INVALID_ARGUMENT');
}

/**
 * A topic to consume from: 1–255 characters from `[%a-zA-Z0-9_|-]` (retry and dead-letter topics are
 * allowed).
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when not a string; `ILLEGAL_TOPIC` otherwise.
 */
export function validateConsumerTopic(topic: unknown): string {
  if (typeof topic !== 'string') throw invalid(`topic must be a string, got ${describeType(topic)}`);
  if (isBlank(topic)) throw new RocketMQError('topic must not be blank', 'ILLEGAL_TOPIC');
  if (topic.length > MAX_CONSUMER_TOPIC_LENGTH || !NAME_CHARS.test(topic)) {
    throw new RocketMQError(
      `topic ${quote(topic)} must be 1-${MAX_CONSUMER_TOPIC_LENGTH} characters from [%a-zA-Z0-9_|-]`,
      'ILLEGAL_TOPIC',
    );
  }
  return topic;
}

/**
 * A consumer group: 1–255 characters from `[%a-zA-Z0-9_|-]`.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when missing or not a string; `ILLEGAL_CONSUMER_GROUP` otherwise.
 */
export function validateGroup(group: unknown): string {
  if (typeof group !== 'string') throw invalid(`consumerGroup must be a string, got ${describeType(group)}`);
  if (isBlank(group) || group.length > MAX_GROUP_LENGTH || !NAME_CHARS.test(group)) {
    throw new RocketMQError(
      `consumerGroup ${quote(group)} must be 1-${MAX_GROUP_LENGTH} characters from [%a-zA-Z0-9_|-]`,
      'ILLEGAL_CONSUMER_GROUP',
    );
  }
  return group;
}

/**
 * A filter given as a {@link FilterExpression} or a tag-expression string (`'*'`, `'a||b'`).
 *
 * @throws RocketMQError `INVALID_ARGUMENT` for another type; `ILLEGAL_FILTER_EXPRESSION` for a bad string.
 */
export function toFilterExpression(filter: unknown): FilterExpression {
  if (filter instanceof FilterExpression) return filter;
  if (typeof filter === 'string') return FilterExpression.tag(filter);
  throw invalid(`filter must be a FilterExpression or a tag string, got ${describeType(filter)}`);
}

/** The settings form of a filter. */
export function toFilterSpec(filter: FilterExpression): FilterSpec {
  return { type: filter.type === 'SQL92' ? 'sql' : 'tag', expression: filter.expression };
}

/** Subscriptions in the settings form. */
export function toSubscriptionSpecs(
  subscriptions: ReadonlyMap<string, FilterExpression>,
): SubscriptionSpec[] {
  return [...subscriptions].map(([topic, filter]) => ({ topic, filter: toFilterSpec(filter) }));
}

/**
 * A positive, finite number of ms (or `undefined` → `fallback`).
 *
 * @throws RocketMQError `INVALID_ARGUMENT`.
 */
export function positiveMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(`${name} must be a positive, finite number of ms, got ${String(value)}`);
  }
  return value;
}

/**
 * `maxMessages` of a receive: an integer 1–32.
 *
 * @throws RocketMQError `INVALID_ARGUMENT`.
 */
export function validateMaxMessages(value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_RECEIVE_BATCH) {
    throw invalid(`maxMessages must be an integer from 1 to ${MAX_RECEIVE_BATCH}, got ${String(value)}`);
  }
  return value;
}

/**
 * An invisible duration within `[min, 12 h]`.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when not a finite number; `ILLEGAL_INVISIBLE_TIME` (the proxy's
 * code for the same rule) when outside the bounds.
 */
export function validateInvisibleDuration(value: unknown, minMs: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalid(
      `invisibleDurationMs must be a finite number of ms, got ${describeType(value)} ${String(value)}`,
    );
  }
  if (value < minMs || value > MAX_INVISIBLE_DURATION_MS) {
    throw new RocketMQError(
      `invisibleDurationMs must be from ${minMs} ms to ${MAX_INVISIBLE_DURATION_MS} ms (12 h), got ${value}`,
      'ILLEGAL_INVISIBLE_TIME',
    );
  }
  return value;
}

/**
 * Per-call options: `signal` an AbortSignal, `timeoutMs` positive.
 *
 * @throws RocketMQError `INVALID_ARGUMENT`.
 */
export function validateCallOptions(options: unknown): { signal?: AbortSignal; timeoutMs?: number } {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') {
    throw invalid(`options must be an object, got ${describeType(options)}`);
  }
  const { signal, timeoutMs } = options as { signal?: unknown; timeoutMs?: unknown };
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalid(`signal must be an AbortSignal, got ${describeType(signal)}`);
  }
  const out: { signal?: AbortSignal; timeoutMs?: number } = {};
  if (signal !== undefined) out.signal = signal;
  if (timeoutMs !== undefined) out.timeoutMs = positiveMs('timeoutMs', timeoutMs, 0);
  return out;
}

/**
 * A message view received by a consumer (it must carry a receipt handle).
 *
 * @throws RocketMQError `INVALID_ARGUMENT`.
 */
export function validateView(view: unknown): MessageView {
  if (!(view instanceof MessageView)) {
    throw invalid(`expected a MessageView received by this consumer, got ${describeType(view)}`);
  }
  if (view.receiptHandle === '' || hasControlChars(view.receiptHandle)) {
    throw invalid(`message ${view.messageId} carries no usable receipt handle`);
  }
  return view;
}
