/**
 * AbortSignal and deadline helpers shared by every async API (each takes `{ signal, timeoutMs }`, and
 * retries share one deadline).
 *
 * @packageDocumentation
 */

import type { Clock } from './clock.js';
import { clampDelay, systemTimers, type TimerApi, unrefTimer } from './timers.js';

/** Creates the error used when an operation is aborted without a more specific reason. */
export function createAbortError(message = 'The operation was aborted'): DOMException {
  return new DOMException(message, 'AbortError');
}

/** Creates the error used when a deadline passes (same shape as `AbortSignal.timeout()` uses). */
export function createTimeoutError(message = 'The operation timed out'): DOMException {
  return new DOMException(message, 'TimeoutError');
}

/** True for errors named `AbortError` (DOMException or any error following the convention). */
export function isAbortError(err: unknown): boolean {
  return errorName(err) === 'AbortError';
}

/** True for errors named `TimeoutError`. */
export function isTimeoutError(err: unknown): boolean {
  return errorName(err) === 'TimeoutError';
}

function errorName(err: unknown): string | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * The reason a signal was aborted, or a fresh `AbortError` when the reason is missing.
 * Only meaningful once `signal.aborted` is true.
 */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? createAbortError();
}

/** Throws the signal's abort reason when it has been aborted; does nothing for `undefined`. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

const neverController = new AbortController();

/**
 * Combines signals: the result aborts as soon as any input aborts, with that input's reason.
 *
 * `undefined` entries are ignored. With no signals the result never aborts; with one it is returned as is.
 *
 * Not `AbortSignal.any`: on Node 20 every combined signal stays referenced (a `WeakRef` in the inputs'
 * dependant lists) until an input aborts, so combining with a long-lived signal — a client's shutdown
 * signal, once per call — grows the heap by ~60 bytes per call for the life of the client. Here each
 * input gets ONE abort listener for all of its dependants, which it holds weakly; a dependant that is
 * garbage-collected is removed from the lists by a `FinalizationRegistry`.
 */
export function linkSignals(...signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return neverController.signal;
  if (present.length === 1) return present[0]!;
  const already = present.find((s) => s.aborted);
  if (already !== undefined) return AbortSignal.abort(already.reason);
  const controller = new AbortController();
  // The combined signal keeps its controller alive; nothing else holds the controller strongly.
  keepAlive.set(controller.signal, controller);
  const ref = new WeakRef(controller);
  for (const source of present) dependantsOf(source).add(ref);
  forgetWhenCollected.register(controller, { sources: present.map((s) => new WeakRef(s)), ref });
  return controller.signal;
}

const keepAlive = new WeakMap<AbortSignal, AbortController>();
const dependants = new WeakMap<AbortSignal, Set<WeakRef<AbortController>>>();
const forgetWhenCollected = new FinalizationRegistry<{
  readonly sources: ReadonlyArray<WeakRef<AbortSignal>>;
  readonly ref: WeakRef<AbortController>;
}>(({ sources, ref }) => {
  for (const s of sources) {
    const source = s.deref();
    if (source !== undefined) dependants.get(source)?.delete(ref);
  }
});

/** The dependants of `source`, with the one listener that aborts them all. */
function dependantsOf(source: AbortSignal): Set<WeakRef<AbortController>> {
  let set = dependants.get(source);
  if (set === undefined) {
    const created = new Set<WeakRef<AbortController>>();
    set = created;
    dependants.set(source, created);
    source.addEventListener(
      'abort',
      () => {
        const refs = [...created];
        created.clear();
        for (const r of refs) r.deref()?.abort(source.reason);
      },
      { once: true },
    );
  }
  return set;
}

/** Number of live signals combined with `source` and not collected yet (diagnostics and tests). */
export function dependantCount(source: AbortSignal): number {
  return dependants.get(source)?.size ?? 0;
}

/** A signal that aborts after a delay, plus the means to release its timer early. */
export interface DeadlineSignal {
  /** Aborts with a `TimeoutError` once the delay passes. */
  readonly signal: AbortSignal;
  /** Stops the timer; call it in `finally` once the guarded work is over. Idempotent. */
  clear(): void;
}

/**
 * A signal that aborts with a `TimeoutError` after `timeoutMs`. Unlike `AbortSignal.timeout`, the timer can
 * be cleared (no leaked handles) and goes through the injectable timer API (fake timers work).
 * The timer is `unref()`ed.
 *
 * @param timeoutMs - delay before aborting; `Infinity` means never.
 */
export function deadlineSignal(timeoutMs: number, timers: TimerApi = systemTimers): DeadlineSignal {
  const controller = new AbortController();
  if (timeoutMs === Number.POSITIVE_INFINITY) {
    return { signal: controller.signal, clear: () => {} };
  }
  let handle: unknown = timers.setTimeout(() => {
    handle = undefined;
    controller.abort(createTimeoutError(`Deadline of ${timeoutMs} ms exceeded`));
  }, clampDelay(timeoutMs));
  unrefTimer(handle);
  return {
    signal: controller.signal,
    clear: () => {
      if (handle !== undefined) {
        timers.clearTimeout(handle);
        handle = undefined;
      }
    },
  };
}

/**
 * Settles like `promise`, but rejects with the signal's reason as soon as `signal` aborts.
 * The abort listener is always removed afterwards. The underlying work is not cancelled by this helper.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.catch(() => {});
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * A time budget shared by several attempts (for example all retries of one send).
 */
export interface Deadline {
  /** Milliseconds left, never negative; `Infinity` for an unbounded deadline. */
  remaining(): number;
  /** True once no time is left. */
  expired(): boolean;
}

/**
 * Starts a deadline of `timeoutMs` measured on the clock's monotonic time.
 * `Infinity` (or `undefined`) yields a deadline that never expires.
 */
export function createDeadline(clock: Clock, timeoutMs: number | undefined): Deadline {
  if (timeoutMs === undefined || timeoutMs === Number.POSITIVE_INFINITY) return unboundedDeadline;
  const end = clock.monotonic() + Math.max(0, timeoutMs);
  const remaining = (): number => Math.max(0, end - clock.monotonic());
  return { remaining, expired: () => remaining() <= 0 };
}

/** A deadline that never expires. */
export const unboundedDeadline: Deadline = Object.freeze({
  remaining: () => Number.POSITIVE_INFINITY,
  expired: () => false,
});

/**
 * The timeout one attempt may use: the smaller of its own limit and what is left of the shared budget.
 */
export function attemptTimeout(perAttemptMs: number, deadline: Deadline): number {
  return Math.min(perAttemptMs, deadline.remaining());
}

/**
 * Resolves once `work` settles (either way) or `signal` aborts, whichever comes first; never rejects.
 * Its abort listener is removed as soon as it resolves.
 */
export function untilSettledOrAborted(work: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    work.then(done, done);
  });
}
