/**
 * Idempotent consumption: {@link idempotentListener} wraps a push consumer's listener so that a
 * message already handled is acknowledged without calling the listener again.
 *
 * RocketMQ delivers at least once: a message whose ack was lost (a network failure, a lease that ran
 * out, a consumer that crashed between handling and acking) comes again after its invisible time. The
 * wrapper keeps a key per handled message (its message id, or a key the application derives, such as
 * an order id) in a {@link IdempotencyStore}:
 *
 * 1. the key is in the store → the listener is not called; the message is acked (`'success'`);
 * 2. else the listener runs; when it succeeds (`undefined` or `'success'`) the key is marked for
 *    `ttlMs`, then the message is acked. A failure, a retry answer or a throw marks nothing (the
 *    message comes again and the listener runs again).
 *
 * A store error fails the delivery (the message comes again): the wrapper never guesses. The key is
 * marked after the listener: two deliveries running at once (a redelivery while the first call still
 * runs past its lease) may both call the listener; the store is not a lock.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { type Clock, systemClock } from '../internal/clock.js';
import type { MessageView } from '../model/message-view.js';
import { describeType } from '../model/text.js';
import type { ConsumeContext, ConsumeResult, MessageListener } from './push-consumer-options.js';

/**
 * Where handled keys are kept. Either method may return a promise (a Redis or SQL store) or answer at
 * once (memory).
 */
export interface IdempotencyStore {
  /** True when `key` was marked and has not expired. */
  has(key: string): boolean | Promise<boolean>;
  /** Marks `key` as handled for `ttlMs` milliseconds. */
  mark(key: string, ttlMs: number): void | Promise<void>;
}

/** Options of {@link idempotentListener}. */
export interface IdempotentOptions {
  /** How long a handled key is remembered, in ms; longer than the redeliveries you expect (positive). */
  ttlMs: number;
  /** Where keys are kept. @defaultValue a new {@link MemoryIdempotencyStore} */
  store?: IdempotencyStore | undefined;
  /** The key of a message. @defaultValue its message id */
  key?: ((message: MessageView) => string) | undefined;
}

/** Options of {@link MemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /** Most keys kept; the least recently used goes first past it. @defaultValue 100000 */
  maxEntries?: number | undefined;
  /** Test seam: the time source of the expiries. @defaultValue the system clock */
  clock?: Clock | undefined;
}

function invalid(message: string): RocketMQError {
  return new RocketMQError(message, 'INVALID_ARGUMENT');
}

/**
 * An in-process store: least recently used keys are dropped past `maxEntries`, expired keys on access.
 * It forgets everything when the process ends; a store shared by every consumer of the group (Redis…)
 * also covers a redelivery to another process.
 */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #max: number;
  readonly #clock: Clock;
  /** key → monotonic expiry; Map order is the recency order (oldest first). */
  readonly #entries = new Map<string, number>();

  /** @throws RocketMQError `INVALID_ARGUMENT` for a bad `maxEntries`. */
  constructor(options: MemoryIdempotencyStoreOptions = {}) {
    const max = options.maxEntries ?? 100_000;
    if (!Number.isInteger(max) || max < 1) {
      throw invalid(`maxEntries must be a positive integer, got ${String(max)}`);
    }
    this.#max = max;
    this.#clock = options.clock ?? systemClock;
  }

  /** Keys kept (expired ones included until they are touched or pushed out). */
  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    const expires = this.#entries.get(key);
    if (expires === undefined) return false;
    this.#entries.delete(key);
    if (expires <= this.#clock.monotonic()) return false;
    this.#entries.set(key, expires);
    return true;
  }

  mark(key: string, ttlMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, this.#clock.monotonic() + ttlMs);
    while (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}

const isSuccess = (result: ConsumeResult | undefined): boolean =>
  result === undefined || result === 'success';

/**
 * Wraps `listener` so that a message already handled is acked without calling it (see the module
 * documentation).
 *
 * @example
 * ```ts
 * const listener = idempotentListener(async (m) => { await charge(m) }, { ttlMs: 24 * 3600_000 });
 * new PushConsumer({ endpoints, consumerGroup, subscriptions: { payments: '*' }, listener });
 * ```
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when `listener` or `key` is not a function, `ttlMs` is not a
 * positive finite number, or `store` lacks `has` / `mark`.
 */
export function idempotentListener(listener: MessageListener, options: IdempotentOptions): MessageListener {
  if (typeof listener !== 'function') {
    throw invalid(`listener must be a function, got ${describeType(listener)}`);
  }
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object');
  const { ttlMs } = options;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw invalid(`ttlMs must be a positive finite number, got ${String(ttlMs)}`);
  }
  const keyOf = options.key ?? ((m: MessageView) => m.messageId);
  if (typeof keyOf !== 'function') throw invalid(`key must be a function, got ${describeType(keyOf)}`);
  const store = options.store ?? new MemoryIdempotencyStore();
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.has !== 'function' ||
    typeof store.mark !== 'function'
  ) {
    throw invalid('store must have has(key) and mark(key, ttlMs) methods');
  }
  return async (message: MessageView, context: ConsumeContext): Promise<ConsumeResult | undefined> => {
    const key = keyOf(message);
    if (typeof key !== 'string' || key === '') {
      throw invalid(`the key of message ${message.messageId} must be a non-empty string`);
    }
    if (await store.has(key)) return 'success';
    const result = (await listener(message, context)) ?? undefined;
    if (isSuccess(result)) await store.mark(key, ttlMs);
    return result;
  };
}
