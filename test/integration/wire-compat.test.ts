/**
 * Issue A's proof that our own .proto files are wire-compatible with a real RocketMQ 5.x proxy,
 * using generated types and grpc-js only (no client layers): QueryRoute, the Telemetry settings
 * handshake, Heartbeat, SendMessage, ReceiveMessage, AckMessage — and no redelivery after an ack.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code, type Message, MessageType, Permission } from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService } from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import type { BrokerHandle } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import {
  accessPoint,
  ackOne,
  handshake,
  queryRoute,
  receiveOnce,
  sendOne,
  writableQueue,
} from '../helpers/raw-flow.js';

describe('wire compatibility with a real RocketMQ 5.x proxy', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';
  const topic = uniqueName('wire');
  const group = uniqueName('wire-g');
  let producer: RawClient;
  let consumer: RawClient;

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') {
      skipReason = `no RocketMQ broker available: ${b}`;
      return;
    }
    broker = b;
    await broker.createTopic(topic, 'NORMAL');
    await broker.createConsumerGroup(group);
    producer = new RawClient(broker.endpoint);
    consumer = new RawClient(broker.endpoint);
  });

  after(async () => {
    producer?.close();
    consumer?.close();
    await releaseSharedBroker();
  });

  test('QueryRoute returns the topic queues served through the proxy endpoint', async (t) => {
    if (!broker) return t.skip(skipReason);
    const queues = await queryRoute(producer, topic);
    assert.ok(queues.length > 0, 'at least one queue');
    const port = Number(broker.endpoint.split(':').pop());
    for (const q of queues) {
      assert.equal(q.topic?.name, topic);
      assert.ok(q.broker?.name, 'broker name present');
      assert.equal(q.broker?.endpoints?.addresses[0]?.port, port, 'queues are served through the proxy port');
      assert.ok(q.acceptMessageTypes.includes(MessageType.NORMAL), 'a NORMAL topic accepts NORMAL');
    }
    assert.ok(queues.some((q) => q.permission === Permission.READ_WRITE), 'a read-write queue exists');
  });

  test('QueryRoute of an unknown topic answers TOPIC_NOT_FOUND in-band', async (t) => {
    if (!broker) return t.skip(skipReason);
    const res = await producer.unary(MessagingService.method.queryRoute, {
      topic: { name: uniqueName('missing') },
      endpoints: accessPoint(broker.endpoint),
    });
    assert.equal(res.status?.code, Code.TOPIC_NOT_FOUND);
  });

  test('send, receive and ack one message; it is not redelivered', async (t) => {
    if (!broker) return t.skip(skipReason);

    const p = await handshake(producer, { kind: 'producer', topics: [topic] });
    t.after(() => p.telemetry.close());
    assert.equal(p.settings.command.case, 'settings');
    if (p.settings.command.case === 'settings') {
      const s = p.settings.command.value;
      assert.equal(s.pubSub.case, 'publishing');
      if (s.pubSub.case === 'publishing') assert.equal(s.pubSub.value.maxBodySize, 4 * 1024 * 1024);
      assert.ok(s.backoffPolicy?.maxAttempts, 'the server returns a backoff policy');
    }

    const body = Buffer.from(`hello wire ${Date.now()}`);
    const id = await sendOne(producer, {
      topic,
      body,
      tag: 'TagA',
      keys: ['k1', 'k2'],
      properties: { color: 'blue', 'x-request-id': 'req-1' },
    });
    // A control message received but never acked must come back after its invisibility: this is
    // what lets the "acked message is not redelivered" check fail.
    const controlId = await sendOne(producer, { topic, body: Buffer.from('control'), tag: 'Control' });

    const c = await handshake(consumer, { kind: 'simple-consumer', group, topic });
    t.after(() => c.telemetry.close());
    const queue = writableQueue(await queryRoute(consumer, topic));

    const seen = new Map<string, Message>();
    for (let i = 0; i < 6 && seen.size < 2; i++) {
      const r = await receiveOnce(consumer, group, queue, 10_000, 5000);
      assert.ok(
        r.statuses.every((code) => code === Code.OK || code === Code.MESSAGE_NOT_FOUND),
        `receive statuses ${r.statuses}`,
      );
      for (const m of r.messages) seen.set(m.systemProperties?.messageId ?? '', m);
    }
    const got = seen.get(id);
    assert.ok(got, 'the sent message was received');
    assert.ok(seen.get(controlId), 'the control message was received');
    assert.deepEqual(Buffer.from(got.body), body);
    assert.equal(got.topic?.name, topic);
    assert.equal(got.systemProperties?.tag, 'TagA');
    assert.deepEqual([...(got.systemProperties?.keys ?? [])].sort(), ['k1', 'k2']);
    assert.equal(got.userProperties.color, 'blue');
    assert.equal(got.userProperties['x-request-id'], 'req-1');
    assert.equal(got.systemProperties?.deliveryAttempt, 1);
    assert.ok(got.systemProperties?.receiptHandle, 'receipt handle present');

    await ackOne(consumer, group, topic, got);

    const redelivered = new Set<string>();
    for (let i = 0; i < 5 && !redelivered.has(controlId); i++) {
      const r = await receiveOnce(consumer, group, queue, 10_000, 5000);
      for (const m of r.messages) {
        const mid = m.systemProperties?.messageId ?? '';
        redelivered.add(mid);
        assert.notEqual(mid, id, 'an acked message must not be redelivered');
        if (mid === controlId) assert.equal(m.systemProperties?.deliveryAttempt, 2);
      }
    }
    assert.ok(redelivered.has(controlId), 'the un-acked control message came back');
  });
});
