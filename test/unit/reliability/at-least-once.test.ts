/**
 * The at-least-once checker (test/helpers/at-least-once.ts): each verdict is computed from recorded
 * events, so every rule is checked with hand-made histories, including the failing ones.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import {
  AtLeastOnceLedger,
  classifyAckError,
  classifySendError,
  copyOf,
  type LedgerEvent,
  ledgerKeyOf,
} from '../../helpers/at-least-once.js';
import { drain } from '../../helpers/ledger-flows.js';

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
    l.acked(a, 'ok');
    l.handled(b);
    l.acked(b, 'failed', { err: new RocketMQError('x', 'INVALID_RECEIPT_HANDLE') });
    l.handled(b);
    l.acked(b, 'ok');
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
      { type: 'acked', key: a, outcome: 'ok', at: 2 },
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
    l.acked(b, 'ok');
    const r = l.assertHolds(quiet);
    assert.deepEqual(r.sent, { total: 3, ok: 0, failed: 2, unknown: 1 });
    assert.deepEqual(r.recovered, [b]);
    assert.equal(
      classifySendError(new RocketMQError('x', 'INTERNAL_SERVER_ERROR', { brokerCode: 50001 })),
      'unknown',
    );
    assert.equal(classifySendError(new Error('boom')), 'unknown');
    assert.equal(classifyAckError(new RocketMQError('x', 'UNAVAILABLE')), 'unknown');
    assert.equal(classifyAckError(new RocketMQError('no status', 'INTERNAL')), 'unknown');
    assert.equal(
      classifyAckError(new RocketMQError('x', 'INVALID_RECEIPT_HANDLE', { brokerCode: 40013 })),
      'failed',
    );
    assert.equal(copyOf({ queueId: 2, queueOffset: 7n }), '2@7');
    assert.equal(copyOf({ queueId: 2 }), undefined);
  });

  test('an intent without an outcome (process killed mid-send) stays unknown; foreign keys fail', () => {
    const l = new AtLeastOnceLedger('child');
    const events: LedgerEvent[] = [
      { type: 'sent', key: 'child:1', outcome: 'unknown', at: 1 },
      { type: 'sent', key: 'child:2', outcome: 'unknown', at: 1 },
      { type: 'sent', key: 'child:2', outcome: 'ok', messageId: 'M2', at: 2 },
      { type: 'handled', key: 'child:2', at: 3 },
      { type: 'acked', key: 'child:2', outcome: 'ok', at: 4 },
      { type: 'sent', key: 'child:2', outcome: 'unknown', at: 5 }, // a late intent never downgrades
    ];
    l.ingest(events);
    const r = l.report();
    assert.deepEqual(r.sent, { total: 2, ok: 1, failed: 0, unknown: 1 });
    l.handled('elsewhere:9');
    assert.throws(() => l.assertHolds(quiet), /1 foreign keys: elsewhere:9/);
  });

  test('copies: a second stored copy of a key is a duplicate, a redelivery of the acked copy a violation', () => {
    const l = new AtLeastOnceLedger('copies');
    l.ingest([
      { type: 'sent', key: 'copies:1', outcome: 'ok', messageId: 'M', at: 0 },
      { type: 'handled', key: 'copies:1', copy: '0@5', at: 1 },
      { type: 'acked', key: 'copies:1', outcome: 'ok', copy: '0@5', at: 2 },
      { type: 'handled', key: 'copies:1', copy: '1@9', at: 3 }, // the retry's copy: fine
      { type: 'acked', key: 'copies:1', outcome: 'ok', copy: '1@9', at: 4 },
    ]);
    const r = l.assertHolds(quiet);
    assert.equal(r.copies, 1);
    assert.equal(r.duplicates, 1);
    assert.equal(r.redeliveries, 0);
    l.assertHolds({ ...quiet, maxRedeliveries: 0 });
    assert.throws(() => l.assertHolds({ ...quiet, maxDuplicates: 0 }), /1 duplicate deliveries \(max 0\)/);
    l.ingest([{ type: 'handled', key: 'copies:1', copy: '0@5', at: 5 }]);
    assert.throws(() => l.assertHolds({ ...quiet, excuse: { reason: 'test', applies: () => true }, maxRedeliveries: 0 }), /1 redeliveries \(max 0\)/);
    assert.throws(() => l.assertHolds(quiet), /1 handled after ack/);
  });

  test('a message revived under another queueId@offset (retry topic) is a redelivery, and after an OK ack a violation', () => {
    const l = new AtLeastOnceLedger('revived');
    l.ingest([
      { type: 'sent', key: 'revived:1', outcome: 'ok', messageId: 'M', at: 0 },
      { type: 'handled', key: 'revived:1', copy: '0@5', attempt: 1, at: 1 },
      { type: 'acked', key: 'revived:1', outcome: 'failed', copy: '0@5', at: 2 },
      { type: 'handled', key: 'revived:1', copy: '3@0', attempt: 2, at: 3 }, // revived after a refused ack
      { type: 'acked', key: 'revived:1', outcome: 'ok', copy: '3@0', at: 4 },
    ]);
    const r = l.assertHolds({ ...quiet, maxRedeliveries: 1 });
    assert.equal(r.copies, 0);
    assert.equal(r.redeliveries, 1);
    // Back once more after that OK ack, under yet another copy name: the message came back after its ack.
    l.ingest([{ type: 'handled', key: 'revived:1', copy: '3@1', attempt: 3, at: 5 }]);
    assert.throws(() => l.assertHolds(quiet), /1 handled after ack: revived:1/);
  });

  test('a revived copy is not a violation while another stored copy is still unacked', () => {
    const l = new AtLeastOnceLedger('two');
    l.ingest([
      { type: 'sent', key: 'two:1', outcome: 'ok', messageId: 'M', at: 0 },
      { type: 'handled', key: 'two:1', copy: '0@5', attempt: 1, at: 1 },
      { type: 'acked', key: 'two:1', outcome: 'ok', copy: '0@5', at: 2 },
      { type: 'handled', key: 'two:1', copy: '1@9', attempt: 1, at: 3 }, // the producer retry's copy
      { type: 'acked', key: 'two:1', outcome: 'failed', copy: '1@9', at: 4 },
      { type: 'handled', key: 'two:1', copy: '3@0', attempt: 2, at: 5 }, // that copy revived
      { type: 'acked', key: 'two:1', outcome: 'ok', copy: '3@0', at: 6 },
    ]);
    const r = l.assertHolds({ ...quiet, maxRedeliveries: 1 });
    assert.equal(r.copies, 1);
  });

  test('an ack of unknown outcome settles the key unless a delivery follows it', () => {
    const l = new AtLeastOnceLedger('unknown-ack');
    l.ingest([
      { type: 'sent', key: 'unknown-ack:1', outcome: 'ok', at: 0 },
      { type: 'handled', key: 'unknown-ack:1', at: 1 },
      { type: 'acked', key: 'unknown-ack:1', outcome: 'unknown', code: 'UNAVAILABLE', at: 2 },
    ]);
    assert.ok(l.drained);
    assert.equal(l.unconfirmedCount, 1);
    assert.equal(l.report().ackUnknownKeys, 1);
    l.ingest([{ type: 'handled', key: 'unknown-ack:1', at: 3 }]); // it was not applied: redelivered
    assert.equal(l.drained, false);
    assert.deepEqual(l.report().lost, ['unknown-ack:1']);
    l.acked('unknown-ack:1', 'ok');
    assert.equal(l.assertHolds(quiet).ackedKeys, 1);
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

describe('drain (test/helpers/ledger-flows.ts)', () => {
  /** A stand-in SimpleConsumer: answers each receive() with the next scripted batch, then nothing. */
  function scripted(
    batches: Array<Array<{ key: string; offset: bigint }>> | ((call: number) => Array<{ key: string; offset: bigint }>),
  ) {
    let calls = 0;
    const acks: string[] = [];
    const next = typeof batches === 'function' ? batches : (call: number) => batches[call] ?? [];
    const consumer = {
      async receive() {
        const batch = next(calls++);
        await new Promise((r) => setTimeout(r, batch.length === 0 ? 5 : 1));
        return batch.map((m) => ({
          keys: [m.key],
          messageId: `id-${m.key}`,
          queueId: 0,
          queueOffset: m.offset,
          deliveryAttempt: 1,
        }));
      },
      async ack(v: { keys: string[] }) {
        acks.push(v.keys[0]!);
      },
    };
    return { consumer: consumer as unknown as SimpleConsumer, acks, calls: () => calls };
  }

  test('keeps receiving past the ledger being drained: an acked message that comes back is observed', async () => {
    const l = new AtLeastOnceLedger('drain');
    const key = l.nextKey();
    await l.send(key, async () => ({ messageId: `id-${key}` }));
    // Delivered and acked OK, then delivered again (the ack was not applied): the second receive comes
    // right after the first, with the ledger already drained.
    const s = scripted([[{ key, offset: 7n }], [{ key, offset: 7n }]]);
    await drain(s.consumer, l, { timeoutMs: 1_000, invisibleDurationMs: 0, quietMs: 50 });
    assert.ok(s.calls() >= 3, `${s.calls()} receives`);
    assert.equal(l.deliveriesOf(key).length, 2);
    assert.throws(() => l.assertHolds(quiet), /1 handled after ack/);
  });

  test('a window that never goes quiet fails the drain', async () => {
    const l = new AtLeastOnceLedger('busy');
    const key = l.nextKey();
    await l.send(key, async () => ({ messageId: `id-${key}` }));
    // Delivered again at every receive, a few ms apart: each delivery restarts the quiet window.
    const s = scripted(() => [{ key, offset: 1n }]);
    await assert.rejects(
      drain(s.consumer, l, { timeoutMs: 0, invisibleDurationMs: 0, quietMs: 30 }),
      /no quiet window of 30 ms/,
    );
  });
});
