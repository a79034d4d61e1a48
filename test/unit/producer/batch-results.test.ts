/** Mapping the entries of a SendMessage response to the messages of an auto-batch. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { perMessageResults } from '../../../src/producer/batch-results.js';
import type { EntryResult } from '../../../src/protocol/send-convert.js';

const ok = (messageId: string, offset: bigint): EntryResult => ({
  ok: true,
  entry: { messageId, offset, transactionId: '', recallHandle: '' },
});
const failed = (code: 'TOO_MANY_REQUESTS' | 'MESSAGE_BODY_TOO_LARGE'): EntryResult => ({
  ok: false,
  error: new RocketMQError(code, code),
});

test('one entry per message: each message gets its own entry, errors included', () => {
  const results = perMessageResults([ok('a', 7n), failed('MESSAGE_BODY_TOO_LARGE'), ok('c', 9n)], 3);
  assert.equal(results[0]!.ok && results[0]!.entry.offset, 7n);
  assert.equal(!results[1]!.ok && results[1]!.error.code, 'MESSAGE_BODY_TOO_LARGE');
  assert.equal(results[2]!.ok && results[2]!.entry.messageId, 'c');
});

test('one OK entry for the batch: shared, offsets derived as first + index', () => {
  const results = perMessageResults([ok('a,b,c', 40n)], 3);
  assert.deepEqual(
    results.map((r) => (r.ok ? r.entry.offset : -1n)),
    [40n, 41n, 42n],
  );
});

test('one failed entry for the batch: every message fails with its error', () => {
  const results = perMessageResults([failed('TOO_MANY_REQUESTS')], 2);
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.error.code)),
    ['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS'],
  );
});

test('an entry count that fits neither: every message fails with INTERNAL', () => {
  const results = perMessageResults([ok('a', 1n), ok('b', 2n)], 3);
  assert.deepEqual(
    results.map((r) => (r.ok ? 'ok' : r.error.code)),
    ['INTERNAL', 'INTERNAL', 'INTERNAL'],
  );
});
