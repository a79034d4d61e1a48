import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { durationMs } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import {
  AddressScheme,
  ClientType,
  Code,
  MessageType,
  Permission,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  MessagingService,
  PullMessageRequestSchema,
} from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { codeName, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker } from './fixture.js';

describe('QueryRoute / QueryAssignment', () => {
  test('route lists every queue READ_WRITE on broker id 0 at this server, with the topic type', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('route');
    broker.createTopic(topic, { type: 'FIFO', queues: 3 });
    const res = await client().queryRoute(topic);
    assert.equal(res.status?.code, Code.OK);
    assert.deepEqual(
      res.messageQueues.map((q) => q.id),
      [0, 1, 2],
    );
    for (const q of res.messageQueues) {
      assert.equal(q.permission, Permission.READ_WRITE);
      assert.equal(q.broker?.id, 0);
      assert.equal(q.broker?.endpoints?.scheme, AddressScheme.IPv4);
      assert.deepEqual(
        q.broker?.endpoints?.addresses.map((a) => `${a.host}:${a.port}`),
        [broker.endpoint],
      );
      assert.deepEqual(q.acceptMessageTypes, [MessageType.FIFO]);
      assert.equal(q.topic?.name, topic);
    }
  });

  test('unknown topic → TOPIC_NOT_FOUND, invalid name → ILLEGAL_TOPIC, system topic → ILLEGAL_TOPIC', async (t) => {
    const { client } = await startBroker(t);
    const c = client();
    assert.equal(codeName((await c.queryRoute('missing-topic')).status), 'TOPIC_NOT_FOUND');
    assert.equal(codeName((await c.queryRoute('bad topic!')).status), 'ILLEGAL_TOPIC');
    assert.equal(codeName((await c.queryRoute('RMQ_SYS_TRANS_HALF_TOPIC')).status), 'ILLEGAL_TOPIC');
  });

  test('autoCreateTopics creates NORMAL topics on first route', async (t) => {
    const { client } = await startBroker(t, { autoCreateTopics: true, defaultQueueCount: 2 });
    const res = await client().queryRoute(uniqueName('auto'));
    assert.equal(res.status?.code, Code.OK);
    assert.equal(res.messageQueues.length, 2);
    assert.deepEqual(res.messageQueues[0]?.acceptMessageTypes, [MessageType.NORMAL]);
  });

  test('an access point without an address scheme is rejected like the proxy (50001)', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('scheme');
    broker.createTopic(topic);
    const res = await client().unary(MessagingService.method.queryRoute, {
      topic: { name: topic },
      endpoints: { scheme: AddressScheme.ADDRESS_SCHEME_UNSPECIFIED, addresses: [{ host: 'x', port: 1 }] },
    });
    assert.equal(codeName(res.status), 'INTERNAL_SERVER_ERROR');
  });

  test('assignment: one entry with queue id -1 for a normal group, one per queue for a FIFO group', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('assign');
    broker.createTopic(topic, { queues: 3 });
    broker.createConsumerGroup('fifo-group', { fifo: true });
    const ask = (group: string) =>
      client().unary(MessagingService.method.queryAssignment, {
        topic: { name: topic },
        group: { name: group },
        endpoints: { scheme: AddressScheme.IPv4, addresses: [{ host: '127.0.0.1', port: broker.port }] },
      });
    const normal = await ask('plain-group');
    assert.equal(normal.status?.code, Code.OK);
    assert.deepEqual(
      normal.assignments.map((a) => a.messageQueue?.id),
      [-1],
    );
    const fifo = await ask('fifo-group');
    assert.deepEqual(
      fifo.assignments.map((a) => a.messageQueue?.id),
      [0, 1, 2],
    );
    assert.equal(fifo.assignments[0]?.messageQueue?.broker?.name, 'broker-0');
  });
});

