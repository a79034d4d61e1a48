/**
 * The at-least-once checker (test/helpers/at-least-once.ts): each verdict is computed from recorded
 * events, so every rule is checked with hand-made histories, including the failing ones.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import {
  AtLeastOnceLedger,
  classifySendError,
  type LedgerEvent,
  ledgerKeyOf,
} from '../../helpers/at-least-once.js';

const quiet = { log: () => {} };

describe('AtLeastOnceLedger', () => {
  test('a clean history holds and counts duplicates', async () => {
    const l = new AtLeastOnceLedger('clean');
    const a = l.nextKey();
    const b = l.nextKey();
    await l.send(a, async () => ({ messageId: 'A' }));
    await l.send(b, async () => ({ messageId: 'B' }));
    assert.equal(l.pendingCount, 2);
    l.handled(a);
    l.handled(a); // redelivered before the ack: a duplicate, not a violation
    l.acked(a, true);
    l.handled(b);
    l.acked(b, false, new RocketMQError('x', 'INVALID_RECEIPT_HANDLE'));
    l.handled(b);
    l.acked(b, true);
    assert.ok(l.drained);
    const r = l.assertHolds(quiet);
    assert.deepEqual(r.sent, { total: 2, ok: 2, failed: 0, unknown: 0 });
    assert.equal(r.deliveries, 4);
    assert.equal(r.duplicates, 2);
    assert.equal(r.ackFailures, 1);
    assert.equal(r.ackedKeys, 2);
    assert.throws(() => l.assertHolds({ ...quiet, maxDuplicates: 1 }), /2 duplicate deliveries/);
  });

  test('an ok send that is never acked is lost; one handled but not acked too', async () => {
    const l = new AtLeastOnceLedger('lost');
    const a = l.nextKey();
    const b = l.nextKey();
    await l.send(a, async () => ({ messageId: 'A' }));
    await l.send(b, async () => ({ messageId: 'B' }));
    l.handled(b);
    assert.deepEqual(l.report().lost, [a, b]);
    assert.throws(() => l.assertHolds(quiet), /2 lost: lost:1, lost:2/);
  });

  test('a dead-lettered key is settled', async () => {
    const l = new AtLeastOnceLedger('dlq');
    const a = l.nextKey();
    await l.send(a, async () => ({ messageId: 'A' }));
    l.handled(a);
    l.deadLettered(a);
    assert.equal(l.assertHolds(quiet).deadLettered, 1);
  });

  test('a delivery after a successful ack is a violation unless excused', async () => {
    const l = new AtLeastOnceLedger('after');
    const a = l.nextKey();
    await l.send(a, async () => ({ messageId: 'A' }));
    l.ingest([
      { type: 'handled', key: a, at: 1 },
      { type: 'acked', key: a, ok: true, at: 2 },
      { type: 'handled', key: a, at: 3, attempt: 2 },
    ]);
    assert.throws(() => l.assertHolds(quiet), /1 handled after ack: after:1 \(\+1 ms\)/);
    const r = l.assertHolds({
      ...quiet,
      excuse: { reason: 'broker restart', applies: (v) => v.attempt === 2 },
    });
    assert.equal(r.excused.length, 1);
    assert.equal(r.handledAfterAck.length, 0);
  });

  test('send outcomes: refused → failed, transport trouble → unknown; unknown ones that arrive are recovered', async () => {
    const l = new AtLeastOnceLedger('outcomes');
    const [a, b, c] = [l.nextKey(), l.nextKey(), l.nextKey()];
    await l.send(a, () => Promise.reject(new RocketMQError('bad', 'INVALID_ARGUMENT')));
    await l.send(b, () => Promise.reject(new RocketMQError('timeout', 'TIMEOUT')));
    await l.send(c, () => Promise.reject(new RocketMQError('forbidden', 'FORBIDDEN', { brokerCode: 40300 })));
    l.handled(b);
    l.acked(b, true);
    const r = l.assertHolds(quiet);
    assert.deepEqual(r.sent, { total: 3, ok: 0, failed: 2, unknown: 1 });
    assert.deepEqual(r.recovered, [b]);
    assert.equal(
      classifySendError(new RocketMQError('x', 'INTERNAL_SERVER_ERROR', { brokerCode: 50001 })),
      'unknown',
    );
    assert.equal(classifySendError(new Error('boom')), 'unknown');
  });

  test('an intent without an outcome (process killed mid-send) stays unknown; foreign keys fail', () => {
    const l = new AtLeastOnceLedger('child');
    const events: LedgerEvent[] = [
      { type: 'sent', key: 'child:1', outcome: 'unknown', at: 1 },
      { type: 'sent', key: 'child:2', outcome: 'unknown', at: 1 },
      { type: 'sent', key: 'child:2', outcome: 'ok', messageId: 'M2', at: 2 },
      { type: 'handled', key: 'child:2', at: 3 },
      { type: 'acked', key: 'child:2', ok: true, at: 4 },
      { type: 'sent', key: 'child:2', outcome: 'unknown', at: 5 }, // a late intent never downgrades
    ];
    l.ingest(events);
    const r = l.report();
    assert.deepEqual(r.sent, { total: 2, ok: 1, failed: 0, unknown: 1 });
    l.handled('elsewhere:9');
    assert.throws(() => l.assertHolds(quiet), /1 foreign keys: elsewhere:9/);
  });

  test('ledgerKeyOf picks the key with a colon', () => {
    assert.equal(ledgerKeyOf({ keys: ['plain', 'run:7'] }), 'run:7');
    assert.equal(ledgerKeyOf({ keys: [] }), undefined);
  });

  test('assertHolds prints one summary line', async () => {
    const l = new AtLeastOnceLedger('print');
    const lines: string[] = [];
    l.assertHolds({ log: (x) => lines.push(x) });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^ledger print: sent 0 .* lost 0 .* handled-after-ack 0/);
  });
});
