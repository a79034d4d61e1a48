/**
 * The `batching` option of a producer (auto-batching of `send()` calls) and its validation.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { DEFAULT_MAX_BODY_SIZE } from '../model/message.js';
import { describeType } from '../model/text.js';

/**
 * Auto-batching of `send()` calls (opt-in). NORMAL messages sent to the same topic are collected and
 * sent as one SendMessage request; each caller still gets its own receipt or error. A batch is sent
 * when it holds `maxMessages` messages, when the next message would take its bodies past `maxBytes`,
 * or `lingerMs` after its first message, whichever comes first.
 */
export interface BatchingOptions {
  /** Most messages per request (1–1024). @defaultValue 128 */
  maxMessages?: number | undefined;
  /**
   * Most body bytes per request (sum of the bodies; 1 to 4 MiB, and never more than the server's
   * `max_body_size`). A message larger than this on its own is sent alone. @defaultValue 1 MiB
   */
  maxBytes?: number | undefined;
  /** How long the first message of a batch waits for others, in ms (0: the next timer turn). @defaultValue 5 */
  lingerMs?: number | undefined;
}

/** Validated {@link BatchingOptions}. */
export interface ResolvedBatching {
  readonly maxMessages: number;
  readonly maxBytes: number;
  readonly lingerMs: number;
}

/** Largest accepted `batching.maxMessages`. */
export const MAX_BATCH_MESSAGES = 1024;
/** Largest accepted `batching.maxBytes` (the server's default body limit of a request). */
export const MAX_BATCH_BYTES = DEFAULT_MAX_BODY_SIZE;

function bad(message: string): RocketMQError {
  return new RocketMQError(`batching.${message}`, 'INVALID_ARGUMENT');
}

/**
 * Validates the `batching` option; `undefined` or `false` turn batching off, `true` turns it on with
 * the defaults.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` naming the bad field.
 */
export function resolveBatching(value: unknown): ResolvedBatching | undefined {
  if (value === undefined || value === false) return undefined;
  const o: BatchingOptions = value === true ? {} : (value as BatchingOptions);
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new RocketMQError(
      `batching must be an object or a boolean, got ${describeType(value)}`,
      'INVALID_ARGUMENT',
    );
  }
  const maxMessages = o.maxMessages ?? 128;
  if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > MAX_BATCH_MESSAGES) {
    throw bad(`maxMessages must be an integer from 1 to ${MAX_BATCH_MESSAGES}, got ${String(maxMessages)}`);
  }
  const maxBytes = o.maxBytes ?? 1024 * 1024;
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_BATCH_BYTES) {
    throw bad(`maxBytes must be an integer from 1 to ${MAX_BATCH_BYTES}, got ${String(maxBytes)}`);
  }
  const lingerMs = o.lingerMs ?? 5;
  if (typeof lingerMs !== 'number' || !Number.isFinite(lingerMs) || lingerMs < 0) {
    throw bad(`lingerMs must be a finite number ≥ 0, got ${String(lingerMs)}`);
  }
  return Object.freeze({ maxMessages, maxBytes, lingerMs });
}
