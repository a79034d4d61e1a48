/**
 * Maps the entries of a SendMessage response to the messages of the request.
 *
 * - As many entries as messages: entry `i` is message `i`'s outcome, as the server gave it.
 * - One entry for several messages (the Apache proxy answers a batch so): an OK entry is shared, each
 *   message's offset derived as the entry's offset + its index (the batch is stored contiguously in
 *   one queue); a failed entry fails every message with its error.
 * - Any other count: every message fails with `INTERNAL` (the answer cannot be attributed).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { EntryResult } from '../protocol/send-convert.js';

/** One result per message, in the order of the request. */
export function perMessageResults(results: readonly EntryResult[], count: number): EntryResult[] {
  if (results.length === count) return [...results];
  if (results.length === 1) {
    const only = results[0]!;
    if (!only.ok) return Array.from({ length: count }, () => only);
    return Array.from({ length: count }, (_, i) => ({
      ok: true as const,
      entry: { ...only.entry, offset: only.entry.offset + BigInt(i) },
    }));
  }
  const error = new RocketMQError(
    `The SendMessage response has ${results.length} entries for ${count} messages`,
    'INTERNAL',
    { retriable: false },
  );
  return Array.from({ length: count }, () => ({ ok: false as const, error }));
}
