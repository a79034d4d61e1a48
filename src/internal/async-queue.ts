/**
 * An unbounded push/pull queue exposed as an async iterable; the bridge between callback-style streams
 * (grpc-js) and `for await` consumers.
 *
 * @packageDocumentation
 */

type Waiter<T> = {
  resolve: (result: IteratorResult<T, undefined>) => void;
  reject: (err: unknown) => void;
};

/** Options of {@link AsyncQueue}. */
export interface AsyncQueueOptions {
  /**
   * Called once when the consumer stops early (`break` in `for await`, or `return()`), so the producer
   * can cancel its source. Not called on `close()`/`fail()`. Errors it throws are ignored.
   */
  onReturn?: () => void;
}

/**
 * Unbounded FIFO queue.
 *
 * - `push()` delivers to a waiting consumer or buffers.
 * - `close()` ends the queue: buffered items are still delivered, then iteration finishes.
 * - `fail(err)` is like `close()` but iteration then throws `err` (buffered items come first). The error is
 *   delivered once, to the first consumer that reaches it; later `next()` calls report `done`.
 * - A consumer stopping early (`return()`) drops the buffer and ends the queue for every consumer.
 *
 * Several consumers may call `next()` concurrently; items go to them in call order.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T, undefined> {
  readonly #buffer: T[] = [];
  readonly #waiters: Waiter<T>[] = [];
  readonly #onReturn: (() => void) | undefined;
  #ended = false;
  #failure: { err: unknown } | undefined;

  constructor(options: AsyncQueueOptions = {}) {
    this.#onReturn = options.onReturn;
  }

  /** Number of buffered items. */
  get size(): number {
    return this.#buffer.length;
  }

  /** True once `close()`, `fail()` or `return()` was called. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds an item. Returns false (and drops the item) when the queue has ended. */
  push(item: T): boolean {
    if (this.#ended) return false;
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve({ value: item, done: false });
    else this.#buffer.push(item);
    return true;
  }

  /** Ends the queue after the buffered items. Idempotent; ignored after `fail()`. */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#flushWaiters();
  }

  /** Ends the queue with an error thrown after the buffered items. Ignored once the queue has ended. */
  fail(err: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = { err };
    this.#flushWaiters();
  }

  /** Next item, or `done` once ended and drained; rejects with the `fail()` error after draining. */
  next(): Promise<IteratorResult<T, undefined>> {
    if (this.#buffer.length > 0) {
      return Promise.resolve({ value: this.#buffer.shift()!, done: false });
    }
    if (this.#ended) return this.#terminal();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Stops consumption: drops buffered items, ends the queue and calls `onReturn` once. */
  return(): Promise<IteratorResult<T, undefined>> {
    const wasEnded = this.#ended;
    this.#buffer.length = 0;
    this.#ended = true;
    this.#failure = undefined;
    this.#flushWaiters();
    if (!wasEnded && this.#onReturn !== undefined) {
      try {
        this.#onReturn();
      } catch {
        // The producer's cleanup must not break the consumer's exit.
      }
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The queue is its own iterator (single-pass). */
  [Symbol.asyncIterator](): this {
    return this;
  }

  #terminal(): Promise<IteratorResult<T, undefined>> {
    if (this.#failure !== undefined) {
      const { err } = this.#failure;
      this.#failure = undefined;
      return Promise.reject(err);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  #flushWaiters(): void {
    // Waiters exist only while the buffer is empty, so they all see the terminal state.
    const waiters = this.#waiters.splice(0);
    for (const [i, w] of waiters.entries()) {
      if (i === 0 && this.#failure !== undefined) {
        const { err } = this.#failure;
        this.#failure = undefined;
        w.reject(err);
      } else {
        w.resolve({ value: undefined, done: true });
      }
    }
  }
}
