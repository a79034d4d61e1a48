import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Encoding } from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import { DeliveryEngine, type PopRequest } from '../../../src/testing/delivery.js';
import { compileTagFilter, MATCH_ALL } from '../../../src/testing/filter.js';
import { ManualTime } from '../../../src/testing/manual-time.js';
import { BrokerStatusError } from '../../../src/testing/status.js';
import { MessageStore, type StoredMessage } from '../../../src/testing/store.js';

function setup(queues = 2) {
  const time = new ManualTime(1_000_000);
  const scheduler = new Scheduler({ timers: time });
  const notified: string[] = [];
  const store = new MessageStore({ clock: time, onVisible: (t) => notified.push(t) });
  const topic = store.createTopic('t', 'NORMAL', queues);
  let alive = true;
  const engine = new DeliveryEngine({
    clock: time,
    scheduler,
    store,
    brokerName: 'b',
    onAvailable: (t) => notified.push(t),
    isClientAlive: () => alive,
    autoRenew: { invisibleMs: 60_000, aheadMs: 10_000, maxTotalMs: 3 * 3600_000 },
  });
  let n = 0;
  const put = (over: Partial<StoredMessage> = {}, queueId = 0): StoredMessage =>
    store.append({
      topic: 't',
      messageId: `m${n++}`,
      body: new Uint8Array([1]),
      bodyEncoding: Encoding.IDENTITY,
      userProperties: {},
      tag: undefined,
      keys: [],
      messageGroup: undefined,
      deliveryTimestampMs: undefined,
      priority: undefined,
      traceContext: undefined,
      bornTimestampMs: 0,
      bornHost: 'h',
      queueId,
      queueOffset: -1,
      storeTimestampMs: 0,
      ...over,
    });
  const req = (over: Partial<PopRequest> = {}): PopRequest => ({
    group: 'g',
    topic,
    filter: MATCH_ALL,
    batchSize: 32,
    invisibleMs: 30_000,
    fifo: false,
    maxAttempts: 17,
    ...over,
  });
  return {
    time,
    scheduler,
    store,
    engine,
    put,
    req,
    notified,
    setAlive: (v: boolean) => {
      alive = v;
    },
  };
}

const ids = (d: Array<{ message: StoredMessage }>) => d.map((x) => x.message.messageId);

describe('DeliveryEngine', () => {
  test('pop hands out each message once; ack removes it for good', () => {
    const { engine, put, req, time } = setup();
    put();
    put({}, 1);
    const first = engine.pop(req());
    assert.equal(first.length, 2);
    assert.deepEqual(engine.pop(req()), []);
    for (const d of first) engine.ack('g', 't', d.receiptHandle);
    time.advance(60_000);
    assert.deepEqual(engine.pop(req()), []);
    assert.equal(engine.ackedCount, 2);
  });

  test('an un-acked message comes back after the invisible time with attempt + 1, and the old handle dies', () => {
    const { engine, put, req, time, notified } = setup();
    put();
    const [d1] = engine.pop(req());
    assert.equal(d1?.deliveryAttempt, 1);
    time.advance(29_999);
    assert.deepEqual(engine.pop(req()), []);
    notified.length = 0;
    time.advance(1);
    assert.deepEqual(notified, ['t'], 'expiry wakes long polls');
    const [d2] = engine.pop(req());
    assert.equal(d2?.deliveryAttempt, 2);
    assert.notEqual(d2?.receiptHandle, d1?.receiptHandle);
    assert.throws(
      () => engine.ack('g', 't', d1!.receiptHandle),
      (e: unknown) => e instanceof BrokerStatusError && e.code === 40013,
    );
  });

  test('after maxAttempts deliveries the message moves to %DLQ%<group>', () => {
    const { engine, put, req, time, store } = setup();
    put();
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [d] = engine.pop(req({ maxAttempts: 3 }));
      assert.equal(d?.deliveryAttempt, attempt);
      time.advance(30_000);
    }
    assert.deepEqual(engine.pop(req({ maxAttempts: 3 })), []);
    assert.equal(engine.deadLetteredCount, 1);
    const dlq = store.topic('%DLQ%g');
    assert.equal(dlq?.queues[0]?.[0]?.messageId, 'm0');
    assert.deepEqual(dlq?.queues[0]?.[0]?.deadLetter, { topic: 't', messageId: 'm0' });
  });

  test('changeInvisibleDuration rotates the handle and moves the expiry', () => {
    const { engine, put, req, time } = setup();
    put();
    const [d] = engine.pop(req());
    const h2 = engine.changeInvisibleDuration('g', 't', d!.receiptHandle, 5_000);
    assert.notEqual(h2, d!.receiptHandle);
    assert.throws(() => engine.ack('g', 't', d!.receiptHandle), BrokerStatusError);
    time.advance(5_000);
    const [again] = engine.pop(req());
    assert.equal(again?.deliveryAttempt, 2);
  });

  test('filters consume non-matching messages for the group', () => {
    const { engine, put, req } = setup(1);
    put({ tag: 'a' });
    put({ tag: 'b' });
    put({ tag: 'a' });
    assert.deepEqual(ids(engine.pop(req({ filter: compileTagFilter('a') }))), ['m0', 'm2']);
    assert.deepEqual(engine.pop(req()), [], 'the skipped b is not offered later');
  });

  test('orderly pop blocks a queue while a batch of it is in flight', () => {
    const { engine, put, req, time } = setup(1);
    put({ messageGroup: 'x' });
    put({ messageGroup: 'x' });
    const first = engine.pop(req({ fifo: true, batchSize: 1 }));
    assert.deepEqual(ids(first), ['m0']);
    assert.deepEqual(engine.pop(req({ fifo: true, batchSize: 1 })), [], 'blocked by m0');
    engine.ack('g', 't', first[0]!.receiptHandle);
    assert.deepEqual(ids(engine.pop(req({ fifo: true, batchSize: 1 }))), ['m1']);
    time.advance(30_000);
    const retry = engine.pop(req({ fifo: true }));
    assert.deepEqual(ids(retry), ['m1']);
    assert.equal(retry[0]?.deliveryAttempt, 2);
  });

  test('orderly pop re-serves an in-flight batch to the same attempt id', () => {
    const { engine, put, req } = setup(1);
    put();
    put();
    const a = engine.pop(req({ fifo: true, attemptId: 'A' }));
    assert.equal(a.length, 2);
    assert.deepEqual(engine.pop(req({ fifo: true, attemptId: 'B' })), []);
    const again = engine.pop(req({ fifo: true, attemptId: 'A' }));
    assert.deepEqual(ids(again), ids(a));
  });

  test('auto-renew keeps a message invisible while the client is alive, then lets it expire', () => {
    const { engine, put, req, time, setAlive } = setup(1);
    put();
    engine.pop(req({ autoRenewClientId: 'c1' }));
    time.advance(10 * 60_000);
    assert.deepEqual(engine.pop(req()), [], 'still renewed after 10 minutes');
    setAlive(false);
    time.advance(60_000);
    const [d] = engine.pop(req());
    assert.equal(d?.deliveryAttempt, 2);
  });
});
