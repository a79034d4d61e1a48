/**
 * A counting semaphore: at most `permits` holders at once; waiters are served in arrival order.
 *
 * @packageDocumentation
 */

/** See the module documentation. */
export class Semaphore {
  readonly #permits: number;
  #held = 0;
  readonly #waiters: Array<() => void> = [];

  /** @throws RangeError when `permits` is not an integer ≥ 1. */
  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) {
      throw new RangeError(`permits must be an integer ≥ 1, got ${permits}`);
    }
    this.#permits = permits;
  }

  /** Permits held now. */
  get held(): number {
    return this.#held;
  }

  /** Callers waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Resolves once a permit is held; pair every call with one {@link Semaphore.release}. */
  acquire(): Promise<void> {
    if (this.#held < this.#permits) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Returns a permit (hands it to the next waiter, if any). */
  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#held = Math.max(0, this.#held - 1);
  }
}
