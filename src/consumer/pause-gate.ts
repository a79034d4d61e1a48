/**
 * Pause and resume of a push consumer, per topic.
 *
 * While a topic is paused its process queues issue no receive and no message of it starts a listener
 * call; what is already cached stays cached (its leases keep being renewed, up to the consumer's lease
 * bound) and listener calls already running finish and settle as usual. Resuming wakes the waiting
 * receive loops and consume services at once. A FIFO queue waits in front of its next message, so the
 * order within a message group holds across a pause.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { describeType, quote } from '../model/text.js';

/** Tracks paused topics and wakes who waits on them. See the module documentation. */
export class PauseGate {
  readonly #paused = new Set<string>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #onResume = new Set<(topics: readonly string[]) => void>();

  /** Whether `topic` is paused. */
  isPaused(topic: string): boolean {
    return this.#paused.has(topic);
  }

  /** The paused topics, in the order they were paused. */
  paused(): string[] {
    return [...this.#paused];
  }

  /** Pauses `topics` (already paused ones stay paused). */
  pause(topics: readonly string[]): void {
    for (const t of topics) this.#paused.add(t);
  }

  /** Resumes `topics` and wakes everything waiting on them. */
  resume(topics: readonly string[]): void {
    const resumed = topics.filter((t) => this.#paused.delete(t));
    if (resumed.length === 0) return;
    for (const t of resumed) {
      const waiters = this.#waiters.get(t);
      this.#waiters.delete(t);
      for (const w of waiters ?? []) w();
    }
    for (const f of this.#onResume) f(resumed);
  }

  /**
   * Resolves once `topic` is not paused, or when `signal` aborts (never rejects: callers check the
   * signal themselves).
   */
  wait(topic: string, signal?: AbortSignal): Promise<void> {
    if (!this.#paused.has(topic) || signal?.aborted === true) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.#waiters.get(topic);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(topic, set);
      }
      const waiters = set;
      const done = (): void => {
        waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Calls `f` with the topics each {@link PauseGate.resume} resumed. Returns the unsubscribe. */
  onResume(f: (topics: readonly string[]) => void): () => void {
    this.#onResume.add(f);
    return () => this.#onResume.delete(f);
  }
}

/**
 * The topics of a `pause(topics?)` / `resume(topics?)` call: every subscribed topic when omitted,
 * else the given ones, each of which must be subscribed.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when `topics` is not an array of strings or is empty, and
 * also `INVALID_ARGUMENT` for a topic the consumer is not subscribed to.
 */
export function pauseTopics(
  topics: unknown,
  subscribed: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  what: 'pause' | 'resume',
): string[] {
  if (topics === undefined) return [...subscribed.keys()];
  if (!Array.isArray(topics)) {
    throw new RocketMQError(
      `${what}(topics) takes an array of topic names, got ${describeType(topics)}`,
      'INVALID_ARGUMENT',
    );
  }
  if (topics.length === 0) {
    throw new RocketMQError(`${what}(topics) needs at least one topic (omit it for all)`, 'INVALID_ARGUMENT');
  }
  for (const t of topics) {
    if (typeof t !== 'string') {
      throw new RocketMQError(
        `${what}(topics): a topic must be a string, got ${describeType(t)}`,
        'INVALID_ARGUMENT',
      );
    }
    if (!subscribed.has(t)) {
      throw new RocketMQError(
        `${what}(topics): the consumer is not subscribed to ${quote(t)}`,
        'INVALID_ARGUMENT',
      );
    }
  }
  return [...new Set(topics as string[])];
}
