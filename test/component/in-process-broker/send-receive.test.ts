import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import {
  ClientType,
  Code,
  DigestType,
  Encoding,
  MessageType,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService } from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { codeName, message, text, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker, until } from './fixture.js';

async function consumer(fx: Awaited<ReturnType<typeof startBroker>>, group: string, topic: string) {
  const c = fx.client();
  await c.consumerSession(group, [topic]);
  return c;
}

describe('send → receive → ack', () => {
  test('a sent message is received once with the proxy system properties, and not again after ack', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('sr');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    const sent = message({
      topic,
      body: 'payload',
      tag: 'TagA',
      keys: ['k1', 'k2'],
      props: { color: 'red' },
    });
    const res = await c.send(sent);
    assert.equal(res.status?.code, Code.OK);
    assert.equal(res.entries.length, 1);
    assert.equal(res.entries[0]?.messageId, sent.systemProperties?.messageId);
    assert.equal(res.entries[0]?.transactionId, '');
    assert.equal(res.entries[0]?.recallHandle, '');

    const got = await c.receive({ group: 'g', topic, invisibleMs: 30_000 });
    assert.equal(codeName(got.status), 'OK');
    assert.equal(got.deliveryTimestamp, true);
    assert.equal(got.frames[0]?.content.case, 'status', 'status frame first');
    assert.equal(got.frames.at(-1)?.content.case, 'deliveryTimestamp', 'delivery timestamp last');
    assert.equal(got.messages.length, 1);
    const m = got.messages[0]!;
    const sys = m.systemProperties!;
    assert.equal(text(m), 'payload');
    assert.equal(sys.messageId, sent.systemProperties?.messageId);
    assert.equal(sys.tag, 'TagA');
    assert.deepEqual(sys.keys, ['k1', 'k2']);
    assert.deepEqual(m.userProperties, { color: 'red' });
    assert.equal(sys.deliveryAttempt, 1);
    assert.equal(sys.messageType, MessageType.NORMAL);
    assert.equal(sys.bodyEncoding, Encoding.IDENTITY);
    assert.equal(sys.bodyDigest?.type, DigestType.MD5);
    assert.equal(sys.bodyDigest?.checksum, createHash('md5').update('payload').digest('hex').toUpperCase());
    assert.ok(sys.receiptHandle);
    assert.equal(sys.queueOffset, 0n);
    assert.equal(sys.bornHost, 'test-host');
    assert.equal(timestampMs(sys.storeTimestamp!), fx.time!.now());

    const ack = await c.ackMessages('g', topic, got.messages);
    assert.equal(ack.status?.code, Code.OK);
    assert.equal(ack.entries[0]?.status?.code, Code.OK);

    fx.time!.advance(60_000);
    const again = await c.receive({ group: 'g', topic, invisibleMs: 30_000 });
    assert.equal(codeName(again.status), 'MESSAGE_NOT_FOUND');
    assert.equal(again.messages.length, 0);
    assert.equal(again.deliveryTimestamp, true);
    assert.equal(fx.broker.stats().acked, 1);
  });

  test('a deleted and re-created topic starts empty for every group', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('recreate');
    fx.broker.createTopic(topic, { queues: 1 });
    const c = await consumer(fx, 'g', topic);
    await c.send(message({ topic, body: 'old-1' }), message({ topic, body: 'old-2' }));
    assert.equal((await c.receive({ group: 'g', topic })).messages.length, 2);
    assert.equal(fx.broker.deleteTopic(topic), true);
    assert.equal(codeName((await c.queryRoute(topic)).status), 'TOPIC_NOT_FOUND');
    fx.broker.createTopic(topic, { queues: 1 });
    await c.send(message({ topic, body: 'new' }));
    assert.deepEqual((await c.receive({ group: 'g', topic })).messages.map(text), ['new']);
  });

  test('each consumer group gets its own copy', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('groups');
    fx.broker.createTopic(topic);
    const a = await consumer(fx, 'ga', topic);
    const b = await consumer(fx, 'gb', topic);
    await a.send(message({ topic, body: 'x' }));
    assert.equal((await a.receive({ group: 'ga', topic })).messages.length, 1);
    assert.equal((await b.receive({ group: 'gb', topic })).messages.length, 1);
  });

  test('an un-acked message is redelivered after its invisible time with delivery_attempt + 1', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('redeliver');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    await c.send(message({ topic, body: 'again' }));
    const first = await c.receive({ group: 'g', topic, invisibleMs: 15_000 });
    assert.equal(first.messages[0]?.systemProperties?.deliveryAttempt, 1);
    fx.time!.advance(14_999);
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, invisibleMs: 15_000 })).status),
      'MESSAGE_NOT_FOUND',
    );
    fx.time!.advance(1);
    const second = await c.receive({ group: 'g', topic, invisibleMs: 15_000 });
    assert.equal(second.messages.length, 1);
    assert.equal(second.messages[0]?.systemProperties?.deliveryAttempt, 2);
    assert.notEqual(
      second.messages[0]?.systemProperties?.receiptHandle,
      first.messages[0]?.systemProperties?.receiptHandle,
    );
    const stale = await c.ackMessages('g', topic, first.messages);
    assert.equal(stale.status?.code, Code.INVALID_RECEIPT_HANDLE);
    assert.equal(stale.entries[0]?.status?.code, Code.INVALID_RECEIPT_HANDLE);
  });

  test('after maxDeliveryAttempts the message goes to %DLQ%<group>, readable like any topic', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('dlq');
    fx.broker.createTopic(topic);
    fx.broker.createConsumerGroup('g-dlq', { maxDeliveryAttempts: 3 });
    const c = await consumer(fx, 'g-dlq', topic);
    const sent = message({ topic, body: 'poison' });
    await c.send(sent);
    for (let attempt = 1; attempt <= 3; attempt++) {
      const r = await c.receive({ group: 'g-dlq', topic, invisibleMs: 10_000 });
      assert.equal(r.messages[0]?.systemProperties?.deliveryAttempt, attempt);
      fx.time!.advance(10_000);
    }
    const none = await c.receive({ group: 'g-dlq', topic, invisibleMs: 10_000 });
    assert.equal(codeName(none.status), 'MESSAGE_NOT_FOUND');
    assert.equal(fx.broker.stats().deadLettered, 1);

    const dlqTopic = '%DLQ%g-dlq';
    const route = await c.queryRoute(dlqTopic);
    assert.equal(route.status?.code, Code.OK);
    const reader = await consumer(fx, 'dlq-reader', dlqTopic);
    const dead = await reader.receive({ group: 'dlq-reader', topic: dlqTopic, invisibleMs: 10_000 });
    assert.equal(dead.messages.length, 1);
    assert.equal(text(dead.messages[0]!), 'poison');
    assert.equal(dead.messages[0]?.systemProperties?.messageId, sent.systemProperties?.messageId);
    assert.deepEqual(dead.messages[0]?.systemProperties?.deadLetterQueue, {
      $typeName: 'apache.rocketmq.v2.DeadLetterQueue',
      topic,
      messageId: sent.systemProperties?.messageId,
    });
  });

  test('ForwardMessageToDeadLetterQueue moves and acks the message', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('fwd');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    await c.send(message({ topic }));
    const got = await c.receive({ group: 'g', topic });
    const m = got.messages[0]!;
    const res = await c.unary(MessagingService.method.forwardMessageToDeadLetterQueue, {
      group: { name: 'g' },
      topic: { name: topic },
      receiptHandle: m.systemProperties!.receiptHandle!,
      messageId: m.systemProperties!.messageId,
      deliveryAttempt: 1,
      maxDeliveryAttempts: 16,
    });
    assert.equal(res.status?.code, Code.OK);
    assert.equal(fx.broker.stats().deadLettered, 1);
    assert.equal((await c.ackMessages('g', topic, [m])).status?.code, Code.INVALID_RECEIPT_HANDLE);
  });

  test('ChangeInvisibleDuration returns a new handle; the old one stops working; the new one acks', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('cid');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    await c.send(message({ topic }));
    const got = await c.receive({ group: 'g', topic, invisibleMs: 10_000 });
    const m = got.messages[0]!;
    const changed = await c.changeInvisible('g', topic, m, 60_000);
    assert.equal(changed.status?.code, Code.OK);
    const newHandle = changed.receiptHandle;
    assert.ok(newHandle && newHandle !== m.systemProperties?.receiptHandle);
    fx.time!.advance(30_000);
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, invisibleMs: 10_000 })).status),
      'MESSAGE_NOT_FOUND',
    );
    assert.equal(
      (await c.ackMessages('g', topic, [m])).entries[0]?.status?.code,
      Code.INVALID_RECEIPT_HANDLE,
    );
    const ok = await c.ack('g', topic, {
      messageId: m.systemProperties!.messageId,
      receiptHandle: newHandle,
    });
    assert.equal(ok.status?.code, Code.OK);
  });

  test('ChangeInvisibleDuration to 0 makes the message receivable at once (a nack)', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('nack');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    await c.send(message({ topic }));
    const got = await c.receive({ group: 'g', topic, invisibleMs: 10_000 });
    await c.changeInvisible('g', topic, got.messages[0]!, 0);
    const again = await c.receive({ group: 'g', topic, invisibleMs: 10_000 });
    assert.equal(again.messages[0]?.systemProperties?.deliveryAttempt, 2);
  });

  test('ack of several entries: per-entry status, MULTIPLE_RESULTS on top; garbage handle → 50001', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('multi');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    await c.send(message({ topic }));
    const got = await c.receive({ group: 'g', topic });
    const m = got.messages[0]!;
    const res = await c.ack(
      'g',
      topic,
      { messageId: m.systemProperties!.messageId, receiptHandle: m.systemProperties!.receiptHandle! },
      { messageId: 'x', receiptHandle: '1 2 3 0 0 broker-0 0 5 999' },
      { messageId: 'y', receiptHandle: 'not-a-handle' },
    );
    assert.equal(res.status?.code, Code.MULTIPLE_RESULTS);
    assert.deepEqual(
      res.entries.map((e) => e.status?.code),
      [Code.OK, Code.INVALID_RECEIPT_HANDLE, Code.INTERNAL_SERVER_ERROR],
    );
  });

  test('batch send is answered with ONE entry (ids joined with ",") and stores every message', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('batch');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    const batch = [
      message({ topic, body: '1' }),
      message({ topic, body: '2' }),
      message({ topic, body: '3' }),
    ];
    const res = await c.send(...batch);
    assert.equal(res.status?.code, Code.OK);
    assert.equal(res.entries.length, 1);
    assert.equal(res.entries[0]?.messageId, batch.map((m) => m.systemProperties?.messageId).join(','));
    const got = await c.receive({ group: 'g', topic });
    assert.deepEqual(got.messages.map(text), ['1', '2', '3']);
    assert.equal(new Set(got.messages.map((m) => m.systemProperties?.queueId)).size, 1, 'one queue');
  });

  test('receive clamps batch size to 32 and honours smaller batches', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('clamp');
    fx.broker.createTopic(topic, { queues: 1 });
    const c = await consumer(fx, 'g', topic);
    await c.send(...Array.from({ length: 40 }, (_, i) => message({ topic, body: String(i) })));
    assert.equal((await c.receive({ group: 'g', topic, batch: 5 })).messages.length, 5);
    assert.equal((await c.receive({ group: 'g', topic, batch: 100 })).messages.length, 32);
  });

  test('receive without settings fails in-band (50001); invisible time out of range → 40011', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('noset');
    fx.broker.createTopic(topic);
    const stranger = fx.client();
    const r = await stranger.receive({ group: 'g', topic });
    assert.equal(codeName(r.status), 'INTERNAL_SERVER_ERROR');
    assert.equal(r.deliveryTimestamp, true);
    const c = await consumer(fx, 'g', topic);
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, invisibleMs: 9_999 })).status),
      'ILLEGAL_INVISIBLE_TIME',
    );
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, invisibleMs: 12 * 3600_000 + 1 })).status),
      'ILLEGAL_INVISIBLE_TIME',
    );
    assert.equal(
      codeName((await c.receive({ group: 'g', topic: 'no-such-topic' })).status),
      'TOPIC_NOT_FOUND',
    );
    assert.equal(codeName((await c.receive({ group: 'bad group', topic })).status), 'ILLEGAL_CONSUMER_GROUP');
  });

  test('a deadline too short for the minimum poll time → ILLEGAL_POLLING_TIME (BAD_REQUEST for old clients)', async (t) => {
    const fx = await startBroker(t, { longPollingMinMs: 5000 });
    const topic = uniqueName('poll');
    fx.broker.createTopic(topic);
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    const r = await c.receive({ group: 'g', topic, longPollMs: 20_000, deadlineMs: 2000 });
    assert.equal(codeName(r.status), 'ILLEGAL_POLLING_TIME');
    const old = fx.client({ clientVersion: '5.0.0' });
    await old.consumerSession('g', [topic]);
    assert.equal(
      codeName((await old.receive({ group: 'g', topic, longPollMs: 20_000, deadlineMs: 2000 })).status),
      'BAD_REQUEST',
    );
  });
});

