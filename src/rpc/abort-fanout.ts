/**
 * One `abort` listener per signal, fanned out to every call waiting on it.
 *
 * A client passes the same shutdown signal to all of its calls in flight. One listener per call would
 * make every add/remove walk the signal's listener list and, past 10 concurrent calls, print Node's
 * `MaxListenersExceededWarning` to the application's stderr. Here the signal carries a single listener
 * while at least one call waits on it; it is removed when the last one is done.
 *
 * @packageDocumentation
 */

interface Waiters {
  readonly calls: Set<() => void>;
  readonly listener: () => void;
}

const bySignal = new WeakMap<AbortSignal, Waiters>();

const noop = (): void => {};

/**
 * Runs `onAbort` once if `signal` aborts before the returned function is called. The returned function
 * unregisters it (idempotent). `signal` must not be aborted yet (callers check `signal.aborted` first).
 */
export function whenAborted(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return noop;
  let waiters = bySignal.get(signal);
  if (waiters === undefined) {
    const calls = new Set<() => void>();
    const listener = (): void => {
      bySignal.delete(signal);
      // Each call unregisters itself afterwards (its own `finish`).
      for (const call of [...calls]) call();
    };
    waiters = { calls, listener };
    bySignal.set(signal, waiters);
    signal.addEventListener('abort', listener, { once: true });
  }
  // A wrapper per registration, so the same function may be registered twice.
  const entry = (): void => onAbort();
  const own = waiters;
  own.calls.add(entry);
  return () => {
    if (!own.calls.delete(entry) || own.calls.size > 0) return;
    if (bySignal.get(signal) === own) bySignal.delete(signal);
    signal.removeEventListener('abort', own.listener);
  };
}