describe('Telemetry settings handshake', () => {
  test('producer settings come back merged with the server defaults', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('p');
    broker.createTopic(topic);
    const c = client();
    const { reply, telemetry } = await c.producerSession([topic]);
    assert.equal(reply.status?.code, Code.OK);
    assert.equal(reply.command.case, 'settings');
    const s = reply.command.value!;
    assert.equal(s.clientType, ClientType.PRODUCER);
    assert.equal(s.backoffPolicy?.maxAttempts, 3);
    assert.equal(s.backoffPolicy?.strategy.case, 'exponentialBackoff');
    const exp =
      s.backoffPolicy?.strategy.case === 'exponentialBackoff' ? s.backoffPolicy.strategy.value : undefined;
    assert.equal(durationMs(exp!.initial!), 10);
    assert.equal(durationMs(exp!.max!), 1000);
    assert.equal(exp?.multiplier, 2);
    assert.equal(s.pubSub.case, 'publishing');
    assert.equal(s.pubSub.value?.maxBodySize, 4 * 1024 * 1024);
    assert.equal(s.pubSub.value?.validateMessageType, true);
    assert.equal(s.metric?.on, false);
    assert.deepEqual(broker.clientIds, [c.clientId]);
    telemetry.close();
  });

  test('consumer settings carry batch size, long polling, fifo and the group retry policy', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('c');
    broker.createTopic(topic);
    broker.createConsumerGroup('g-fifo', { fifo: true, maxDeliveryAttempts: 5 });
    const { reply: plain } = await client().consumerSession('g-default', [topic], ClientType.PUSH_CONSUMER);
    assert.equal(plain.command.case, 'settings');
    const settings = plain.command.case === 'settings' ? plain.command.value : undefined;
    assert.ok(settings);
    assert.equal(settings.pubSub.case, 'subscription');
    const sub = settings.pubSub.case === 'subscription' ? settings.pubSub.value : undefined;
    assert.equal(sub?.receiveBatchSize, 32);
    assert.equal(durationMs(sub!.longPollingTimeout!), 20_000);
    assert.equal(sub?.fifo, false);
    assert.equal(settings.backoffPolicy?.maxAttempts, 17);
    assert.equal(settings.backoffPolicy?.strategy.case, 'customizedBackoff');
    const next =
      settings.backoffPolicy?.strategy.case === 'customizedBackoff'
        ? settings.backoffPolicy.strategy.value.next
        : [];
    assert.deepEqual(
      next.slice(0, 4).map((d) => durationMs(d)),
      [1000, 5000, 10_000, 30_000],
    );
    assert.equal(next.length, 18);
    assert.equal(durationMs(next[17]!), 2 * 3600_000);

    const { reply: fifo } = await client().consumerSession('g-fifo', [topic], ClientType.PUSH_CONSUMER);
    const fs = fifo.command.case === 'settings' ? fifo.command.value : undefined;
    assert.equal(fs?.pubSub.case === 'subscription' && fs.pubSub.value.fifo, true);
    assert.equal(fs?.backoffPolicy?.maxAttempts, 5);
  });

  test('clientSettings(): plain summary of the merged producer and consumer settings', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('s');
    broker.createTopic(topic);
    broker.createConsumerGroup('g-sum', { fifo: true, maxDeliveryAttempts: 4 });
    assert.equal(broker.clientSettings('nobody'), undefined);

    const p = client();
    await p.producerSession([topic]);
    assert.deepEqual(broker.clientSettings(p.clientId), {
      clientType: 'PRODUCER',
      properties: {},
      requestTimeoutMs: 3000,
      backoffPolicy: {
        maxAttempts: 3,
        strategy: { kind: 'exponential', initialMs: 10, maxMs: 1000, multiplier: 2 },
      },
      topics: [topic],
      maxBodySize: 4 * 1024 * 1024,
      validateMessageType: true,
    });

    const c = client();
    await c.consumerSession('g-sum', [topic], ClientType.PUSH_CONSUMER);
    const summary = broker.clientSettings(c.clientId);
    assert.equal(summary?.clientType, 'PUSH_CONSUMER');
    assert.equal(summary?.group, 'g-sum');
    assert.deepEqual(summary?.subscriptions, [{ topic, filterType: 'TAG', expression: '*' }]);
    assert.equal(summary?.fifo, true);
    assert.equal(summary?.receiveBatchSize, 32);
    assert.equal(summary?.longPollingTimeoutMs, 20_000);
    assert.equal(summary?.backoffPolicy?.maxAttempts, 4);
    assert.equal(summary?.backoffPolicy?.strategy?.kind, 'customized');
    assert.equal(summary?.topics, undefined);
    // Plain data: survives a JSON round trip unchanged.
    assert.deepEqual(JSON.parse(JSON.stringify(summary)), summary);
  });

  test('settings without publishing or subscription end the stream with INVALID_ARGUMENT', async (t) => {
    const { client } = await startBroker(t);
    const telemetry = client().telemetry();
    telemetry.write({ command: { case: 'settings', value: { clientType: ClientType.PRODUCER } } });
    const end = await telemetry.ended;
    assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
  });

  test('settings with an invalid topic end the stream with INVALID_ARGUMENT', async (t) => {
    const { client } = await startBroker(t);
    const telemetry = client().telemetry();
    telemetry.write({
      command: {
        case: 'settings',
        value: {
          clientType: ClientType.PRODUCER,
          pubSub: { case: 'publishing', value: { topics: [{ name: 'bad topic' }] } },
        },
      },
    });
    const end = await telemetry.ended;
    assert.equal(end.code, grpc.status.INVALID_ARGUMENT);
    assert.match(end.details, /process client telemetryCommand failed/);
  });

  test('an unknown x-mq-language fails registration with gRPC INTERNAL', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('lang');
    broker.createTopic(topic);
    const c = client({ language: 'KLINGON' });
    const telemetry = c.telemetry();
    telemetry.write({
      command: {
        case: 'settings',
        value: {
          clientType: ClientType.PRODUCER,
          pubSub: { case: 'publishing', value: { topics: [{ name: topic }] } },
        },
      },
    });
    assert.equal((await telemetry.ended).code, grpc.status.INTERNAL);
  });

  test('blank client id: one status-only frame (40017), then the stream completes', async (t) => {
    const { client } = await startBroker(t);
    const telemetry = client({ clientId: '' }).telemetry();
    telemetry.write({ command: { case: 'settings', value: { clientType: ClientType.PRODUCER } } });
    const frame = await telemetry.next();
    assert.equal(frame.status?.code, Code.CLIENT_ID_REQUIRED);
    assert.equal(frame.command.case, undefined);
    assert.equal((await telemetry.ended).code, grpc.status.OK);
  });
});

