/**
 * Retry delay policies: jittered exponential backoff and a fixed list of delays
 * (the server's "customized" backoff). The delay functions are pure; {@link createBackoff} wraps a
 * policy into a small stateful iterator for retry loops.
 *
 * @packageDocumentation
 */

/** Parameters of an exponential backoff. */
export interface ExponentialBackoffPolicy {
  /** Discriminant. */
  readonly kind: 'exponential';
  /** Base delay of the first retry, in ms (≥ 0). */
  readonly initialMs: number;
  /** Upper bound of any delay, in ms (≥ initialMs). */
  readonly maxMs: number;
  /** Growth factor per attempt (≥ 1). */
  readonly multiplier: number;
  /**
   * Relative jitter in `[0, 1]`: the delay is drawn uniformly from `base × (1 ± jitter)`, then capped
   * at `maxMs`. `0` disables jitter.
   */
  readonly jitter: number;
}

/** A list of delays: retry `n` waits `delaysMs[n - 1]`; past the end the last delay repeats. */
export interface CustomizedBackoffPolicy {
  /** Discriminant. */
  readonly kind: 'customized';
  /** At least one non-negative delay, in ms. */
  readonly delaysMs: readonly number[];
}

/** Either backoff policy. */
export type BackoffPolicy = ExponentialBackoffPolicy | CustomizedBackoffPolicy;

/** A source of uniform random numbers in `[0, 1)`. */
export type RandomSource = () => number;

/**
 * Validates and builds an exponential policy.
 *
 * @throws RangeError for negative/non-finite delays, `maxMs < initialMs`, `multiplier < 1`, or jitter
 * outside `[0, 1]`.
 */
export function exponentialBackoff(
  options: Omit<ExponentialBackoffPolicy, 'kind'>,
): ExponentialBackoffPolicy {
  const { initialMs, maxMs, multiplier, jitter } = options;
  if (!isNonNegative(initialMs))
    throw new RangeError(`initialMs must be a non-negative number, got ${initialMs}`);
  if (!isNonNegative(maxMs) || maxMs < initialMs) {
    throw new RangeError(`maxMs must be a number ≥ initialMs (${initialMs}), got ${maxMs}`);
  }
  if (!Number.isFinite(multiplier) || multiplier < 1) {
    throw new RangeError(`multiplier must be a finite number ≥ 1, got ${multiplier}`);
  }
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError(`jitter must be within [0, 1], got ${jitter}`);
  return Object.freeze({ kind: 'exponential', initialMs, maxMs, multiplier, jitter });
}

/**
 * Validates and builds a list-based policy.
 *
 * @throws RangeError when the list is empty or holds a negative or non-finite delay.
 */
export function customizedBackoff(delaysMs: readonly number[]): CustomizedBackoffPolicy {
  if (delaysMs.length === 0) throw new RangeError('customized backoff needs at least one delay');
  for (const d of delaysMs) {
    if (!isNonNegative(d)) throw new RangeError(`customized backoff delays must be non-negative, got ${d}`);
  }
  return Object.freeze({ kind: 'customized', delaysMs: Object.freeze([...delaysMs]) });
}

/**
 * The delay before retry number `attempt` (1-based: `1` is the wait after the first failure).
 * Pure apart from the injected random source.
 *
 * @throws RangeError when `attempt` is not an integer ≥ 1.
 */
export function backoffDelay(
  policy: BackoffPolicy,
  attempt: number,
  random: RandomSource = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  }
  if (policy.kind === 'customized') {
    const list = policy.delaysMs;
    return list[Math.min(attempt, list.length) - 1]!;
  }
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** (attempt - 1));
  if (policy.jitter === 0) return base;
  const factor = 1 + policy.jitter * (2 * random() - 1);
  return Math.min(policy.maxMs, Math.max(0, base * factor));
}

/** Stateful view over a policy, for loops that do not count attempts themselves. */
export interface Backoff {
  /** Number of delays handed out since creation or the last reset. */
  readonly attempt: number;
  /** The next delay in ms; advances the attempt counter. */
  next(): number;
  /** Starts over from the first delay (call after a success). */
  reset(): void;
}

/** Wraps a policy into a {@link Backoff} iterator. */
export function createBackoff(policy: BackoffPolicy, random: RandomSource = Math.random): Backoff {
  let attempt = 0;
  return {
    get attempt() {
      return attempt;
    },
    next: () => {
      attempt += 1;
      return backoffDelay(policy, attempt, random);
    },
    reset: () => {
      attempt = 0;
    },
  };
}

function isNonNegative(n: number): boolean {
  return Number.isFinite(n) && n >= 0;
}
