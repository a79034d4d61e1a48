/**
 * A hand-driven time source for the in-process broker: one object that is both the {@link Clock} and the
 * {@link TimerApi}, so that moving time forward also fires the timers that became due.
 *
 * @packageDocumentation
 */

import type { Clock } from '../internal/clock.js';
import type { TimerApi, TimerHandle } from '../internal/timers.js';

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * Fake time for component tests: `now()`/`monotonic()` only move when {@link ManualTime.advance} is called,
 * and timers created through {@link ManualTime.setTimeout} fire during `advance`, in due-time order (ties in
 * creation order), with the clock set to each timer's due time while it runs. Timers created while advancing
 * fire in the same call when they fall inside the advanced window.
 *
 * @example
 * ```ts
 * const time = new ManualTime();
 * const broker = await InProcessBroker.start({ clock: time });
 * // … receive a message with a 30 s invisible duration, do not ack it …
 * time.advance(30_000); // the message becomes visible again
 * ```
 */
export class ManualTime implements Clock, TimerApi {
  #wall: number;
  #mono: number;
  #seq = 0;
  readonly #timers = new Map<number, ManualTimer>();

  /**
   * @param epochMs - initial wall-clock reading (ms since the epoch).
   * @defaultValue `Date.UTC(2024, 0, 1)`
   */
  constructor(epochMs = Date.UTC(2024, 0, 1)) {
    this.#wall = epochMs;
    this.#mono = 0;
  }

  /** Wall-clock milliseconds since the epoch. */
  now(): number {
    return this.#wall;
  }

  /** Monotonic milliseconds (starts at 0). */
  monotonic(): number {
    return this.#mono;
  }

  /** Number of armed timers. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Due time (wall clock) of the earliest armed timer, or `undefined`. */
  get nextDueAt(): number | undefined {
    let min: number | undefined;
    for (const t of this.#timers.values()) if (min === undefined || t.at < min) min = t.at;
    return min;
  }

  /** Schedules `fn` to run when the time is advanced by at least `ms`; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.set(id, { id, at: this.#wall + delay, fn });
    return { id };
  }

  /** Cancels a timeout scheduled by `setTimeout` (unknown handles are ignored). */
  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id?: unknown } | null | undefined)?.id;
    if (typeof id === 'number') this.#timers.delete(id);
  }

  /**
   * Moves time forward by `ms`, firing every timer that becomes due (including timers armed by the
   * timers that fire). Errors thrown by a timer callback propagate after the clock reached the timer's time.
   *
   * @throws RangeError when `ms` is negative or not finite.
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`ManualTime.advance expects a finite, non-negative number, got ${ms}`);
    }
    const target = this.#wall + ms;
    for (;;) {
      const next = this.#earliestDue(target);
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#moveTo(next.at);
      next.fn();
    }
    this.#moveTo(target);
  }

  /**
   * Like {@link ManualTime.advance}, then lets pending I/O callbacks and promise continuations run
   * (one `setImmediate` turn), so that effects of the fired timers (stream writes, woken waiters) happen.
   */
  async advanceAndSettle(ms: number): Promise<void> {
    this.advance(ms);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  #earliestDue(limit: number): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.#timers.values()) {
      if (t.at > limit) continue;
      if (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)) best = t;
    }
    return best;
  }

  #moveTo(at: number): void {
    if (at <= this.#wall) return;
    this.#mono += at - this.#wall;
    this.#wall = at;
  }
}
