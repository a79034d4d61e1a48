import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AckBatcher } from '../../../src/consumer/ack-batcher.js';
import { RocketMQError } from '../../../src/errors.js';
import { customizedBackoff } from '../../../src/internal/backoff.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import { noopLogger } from '../../../src/observability/logger.js';
import type { AckEntryOutcome, ReceiptRef } from '../../../src/protocol/consumer-rpc.js';
import { createEndpoints } from '../../../src/rpc/endpoints.js';
import { ManualTime } from '../../../src/testing/index.js';

const A = createEndpoints('ipv4', [{ host: '10.0.0.1', port: 8081 }]);
const B = createEndpoints('ipv4', [{ host: '10.0.0.2', port: 8081 }]);

function ref(id: string, topic = 't'): ReceiptRef {
  return { group: 'g', topic, messageId: id, receiptHandle: `h-${id}` };
}

const flushMicrotasks = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function harness(answer: (refs: readonly ReceiptRef[], call: number) => AckEntryOutcome[] | Error) {
  const time = new ManualTime();
  const scheduler = new Scheduler({ timers: time });
  const calls: Array<{ endpoints: string; ids: string[] }> = [];
  const batcher = new AckBatcher(
    {
      clock: time,
      scheduler,
      logger: noopLogger,
      random: () => 0.5,
      ack: async (endpoints, refs) => {
        calls.push({ endpoints: endpoints.addresses[0]!.host, ids: refs.map((r) => r.messageId) });
        const r = answer(refs, calls.length);
        if (r instanceof Error) throw r;
        return r;
      },
    },
    { maxBatchSize: 3, flushDelayMs: 5, retryBackoff: customizedBackoff([100]) },
  );
  return { time, scheduler, calls, batcher };
}

const ok = (refs: readonly ReceiptRef[]): AckEntryOutcome[] => refs.map((r) => ({ ref: r }));

describe('AckBatcher', () => {
  test('entries are flushed after the delay as one request per endpoint/topic', async () => {
    const h = harness(ok);
    const done = [
      h.batcher.ack(A, ref('1'), Number.POSITIVE_INFINITY),
      h.batcher.ack(A, ref('2'), Number.POSITIVE_INFINITY),
      h.batcher.ack(B, ref('3'), Number.POSITIVE_INFINITY),
      h.batcher.ack(A, ref('4', 'other'), Number.POSITIVE_INFINITY),
    ];
    await flushMicrotasks();
    assert.equal(h.calls.length, 0, 'nothing before the flush delay');
    h.time.advance(5);
    await Promise.all(done);
    assert.deepEqual(h.calls.map((c) => `${c.endpoints}:${c.ids.join(',')}`).sort(), [
      '10.0.0.1:1,2',
      '10.0.0.1:4',
      '10.0.0.2:3',
    ]);
    assert.deepEqual(h.batcher.stats, { requests: 3, acked: 4, retried: 0, failed: 0 });
    h.scheduler.close();
  });

  test('a full batch goes out at once, without waiting for the delay', async () => {
    const h = harness(ok);
    const done = ['1', '2', '3'].map((id) => h.batcher.ack(A, ref(id), Number.POSITIVE_INFINITY));
    await Promise.all(done);
    assert.deepEqual(h.calls, [{ endpoints: '10.0.0.1', ids: ['1', '2', '3'] }]);
    h.scheduler.close();
  });

  test('only the failed entry of a batch is retried, after the backoff', async () => {
    const h = harness((refs, call) =>
      refs.map((r) =>
        call === 1 && r.messageId === '2'
          ? { ref: r, error: new RocketMQError('busy', 'INTERNAL_SERVER_ERROR', { retriable: true }) }
          : { ref: r },
      ),
    );
    const one = h.batcher.ack(A, ref('1'), h.time.now() + 10_000);
    const two = h.batcher.ack(A, ref('2'), h.time.now() + 10_000);
    h.time.advance(5);
    await one;
    await flushMicrotasks();
    assert.equal(h.batcher.pending, 1);
    h.time.advance(99);
    await flushMicrotasks();
    assert.equal(h.calls.length, 1, 'not before the backoff');
    h.time.advance(1 + 5);
    await two;
    assert.deepEqual(
      h.calls.map((c) => c.ids),
      [['1', '2'], ['2']],
    );
    assert.deepEqual(h.batcher.stats, { requests: 2, acked: 2, retried: 1, failed: 0 });
    h.scheduler.close();
  });

  test('a non-retriable entry failure rejects with its code; a transport failure is retried', async () => {
    const h = harness((refs, call) => {
      if (call === 1) return new RocketMQError('down', 'UNAVAILABLE');
      return refs.map((r) =>
        r.messageId === 'bad'
          ? { ref: r, error: new RocketMQError('stale', 'INVALID_RECEIPT_HANDLE') }
          : { ref: r },
      );
    });
    const good = h.batcher.ack(A, ref('good'), h.time.now() + 10_000);
    const bad = h.batcher.ack(A, ref('bad'), h.time.now() + 10_000);
    const badResult = bad.then(
      () => 'resolved',
      (e: RocketMQError) => e.code,
    );
    h.time.advance(5);
    await flushMicrotasks();
    h.time.advance(100 + 5);
    await good;
    assert.equal(await badResult, 'INVALID_RECEIPT_HANDLE');
    assert.equal(h.calls.length, 2);
    h.scheduler.close();
  });

  test('a retriable failure past the receipt validity rejects with TIMEOUT', async () => {
    const h = harness((refs) =>
      refs.map((r) => ({
        ref: r,
        error: new RocketMQError('busy', 'INTERNAL_SERVER_ERROR', { retriable: true }),
      })),
    );
    const p = h.batcher.ack(A, ref('1'), h.time.now() + 50).then(
      () => 'resolved',
      (e: RocketMQError) => e.code,
    );
    h.time.advance(5);
    assert.equal(await p, 'TIMEOUT');
    assert.equal(h.batcher.stats.failed, 1);
    h.scheduler.close();
  });

  test('flush() sends queued entries and pending retries now; close() rejects the rest with CLOSED', async () => {
    let failFirst = true;
    const h = harness((refs) =>
      refs.map((r) => {
        if (failFirst) {
          failFirst = false;
          return { ref: r, error: new RocketMQError('busy', 'INTERNAL_SERVER_ERROR', { retriable: true }) };
        }
        return { ref: r };
      }),
    );
    const p = h.batcher.ack(A, ref('1'), h.time.now() + 10_000);
    await h.batcher.flush();
    await p;
    assert.equal(h.calls.length, 2, 'the retry went out without waiting for its backoff');
    const late = h.batcher.ack(A, ref('2'), h.time.now() + 10_000).then(
      () => 'resolved',
      (e: RocketMQError) => e.code,
    );
    h.batcher.close();
    assert.equal(await late, 'CLOSED');
    await assert.rejects(h.batcher.ack(A, ref('3'), h.time.now() + 10_000), { code: 'CLOSED' });
    h.scheduler.close();
  });
});
