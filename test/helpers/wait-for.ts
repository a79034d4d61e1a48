/**
 * Event-driven waits for integration tests: a condition checked whenever the test reports progress
 * (`poke()`), with a bound that only turns a hang into a clear failure.
 */

/** A pending wait for `cond()`. */
export interface Waiter {
  /** Resolves once `cond()` held at a `poke()`; rejects after the bound. */
  readonly done: Promise<void>;
  /** Re-checks the condition (call it from the event that may have made it true). */
  poke(): void;
}

/** Waits for `cond()`, checked at every `poke()` (and once right away). */
export function waitFor(cond: () => boolean, boundMs: number, what: string): Waiter {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(
    () => reject(new Error(`timed out after ${boundMs} ms waiting for ${what}`)),
    boundMs,
  );
  timer.unref();
  const poke = (): void => {
    if (cond()) {
      clearTimeout(timer);
      resolve();
    }
  };
  queueMicrotask(poke);
  return { done, poke };
}

/** Waits for a condition on state that changes without an event the test sees (checked every 20 ms). */
export async function waitUntil(cond: () => boolean, boundMs: number, what: string): Promise<void> {
  const w = waitFor(cond, boundMs, what);
  const tick = setInterval(w.poke, 20);
  try {
    await w.done;
  } finally {
    clearInterval(tick);
  }
}