describe('Heartbeat / NotifyClientTermination', () => {
  test('heartbeat without settings → UNRECOGNIZED_CLIENT_TYPE (40015); with settings → OK', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('hb');
    broker.createTopic(topic);
    const c = client();
    const before = await c.heartbeat(ClientType.PRODUCER);
    assert.equal(before.status?.code, 40015);
    const { telemetry } = await c.producerSession([topic]);
    assert.equal((await c.heartbeat(ClientType.PRODUCER)).status?.code, Code.OK);
    telemetry.close();
  });

  test('consumer heartbeat needs a valid group', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('hbc');
    broker.createTopic(topic);
    const c = client();
    await c.consumerSession('g1', [topic]);
    assert.equal(codeName((await c.heartbeat(ClientType.SIMPLE_CONSUMER, 'g1')).status), 'OK');
    assert.equal(codeName((await c.heartbeat(ClientType.SIMPLE_CONSUMER)).status), 'ILLEGAL_CONSUMER_GROUP');
  });

  test('termination forgets the settings: a second one → 40015', async (t) => {
    const { broker, client } = await startBroker(t);
    const topic = uniqueName('term');
    broker.createTopic(topic);
    const c = client();
    await c.producerSession([topic]);
    const first = await c.unary(MessagingService.method.notifyClientTermination, {});
    assert.equal(first.status?.code, Code.OK);
    const second = await c.unary(MessagingService.method.notifyClientTermination, {});
    assert.equal(second.status?.code, Code.UNRECOGNIZED_CLIENT_TYPE);
    assert.equal((await c.heartbeat(ClientType.PRODUCER)).status?.code, Code.UNRECOGNIZED_CLIENT_TYPE);
  });

  test('blank client id on a unary call → CLIENT_ID_REQUIRED in-band', async (t) => {
    const { client } = await startBroker(t);
    const res = await client({ omit: ['x-mq-client-id'] }).heartbeat(ClientType.PRODUCER);
    assert.equal(res.status?.code, Code.CLIENT_ID_REQUIRED);
  });
});

