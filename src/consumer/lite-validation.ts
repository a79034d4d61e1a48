/**
 * Argument checks of the lite consumers: lite topic names and start offsets. Each failure has its own
 * code; nothing is sent.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { describeType, quote, utf8Length } from '../model/text.js';
import type { LiteOffsetSpec } from '../protocol/lite-convert.js';

/** The proxy's default longest lite topic name, in UTF-8 bytes (its settings may say otherwise). */
export const DEFAULT_MAX_LITE_TOPIC_BYTES = 64;

const LITE_CHARS = /^[a-zA-Z0-9_-]+$/;

/**
 * Where a new lite subscription starts: `'last'` (only what arrives from now on; the server's default),
 * `'min'` (the whole backlog), `'max'`, or an explicit position.
 */
export type LiteOffset =
  | 'last'
  | 'min'
  | 'max'
  | { readonly offset: number }
  | { readonly tailN: number }
  | { readonly timestamp: number | Date };

/**
 * A lite topic name: 1–`maxBytes` UTF-8 bytes from `[a-zA-Z0-9_-]` (what the proxy accepts).
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when not a string; `ILLEGAL_LITE_TOPIC` otherwise.
 */
export function validateLiteTopic(liteTopic: unknown, maxBytes = DEFAULT_MAX_LITE_TOPIC_BYTES): string {
  if (typeof liteTopic !== 'string') {
    throw new RocketMQError(`liteTopic must be a string, got ${describeType(liteTopic)}`, 'INVALID_ARGUMENT');
  }
  if (liteTopic.length === 0) throw new RocketMQError('liteTopic must not be empty', 'ILLEGAL_LITE_TOPIC');
  const bytes = utf8Length(liteTopic);
  if (bytes > maxBytes) {
    throw new RocketMQError(
      `liteTopic ${quote(liteTopic.slice(0, 80))} is ${bytes} bytes; the limit is ${maxBytes}`,
      'ILLEGAL_LITE_TOPIC',
    );
  }
  if (!LITE_CHARS.test(liteTopic)) {
    throw new RocketMQError(
      `liteTopic ${quote(liteTopic)} may only hold characters from [a-zA-Z0-9_-]`,
      'ILLEGAL_LITE_TOPIC',
    );
  }
  return liteTopic;
}

function nonNegativeInteger(name: string, v: unknown, min: number): bigint {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new RocketMQError(`${name} must be an integer ≥ ${min}, got ${String(v)}`, 'ILLEGAL_OFFSET');
  }
  return BigInt(v);
}

/**
 * Checks a {@link LiteOffset}.
 *
 * @throws RocketMQError `ILLEGAL_OFFSET` for an unknown policy, a negative or fractional offset, a
 * `tailN` below 1, a timestamp before the epoch or an invalid date.
 */
export function validateLiteOffset(offset: unknown): LiteOffsetSpec {
  if (offset === 'last' || offset === 'min' || offset === 'max') return { case: 'policy', value: offset };
  if (typeof offset === 'object' && offset !== null) {
    const keys = Object.keys(offset);
    if (keys.length === 1) {
      const o = offset as Record<string, unknown>;
      if ('offset' in o) return { case: 'offset', value: nonNegativeInteger('offset', o.offset, 0) };
      if ('tailN' in o) return { case: 'tailN', value: nonNegativeInteger('tailN', o.tailN, 1) };
      if ('timestamp' in o) {
        const t = o.timestamp instanceof Date ? o.timestamp.getTime() : o.timestamp;
        return { case: 'timestamp', value: nonNegativeInteger('timestamp', t, 0) };
      }
    }
  }
  throw new RocketMQError(
    `offset must be 'last', 'min', 'max', { offset }, { tailN } or { timestamp }, got ${describeType(offset)}`,
    'ILLEGAL_OFFSET',
  );
}
