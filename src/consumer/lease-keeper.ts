/**
 * Client-side lease renewal for received messages (Pub/Sub-style lease management).
 *
 * A received message is invisible to the rest of the group for its invisible duration. A message that
 * waits in a prefetch cache or sits in a slow handler longer than that would be delivered again while
 * it is still being worked on. The keeper renews every tracked lease shortly before it expires with
 * ChangeInvisibleDuration (which answers a new receipt handle the lease keeps), until the message is
 * settled or its total extension reaches `maxExtensionMs` — then the lease is left to expire and the
 * broker redelivers the message (at-least-once, never silently lost).
 *
 * - One timer for all leases, armed for the earliest renewal; leases due within the same window are
 *   renewed together (bounded concurrency). No polling while nothing is due.
 * - A failed renewal is retried at the next window while the lease has not expired; a non-retriable
 *   failure (e.g. `INVALID_RECEIPT_HANDLE`) or expiry marks the lease lost: its `signal` aborts so a
 *   handler can stop early, and settling it is pointless (the message will come again).
 * - {@link Lease.settle} stops renewal and hands back the newest receipt, after any renewal in flight.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import type { MessageView } from '../model/message-view.js';
import type { Logger } from '../observability/logger.js';
import type { ReceiptRef } from '../protocol/consumer-rpc.js';
import type { Endpoints } from '../rpc/endpoints.js';

/** What the keeper needs from its client. */
export interface LeaseHost {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  /** The receipt of a received message (group, topic, id, handle). */
  receiptOf(view: MessageView): ReceiptRef;
  /** ChangeInvisibleDuration; resolves with the new receipt handle. */
  changeInvisible(endpoints: Endpoints, ref: ReceiptRef, invisibleMs: number): Promise<string>;
  /** Called once when a lease is lost (renewal refused or expired). */
  onLost?(lease: Lease): void;
}

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  /** Invisible duration given at receive and at every renewal, in ms. */
  readonly invisibleDurationMs: number;
  /** Renew when less than this is left, in ms. @defaultValue a third of the invisible duration */
  readonly renewAheadMs?: number | undefined;
  /** Longest total time a message is kept invisible by renewals, from its receipt, in ms. */
  readonly maxExtensionMs: number;
  /** Renewals in flight at once. @defaultValue 16 */
  readonly maxConcurrentRenewals?: number | undefined;
}

/** Public names of a lease's states. */
export type LeaseStateName = 'held' | 'settled' | 'lost';

type LeaseState =
  | { readonly t: 'held' }
  | { readonly t: 'settled' }
  | { readonly t: 'lost'; readonly error: RocketMQError };

/** The lease of one received message. */
export class Lease {
  /** The message as received (its original receipt handle). */
  readonly view: MessageView;
  /** Where settle/renew calls for this message go. */
  readonly endpoints: Endpoints;
  /** When it was received (clock ms). */
  readonly receivedAt: number;
  #receipt: ReceiptRef;
  #expiresAt: number;
  #state: LeaseState = { t: 'held' };
  #renewing: Promise<void> | undefined;
  /**
   * Behind {@link Lease.signal}, which asks the handler to stop: aborted when the lease is lost and on
   * {@link Lease.interrupt}. Made on first use: most prefetched messages never need one.
   */
  #stop: AbortController | undefined;
  /** Why the handler is asked to stop (the first reason wins), even before `#stop` is made. */
  #stopReason: RocketMQError | undefined;
  readonly #keeper: LeaseKeeper;

  /** @internal */
  constructor(
    keeper: LeaseKeeper,
    view: MessageView,
    endpoints: Endpoints,
    receipt: ReceiptRef,
    now: number,
  ) {
    this.#keeper = keeper;
    this.view = view;
    this.endpoints = endpoints;
    this.receivedAt = now;
    this.#receipt = receipt;
    this.#expiresAt = now + keeper.invisibleDurationMs;
  }

  /** The newest receipt (changes with every renewal). */
  get receipt(): ReceiptRef {
    return this.#receipt;
  }

  /** When the message becomes visible again unless renewed or settled (clock ms). */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  /** `held` while renewed, `settled` once handed back, `lost` when renewal failed or it expired. */
  get state(): LeaseStateName {
    return this.#state.t;
  }

