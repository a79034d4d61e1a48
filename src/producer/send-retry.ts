/**
 * The send retry policy:
 *
 * - only errors flagged `retriable` are retried (throttling, 500xx, 504xx, transport UNAVAILABLE /
 *   TIMEOUT…); a 4xx fails at once;
 * - at most `maxAttempts` attempts, all within one total budget ({@link Deadline}); each attempt gets
 *   `min(perAttemptTimeoutMs, remaining)`;
 * - after `TOO_MANY_REQUESTS` the next attempt waits `backoffDelay(policy, attempt)` (the server's
 *   backoff, jittered per the policy); after any other retriable error it goes at once to the next
 *   candidate (`candidates[(attempt − 1) mod length]`);
 * - a backoff that would not fit in the remaining budget ends the retries with the throttling error;
 * - an aborted signal ends the retries with `ABORTED`/`TIMEOUT`.
 *
 * The attempt function is injected, so this file knows nothing of messages or RPCs.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { Deadline } from '../internal/abort.js';
import { type BackoffPolicy, backoffDelay, type RandomSource } from '../internal/backoff.js';

/** Inputs of {@link runWithRetry}. */
export interface RetryRun<Q, T> {
  /** Where attempts go, in order (wrapping around). At least one. */
  readonly candidates: readonly Q[];
  /** Total attempts including the first (≥ 1). */
  readonly maxAttempts: number;
  /** Shared budget of all attempts and waits. */
  readonly deadline: Deadline;
  /** Bound of one attempt. */
  readonly perAttemptTimeoutMs: number;
  /** Wait policy after `TOO_MANY_REQUESTS`. */
  readonly backoff: BackoffPolicy;
  readonly random?: RandomSource | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Waits `ms` (the scheduler's sleep). */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** One attempt. */
  readonly attempt: (candidate: Q, attempt: number, timeoutMs: number) => Promise<T>;
  /** Called after each failed attempt (e.g. to isolate the endpoint). */
  readonly onFailure?: ((candidate: Q, error: RocketMQError, attempt: number) => void) | undefined;
}

function budgetExhausted(last: RocketMQError | undefined): RocketMQError {
  return (
    last ?? new RocketMQError('The send timed out before the first attempt', 'TIMEOUT', { retriable: true })
  );
}

function abortError(signal: AbortSignal): RocketMQError {
  return RocketMQError.from(signal.reason, 'ABORTED');
}

/**
 * Runs attempts until one succeeds or the policy says stop; rethrows the last attempt's error.
 *
 * @throws RocketMQError the last attempt's error; `TIMEOUT` when the budget was spent before any attempt.
 */
export async function runWithRetry<Q, T>(run: RetryRun<Q, T>): Promise<T> {
  if (run.candidates.length === 0) throw new RocketMQError('no candidate to send to', 'FORBIDDEN');
  let last: RocketMQError | undefined;
  for (let attempt = 1; attempt <= run.maxAttempts; attempt++) {
    if (run.signal?.aborted) throw abortError(run.signal);
    const remaining = run.deadline.remaining();
    if (remaining <= 0) throw budgetExhausted(last);
    const candidate = run.candidates[(attempt - 1) % run.candidates.length]!;
    try {
      return await run.attempt(candidate, attempt, Math.min(run.perAttemptTimeoutMs, remaining));
    } catch (err) {
      const error = RocketMQError.from(err);
      last = error;
      run.onFailure?.(candidate, error, attempt);
      if (run.signal?.aborted) throw abortError(run.signal);
      if (!error.retriable || attempt >= run.maxAttempts) throw error;
      if (error.code === 'TOO_MANY_REQUESTS') {
        const delay = backoffDelay(run.backoff, attempt, run.random);
        if (delay >= run.deadline.remaining()) throw error;
        if (delay > 0) await run.sleep(delay, run.signal);
      }
    }
  }
  throw budgetExhausted(last);
}
