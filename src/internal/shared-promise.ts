/**
 * Coalescing of concurrent calls onto one in-flight promise (`start()`/`shutdown()`
 * called twice share one promise; the route cache shares one in-flight query per topic).
 *
 * @packageDocumentation
 */

/**
 * Wraps `fn` so that calls made while a previous call is still pending get that same promise.
 * Once it settles (either way) the next call starts a new run. Arguments of coalesced calls are ignored.
 *
 * @example
 * ```ts
 * const start = sharedPromise(() => this.#doStart());
 * await Promise.all([start(), start()]); // #doStart ran once
 * ```
 */
export function sharedPromise<T>(fn: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    if (inFlight !== undefined) return inFlight;
    const current = invoke(fn);
    inFlight = current;
    const clear = (): void => {
      if (inFlight === current) inFlight = undefined;
    };
    current.then(clear, clear);
    return current;
  };
}

/** A keyed variant of {@link sharedPromise}. */
export interface KeyedSharedPromise<K, T> {
  /** Returns the in-flight promise for `key`, or starts one. */
  (key: K): Promise<T>;
  /** Number of keys with a call in flight. */
  readonly size: number;
}

/**
 * Like {@link sharedPromise}, with one in-flight promise per key (compared with `Map` semantics).
 */
export function keyedSharedPromise<K, T>(fn: (key: K) => Promise<T>): KeyedSharedPromise<K, T> {
  const inFlight = new Map<K, Promise<T>>();
  const call = (key: K): Promise<T> => {
    const existing = inFlight.get(key);
    if (existing !== undefined) return existing;
    const current = invoke(() => fn(key));
    inFlight.set(key, current);
    const clear = (): void => {
      if (inFlight.get(key) === current) inFlight.delete(key);
    };
    current.then(clear, clear);
    return current;
  };
  Object.defineProperty(call, 'size', { get: () => inFlight.size });
  return call as KeyedSharedPromise<K, T>;
}

/** Calls `fn`, turning a synchronous throw into a rejected promise. */
function invoke<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
