/**
 * One assigned queue of a push consumer: its receive loop and its share of the prefetch cache.
 *
 * The loop receives while the queue's cache has room, hands each batch to the consume service, and
 * issues the next receive at once. When the cache is full it waits until a settled message frees
 * space (an event, not a poll). Refill starts below a threshold, so it never asks for a handful of
 * messages at a time. Throttling (`TOO_MANY_REQUESTS`) retries after 20 ms; other failures back off.
 * A receive attempt id is reused after a failed or empty receive and renewed after a non-empty one
 * (so the broker can serve the same FIFO batch again after a lost response).
 *
 * Stopping never strands a message. A long poll cancelled by the client keeps waiting inside the
 * broker: measured on RocketMQ 5.4.0, a message that arrives after the cancel reached the proxy is
 * popped anyway, and the proxy, failing to write it, makes it visible again after 1 s (it was
 * received again as attempt 2 about 3.1–3.7 s after it was sent); a message the proxy wrote just
 * before the cancel arrived stays invisible for the whole invisible duration (20 s asked: received
 * again 22.0–22.1 s later, attempt 2). So {@link ProcessQueue.stop} does not cancel the receive in
 * flight: it lets it end on its own (push long polls are short) up to a bound, and hands what it
 * brings to {@link ProcessQueueHost.release} (ChangeInvisibleDuration 0) instead of the listener.
 * Only a receive still open at the bound is cancelled.
 *
 * @packageDocumentation
 */

import { randomUUID } from 'node:crypto';
import { RocketMQError } from '../errors.js';
import { untilSettledOrAborted } from '../internal/abort.js';
import { type BackoffPolicy, createBackoff, type RandomSource } from '../internal/backoff.js';
import { createDeferred, type Deferred } from '../internal/deferred.js';
import type { Scheduler } from '../internal/scheduler.js';
import type { MessageView } from '../model/message-view.js';
import type { Logger } from '../observability/logger.js';
import type { RouteQueue } from '../protocol/route.js';
import type { FilterSpec } from '../protocol/settings.js';
import type { Lease } from './lease-keeper.js';
import type { PauseGate } from './pause-gate.js';

/** What a process queue needs from its consumer. */
export interface ProcessQueueHost {
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly random?: RandomSource | undefined;
  readonly receiveBackoff: BackoffPolicy;
  /** This queue's share of the cache, and the batch size the server wants. */
  limits(): { readonly count: number; readonly bytes: number; readonly batchSize: number };
  /** One ReceiveMessage on `queue`. */
  receive(
    queue: RouteQueue,
    filter: FilterSpec,
    batchSize: number,
    attemptId: string,
    signal: AbortSignal,
  ): Promise<MessageView[]>;
  /** Starts the lease of a received message. */
  track(view: MessageView, queue: RouteQueue): Lease;
  /**
   * Gives back a batch that arrived after {@link ProcessQueue.stop} (visible again at once). Resolves
   * when the broker answered (or the release gave up).
   */
  release(queue: RouteQueue, views: readonly MessageView[]): Promise<void>;
  /**
   * Hands a received batch over. Concurrent consumption returns at once; FIFO returns when the whole
   * batch is settled (the broker serves the queue's next messages only then).
   */
  deliver(queue: ProcessQueue, leases: readonly Lease[]): Promise<void>;
  /** Paused topics: no receive while this queue's topic is paused. @defaultValue never paused */
  readonly gate?: PauseGate | undefined;
}

const THROTTLE_DELAY_MS = 20;

/** Body size counted for a message in the cache. */
export function cachedSize(view: MessageView): number {
  return view.body.length;
}

/** See the module documentation. */
export class ProcessQueue {
  readonly queue: RouteQueue;
  readonly filter: FilterSpec;
  readonly key: string;
  readonly #host: ProcessQueueHost;
  /** Aborted by stop(): no new receive. */
  readonly #stop = new AbortController();
  /** Aborted at the stop bound: cancels the receive in flight. */
  readonly #cancel = new AbortController();
  #count = 0;
  #bytes = 0;
  #room: Deferred<void> | undefined;
  #loop: Promise<void> | undefined;
  #received = 0;

