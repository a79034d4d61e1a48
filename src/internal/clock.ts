/**
 * Time sources.
 *
 * Everything above `internal/` reads time through a {@link Clock} so that tests can drive it by hand.
 * This file and `timers.ts` are the only places allowed to read the system clock directly.
 *
 * @packageDocumentation
 */

/**
 * A source of wall-clock and monotonic time, both in milliseconds.
 */
export interface Clock {
  /** Wall-clock time as milliseconds since the Unix epoch (may jump when the system clock is set). */
  now(): number;
  /** Monotonic milliseconds from an arbitrary origin; never goes backwards. Use it for durations. */
  monotonic(): number;
}

/**
 * The process clock: `Date.now()` for wall-clock time and `performance.now()` for monotonic time.
 *
 * Both are looked up on every call, so `node:test` mock timers that replace `Date` are honoured.
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => Date.now(),
  monotonic: (): number => performance.now(),
});

/**
 * A clock that only moves when told to. Intended for tests.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(Date.UTC(2024, 0, 2, 3, 4, 5));
 * clock.advance(1500);
 * ```
 */
export class ManualClock implements Clock {
  #wall: number;
  #mono: number;

  /**
   * @param epochMs - initial wall-clock time (ms since the epoch).
   * @param monotonicMs - initial monotonic reading.
   */
  constructor(epochMs = 0, monotonicMs = 0) {
    this.#wall = epochMs;
    this.#mono = monotonicMs;
  }

  /** {@inheritDoc Clock.now} */
  now(): number {
    return this.#wall;
  }

  /** {@inheritDoc Clock.monotonic} */
  monotonic(): number {
    return this.#mono;
  }

  /**
   * Moves both readings forward.
   *
   * @throws RangeError when `ms` is negative or not finite (monotonic time never goes back).
   */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`ManualClock.advance expects a finite, non-negative number, got ${ms}`);
    }
    this.#wall += ms;
    this.#mono += ms;
  }

  /** Sets the wall-clock reading only (simulates a system clock change); monotonic time is untouched. */
  setWallClock(epochMs: number): void {
    this.#wall = epochMs;
  }
}
