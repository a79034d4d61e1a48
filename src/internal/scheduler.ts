/**
 * A per-client timer owner: code outside `src/internal` and `src/cli` starts timers through it, never
 * with `setTimeout`/`setInterval` directly.
 *
 * Every timer a client creates goes through one {@link Scheduler}: timers are tracked (so `close()` can
 * clear them and tests can assert `pending === 0`), `unref()`ed (a client never keeps the process alive on
 * its own), and errors thrown by tasks are reported to one hook instead of becoming unhandled rejections.
 *
 * Close semantics: after {@link Scheduler.close}, `after()`/`every()` are no-ops that return an inactive
 * handle (a task that tries to re-arm itself during shutdown is harmless), while `sleep()` rejects with a
 * {@link SchedulerClosedError}; sleeps pending at close time reject with the same error.
 *
 * @packageDocumentation
 */

import { abortReason } from './abort.js';
import type { ResourceCount } from './resource-count.js';
import { clampDelay, systemTimers, type TimerApi, type TimerHandle, unrefTimer } from './timers.js';

/** Thrown by {@link Scheduler.sleep} once the scheduler is closed. */
export class SchedulerClosedError extends Error {
  /** Stable machine-readable code; `RocketMQError.from` maps it to `CLOSED`. */
  readonly code = 'CLOSED';
  override name = 'SchedulerClosedError';

  constructor(message = 'Scheduler is closed') {
    super(message);
  }
}

/** Context given to the error hook. */
export interface TaskErrorContext {
  /** The task name given when scheduling (or `'anonymous'`). */
  readonly name: string;
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  /** Timer functions; defaults to the globals (resolved per call, so mock timers work). */
  timers?: TimerApi;
  /**
   * Receives every error thrown or rejected by a scheduled task. Errors thrown by the hook itself are
   * swallowed. Defaults to ignoring errors.
   */
  onError?: (err: unknown, context: TaskErrorContext) => void;
  /** Counts every armed timer (`timers`) while it is armed. */
  resources?: ResourceCount | undefined;
}

/** Options for {@link Scheduler.after}. */
export interface AfterOptions {
  /** Name used in error reports. */
  name?: string;
}

/** Options for {@link Scheduler.every}. */
export interface EveryOptions {
  /** Name used in error reports. */
  name?: string;
  /** Delay before the first run; defaults to the period. Use `0` to run on the next timer turn. */
  initialDelayMs?: number;
}

/** Handle of a scheduled task. */
export interface TaskHandle {
  /** The task name. */
  readonly name: string;
  /** False once the task was cancelled, has fired (one-shot), or the scheduler was closed. */
  readonly active: boolean;
  /** Cancels future runs. A run already in progress is not interrupted. Idempotent. */
  cancel(): void;
}

/** A task the scheduler calls; may return a promise, which it awaits for overlap protection. */
export type Task = () => unknown;

interface Entry {
  handle: TimerHandle | undefined;
}

const inertHandle = (name: string): TaskHandle => ({ name, active: false, cancel: () => {} });

/**
 * Owns all timers of one client. See the module documentation for close semantics.
 *
 * @example
 * ```ts
 * const scheduler = new Scheduler({ onError: (err, { name }) => logger.warn('task failed', { name, err }) });
 * scheduler.every(10_000, () => heartbeat(), { name: 'heartbeat', initialDelayMs: 1_000 });
 * await scheduler.sleep(backoffMs, signal);
 * scheduler.close();
 * ```
 */
export class Scheduler {
  readonly #timers: TimerApi;
  readonly #onError: (err: unknown, context: TaskErrorContext) => void;
  readonly #entries = new Set<Entry>();
  readonly #sleepers = new Set<(err: Error) => void>();
  readonly #running = new Set<Promise<void>>();
  readonly #resources: ResourceCount | undefined;
  #closed = false;

  constructor(options: SchedulerOptions = {}) {
    this.#timers = options.timers ?? systemTimers;
    this.#onError = options.onError ?? (() => {});
    this.#resources = options.resources;
  }

  /** Number of armed timers (one-shot, periodic and sleeps). Zero after `close()`. */
  get pending(): number {
    return this.#entries.size;
  }

  /** Number of task runs whose returned promise has not settled yet. */
  get running(): number {
    return this.#running.size;
  }

