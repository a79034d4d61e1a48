/**
 * The shutdown half of a client's lifecycle, written once for every client (Producer, SimpleConsumer,
 * PushConsumer, the managed Registry).
 *
 * ```
 * open ──shutdown(timeoutMs)──► draining ──bound reached / destroy()──► forcing ──► closed
 *   │                              └────────────── steps done ─────────────────────►  ▲
 *   └──destroy()──► forcing (the bound is 0) ─────────────────────────────────────────┘
 * ```
 *
 * - {@link Lifecycle.track} runs a call of the client (a send, an ack, …) while it is open. The call gets
 *   the lifecycle's {@link Lifecycle.signal}, which aborts when the shutdown is forced; its promise then
 *   rejects at once with the client's `closedError()`, even when the work underneath does not honour the
 *   signal. Calls made once the shutdown began reject with the same error.
 * - {@link Lifecycle.shutdown} runs the client's shutdown steps once (every later call gets the same
 *   promise, which never rejects). The steps wait through {@link Closing.within}, so that every wait ends
 *   when the bound is reached; the bound is one timer of the client's scheduler.
 * - {@link Lifecycle.destroy} forces: before a shutdown it is a shutdown with a bound of 0; during a
 *   graceful one it ends the bound now (the same promise then resolves as soon as the steps see it).
 *   Forcing aborts {@link Lifecycle.signal}: tracked calls reject, steps waiting in `within` go on.
 * - While the shutdown runs, one ref'd handle keeps the process alive (see `keep-alive.ts`).
 *
 * @packageDocumentation
 */

import type { Clock } from './clock.js';
import { createDeferred } from './deferred.js';
import { keepAliveUntilSettled } from './keep-alive.js';
import type { ResourceCount } from './resource-count.js';
import type { Scheduler, TaskHandle } from './scheduler.js';

/** Public names of the lifecycle states. */
export type LifecycleStateName = 'open' | 'draining' | 'forcing' | 'closed';

/** Why a shutdown was forced. */
export type ForceReason = 'destroy' | 'bound';

type State =
  | { readonly t: 'open' }
  | { readonly t: 'draining'; readonly done: Promise<void>; readonly bound: TaskHandle | undefined }
  | { readonly t: 'forcing'; readonly done: Promise<void>; readonly reason: ForceReason }
  | { readonly t: 'closed'; readonly done: Promise<void> };

/** What a client's shutdown steps get. */
export interface Closing {
  /** Aborted when the shutdown is forced (`destroy()`, or the bound reached); pass it to every call. */
  readonly signal: AbortSignal;
  /** True once forced. */
  readonly forced: boolean;
  /** Milliseconds left of the bound (0 once forced). */
  remaining(): number;
  /** Waits for `work` at most until the shutdown is forced: true when it settled first. */
  within(work: Promise<unknown>): Promise<boolean>;
  /** Waits (as {@link Closing.within}) for the tracked calls in flight: true when they all settled. */
  drainCalls(): Promise<boolean>;
}

/** Options of {@link Lifecycle}. */
export interface LifecycleOptions {
  /** Arms the bound's timer. */
  readonly scheduler: Scheduler;
  /** Reads the time left of the bound. */
  readonly clock: Clock;
  /** The error of calls cut off or refused by the shutdown (a `CLOSED` RocketMQError in every client). */
  readonly closedError: (message: string) => Error;
  /** Counts the keep-alive handle of a running shutdown. */
  readonly resources?: ResourceCount | undefined;
  /** Told about a shutdown step that threw (the shutdown still completes). */
  readonly onStepError?: ((err: unknown) => void) | undefined;
}

interface TrackedCall {
  /** Rejects the caller's promise (the work underneath may still run until it sees the signal). */
  readonly cut: (err: Error) => void;
  /** Settles when the work underneath settles. */
  readonly settled: Promise<unknown>;
}

/** See the module documentation. */
export class Lifecycle {
  readonly #options: LifecycleOptions;
  readonly #force = new AbortController();
  readonly #forced = createDeferred<false>();
  readonly #calls = new Set<TrackedCall>();
  #state: State = { t: 'open' };
  #endsAt = Number.POSITIVE_INFINITY;

  constructor(options: LifecycleOptions) {
    this.#options = options;
  }

  /** The current state's name. */
  get state(): LifecycleStateName {
    return this.#state.t;
  }

  /** True until a shutdown (or destroy) began. */
  get open(): boolean {
    return this.#state.t === 'open';
  }

  /** Tracked calls whose work has not settled yet. */
  get inFlight(): number {
    return this.#calls.size;
  }