describe('long polling', () => {
  test('a parked receive is woken by a send (no polling), in fake time', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('lp');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    const pending = c.receive({ group: 'g', topic, longPollMs: 20_000 });
    await until(() => fx.broker.stats().waitingReceives === 1, 5000, 'receive to park');
    await c.send(message({ topic, body: 'late' }));
    const got = await pending;
    assert.deepEqual(got.messages.map(text), ['late']);
    assert.equal(fx.broker.stats().waitingReceives, 0);
  });

  test('a parked receive ends with MESSAGE_NOT_FOUND when the poll time elapses', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('lp2');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    const pending = c.receive({ group: 'g', topic, longPollMs: 30_000, deadlineMs: 60_000 });
    await until(() => fx.broker.stats().waitingReceives === 1, 5000, 'receive to park');
    fx.time!.advance(19_999);
    assert.equal(fx.broker.stats().waitingReceives, 1, 'poll time is clamped to 20 s, not over yet');
    fx.time!.advance(1);
    const got = await pending;
    assert.equal(codeName(got.status), 'MESSAGE_NOT_FOUND');
    assert.equal(got.deliveryTimestamp, true);
  });

  test('a cancelled receive keeps polling like the proxy: what it pops after the cancel is nacked and comes back 1 s later as attempt 2', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('lp-cancel');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    const cancel = new AbortController();
    const pending = c.receive({ group: 'g', topic, longPollMs: 20_000, signal: cancel.signal });
    await until(() => fx.broker.stats().waitingReceives === 1, 5000, 'receive to park');
    cancel.abort();
    await assert.rejects(pending);
    await until(() => fx.broker.stats().receiveStreams === 0, 5000, 'the cancel to reach the broker');
    assert.equal(fx.broker.stats().waitingReceives, 1, 'the pop goes on inside the broker');
    await c.send(message({ topic, body: 'after the cancel' }));
    await until(() => fx.broker.stats().inflight === 1, 5000, 'the orphaned pop to take it');
    assert.equal(fx.broker.stats().waitingReceives, 0);
    fx.time!.advance(999);
    const early = await c.receive({ group: 'g', topic });
    assert.equal(early.messages.length, 0, 'still invisible just before 1 s');
    fx.time!.advance(1);
    const got = await c.receive({ group: 'g', topic });
    assert.deepEqual(got.messages.map(text), ['after the cancel']);
    assert.equal(got.messages[0]?.systemProperties?.deliveryAttempt, 2);
  });

  test('a redelivery (invisibility expiry) wakes a parked receive', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('lp3');
    fx.broker.createTopic(topic);
    const c = await consumer(fx, 'g', topic);
    await c.send(message({ topic }));
    await c.receive({ group: 'g', topic, invisibleMs: 10_000 });
    const pending = c.receive({ group: 'g', topic, longPollMs: 20_000 });
    await until(() => fx.broker.stats().waitingReceives === 1, 5000, 'receive to park');
    fx.time!.advance(10_000);
    const got = await pending;
    assert.equal(got.messages[0]?.systemProperties?.deliveryAttempt, 2);
  });

  test('auto_renew receives use the 60 s invisibility and stay invisible while the client is alive', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('renew');
    fx.broker.createTopic(topic);
    const c = fx.client();
    await c.consumerSession('g', [topic], ClientType.PUSH_CONSUMER);
    await c.send(message({ topic }));
    const got = await c.receive({ group: 'g', topic, autoRenew: true });
    assert.equal(got.messages.length, 1);
    fx.time!.advance(55_000);
    await c.heartbeat(ClientType.PUSH_CONSUMER, 'g');
    fx.time!.advance(55_000);
    await c.heartbeat(ClientType.PUSH_CONSUMER, 'g');
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, autoRenew: true })).status),
      'MESSAGE_NOT_FOUND',
    );
    const ack = await c.ackMessages('g', topic, got.messages);
    assert.equal(ack.status?.code, Code.OK, 'the original handle still acks after renewals');
  });
});