  /** True once {@link Scheduler.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `fn` once after `ms` milliseconds (clamped to Node's timer range).
   * After `close()` this is a no-op returning an inactive handle.
   */
  after(ms: number, fn: Task, options: AfterOptions = {}): TaskHandle {
    const name = options.name ?? 'anonymous';
    if (this.#closed) return inertHandle(name);
    const isClosed = (): boolean => this.#closed;
    let active = true;
    const entry = this.#arm(ms, () => {
      active = false;
      this.#run(fn, name);
    });
    return {
      name,
      get active() {
        return active && !isClosed();
      },
      cancel: () => {
        active = false;
        this.#disarm(entry);
      },
    };
  }

  /**
   * Runs `fn` every `ms` milliseconds at a fixed rate, never overlapping: when a tick fires while the
   * previous run's promise is still pending, that tick is skipped (the next one is still armed).
   * After `close()` this is a no-op returning an inactive handle.
   *
   * @throws RangeError when `ms` is not a positive finite number.
   */
  every(ms: number, fn: Task, options: EveryOptions = {}): TaskHandle {
    if (!Number.isFinite(ms) || ms <= 0) {
      throw new RangeError(`Scheduler.every expects a positive period, got ${ms}`);
    }
    const name = options.name ?? 'anonymous';
    if (this.#closed) return inertHandle(name);
    const isClosed = (): boolean => this.#closed;
    let active = true;
    let inFlight = false;
    let entry: Entry | undefined;
    const tick = (): void => {
      if (!active || this.#closed) return;
      entry = this.#arm(ms, tick);
      if (inFlight) return;
      const run = this.#run(fn, name);
      if (run !== undefined) {
        inFlight = true;
        run.finally(() => {
          inFlight = false;
        });
      }
    };
    entry = this.#arm(options.initialDelayMs ?? ms, tick);
    return {
      name,
      get active() {
        return active && !isClosed();
      },
      cancel: () => {
        active = false;
        if (entry !== undefined) this.#disarm(entry);
      },
    };
  }

  /**
   * Resolves after `ms` milliseconds. Rejects with the signal's reason when `signal` aborts (the timer is
   * cleared) and with {@link SchedulerClosedError} when the scheduler is or becomes closed.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.reject(new SchedulerClosedError());
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: unknown): void => {
        this.#sleepers.delete(onClose);
        signal?.removeEventListener('abort', onAbort);
        this.#disarm(entry);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onAbort = (): void => finish(abortReason(signal!));
      const onClose = (err: Error): void => finish(err);
      const entry = this.#arm(ms, () => finish());
      this.#sleepers.add(onClose);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resolves once no task run is in flight (runs started later are not awaited). */
  async whenIdle(): Promise<void> {
    while (this.#running.size > 0) {
      await Promise.allSettled([...this.#running]);
    }
  }

  /**
   * Clears every timer, rejects pending sleeps with {@link SchedulerClosedError}, and turns later
   * scheduling into no-ops. Runs already in progress continue; await {@link Scheduler.whenIdle} for them.
   * Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const entry of [...this.#entries]) this.#disarm(entry);
    const sleepers = [...this.#sleepers];
    this.#sleepers.clear();
    for (const wake of sleepers) wake(new SchedulerClosedError());
  }

  #arm(ms: number, fire: () => void): Entry {
    const entry: Entry = { handle: undefined };
    entry.handle = this.#timers.setTimeout(() => {
      if (this.#entries.delete(entry)) this.#resources?.remove('timers');
      entry.handle = undefined;
      fire();
    }, clampDelay(ms));
    unrefTimer(entry.handle);
    this.#entries.add(entry);
    this.#resources?.add('timers');
    return entry;
  }

  #disarm(entry: Entry): void {
    if (entry.handle !== undefined) {
      this.#timers.clearTimeout(entry.handle);
      entry.handle = undefined;
    }
    if (this.#entries.delete(entry)) this.#resources?.remove('timers');
  }

  /** Calls `fn`, routing sync throws and async rejections to the error hook. Returns the tracked run. */
  #run(fn: Task, name: string): Promise<void> | undefined {
    let result: unknown;
    try {
      result = fn();
    } catch (err) {
      this.#report(err, name);
      return undefined;
    }
    if (!isThenable(result)) return undefined;
    const run = Promise.resolve(result).then(
      () => {},
      (err: unknown) => this.#report(err, name),
    );
    this.#running.add(run);
    run.finally(() => this.#running.delete(run));
    return run;
  }

  #report(err: unknown, name: string): void {
    try {
      this.#onError(err, { name });
    } catch {
      // The hook must never break the scheduler.
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
