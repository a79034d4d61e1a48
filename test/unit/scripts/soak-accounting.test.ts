/**
 * The soak's compact at-least-once ledger: lost, consumed by an ack of unknown outcome, reopened by a
 * redelivery, handled after a confirmed ack (and its kill excuse), second stored copies.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CompactLedger } from '../../../scripts/soak/accounting.js';

function sentOk(l: CompactLedger, n: number): number[] {
  const seqs: number[] = [];
  for (let i = 0; i < n; i++) {
    const seq = l.next()!;
    l.sent(seq, true);
    seqs.push(seq);
  }
  return seqs;
}

describe('CompactLedger', () => {
  test('an ack of unknown outcome not followed by a redelivery settles the message; a failed one does not', () => {
    const l = new CompactLedger(10);
    const [a, b, c] = sentOk(l, 3) as [number, number, number];
    l.handled(a, 1, 1);
    l.acked(a, 1, 'unknown');
    l.handled(b, 2, 1);
    l.acked(b, 2, 'failed');
    l.handled(c, 3, 1);
    l.acked(c, 3, 'confirmed');
    const r = l.report();
    assert.equal(r.lost, 1, 'only the refused ack leaves its message lost');
    assert.equal(r.ackUnknown, 1);
    assert.equal(r.acked, 2);
    assert.equal(r.ackFailures, 2);
    assert.equal(l.lag, 1);
  });

  test('a redelivery after an ack of unknown outcome reopens the message until it is acked again', () => {
    const l = new CompactLedger(10);
    const [a] = sentOk(l, 1) as [number];
    l.handled(a, 7, 1);
    l.acked(a, 7, 'unknown');
    assert.equal(l.lag, 0);
    l.handled(a, 7, 2);
    assert.equal(l.lag, 1, 'reopened');
    assert.equal(l.report().lost, 1);
    l.acked(a, 7, 'confirmed');
    const r = l.report();
    assert.deepEqual([r.lost, r.ackUnknown, r.handledAfterAck, r.duplicates, r.storedCopies], [0, 0, 0, 1, 0]);
  });

  test('a delivery of the acked copy after a confirmed ack counts, unless the ack was confirmed ≤ 5 s before a kill', () => {
    const l = new CompactLedger(10);
    const [a, b] = sentOk(l, 2) as [number, number];
    l.handled(a, 1, 1);
    l.acked(a, 1, 'confirmed');
    l.handled(a, 1, 2);
    l.handled(b, 2, 1);
    l.acked(b, 2, 'confirmed');
    l.killed(performance.now());
    l.handled(b, 2, 2);
    const r = l.report();
    assert.equal(r.handledAfterAck, 1);
    assert.equal(r.afterAckExcused, 1);
  });

  test('a first delivery (attempt 1) of another copy is a second stored copy, not a redelivery', () => {
    const l = new CompactLedger(10);
    const [a] = sentOk(l, 1) as [number];
    l.handled(a, 1, 1);
    l.handled(a, 2, 1);
    l.handled(a, 1, 2);
    const r = l.report();
    assert.equal(r.duplicates, 2);
    assert.equal(r.storedCopies, 1);
  });
});
