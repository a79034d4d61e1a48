/**
 * A small typed event emitter: `on()` returns an unsubscribe function and a
 * listener that throws never breaks the emitter or the client — the error goes to a hook.
 *
 * @packageDocumentation
 */

/** A listener of one event type. */
export type EventListener<T> = (event: T) => void;

/** Typed emitter over a map of event type → payload type. */
export class TypedEmitter<M extends object> {
  readonly #listeners = new Map<keyof M, Set<EventListener<never>>>();
  readonly #onListenerError: (err: unknown, type: keyof M) => void;

  /** @param onListenerError - receives errors thrown by listeners (errors of the hook are swallowed). */
  constructor(onListenerError: (err: unknown, type: keyof M) => void = () => {}) {
    this.#onListenerError = onListenerError;
  }

  /** Subscribes; returns a function that unsubscribes (idempotent). */
  on<K extends keyof M>(type: K, listener: EventListener<M[K]>): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const entry = listener as EventListener<never>;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Number of listeners of `type`. */
  listenerCount(type: keyof M): number {
    return this.#listeners.get(type)?.size ?? 0;
  }

  /** Calls every listener of `type` in subscription order; listener errors are reported, not thrown. */
  emit<K extends keyof M>(type: K, event: M[K]): void {
    const set = this.#listeners.get(type);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as EventListener<M[K]>)(event);
      } catch (err) {
        try {
          this.#onListenerError(err, type);
        } catch {
          // The hook must never break the emitter.
        }
      }
    }
  }

  /** Removes every listener (used when the owner is disposed). */
  clear(): void {
    this.#listeners.clear();
  }
}
