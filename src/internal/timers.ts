/**
 * The seam between this library and the host's timer functions.
 *
 * Only this module touches the global `setTimeout`/`clearTimeout`. It looks them up at call time, so
 * `node:test` mock timers installed after import are still used.
 *
 * @packageDocumentation
 */

/** Opaque handle returned by {@link TimerApi.setTimeout}. */
export type TimerHandle = unknown;

/** The minimal timer API the scheduler and deadline helpers need. */
export interface TimerApi {
  /** Runs `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer created by {@link TimerApi.setTimeout}; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * Largest delay Node accepts; longer delays are silently turned into 1 ms by Node, so we clamp instead.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Timers backed by the global functions, resolved on every call. */
export const systemTimers: TimerApi = Object.freeze({
  setTimeout: (fn: () => void, ms: number): TimerHandle => setTimeout(fn, ms),
  clearTimeout: (handle: TimerHandle): void => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
});

/** Clamps a requested delay into the range Node timers honour (`0 … MAX_TIMER_DELAY_MS`); NaN becomes 0. */
export function clampDelay(ms: number): number {
  if (Number.isNaN(ms) || ms <= 0) return 0;
  return Math.min(ms, MAX_TIMER_DELAY_MS);
}

/** Calls `unref()` on a timer handle when it has one, so library timers never keep the process alive. */
export function unrefTimer(handle: TimerHandle): void {
  const candidate = handle as { unref?: unknown } | null | undefined;
  if (candidate !== null && typeof candidate === 'object' && typeof candidate.unref === 'function') {
    (candidate as { unref(): void }).unref();
  }
}
