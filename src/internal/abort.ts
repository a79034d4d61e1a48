/**
 * AbortSignal and deadline helpers shared by every async API (style convention 2 and 11).
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
 * Uses `AbortSignal.any` (Node ≥ 20.3) and falls back to listener wiring on older runtimes.
 */
export function linkSignals(...signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return neverController.signal;
  if (present.length === 1) return present[0]!;
  const any = (AbortSignal as { any?: (s: AbortSignal[]) => AbortSignal }).any;
  if (typeof any === 'function') return any.call(AbortSignal, present);
  return linkByListeners(present);
}

function linkByListeners(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  const already = signals.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return controller.signal;
  }
  const onAbort = (event: Event): void => {
    for (const s of signals) s.removeEventListener('abort', onAbort);
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
  return controller.signal;
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