  /** Aborted when the lease is lost (the message will be delivered again) or on {@link Lease.interrupt}. */
  get signal(): AbortSignal {
    if (this.#stop === undefined) {
      this.#stop = new AbortController();
      if (this.#stopReason !== undefined) this.#stop.abort(this.#stopReason);
    }
    return this.#stop.signal;
  }

  /**
   * Stops renewing and returns the newest receipt (waits for a renewal in flight). Idempotent; never
   * rejects. A lost lease still returns its last receipt (check `state`: the broker will most likely
   * refuse it, and the message comes again).
   */
  async settle(): Promise<ReceiptRef> {
    while (this.#renewing !== undefined) await this.#renewing;
    if (this.#state.t === 'held') {
      this.#state = { t: 'settled' };
      this.#keeper._remove(this);
    }
    return this.#receipt;
  }

  /**
   * Aborts {@link Lease.signal} without changing the lease (the consumer is going away and asks its
   * handler to stop).
   */
  interrupt(reason: RocketMQError): void {
    this.#abort(reason);
  }

  /** Aborts the signal once (the first reason wins), or records the reason for a signal not made yet. */
  #abort(reason: RocketMQError): void {
    if (this.#stopReason !== undefined) return;
    this.#stopReason = reason;
    this.#stop?.abort(reason);
  }

  /** @internal */
  _renew(host: LeaseHost, invisibleMs: number): Promise<void> {
    const started = host.clock.now();
    const ref = this.#receipt;
    const run = host
      .changeInvisible(this.endpoints, ref, invisibleMs)
      .then(
        (handle) => {
          if (this.#state.t === 'lost') return;
          this.#receipt = { ...ref, receiptHandle: handle };
          this.#expiresAt = started + invisibleMs;
        },
        (err: unknown) => {
          const e = RocketMQError.from(err);
          if (!e.retriable || host.clock.now() >= this.#expiresAt) this._lose(e);
          else host.logger.debug('lease renewal failed; retrying', { messageId: ref.messageId, err: e });
        },
      )
      .finally(() => {
        this.#renewing = undefined;
      });
    this.#renewing = run;
    return run;
  }

  /** @internal */
  get _renewing(): boolean {
    return this.#renewing !== undefined;
  }

  /** @internal */
  _lose(error: RocketMQError): void {
    if (this.#state.t !== 'held') return;
    this.#state = { t: 'lost', error };
    this.#abort(error);
    this.#keeper._lost(this);
  }
}

const DEFAULT_MAX_CONCURRENT_RENEWALS = 16;
/** Leases due within this share of the renew-ahead window are renewed in the same pass. */
const COALESCE_SHARE = 0.25;

/** Tracks and renews the leases of one consumer. See the module documentation. */
export class LeaseKeeper {
  readonly invisibleDurationMs: number;
  readonly renewAheadMs: number;
  readonly maxExtensionMs: number;
  readonly #host: LeaseHost;
  readonly #maxConcurrent: number;
  readonly #leases = new Set<Lease>();
  #timer: TaskHandle | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closed = false;
  #renewals = 0;

  constructor(host: LeaseHost, options: LeaseKeeperOptions) {
    this.#host = host;
    this.invisibleDurationMs = options.invisibleDurationMs;
    this.renewAheadMs = Math.min(
      options.renewAheadMs ?? Math.floor(options.invisibleDurationMs / 3),
      options.invisibleDurationMs,
    );
    this.maxExtensionMs = options.maxExtensionMs;
    this.#maxConcurrent = options.maxConcurrentRenewals ?? DEFAULT_MAX_CONCURRENT_RENEWALS;
  }

  /** Leases being renewed. */
  get size(): number {
    return this.#leases.size;
  }

  /** Renewals sent so far. */
  get renewals(): number {
    return this.#renewals;
  }

  /** Starts renewing the lease of a message just received from `endpoints`. */
  track(view: MessageView, endpoints: Endpoints): Lease {
    const lease = new Lease(this, view, endpoints, this.#host.receiptOf(view), this.#host.clock.now());
    if (this.#closed) {
      lease._lose(new RocketMQError('The lease keeper is closed', 'CLOSED'));
      return lease;
    }
    this.#leases.add(lease);
    this.#arm(lease.expiresAt - this.renewAheadMs);
    return lease;
  }

  /** Aborts the signal of every lease still held (see {@link Lease.interrupt}). */
  interruptAll(reason: RocketMQError): void {
    for (const lease of this.#leases) lease.interrupt(reason);
  }

  /** Stops renewing everything (leases left expire on the broker). Idempotent. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#leases.clear();
  }

  /** @internal */
  _lost(lease: Lease): void {
    this._remove(lease);
    this.#host.onLost?.(lease);
  }

  /** @internal */
  _remove(lease: Lease): void {
    this.#leases.delete(lease);
    if (this.#leases.size === 0) {
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
    }
  }

  #arm(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    this.#timer?.cancel();
    this.#timerAt = at;
    const delay = Math.max(0, at - this.#host.clock.now());
    this.#timer = this.#host.scheduler.after(delay, () => this.#pass(), { name: 'lease-renewal' });
  }

  async #pass(): Promise<void> {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.#host.clock.now();
    const window = now + this.renewAheadMs + this.renewAheadMs * COALESCE_SHARE;
    const due: Array<{ lease: Lease; ms: number }> = [];
    let next = Number.POSITIVE_INFINITY;
    for (const lease of this.#leases) {
      if (lease._renewing) continue;
      if (lease.expiresAt <= now) {
        lease._lose(new RocketMQError('The message lease expired before it could be renewed', 'TIMEOUT'));
        continue;
      }
      if (lease.expiresAt > window) {
        next = Math.min(next, lease.expiresAt - this.renewAheadMs);
        continue;
      }
      const left = lease.receivedAt + this.maxExtensionMs - now;
      const ms = Math.min(this.invisibleDurationMs, left);
      if (ms <= lease.expiresAt - now) {
        // Max extension reached: let it expire (the broker redelivers it); check again at expiry.
        next = Math.min(next, lease.expiresAt);
        continue;
      }
      due.push({ lease, ms });
    }
    for (let i = 0; i < due.length; i += this.#maxConcurrent) {
      if (this.#closed) return;
      const chunk = due.slice(i, i + this.#maxConcurrent);
      this.#renewals += chunk.length;
      await Promise.all(chunk.map(({ lease, ms }) => lease._renew(this.#host, ms)));
    }
    for (const lease of this.#leases) {
      next = Math.min(next, lease._renewing ? lease.expiresAt : lease.expiresAt - this.renewAheadMs);
    }
    if (Number.isFinite(next)) {
      // A failed renewal is retried no sooner than a fraction of the window later.
      this.#arm(Math.max(next, this.#host.clock.now() + Math.max(1, this.renewAheadMs * COALESCE_SHARE)));
    }
  }
}
