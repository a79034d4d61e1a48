/**
 * Long polling: receive calls that found nothing park here until a message may have become receivable in
 * their topic (new message, delay due, commit, invisibility expiry, FIFO unblock) or their poll time ends.
 * Event driven: no polling loop; the only timer is each waiter's own timeout on the injected scheduler.
 *
 * @packageDocumentation
 */

import type { Scheduler } from '../internal/scheduler.js';

/** Why a wait ended. */
export type WaitOutcome = 'notified' | 'timeout' | 'aborted';

interface Waiter {
  readonly topic: string;
  finish(outcome: WaitOutcome): void;
}

/** Waiters keyed by topic. */
export class LongPollHub {
  readonly #scheduler: Scheduler;
  readonly #waiters = new Map<string, Set<Waiter>>();

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  /** Number of parked receive calls. */
  get waiting(): number {
    let n = 0;
    for (const set of this.#waiters.values()) n += set.size;
    return n;
  }

  /**
   * Waits until {@link LongPollHub.notify} for `topic`, the timeout, or the signal; whichever comes first.
   * Every path removes the waiter, its timer and its abort listener.
   */
  wait(topic: string, timeoutMs: number, signal: AbortSignal): Promise<WaitOutcome> {
    if (signal.aborted) return Promise.resolve('aborted');
    if (timeoutMs <= 0) return Promise.resolve('timeout');
    return new Promise<WaitOutcome>((resolve) => {
      let set = this.#waiters.get(topic);
      if (set === undefined) {
        set = new Set();
        this.#waiters.set(topic, set);
      }
      const waiters = set;
      const onAbort = (): void => waiter.finish('aborted');
      const timer = this.#scheduler.after(timeoutMs, () => waiter.finish('timeout'), { name: 'long-poll' });
      const waiter: Waiter = {
        topic,
        finish: (outcome) => {
          if (!waiters.delete(waiter)) return;
          if (waiters.size === 0 && this.#waiters.get(topic) === waiters) this.#waiters.delete(topic);
          timer.cancel();
          signal.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      waiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Wakes every waiter of `topic`. */
  notify(topic: string): void {
    const set = this.#waiters.get(topic);
    if (set === undefined) return;
    for (const w of [...set]) w.finish('notified');
  }

  /** Ends every wait with `aborted` (shutdown). */
  abortAll(): void {
    for (const set of [...this.#waiters.values()]) for (const w of [...set]) w.finish('aborted');
  }
}
