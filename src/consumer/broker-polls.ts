/**
 * The receive side of `SimpleConsumer.messages()`: one long poll per broker, merged in arrival order.
 *
 * A receive long-polls the broker its queue names (the Apache proxy pops from that whole broker), so
 * one receive at a time makes every broker wait for the one being polled: a message on broker B waited
 * until broker A's poll ended — up to the whole long-polling time when A stayed idle. Here every broker
 * holding a readable master queue of a subscribed topic has its own poll loop:
 *
 * - the broker set comes from the cached routes and is re-read when a route changes (a loop whose
 *   broker left every route ends after its current receive);
 * - backpressure: a loop holds at most one batch not yet handed out; its next receive starts when that
 *   batch's last message is handed out (so at most one batch of the iterator's `maxMessages` per broker
 *   is ever waiting, and the next long poll is already open while the consumer handles that message —
 *   an ack round trip no longer delays the broker's next message);
 * - batches are handed out in the order they arrived; a non-retriable failure is handed out in its
 *   place (the iterator throws it and everything stops); retriable failures back off per broker;
 * - {@link BrokerPolls.close} stops every loop: messages received and not handed out are released
 *   (visible again at once), and a receive still in flight is not cancelled (a cancelled long poll can
 *   strand a message the proxy had just written): it ends on its own and the host releases what it
 *   brings (see {@link BrokerPollsHost.receive}); a shutdown bounds it like any receive.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { linkSignals, untilSettledOrAborted } from '../internal/abort.js';
import { type BackoffPolicy, createBackoff, type RandomSource } from '../internal/backoff.js';
import { createDeferred, type Deferred } from '../internal/deferred.js';
import type { Scheduler } from '../internal/scheduler.js';
import type { MessageView } from '../model/message-view.js';
import type { Logger } from '../observability/logger.js';

/** What the poll loops need from the consumer. */
export interface BrokerPollsHost {
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly random: RandomSource;
  readonly retryBackoff: BackoffPolicy;
  /** Fetches the routes of the subscribed topics that are not cached yet. */
  ensureRoutes(signal: AbortSignal): Promise<void>;
  /** Brokers with a readable master queue of a subscribed topic (cached routes). */
  brokers(): string[];
  /**
   * One receive on `broker`; `undefined` when it serves no subscribed topic any more. When `stopped` has
   * aborted by the time the receive ends, the host releases what it brought and resolves `[]`.
   */
  receive(broker: string, stopped: AbortSignal): Promise<MessageView[] | undefined>;
  /** Makes messages visible again at once (best effort). */
  release(views: readonly MessageView[]): Promise<void>;
  /** Calls `listener` when a route is added or changed; returns the unsubscribe function. */
  onRouteChange(listener: () => void): () => void;
}

type Entry =
  | { readonly t: 'batch'; readonly views: MessageView[]; readonly taken: Deferred<void> }
  | { readonly t: 'error'; readonly error: RocketMQError };

/** See the module documentation. */
export class BrokerPolls {
  readonly #host: BrokerPollsHost;
  /** Aborted by {@link BrokerPolls.close} or by the caller's stop signal. */
  readonly #stopper = new AbortController();
  readonly #stop: AbortSignal;
  readonly #loops = new Map<string, Promise<void>>();
  readonly #entries: Entry[] = [];
  #wake: Deferred<void> | undefined;
  #started = false;
  /** A non-retriable failure was handed out: no loop starts any more. */
  #failed = false;
  #unsubscribe: (() => void) | undefined;

  /**
   * @param stops - any of them ends the polls (the iterator's signal, the consumer's shutdown). Linked
   * here in one step: a combined signal lives only as long as someone holds it, so a chain of links
   * through an intermediate nobody holds could be collected and never fire.
   */
  constructor(host: BrokerPollsHost, stops: ReadonlyArray<AbortSignal | undefined>) {
    this.#host = host;
    this.#stop = linkSignals(...stops, this.#stopper.signal);
    this.#stop.addEventListener('abort', () => this.#notify(), { once: true });
  }

