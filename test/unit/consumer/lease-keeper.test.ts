import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LeaseKeeper } from '../../../src/consumer/lease-keeper.js';
import { RocketMQError } from '../../../src/errors.js';
import { createDeferred, type Deferred } from '../../../src/internal/deferred.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import { MessageView } from '../../../src/model/message-view.js';
import { noopLogger } from '../../../src/observability/logger.js';
import { createEndpoints } from '../../../src/rpc/endpoints.js';
import { ManualTime } from '../../../src/testing/index.js';

const E = createEndpoints('ipv4', [{ host: '10.0.0.1', port: 8081 }]);

function view(id: string): MessageView {
  return new MessageView({
    messageId: id,
    topic: 't',
    body: Buffer.from('x'),
    receiptHandle: `h0-${id}`,
    endpoint: 'e',
  });
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function harness(options: { invisible?: number; maxExtension?: number } = {}) {
  const time = new ManualTime();
  const scheduler = new Scheduler({ timers: time });
  const calls: Array<{ handle: string; ms: number; at: number }> = [];
  let answer: (handle: string, n: number) => Promise<string> = async (h, n) => `${h}+${n}`;
  const keeper = new LeaseKeeper(
    {
      clock: time,
      scheduler,
      logger: noopLogger,
      receiptOf: (v) => ({
        group: 'g',
        topic: v.topic,
        messageId: v.messageId,
        receiptHandle: v.receiptHandle,
      }),
      changeInvisible: (_e, ref, ms) => {
        calls.push({ handle: ref.receiptHandle, ms, at: time.now() });
        return answer(ref.receiptHandle, calls.length);
      },
    },
    { invisibleDurationMs: options.invisible ?? 30_000, maxExtensionMs: options.maxExtension ?? 3_600_000 },
  );
  return {
    time,
    scheduler,
    calls,
    keeper,
    answerWith(f: typeof answer) {
      answer = f;
    },
  };
}

describe('LeaseKeeper', () => {
  test('renews a third of the invisible duration before expiry and keeps the newest handle', async () => {
    const h = harness();
    const start = h.time.now();
    const lease = h.keeper.track(view('1'), E);
    h.time.advance(19_999);
    await settle();
    assert.equal(h.calls.length, 0, 'not before 20 s (renew ahead = 10 s)');
    h.time.advance(1);
    await settle();
    assert.deepEqual(h.calls, [{ handle: 'h0-1', ms: 30_000, at: start + 20_000 }]);
    assert.equal(lease.receipt.receiptHandle, 'h0-1+1');
    assert.equal(lease.expiresAt, start + 50_000);
    h.time.advance(20_000);
    await settle();
    assert.equal(h.calls[1]?.handle, 'h0-1+1', 'the second renewal uses the renewed handle');
    const ref = await lease.settle();
    assert.equal(ref.receiptHandle, 'h0-1+1+2');
    assert.equal(lease.state, 'settled');
    assert.equal(h.keeper.size, 0);
    assert.equal(h.scheduler.pending, 0, 'no timer once nothing is tracked');
    h.scheduler.close();
  });

  test('settle() waits for a renewal in flight and returns its handle', async () => {
    const h = harness();
    const gate: Deferred<string> = createDeferred();
    h.answerWith(() => gate.promise);
    const lease = h.keeper.track(view('1'), E);
    h.time.advance(20_000);
    await settle();
    assert.equal(h.calls.length, 1);
    const settled = lease.settle();
    gate.resolve('fresh');
    assert.equal((await settled).receiptHandle, 'fresh');
    h.scheduler.close();
  });

  test('a retriable failure is retried; a non-retriable one loses the lease and aborts its signal', async () => {
    const h = harness();
    let n = 0;
    h.answerWith(async () => {
      n++;
      if (n === 1) throw new RocketMQError('busy', 'UNAVAILABLE');
      throw new RocketMQError('stale', 'INVALID_RECEIPT_HANDLE');
    });
    const lease = h.keeper.track(view('1'), E);
    h.time.advance(20_000);
    await settle();
    assert.equal(lease.state, 'held', 'still held after a retriable failure');
    h.time.advance(2_500); // retried a quarter of the renew-ahead window later
    await settle();
    assert.equal(h.calls.length, 2);
    assert.equal(lease.state, 'lost');
    assert.equal(lease.signal.aborted, true);
    assert.equal((lease.signal.reason as RocketMQError).code, 'INVALID_RECEIPT_HANDLE');
    h.scheduler.close();
  });

  test('renewals stop at maxExtensionMs; the lease is lost at expiry', async () => {
    const h = harness({ invisible: 10_000, maxExtension: 15_000 });
    const start = h.time.now();
    const lease = h.keeper.track(view('1'), E);
    h.time.advance(7_000);
    await settle();
    assert.equal(h.calls.length, 1);
    const first = h.calls[0]!;
    assert.equal(first.at, start + 6_667, 'renewed 3 333 ms (a third) before expiry');
    assert.equal(first.ms, 15_000 - 6_667, 'the renewal is cut to what is left of the extension');
    assert.equal(lease.expiresAt, start + 15_000);
    h.time.advance(8_000);
    await settle();
    assert.equal(h.calls.length, 1, 'no renewal past the max extension');
    assert.equal(lease.state, 'lost');
    h.scheduler.close();
  });

  test('interrupt() asks the handler to stop without losing the lease; the first reason wins', async () => {
    const h = harness();
    const lease = h.keeper.track(view('1'), E);
    const early = h.keeper.track(view('2'), E);
    const stopping = new RocketMQError('consumer is shutting down', 'CLOSED');
    early.interrupt(stopping); // before anyone asked for the signal
    const signal = lease.signal;
    lease.interrupt(stopping);
    assert.equal(signal.aborted, true);
    assert.equal(early.signal.aborted, true);
    assert.equal(early.signal.reason, stopping);
    assert.equal(lease.state, 'held', 'an interrupted lease is still held and renewed');
    h.answerWith(async () => {
      throw new RocketMQError('stale', 'INVALID_RECEIPT_HANDLE');
    });
    h.time.advance(20_000);
    await settle();
    assert.equal(lease.state, 'lost');
    assert.equal(lease.signal.reason, stopping, 'losing it later keeps the first reason');
    h.keeper.close();
    h.scheduler.close();
  });

  test('leases due together are renewed in one pass', async () => {
    const h = harness();
    h.keeper.track(view('1'), E);
    h.time.advance(1_000);
    h.keeper.track(view('2'), E);
    h.time.advance(19_000);
    await settle();
    assert.equal(h.calls.length, 2, 'the second (due 1 s later) was coalesced into the first pass');
    h.keeper.close();
    assert.equal(h.scheduler.pending, 0);
    h.scheduler.close();
  });
});
