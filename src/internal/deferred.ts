/**
 * A promise together with its resolve/reject functions (like `Promise.withResolvers`, which Node 20 lacks).
 *
 * @packageDocumentation
 */

/** A promise that is settled from the outside. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  /** Fulfils the promise; ignored once settled. */
  resolve(value: T | PromiseLike<T>): void;
  /** Rejects the promise; ignored once settled. */
  reject(reason: unknown): void;
  /** True once `resolve` or `reject` has been called. */
  readonly settled: boolean;
}

/**
 * Creates a {@link Deferred}.
 *
 * A rejected deferred whose promise nobody awaits is an unhandled rejection, as with any promise; callers
 * that may reject before anyone listens should attach a handler.
 */
export function createDeferred<T>(): Deferred<T> {
  let settled = false;
  let resolveFn!: (value: T | PromiseLike<T>) => void;
  let rejectFn!: (reason: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    resolveFn = resolve;
    rejectFn = reject;
  });
  return {
    promise,
    get settled() {
      return settled;
    },
    resolve: (value) => {
      if (settled) return;
      settled = true;
      resolveFn(value);
    },
    reject: (reason) => {
      if (settled) return;
      settled = true;
      rejectFn(reason);
    },
  };
}