  /** Brokers polled right now. */
  get brokers(): string[] {
    return [...this.#loops.keys()];
  }

  /**
   * The next message, in arrival order; `undefined` once stopped. Rejects with a non-retriable failure
   * of a receive (after the messages that arrived before it).
   */
  async next(): Promise<MessageView | undefined> {
    if (!this.#started) {
      this.#started = true;
      void this.#bootstrap();
    }
    for (;;) {
      if (this.#stop.aborted) return undefined;
      const head = this.#entries[0];
      if (head?.t === 'batch') {
        const view = head.views.shift();
        if (head.views.length === 0) {
          // The batch's last message goes out: that broker's next long poll opens while the consumer
          // handles it (still at most one batch not yet yielded per broker).
          this.#entries.shift();
          head.taken.resolve();
        }
        if (view !== undefined) return view;
        continue;
      }
      if (head?.t === 'error') {
        this.#entries.shift();
        throw head.error;
      }
      this.#wake = createDeferred<void>();
      await this.#wake.promise;
    }
  }

  /**
   * Stops every loop and releases the messages not handed out (resolves once the broker answered or the
   * release gave up). Receives in flight end on their own (see the module documentation). Idempotent.
   */
  async close(): Promise<void> {
    if (!this.#stopper.signal.aborted) {
      this.#stopper.abort(new RocketMQError('The iteration ended', 'CLOSED'));
    }
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const left: MessageView[] = [];
    for (const e of this.#entries.splice(0)) if (e.t === 'batch') left.push(...e.views.splice(0));
    if (left.length > 0) await this.#host.release(left);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.resolve();
  }

  #push(entry: Entry): void {
    if (entry.t === 'error') this.#failed = true;
    this.#entries.push(entry);
    this.#notify();
  }

  /** Fetches the routes (retrying retriable failures), then starts a loop per broker. */
  async #bootstrap(): Promise<void> {
    const backoff = createBackoff(this.#host.retryBackoff, this.#host.random);
    for (;;) {
      try {
        await this.#host.ensureRoutes(this.#stop);
        break;
      } catch (e) {
        if (this.#stop.aborted) return;
        const err = RocketMQError.from(e);
        if (err.code === 'CLOSED') return this.#close();
        if (!err.retriable) return this.#push({ t: 'error', error: err });
        if (!(await this.#sleep(backoff.next()))) return;
      }
    }
    if (this.#stop.aborted) return;
    this.#unsubscribe = this.#host.onRouteChange(() => this.#sync());
    this.#sync();
  }

  /** Starts a loop for every broker without one; no broker at all is a `FORBIDDEN` failure. */
  #sync(): void {
    if (this.#stop.aborted || this.#failed) return;
    const brokers = this.#host.brokers();
    if (brokers.length === 0 && this.#loops.size === 0) {
      this.#push({
        t: 'error',
        error: new RocketMQError('No readable master queue in the subscribed topics', 'FORBIDDEN'),
      });
      return;
    }
    for (const broker of brokers) {
      if (!this.#loops.has(broker)) this.#loops.set(broker, this.#loop(broker));
    }
  }

  async #loop(broker: string): Promise<void> {
    const backoff = createBackoff(this.#host.retryBackoff, this.#host.random);
    try {
      while (!this.#stop.aborted) {
        let views: MessageView[] | undefined;
        try {
          views = await this.#host.receive(broker, this.#stop);
          backoff.reset();
        } catch (e) {
          if (this.#stop.aborted) return;
          const err = RocketMQError.from(e);
          if (err.code === 'CLOSED') return this.#close();
          if (!err.retriable) return this.#push({ t: 'error', error: err });
          const delay = backoff.next();
          this.#host.logger.debug('receive failed; retrying', {
            broker,
            attempt: backoff.attempt,
            delay,
            err: err.toJSON(),
          });
          if (!(await this.#sleep(delay))) return;
          continue;
        }
        if (views === undefined) return; // the broker left the routes
        if (views.length === 0) continue;
        if (this.#stop.aborted) {
          await this.#host.release(views);
          return;
        }
        const taken = createDeferred<void>();
        this.#push({ t: 'batch', views, taken });
        await untilSettledOrAborted(taken.promise, this.#stop);
      }
    } finally {
      this.#loops.delete(broker);
      // A broker that left the routes: the set may have changed meanwhile (or be empty now).
      this.#sync();
    }
  }

  /** The consumer shut down under a loop: end the iteration. */
  #close(): void {
    void this.close();
  }

  /** Sleeps `ms`; false when stopped meanwhile. */
  async #sleep(ms: number): Promise<boolean> {
    try {
      await this.#host.scheduler.sleep(ms, this.#stop);
      return !this.#stop.aborted;
    } catch {
      return false;
    }
  }
}
