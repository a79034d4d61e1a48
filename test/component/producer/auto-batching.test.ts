/**
 * Producer auto-batching against the in-process broker on manual time: the linger fires by the clock,
 * size bounds send at once, each caller gets its own receipt or error, aborts before the flush send
 * nothing, shutdown flushes, destroy rejects, interceptors and OTel spans see each message once, FIFO
 * and delay messages bypass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import type { SendReceipt } from '../../../src/model/send-receipt.js';
import { Producer, type ProducerOptions } from '../../../src/producer/index.js';
import type { HookContext, HookOutcome } from '../../../src/protocol/interceptors.js';
import { InProcessBroker, ManualTime } from '../../../src/testing/index.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { installOtel } from '../../helpers/otel.js';

let counter = 0;
const uniqueTopic = (prefix: string): string => `${prefix}-${process.pid}-${++counter}`;

async function rejectsWith(p: Promise<unknown>, code: string): Promise<RocketMQError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RocketMQError, `expected a RocketMQError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a rejection with ${code}`);
}

/** Tracks a promise's settlement without letting a rejection go unhandled. */
function settled<T>(p: Promise<T>): { readonly done: boolean; readonly promise: Promise<T> } {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return {
    get done() {
      return done;
    },
    promise: p,
  };
}

describe('Producer auto-batching (in-process broker, manual time)', () => {
  let broker: InProcessBroker;
  let time: ManualTime;
  const producers: Producer[] = [];
  const sends = (): number => broker.stats().calls.SendMessage;

  const make = async (topic: string, options: Partial<ProducerOptions> = {}): Promise<Producer> => {
    broker.createTopic(topic, { queues: 1 });
    const p = new Producer({
      endpoints: broker.endpoint,
      topics: [topic],
      clock: time,
      timers: time,
      batching: { maxMessages: 100, lingerMs: 50 },
      ...options,
    });
    producers.push(p);
    await p.start();
    broker.resetStats();
    return p;
  };

  before(async () => {
    time = new ManualTime();
    broker = await InProcessBroker.start();
  });

  after(async () => {
    await Promise.all(producers.map((p) => p.destroy()));
    await broker.shutdown();
  });

  test('linger: sends wait for lingerMs on the injected clock, then go as one request', async () => {
    const topic = uniqueTopic('linger');
    const p = await make(topic);
    const stored0 = broker.stats().stored;
    const calls = [0, 1, 2].map((i) => settled(p.send({ topic, body: `m${i}`, keys: [`k${i}`] })));
    await settleIo();
    time.advance(49);
    await settleIo();
    assert.equal(sends(), 0, 'nothing sent before the linger');
    assert.ok(calls.every((c) => !c.done));
    time.advance(1);
    await drive(time, () => calls.every((c) => c.done), 'the batch answered', { stepMs: 0 });
    const receipts = await Promise.all(calls.map((c) => c.promise));
    assert.equal(sends(), 1, 'one SendMessage for three sends');
    assert.equal(broker.stats().stored - stored0, 3);
    assert.equal(new Set(receipts.map((r) => r.messageId)).size, 3, 'each caller has its own id');
    for (const r of receipts) assert.ok(!r.messageId.includes(','));
    assert.deepEqual(
      receipts.map((r) => r.offset - receipts[0]!.offset),
      [0n, 1n, 2n],
      'offsets derived as first + index',
    );
  });

  test('size bounds: maxMessages and maxBytes send without waiting for the linger', async () => {
    const topic = uniqueTopic('size');
    const p = await make(topic, { batching: { maxMessages: 4, maxBytes: 100, lingerMs: 60_000 } });
    const byCount = Array.from({ length: 8 }, (_, i) => p.send({ topic, body: `c${i}` }));
    const r1 = await Promise.all(byCount);
    assert.equal(sends(), 2, 'two full batches of four');
    assert.equal(new Set(r1.map((r) => r.messageId)).size, 8);
    broker.resetStats();
    const body = 'x'.repeat(40);
    const a = settled(p.send({ topic, body }));
    const b = settled(p.send({ topic, body }));
    const c = settled(p.send({ topic, body }));
    await drive(time, () => a.done && b.done, 'the first two sent when the third would pass 100 bytes', {
      stepMs: 0,
    });
    assert.equal(sends(), 1);
    assert.equal(c.done, false, 'the third waits in a new batch');
    await drive(time, () => c.done, 'the linger sends the third', { stepMs: 10_000 });
    await c.promise;
    assert.equal(sends(), 2);
    const big = await p.send({ topic, body: 'y'.repeat(150) });
    assert.ok(big.messageId, 'a message larger than maxBytes goes alone, at once');
    assert.equal(sends(), 3);
  });

  test('a failed request: a non-retriable error rejects every caller; a retriable one is retried with the same ids', async () => {
    const topic = uniqueTopic('fail');
    const p = await make(topic, { maxAttempts: 3 });
    broker.faults.failNext('SendMessage', 1, { code: 40000, message: 'bad request for the test' });
    const failing = [0, 1, 2].map((i) => p.send({ topic, body: `f${i}` }));
    time.advance(50);
    for (const f of failing) {
      const err = await rejectsWith(f, 'BAD_REQUEST');
      assert.match(err.message, /bad request for the test/);
    }
    assert.equal(sends(), 1, 'one request, not retried');
    broker.resetStats();
    const stored0 = broker.stats().stored;
    broker.faults.failNext('SendMessage', 1, { grpcStatus: 14 });
    const retried = [0, 1, 2].map((i) => settled(p.send({ topic, body: `r${i}` })));
    await settleIo();
    time.advance(50);
    await drive(time, () => retried.every((r) => r.done), 'the retried batch answered', { stepMs: 0 });
    const receipts = await Promise.all(retried.map((r) => r.promise));
    assert.equal(sends(), 2, 'the whole request retried once');
    assert.equal(broker.stats().stored - stored0, 3, 'stored once');
    assert.equal(new Set(receipts.map((r) => r.messageId)).size, 3);
  });

  test("abort (or a spent timeoutMs) before the flush removes the caller's message: nothing sent for it", async () => {
    const topic = uniqueTopic('abort');
    const p = await make(topic);
    const stored0 = broker.stats().stored;
    const ac = new AbortController();
    const kept = settled(p.send({ topic, body: 'kept-1' }));
    const aborted = p.send({ topic, body: 'aborted' }, { signal: ac.signal });
    const kept2 = settled(p.send({ topic, body: 'kept-2' }));
    await settleIo();
    ac.abort();
    await rejectsWith(aborted, 'ABORTED');
    time.advance(50);
    await drive(time, () => kept.done && kept2.done, 'the rest sent', { stepMs: 0 });
    await Promise.all([kept.promise, kept2.promise]);
    assert.equal(sends(), 1);
    assert.equal(broker.stats().stored - stored0, 2, 'the aborted message was not sent');
    // A caller whose timeoutMs runs out while it waits is left out (TIMEOUT); the others still go.
    const before = sends();
    const storedBefore = broker.stats().stored;
    const short = p.send({ topic, body: 'too-late' }, { timeoutMs: 10 });
    const patient = settled(p.send({ topic, body: 'patient' }));
    await settleIo();
    time.advance(50);
    await rejectsWith(short, 'TIMEOUT');
    await drive(time, () => patient.done, 'the patient one sent', { stepMs: 0 });
    await patient.promise;
    assert.equal(sends() - before, 1);
    assert.equal(broker.stats().stored - storedBefore, 1, 'only the patient one stored');
    const early = new AbortController();
    early.abort();
    await rejectsWith(p.send({ topic, body: 'never' }, { signal: early.signal }), 'ABORTED');
  });

  test('shutdown sends what waits before closing; destroy rejects waiting callers at once, unsent', async () => {
    const topic = uniqueTopic('close');
    const p = await make(topic, { batching: { lingerMs: 60_000 } });
    const stored0 = broker.stats().stored;
    const waiting = [0, 1, 2].map((i) => p.send({ topic, body: `s${i}` }));
    await settleIo();
    assert.equal(sends(), 0);
    const closing = p.shutdown({ timeoutMs: 60_000 });
    const receipts = await Promise.all(waiting);
    await closing;
    assert.equal(receipts.length, 3);
    assert.equal(sends(), 1);
    assert.equal(broker.stats().stored - stored0, 3);
    assert.ok(
      Object.values(p.resources()).every((n) => n === 0),
      'nothing left after shutdown',
    );

    const q = await make(topic, { batching: { lingerMs: 60_000 } });
    const doomed = [0, 1].map((i) => q.send({ topic, body: `d${i}` }));
    await settleIo();
    await q.destroy();
    for (const d of doomed) await rejectsWith(d, 'CLOSED');
    assert.equal(sends(), 0, 'nothing sent for the destroyed callers');
    assert.ok(
      Object.values(q.resources()).every((n) => n === 0),
      'nothing left after destroy',
    );
  });

  test('interceptors see each batched message once, with its own receipt', async () => {
    const topic = uniqueTopic('hooks');
    const seen: Array<{ before: HookContext; after?: HookOutcome }> = [];
    const p = await make(topic, {
      interceptors: [
        {
          before: (ctx) => {
            seen.push({ before: ctx });
          },
          after: (ctx, outcome) => {
            const s = seen.find((x) => x.before === ctx);
            if (s !== undefined) s.after = outcome;
          },
        },
      ],
    });
    const calls = [0, 1, 2, 3].map((i) => settled(p.send({ topic, body: `h${i}` })));
    await drive(time, () => calls.every((c) => c.done), 'the batch answered', { stepMs: 25 });
    const receipts: SendReceipt[] = await Promise.all(calls.map((c) => c.promise));
    assert.equal(sends(), 1);
    assert.equal(seen.length, 4, 'one send hook per message');
    const bodies = seen.map((s) => (s.before.point === 'send' ? s.before.messages : []));
    assert.deepEqual(
      bodies.map((m) => m.length),
      [1, 1, 1, 1],
    );
    assert.deepEqual(
      seen.map((s) => s.after?.receipts?.[0]?.messageId),
      receipts.map((r) => r.messageId),
    );
  });

  test('OTel: one publish span per batched message, with its own id and the shared retry as its event', async () => {
    const otel = installOtel();
    try {
      const topic = uniqueTopic('otel');
      const p = await make(topic);
      broker.faults.failNext('SendMessage', 1, { code: 50001 });
      const calls = [0, 1, 2].map((i) => settled(p.send({ topic, body: `o${i}` })));
      await drive(time, () => calls.every((c) => c.done), 'the batch answered', { stepMs: 25 });
      const receipts = await Promise.all(calls.map((c) => c.promise));
      const spans = otel.named(`send ${topic}`);
      assert.equal(spans.length, 3, 'one span per message');
      assert.deepEqual(
        spans.map((s) => s.attributes['messaging.message.id']).sort(),
        receipts.map((r) => r.messageId).sort(),
      );
      for (const s of spans) {
        assert.equal(s.attributes['messaging.rocketmq.send.attempts'], 2);
        assert.deepEqual(
          s.events.map((e) => e.name),
          ['send attempt failed'],
        );
      }
      assert.equal(sends(), 2, 'the batch retried as one request');
    } finally {
      await otel.uninstall();
    }
  });

  test('FIFO and delay messages bypass the batcher', async () => {
    const topic = uniqueTopic('bypass');
    const p = await make(topic, { batching: { lingerMs: 60_000 } });
    const fifoTopic = uniqueTopic('bypass-fifo');
    broker.createTopic(fifoTopic, { type: 'FIFO' });
    const delayTopic = uniqueTopic('bypass-delay');
    broker.createTopic(delayTopic, { type: 'DELAY' });
    await p.send({ topic: fifoTopic, body: 'f', messageGroup: 'g' });
    await p.send({ topic: delayTopic, body: 'd', delayMs: 1_000 });
    assert.equal(sends(), 2, 'sent at once, without the linger');
  });

  test('bad batching options throw INVALID_ARGUMENT at construction', () => {
    const bad: unknown[] = [
      { maxMessages: 0 },
      { maxMessages: -1 },
      { maxMessages: 1.5 },
      { maxMessages: 1025 },
      { maxBytes: 0 },
      { maxBytes: -5 },
      { maxBytes: 4 * 1024 * 1024 + 1 },
      { lingerMs: -1 },
      { lingerMs: Number.NaN },
      { lingerMs: Number.POSITIVE_INFINITY },
      'yes',
      [],
    ];
    for (const batching of bad) {
      assert.throws(
        () => new Producer({ endpoints: broker.endpoint, batching: batching as ProducerOptions['batching'] }),
        (err: unknown) => err instanceof RocketMQError && err.code === 'INVALID_ARGUMENT',
        JSON.stringify(batching),
      );
    }
    const ok = new Producer({
      endpoints: broker.endpoint,
      batching: { maxMessages: 1024, maxBytes: 4 * 1024 * 1024, lingerMs: 0 },
    });
    producers.push(ok);
  });
});
