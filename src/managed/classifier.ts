/**
 * What happens to a message whose handler threw: the error classifier's verdict.
 *
 * - `'requeue'` — leave it for the broker: it becomes visible again after the invisible duration and is
 *   delivered again (the default for ordinary errors: the managed layer classifies every handler error
 *   as `requeue` unless told otherwise);
 * - `'ack'` — drop it (acknowledge without success), for errors that will never go away;
 * - `{ retryLaterMs }` — deliver it again after that delay (ChangeInvisibleDuration).
 *
 * {@link NonRetryableError} marks a business error as permanent; the default classifier acks those and
 * requeues everything else.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { MessageView } from '../model/message-view.js';
import type { HandlerContext } from './context.js';

/** Retry the message after `retryLaterMs` (0 – 12 h). */
export interface RetryLaterAction {
  /** Delay before the message is delivered again, in ms. */
  readonly retryLaterMs: number;
}

/** The classifier's verdict for a failed message (see the module documentation). */
export type ConsumeErrorAction = 'requeue' | 'ack' | RetryLaterAction;

/** Decides what to do with a message whose handler threw. Must not throw (a throw counts as `'requeue'`). */
export type ErrorClassifier = (
  ctx: HandlerContext,
  message: MessageView,
  error: unknown,
) => ConsumeErrorAction;

/** The verdicts as values. */
export const ConsumeErrorActions = Object.freeze({
  /** Delivered again after the invisible duration. */
  requeue: 'requeue' as const,
  /** Dropped (acknowledged). */
  ack: 'ack' as const,
  /**
   * @throws RocketMQError `INVALID_ARGUMENT` for a delay that is not a number of ms in 0 – 12 h.
   */
  retryLater(delayMs: number): RetryLaterAction {
    if (
      typeof delayMs !== 'number' ||
      !Number.isFinite(delayMs) ||
      delayMs < 0 ||
      delayMs > MAX_RETRY_LATER_MS
    ) {
      throw new RocketMQError(
        `retryLater needs 0 to ${MAX_RETRY_LATER_MS} ms, got ${String(delayMs)}`,
        'INVALID_ARGUMENT',
      );
    }
    return Object.freeze({ retryLaterMs: delayMs });
  },
});

const MAX_RETRY_LATER_MS = 12 * 60 * 60 * 1000;

/**
 * A business error that retrying cannot fix (invalid input, not found, forbidden, …): the default
 * classifier acknowledges the message instead of requeueing it.
 *
 * @example
 * ```ts
 * if (!order) throw new NonRetryableError(`order ${id} does not exist`);
 * ```
 */
export class NonRetryableError extends Error {
  /** Always `'NonRetryableError'`. */
  override name = 'NonRetryableError';
  /** An application code, for logs. */
  readonly code: string | undefined;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

/** True for a {@link NonRetryableError} (also one from another copy of this package, by name). */
export function isNonRetryableError(err: unknown): boolean {
  return err instanceof NonRetryableError || (err instanceof Error && err.name === 'NonRetryableError');
}

/** The default: `'ack'` for a {@link NonRetryableError}, `'requeue'` for anything else. */
export const defaultErrorClassifier: ErrorClassifier = (_ctx, _message, error) =>
  isNonRetryableError(error) ? 'ack' : 'requeue';

/** Always `'requeue'`: every handler error leaves the message to be delivered again. */
export const requeueAllClassifier: ErrorClassifier = () => 'requeue';

/** Checks a classifier's verdict; anything else is `undefined`. */
export function checkAction(value: unknown): ConsumeErrorAction | undefined {
  if (value === 'requeue' || value === 'ack') return value;
  if (typeof value === 'object' && value !== null && 'retryLaterMs' in value) {
    const ms = (value as RetryLaterAction).retryLaterMs;
    if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 && ms <= MAX_RETRY_LATER_MS)
      return value as RetryLaterAction;
  }
  return undefined;
}