describe('RPCs the proxy does not implement', () => {
  test('UpdateOffset, GetOffset, QueryOffset → gRPC UNIMPLEMENTED', async (t) => {
    const { client, broker } = await startBroker(t);
    const c = client();
    for (const method of [
      MessagingService.method.updateOffset,
      MessagingService.method.getOffset,
      MessagingService.method.queryOffset,
    ]) {
      await assert.rejects(
        c.unary(method as typeof MessagingService.method.getOffset, {}),
        (e: grpc.ServiceError) => e.code === grpc.status.UNIMPLEMENTED,
      );
    }
    await assert.rejects(
      c.serverStream(MessagingService.method.pullMessage, create(PullMessageRequestSchema), 5000),
      (e: grpc.ServiceError) =>
        e.code === grpc.status.UNIMPLEMENTED && /PullMessage is unimplemented/.test(e.details),
    );
    assert.equal(broker.stats().calls.PullMessage, 1);
    assert.equal(broker.stats().calls.GetOffset, 1);
  });
});

describe('expired clients (forgetExpiredClients)', () => {
  test('a client silent for longer than clientExpiryMs is forgotten at the next scan: heartbeat → 40015 until it sends its settings again; an active one is kept; off by default', async (t) => {
    const { broker, client, time } = await startBroker(t, {
      fakeTime: true,
      forgetExpiredClients: true,
      clientExpiryMs: 20_000,
      clientExpiryScanMs: 1_000,
    });
    const topic = uniqueName('exp');
    broker.createTopic(topic);
    const silent = client();
    const active = client();
    const a = await silent.producerSession([topic]);
    const b = await active.producerSession([topic]);
    assert.equal((await silent.heartbeat(ClientType.PRODUCER)).status?.code, Code.OK);
    for (let i = 0; i < 5; i++) {
      time!.advance(5_000);
      assert.equal((await active.heartbeat(ClientType.PRODUCER)).status?.code, Code.OK);
    }
    // 25 s without a word from `silent`: forgotten; `active` spoke 0 s ago.
    assert.equal(broker.clientSettings(silent.clientId), undefined);
    assert.ok(broker.clientSettings(active.clientId) !== undefined);
    assert.equal(broker.stats().expiredClients, 1);
    const lost = await silent.heartbeat(ClientType.PRODUCER);
    assert.equal(lost.status?.code, Code.UNRECOGNIZED_CLIENT_TYPE);
    // Settings sent again on its still-open stream: known again.
    a.telemetry.write({
      command: {
        case: 'settings',
        value: {
          clientType: ClientType.PRODUCER,
          pubSub: { case: 'publishing', value: { topics: [{ name: topic }] } },
        },
      },
    });
    assert.equal((await a.telemetry.next()).command.case, 'settings');
    assert.equal((await silent.heartbeat(ClientType.PRODUCER)).status?.code, Code.OK);
    a.telemetry.close();
    b.telemetry.close();

    const plain = await startBroker(t, { fakeTime: true, clientExpiryMs: 20_000 });
    plain.broker.createTopic(topic);
    const old = plain.client();
    const s = await old.producerSession([topic]);
    plain.time!.advance(60_000);
    assert.equal(
      (await old.heartbeat(ClientType.PRODUCER)).status?.code,
      Code.OK,
      'not forgotten by default',
    );
    s.telemetry.close();
  });
});