  constructor(host: ProcessQueueHost, queue: RouteQueue, filter: FilterSpec) {
    this.#host = host;
    this.queue = queue;
    this.filter = filter;
    this.key = processQueueKey(queue);
  }

  /** Messages received from this queue and not yet settled. */
  get cachedCount(): number {
    return this.#count;
  }

  /** Body bytes of those messages. */
  get cachedBytes(): number {
    return this.#bytes;
  }

  /** Messages received so far. */
  get received(): number {
    return this.#received;
  }

  /** True once {@link ProcessQueue.stop} was called. */
  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Starts the receive loop (idempotent). */
  start(): void {
    this.#loop ??= this.#run();
  }

  /**
   * Stops receiving and waits for the loop to end. A receive in flight may end on its own for up to
   * `drainMs` (what it brings is released); then it is cancelled. `drainMs` 0 cancels it at once.
   */
  async stop(drainMs = 0): Promise<void> {
    if (!this.#stop.signal.aborted) {
      this.#stop.abort(new RocketMQError('The process queue stopped', 'CLOSED'));
    }
    this.#room?.resolve();
    const bound = new AbortController();
    if (drainMs > 0) {
      this.#host.scheduler.sleep(drainMs, bound.signal).then(
        () => this.#cancelReceive(),
        () => this.#cancelReceive(),
      );
    } else {
      this.#cancelReceive();
    }
    try {
      await this.#loop;
    } finally {
      bound.abort();
    }
  }

  #cancelReceive(): void {
    if (!this.#cancel.signal.aborted) {
      this.#cancel.abort(new RocketMQError('The process queue stopped', 'CLOSED'));
    }
  }

  /** A message of this queue was settled (or given up): frees its cache space. */
  release(view: MessageView): void {
    this.#count = Math.max(0, this.#count - 1);
    this.#bytes = Math.max(0, this.#bytes - cachedSize(view));
    if (this.#room !== undefined && this.#hasRoom()) {
      const room = this.#room;
      this.#room = undefined;
      room.resolve();
    }
  }

  #hasRoom(): boolean {
    const { count, bytes, batchSize } = this.#host.limits();
    // Refill threshold: room for a useful batch (a quarter of the share, at most one full batch).
    const want = Math.min(batchSize, Math.max(1, Math.floor(count / 4)));
    return this.#count + want <= count && this.#bytes < bytes;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const backoff = createBackoff(this.#host.receiveBackoff, this.#host.random ?? Math.random);
    let attemptId = randomUUID();
    while (!signal.aborted) {
      if (this.#host.gate?.isPaused(this.queue.topic) === true) {
        await this.#host.gate.wait(this.queue.topic, signal);
        continue;
      }
      if (!this.#hasRoom()) {
        this.#room = createDeferred<void>();
        await this.#room.promise;
        continue;
      }
      const { count, batchSize } = this.#host.limits();
      const size = Math.max(1, Math.min(batchSize, count - this.#count));
      let views: MessageView[];
      try {
        views = await this.#host.receive(this.queue, this.filter, size, attemptId, this.#cancel.signal);
        backoff.reset();
      } catch (err) {
        if (signal.aborted) break;
        const e = RocketMQError.from(err);
        const delay = e.code === 'TOO_MANY_REQUESTS' ? THROTTLE_DELAY_MS : backoff.next();
        this.#host.logger.debug('receive failed; retrying', { queue: this.key, delay, err: e });
        try {
          await this.#host.scheduler.sleep(delay, signal);
        } catch {
          break;
        }
        continue;
      }
      if (views.length === 0) continue;
      if (signal.aborted) {
        // Stopped while this receive was open: the batch goes back instead of to the listener.
        await this.#host.release(this.queue, views);
        break;
      }
      attemptId = randomUUID();
      this.#received += views.length;
      const leases = views.map((v) => {
        this.#count++;
        this.#bytes += cachedSize(v);
        return this.#host.track(v, this.queue);
      });
      // A FIFO batch is settled before the next receive; stop() does not wait for it (the consume
      // service finishes or releases it).
      await untilSettledOrAborted(this.#host.deliver(this, leases), signal);
    }
  }
}

/** Identity of an assigned queue. */
export function processQueueKey(queue: RouteQueue): string {
  return `${queue.topic}@${queue.brokerName}#${queue.queueId}`;
}
