/**
 * A managed producer: synchronous, asynchronous and delayed sends that return
 * their receipts, closed by the registry's `waitStop()`. A send made from inside a managed handler
 * carries that handler's request id (`x-request-id`) unless one is given; trace ids come from the active
 * span (see the Producer).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { MessageInit } from '../model/message.js';
import type { SendReceipt } from '../model/send-receipt.js';
import type { Logger } from '../observability/logger.js';
import type { SendOptions } from '../producer/options.js';
import type { Producer } from '../producer/producer.js';
import { currentHandlerContext } from './context.js';

/** Called once an asynchronous send settled: an error, or the receipt. */
export type SendCallback = (error: RocketMQError | undefined, receipt: SendReceipt | undefined) => void;

/** See the module documentation. */
export class ManagedProducer {
  readonly #producer: Producer;
  readonly #logger: Logger;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #onClosed: (p: ManagedProducer) => void;
  #closing: Promise<void> | undefined;

  /** @internal Created by the registry. */
  constructor(producer: Producer, logger: Logger, onClosed: (p: ManagedProducer) => void) {
    this.#producer = producer;
    this.#logger = logger;
    this.#onClosed = onClosed;
  }

  /** The producer's client id. */
  get id(): string {
    return this.#producer.clientId;
  }

  /** Sends in flight (sync and async). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Sends a message; resolves with its receipt.
   *
   * @throws RocketMQError (as a rejection) `CLOSED` after `close()`, validation codes for a bad message,
   * and the send's own failures (see `Producer.send`).
   */
  send(message: MessageInit, options: SendOptions = {}): Promise<SendReceipt> {
    if (this.#closing !== undefined) {
      return Promise.reject(new RocketMQError('The producer is closed', 'CLOSED'));
    }
    const requestId = options.requestId ?? currentHandlerContext()?.requestId;
    const sent = this.#producer.send(message, requestId === undefined ? options : { ...options, requestId });
    this.#inFlight.add(sent);
    const forget = (): void => {
      this.#inFlight.delete(sent);
    };
    sent.then(forget, forget);
    return sent;
  }

  /**
   * Sends without waiting; `callback` gets the outcome. A callback that throws is logged.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` when `callback` is given and is not a function.
   */
  sendAsync(message: MessageInit, callback?: SendCallback, options: SendOptions = {}): void {
    if (callback !== undefined && typeof callback !== 'function') {
      throw new RocketMQError('callback must be a function', 'INVALID_ARGUMENT');
    }
    this.send(message, options).then(
      (receipt) => this.#callback(callback, undefined, receipt),
      (err: unknown) => {
        const e = RocketMQError.from(err);
        if (callback === undefined) this.#logger.warn('async send failed', { topic: message?.topic, err: e });
        this.#callback(callback, e, undefined);
      },
    );
  }

  /**
   * Sends a message delivered after `delayMs`.
   *
   * @throws RocketMQError as {@link ManagedProducer.send}; `INVALID_ARGUMENT` for a bad delay.
   */
  sendDelay(message: MessageInit, delayMs: number, options: SendOptions = {}): Promise<SendReceipt> {
    return this.send(withDelay(message, delayMs), options);
  }

  /** {@link ManagedProducer.sendDelay} without waiting; `callback` gets the outcome. */
  sendDelayAsync(
    message: MessageInit,
    delayMs: number,
    callback?: SendCallback,
    options: SendOptions = {},
  ): void {
    this.sendAsync(withDelay(message, delayMs), callback, options);
  }

  /**
   * Shuts the producer down: sends in flight get up to `timeoutMs` (those still running then reject
   * with `CLOSED`). Idempotent; never rejects.
   */
  close(timeoutMs = 10_000): Promise<void> {
    this.#closing ??= this.#close(this.#producer.shutdown({ timeoutMs }));
    return this.#closing;
  }

  /**
   * Shuts the producer down at once (sends in flight reject with `CLOSED`); ends a {@link
   * ManagedProducer.close} in progress now. Never rejects.
   */
  destroy(): Promise<void> {
    this.#closing ??= this.#close(this.#producer.destroy());
    void this.#producer.destroy();
    return this.#closing;
  }

  async #close(stopped: Promise<void>): Promise<void> {
    await stopped;
    this.#onClosed(this);
  }

  #callback(
    cb: SendCallback | undefined,
    err: RocketMQError | undefined,
    receipt: SendReceipt | undefined,
  ): void {
    if (cb === undefined) return;
    try {
      cb(err, receipt);
    } catch (cbError) {
      this.#logger.warn('send callback threw', { err: cbError });
    }
  }
}

/** The message with a delay; the Producer's validation reports a bad message or delay with its code. */
function withDelay(message: MessageInit, delayMs: number): MessageInit {
  if (message === null || typeof message !== 'object') return message;
  return { ...message, delayMs };
}