  /** Aborted when the shutdown is forced; every call of the client should honour it. */
  get signal(): AbortSignal {
    return this.#force.signal;
  }

  /** Throws the client's `closedError()` unless open. */
  assertOpen(message = 'The client is shut down'): void {
    if (this.#state.t !== 'open') throw this.#options.closedError(message);
  }

  /**
   * Runs `work` as a call of the client (see the module documentation). `work` gets {@link
   * Lifecycle.signal}; its promise is returned, except that a forced shutdown rejects it at once.
   */
  track<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#state.t !== 'open') return Promise.reject(this.#options.closedError('The client is shut down'));
    let running: Promise<T>;
    try {
      running = work(this.#force.signal);
    } catch (err) {
      return Promise.reject(err);
    }
    const outcome = createDeferred<T>();
    const call: TrackedCall = { cut: (err) => outcome.reject(err), settled: running };
    this.#calls.add(call);
    running.then(outcome.resolve, outcome.reject).finally(() => this.#calls.delete(call));
    // As the work's own promise would be: a rejection seen while the caller awaits something else (its
    // shutdown) is not reported as unhandled; the caller still gets it when it awaits this promise.
    outcome.promise.catch(() => {});
    return outcome.promise;
  }

  /**
   * Shuts down once: runs `steps` with at most `timeoutMs` of graceful waiting (see the module
   * documentation). Later calls return the first call's promise, which never rejects.
   */
  shutdown(timeoutMs: number, steps: (closing: Closing) => Promise<void>): Promise<void> {
    const s = this.#state;
    if (s.t !== 'open') return s.done;
    // Infinity waits as long as it takes; NaN, 0 and negative values force at once.
    const ms = typeof timeoutMs === 'number' && timeoutMs > 0 ? timeoutMs : 0;
    const finished = createDeferred<void>();
    const done = keepAliveUntilSettled(finished.promise, this.#options.resources);
    if (ms === 0) {
      this.#state = { t: 'draining', done, bound: undefined };
      this.#forceNow('destroy');
    } else if (!Number.isFinite(ms)) {
      this.#state = { t: 'draining', done, bound: undefined };
    } else {
      this.#endsAt = this.#options.clock.monotonic() + ms;
      const bound = this.#options.scheduler.after(ms, () => this.#forceNow('bound'), {
        name: 'shutdown-bound',
      });
      this.#state = { t: 'draining', done, bound };
    }
    void this.#run(steps).then(() => {
      const current = this.#state;
      if (current.t === 'draining') current.bound?.cancel();
      this.#state = { t: 'closed', done };
      finished.resolve();
    });
    return done;
  }

  /**
   * Forces the shutdown: before one began, a shutdown with a bound of 0; during a graceful one, the bound
   * ends now and the running shutdown's promise is returned. Never rejects.
   */
  destroy(steps: (closing: Closing) => Promise<void>): Promise<void> {
    const s = this.#state;
    if (s.t === 'open') return this.shutdown(0, steps);
    if (s.t === 'draining') this.#forceNow('destroy');
    return s.done;
  }

  #forceNow(reason: ForceReason): void {
    const s = this.#state;
    if (s.t !== 'draining') return;
    s.bound?.cancel();
    this.#state = { t: 'forcing', done: s.done, reason };
    const message =
      reason === 'destroy'
        ? 'The client was destroyed before the call finished'
        : 'The shutdown bound was reached before the call finished';
    this.#force.abort(this.#options.closedError(message));
    this.#forced.resolve(false);
    for (const call of this.#calls) call.cut(this.#options.closedError(message));
  }

  async #run(steps: (closing: Closing) => Promise<void>): Promise<void> {
    // The steps start on the next microtask, once the state says draining (or forcing).
    await Promise.resolve();
    try {
      await steps(this.#closing());
    } catch (err) {
      this.#options.onStepError?.(err);
    }
  }

  #closing(): Closing {
    const within = (work: Promise<unknown>): Promise<boolean> => {
      const settled = work.then(
        () => true,
        () => true,
      );
      if (this.#force.signal.aborted) return Promise.resolve(false);
      return Promise.race([settled, this.#forced.promise]);
    };
    const self = this;
    return {
      signal: this.#force.signal,
      get forced() {
        return self.#force.signal.aborted;
      },
      remaining: () =>
        this.#force.signal.aborted ? 0 : Math.max(0, this.#endsAt - this.#options.clock.monotonic()),
      within,
      drainCalls: () => within(Promise.allSettled([...this.#calls].map((c) => c.settled))),
    };
  }
}
