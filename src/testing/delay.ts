/**
 * Delay (timer) messages: held until their delivery time, then appended to their queue; recallable before
 * that with the handle returned by SendMessage (server format: URL-safe Base64 of
 * `"v1 <topic> <brokerName> <timestamp> <messageId>"`, opaque to clients).
 *
 * @packageDocumentation
 */

import type { Clock } from '../internal/clock.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import { Code } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { BrokerStatusError } from './status.js';
import type { MessageStore, StoredMessage } from './store.js';

/** Dependencies of {@link DelayQueue}. */
export interface DelayQueueOptions {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly store: MessageStore;
  readonly brokerName: string;
  /** The broker's `timerMaxDelaySec` (3 days): recall is refused for times further away. */
  readonly timerMaxDelayMs: number;
}

interface Scheduled {
  readonly message: StoredMessage;
  readonly timer: TaskHandle;
}

/** Encodes a recall handle like `RecallMessageHandle.HandleV1.buildHandle` (Java's URL encoder pads). */
export function encodeRecallHandle(
  topic: string,
  brokerName: string,
  timestampMs: number,
  messageId: string,
): string {
  const raw = ['v1', topic, brokerName, String(timestampMs), messageId].join(' ');
  return Buffer.from(raw, 'utf8').toString('base64').replaceAll('+', '-').replaceAll('/', '_');
}

/** Decoded recall handle. */
export interface RecallHandle {
  readonly topic: string;
  readonly brokerName: string;
  readonly timestamp: string;
  readonly messageId: string;
}

/**
 * Decodes a recall handle like `RecallMessageHandle.decodeHandle`.
 *
 * @throws BrokerStatusError `INTERNAL_SERVER_ERROR` "recall handle is invalid" (the proxy wraps the decoder
 * exception as an internal error).
 */
export function decodeRecallHandle(handle: string): RecallHandle {
  const invalid = new BrokerStatusError(Code.INTERNAL_SERVER_ERROR, 'recall handle is invalid');
  if (handle === '' || !/^[A-Za-z0-9_-]+={0,2}$/.test(handle)) throw invalid;
  const items = Buffer.from(handle, 'base64url').toString('utf8').split(' ');
  if (items[0] !== 'v1' || items.length < 5) throw invalid;
  return { topic: items[1]!, brokerName: items[2]!, timestamp: items[3]!, messageId: items[4]! };
}

/** Timer messages waiting for their delivery time. */
export class DelayQueue {
  readonly #o: DelayQueueOptions;
  readonly #scheduled = new Map<string, Scheduled>();

  constructor(options: DelayQueueOptions) {
    this.#o = options;
  }

  /** Number of messages waiting. */
  get size(): number {
    return this.#scheduled.size;
  }

  /**
   * Holds `message` until `message.deliveryTimestampMs`; returns its recall handle and the offset it got in
   * the broker's timer queue. A time that is not in the future makes the message visible at once (no handle).
   */
  schedule(message: StoredMessage): { recallHandle: string; offset: number } {
    const at = message.deliveryTimestampMs ?? 0;
    const now = this.#o.clock.now();
    if (at <= now) {
      const stored = this.#o.store.append(message);
      return { recallHandle: '', offset: stored.queueOffset };
    }
    const key = `${message.topic}\u0000${message.messageId}`;
    this.#scheduled.get(key)?.timer.cancel();
    const timer = this.#o.scheduler.after(at - now, () => this.#fire(key), { name: 'delay-message' });
    this.#scheduled.set(key, { message, timer });
    return {
      recallHandle: encodeRecallHandle(message.topic, this.#o.brokerName, at, message.messageId),
      offset: this.#o.store.nextSystemOffset(),
    };
  }

  /**
   * Recalls a delay message before delivery; returns the message id.
   * Like the broker, a well-formed handle whose time is still ahead succeeds even when no such message is
   * waiting (the broker only writes a delete marker).
   *
   * @throws BrokerStatusError `INTERNAL_SERVER_ERROR` for an invalid handle, a topic or broker mismatch, or a
   * delivery time that has passed (or is too far ahead).
   */
  recall(topic: string, handle: string): string {
    const h = decodeRecallHandle(handle);
    if (h.topic !== topic)
      throw new BrokerStatusError(Code.INTERNAL_SERVER_ERROR, 'recall failed, topic not match');
    if (h.brokerName !== this.#o.brokerName) {
      throw new BrokerStatusError(Code.INTERNAL_SERVER_ERROR, 'recall failed, broker service not available');
    }
    const timestamp = /^-?\d+$/.test(h.timestamp) ? Number(h.timestamp) : -1;
    const left = timestamp - this.#o.clock.now();
    if (left <= 0 || left >= this.#o.timerMaxDelayMs) {
      throw new BrokerStatusError(Code.INTERNAL_SERVER_ERROR, 'recall failed, timestamp invalid');
    }
    const key = `${topic}\u0000${h.messageId}`;
    const entry = this.#scheduled.get(key);
    if (entry !== undefined && entry.message.deliveryTimestampMs === timestamp) {
      entry.timer.cancel();
      this.#scheduled.delete(key);
    }
    return h.messageId;
  }

  #fire(key: string): void {
    const entry = this.#scheduled.get(key);
    if (entry === undefined) return;
    this.#scheduled.delete(key);
    if (this.#o.store.topic(entry.message.topic) !== undefined) this.#o.store.append(entry.message);
  }
}
