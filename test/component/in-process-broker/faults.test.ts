import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ClientType, Code, MessageType } from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import type { BrokerCommand, PlainMessage } from '../../../src/testing/index.js';
import { codeName, message, text, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker, until } from './fixture.js';

const settle = () => new Promise((r) => setImmediate(r));

describe('fault hooks', () => {
  test('delay(rpc, ms) holds calls for ms of broker time', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('f-delay');
    fx.broker.createTopic(topic);
    fx.broker.faults.delay('QueryRoute', 5_000);
    let done = false;
    const pending = fx
      .client()
      .queryRoute(topic)
      .then((r) => {
        done = true;
        return r;
      });
    await until(() => fx.broker.stats().calls.QueryRoute === 1, 5000, 'call to arrive');
    fx.time!.advance(4_999);
    await settle();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(done, false, 'still delayed');
    fx.time!.advance(1);
    assert.equal((await pending).status?.code, Code.OK);
  });

  test('failNext with a broker code answers in-band n times, then recovers; calls are counted', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('f-fail');
    fx.broker.createTopic(topic);
    const c = fx.client();
    fx.broker.faults.failNext('SendMessage', 2, { code: Code.TOO_MANY_REQUESTS, message: 'flow limit' });
    const r1 = await c.send(message({ topic }));
    const r2 = await c.send(message({ topic }));
    const r3 = await c.send(message({ topic }));
    assert.deepEqual(
      [r1, r2, r3].map((r) => codeName(r.status)),
      ['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS', 'OK'],
    );
    assert.equal(r1.status?.message, 'flow limit');
    assert.equal(fx.broker.stats().calls.SendMessage, 3);
    assert.equal(fx.broker.stats().stored, 1);
  });

  test('failNext with a gRPC status fails the call at the transport level', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('f-grpc');
    fx.broker.createTopic(topic);
    const c = fx.client();
    fx.broker.faults.failNext('QueryRoute', 1, { grpcStatus: grpc.status.UNAVAILABLE });
    fx.broker.faults.failNext('Heartbeat', 1, { code: grpc.status.DEADLINE_EXCEEDED });
    await assert.rejects(c.queryRoute(topic), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
    await assert.rejects(
      c.heartbeat(ClientType.PRODUCER),
      (e: grpc.ServiceError) => e.code === grpc.status.DEADLINE_EXCEEDED,
    );
    assert.equal((await c.queryRoute(topic)).status?.code, Code.OK);
  });

  test('failNext on streams: ReceiveMessage gets status + timestamp, Telemetry a status-only frame', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('f-stream');
    fx.broker.createTopic(topic);
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    fx.broker.faults.failNext('ReceiveMessage', 1, { code: Code.INTERNAL_SERVER_ERROR });
    const r = await c.receive({ group: 'g', topic });
    assert.equal(codeName(r.status), 'INTERNAL_SERVER_ERROR');
    assert.equal(r.deliveryTimestamp, true);

    fx.broker.faults.failNext('Telemetry', 1, { code: Code.TOO_MANY_REQUESTS });
    const telemetry = fx.client().telemetry();
    telemetry.write({ command: { case: 'settings', value: { clientType: ClientType.PRODUCER } } });
    assert.equal((await telemetry.next()).status?.code, Code.TOO_MANY_REQUESTS);
    assert.equal((await telemetry.ended).code, grpc.status.OK);
  });

  test('hang(rpc) leaves calls unanswered until clear()', async (t) => {
    const fx = await startBroker(t);
    const c = fx.client();
    fx.broker.faults.hang('Heartbeat');
    let done = false;
    const pending = c.heartbeat(ClientType.PRODUCER).then((r) => {
      done = true;
      return r;
    });
    await until(() => fx.broker.stats().calls.Heartbeat === 1, 5000, 'call to arrive');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(done, false);
    fx.broker.faults.clear();
    assert.equal((await pending).status?.code, Code.UNRECOGNIZED_CLIENT_TYPE);
  });

  test('dropStreams() ends telemetry and receive streams with UNAVAILABLE and keeps settings', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('f-drop');
    fx.broker.createTopic(topic);
    const c = fx.client();
    const { telemetry } = await c.consumerSession('g', [topic]);
    const parked = c.receive({ group: 'g', topic, longPollMs: 20_000 });
    await until(() => fx.broker.stats().waitingReceives === 1, 5000, 'receive to park');
    assert.equal(fx.broker.stats().telemetryStreams, 1);
    fx.broker.faults.dropStreams();
    await assert.rejects(parked, (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE);
    assert.equal((await telemetry.ended).code, grpc.status.UNAVAILABLE);
    assert.equal(fx.broker.stats().telemetryStreams, 0);
    assert.equal(fx.broker.stats().receiveStreams, 0);
    // The pop goes on inside the broker until its polling time ends (what it pops then is nacked).
    assert.equal(fx.broker.stats().waitingReceives, 1);
    assert.equal(
      (await c.heartbeat(ClientType.SIMPLE_CONSUMER, 'g')).status?.code,
      Code.OK,
      'settings survive',
    );
  });

  test('malformed responses: missing entries, missing status, receive without status frame', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('f-mal');
    fx.broker.createTopic(topic);
    const c = fx.client();
    await c.consumerSession('g', [topic]);

    fx.broker.faults.malformed('SendMessage');
    const sent = await c.send(message({ topic, body: 'm' }));
    assert.equal(sent.status?.code, Code.OK);
    assert.equal(sent.entries.length, 0);

    fx.broker.faults.malformed('QueryRoute', 'no-status');
    const route = await c.queryRoute(topic);
    assert.equal(route.status, undefined);
    assert.equal(route.messageQueues.length, 4);

    fx.broker.faults.malformed('ReceiveMessage');
    const got = await c.receive({ group: 'g', topic });
    assert.equal(got.status, undefined);
    assert.deepEqual(got.messages.map(text), ['m']);

    fx.broker.faults.malformed('Telemetry');
    const { reply } = await fx.client().producerSession([topic]);
    assert.equal(reply.status?.code, Code.OK);
    assert.equal(reply.command.case, undefined);

    fx.broker.faults.clear();
    assert.equal((await c.queryRoute(topic)).status?.code, Code.OK);
  });

  test('sendCommand pushes commands on a client stream and replies are recorded', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('cmd');
    fx.broker.createTopic(topic);
    const c = fx.client();
    const { telemetry } = await c.producerSession([topic]);
    assert.equal(fx.broker.sendCommand('nobody', { type: 'reconnect-endpoints', nonce: 'x' }), false);
    assert.equal(fx.broker.sendCommand(c.clientId, { type: 'print-thread-stack-trace', nonce: 'n-1' }), true);
    const cmd = await telemetry.next();
    assert.equal(cmd.command.case, 'printThreadStackTraceCommand');
    telemetry.write({
      status: { code: Code.OK, message: 'OK' },
      command: { case: 'threadStackTrace', value: { nonce: 'n-1', threadStackTrace: 'main()' } },
    });
    const reply = await fx.broker.waitForTelemetryReply(
      (r) => r.type === 'thread-stack-trace' && r.nonce === 'n-1',
    );
    assert.equal(reply.clientId, c.clientId);
    assert.deepEqual(reply.status, { code: Code.OK, message: 'OK' });
    assert.equal(reply.threadStackTrace, 'main()');
    assert.equal(fx.broker.telemetryReplies.length, 1);
  });
  test('sendCommand converts plain commands: transaction check and verify carry the message', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('cmdmsg');
    fx.broker.createTopic(topic);
    const c = fx.client();
    const { telemetry } = await c.producerSession([topic]);
    const plain = {
      topic,
      body: 'payload',
      messageId: '0123456789ABCDEF0123456789ABCDEF',
      tag: 'TagA',
      keys: ['k1', 'k2'],
      properties: { color: 'red' },
      messageType: 'TRANSACTION' as const,
    };
    assert.equal(
      fx.broker.sendCommand(c.clientId, {
        type: 'recover-orphaned-transaction',
        transactionId: 'tx-1',
        message: plain,
      }),
      true,
    );
    const check = await telemetry.next();
    assert.equal(check.command.case, 'recoverOrphanedTransactionCommand');
    if (check.command.case === 'recoverOrphanedTransactionCommand') {
      const v = check.command.value;
      assert.equal(v.transactionId, 'tx-1');
      assert.equal(v.message?.topic?.name, topic);
      assert.equal(Buffer.from(v.message!.body).toString(), 'payload');
      assert.equal(v.message?.systemProperties?.messageId, plain.messageId);
      assert.equal(v.message?.systemProperties?.tag, 'TagA');
      assert.deepEqual(v.message?.systemProperties?.keys, ['k1', 'k2']);
      assert.equal(v.message?.systemProperties?.messageType, MessageType.TRANSACTION);
      assert.equal(v.message?.systemProperties?.storeHost, fx.broker.endpoint);
      assert.deepEqual(v.message?.userProperties, { color: 'red' });
    }

    fx.broker.sendCommand(c.clientId, {
      type: 'verify-message',
      nonce: 'v-1',
      message: { topic, body: new Uint8Array([1, 2, 3]) },
    });
    const verify = await telemetry.next();
    assert.equal(verify.command.case, 'verifyMessageCommand');
    if (verify.command.case === 'verifyMessageCommand') {
      assert.equal(verify.command.value.nonce, 'v-1');
      assert.deepEqual([...verify.command.value.message!.body], [1, 2, 3]);
      assert.equal(verify.command.value.message?.systemProperties?.messageType, MessageType.NORMAL);
    }

    fx.broker.sendCommand(c.clientId, { type: 'notify-unsubscribe-lite', liteTopic: 'lite-1' });
    const lite = await telemetry.next();
    assert.equal(lite.command.case, 'notifyUnsubscribeLiteCommand');
    assert.equal(lite.command.value?.liteTopic, 'lite-1');

    assert.throws(
      () => fx.broker.sendCommand(c.clientId, { type: 'bogus' } as unknown as BrokerCommand),
      TypeError,
    );
    assert.throws(
      () =>
        fx.broker.sendCommand(c.clientId, {
          type: 'verify-message',
          nonce: 'v-2',
          message: { topic } as unknown as PlainMessage,
        }),
      TypeError,
    );
  });

  test('telemetry replies are plain: verify results and status-only frames', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('replies');
    fx.broker.createTopic(topic);
    const c = fx.client();
    const { telemetry } = await c.producerSession([topic]);
    telemetry.write({
      status: { code: Code.NOT_IMPLEMENTED, message: 'no listener' },
      command: { case: 'verifyMessageResult', value: { nonce: 'v-9' } },
    });
    telemetry.write({ status: { code: Code.OK, message: 'OK' } });
    const verify = await fx.broker.waitForTelemetryReply((r) => r.type === 'verify-message-result');
    const { receivedAtMs, ...rest } = verify;
    assert.equal(typeof receivedAtMs, 'number');
    assert.deepEqual(rest, {
      clientId: c.clientId,
      type: 'verify-message-result',
      nonce: 'v-9',
      status: { code: Code.NOT_IMPLEMENTED, message: 'no listener' },
    });
    const other = await fx.broker.waitForTelemetryReply((r) => r.type === 'other');
    assert.equal(other.nonce, undefined);
    assert.deepEqual(other.status, { code: Code.OK, message: 'OK' });
    assert.deepEqual(
      fx.broker.telemetryReplies.map((r) => r.type),
      ['verify-message-result', 'other'],
    );
  });
});
