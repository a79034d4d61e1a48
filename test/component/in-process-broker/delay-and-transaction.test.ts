import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import {
  Code,
  MessageType,
  TransactionResolution,
  TransactionSource,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService } from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { codeName, message, type TestClient, text, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker, until } from './fixture.js';

function recall(c: TestClient, topic: string, recallHandle: string) {
  return c.unary(MessagingService.method.recallMessage, { topic: { name: topic }, recallHandle });
}

function endTransaction(
  c: TestClient,
  topic: string,
  messageId: string,
  transactionId: string,
  resolution: TransactionResolution,
  source = TransactionSource.SOURCE_CLIENT,
) {
  return c.unary(MessagingService.method.endTransaction, {
    topic: { name: topic },
    messageId,
    transactionId,
    resolution,
    source,
  });
}

describe('delay messages', () => {
  test('invisible until the delivery time, then delivered as DELAY with its delivery timestamp', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const time = fx.time!;
    const topic = uniqueName('delay');
    fx.broker.createTopic(topic, { type: 'DELAY' });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    const at = time.now() + 60_000;
    const res = await c.send(message({ topic, body: 'later', deliveryAtMs: at }));
    assert.equal(res.status?.code, Code.OK);
    assert.ok(res.entries[0]?.recallHandle, 'delay sends return a recall handle');
    assert.equal(fx.broker.stats().scheduled, 1);

    time.advance(59_999);
    assert.equal(codeName((await c.receive({ group: 'g', topic })).status), 'MESSAGE_NOT_FOUND');
    time.advance(1);
    const got = await c.receive({ group: 'g', topic });
    assert.deepEqual(got.messages.map(text), ['later']);
    assert.equal(got.messages[0]?.systemProperties?.messageType, MessageType.DELAY);
    assert.equal(timestampMs(got.messages[0]!.systemProperties!.deliveryTimestamp!), at);
  });

  test('a parked receive is woken when the delay is due', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('delay-wake');
    fx.broker.createTopic(topic, { type: 'DELAY' });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    await c.send(message({ topic, body: 'tick', deliveryAtMs: fx.time!.now() + 5_000 }));
    const parked = c.receive({ group: 'g', topic, longPollMs: 20_000 });
    await until(() => fx.broker.stats().waitingReceives === 1, 5000, 'receive to park');
    fx.time!.advance(5_000);
    assert.deepEqual((await parked).messages.map(text), ['tick']);
  });

  test('RecallMessage before the delivery time removes the message', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('recall');
    fx.broker.createTopic(topic, { type: 'DELAY' });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    const sent = message({ topic, deliveryAtMs: fx.time!.now() + 10_000 });
    const res = await c.send(sent);
    const handle = res.entries[0]!.recallHandle;
    const r = await recall(c, topic, handle);
    assert.equal(r.status?.code, Code.OK);
    assert.equal(r.messageId, sent.systemProperties?.messageId);
    assert.equal(fx.broker.stats().scheduled, 0);
    fx.time!.advance(20_000);
    assert.equal(codeName((await c.receive({ group: 'g', topic })).status), 'MESSAGE_NOT_FOUND');
    assert.equal(
      codeName((await recall(c, topic, handle)).status),
      'INTERNAL_SERVER_ERROR',
      'time has passed',
    );
  });

  test('recall errors use the proxy codes', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('recall-err');
    const normal = uniqueName('recall-normal');
    fx.broker.createTopic(topic, { type: 'DELAY' });
    fx.broker.createTopic(normal);
    const c = fx.client();
    const res = await c.send(message({ topic, deliveryAtMs: fx.time!.now() + 10_000 }));
    const handle = res.entries[0]!.recallHandle;
    assert.equal(codeName((await recall(c, topic, 'garbage!')).status), 'INTERNAL_SERVER_ERROR');
    assert.equal(codeName((await recall(c, normal, handle)).status), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE');
    assert.equal(codeName((await recall(c, 'no-such-topic', handle)).status), 'TOPIC_NOT_FOUND');
    assert.equal(codeName((await recall(c, 'bad topic', handle)).status), 'ILLEGAL_TOPIC');
  });
});

describe('transactions', () => {
  async function producer(fx: Awaited<ReturnType<typeof startBroker>>, topic: string) {
    const c = fx.client();
    const { telemetry } = await c.producerSession([topic]);
    return { c, telemetry };
  }

  test('a half message is invisible until COMMIT', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('tx');
    fx.broker.createTopic(topic, { type: 'TRANSACTION' });
    const { c } = await producer(fx, topic);
    await c.consumerSession('g', [topic]);
    const sent = message({ topic, body: 'tx', type: MessageType.TRANSACTION });
    const res = await c.send(sent);
    const entry = res.entries[0]!;
    assert.equal(entry.status?.code, Code.OK);
    assert.ok(entry.transactionId);
    assert.equal(fx.broker.stats().halfMessages, 1);
    assert.equal(codeName((await c.receive({ group: 'g', topic })).status), 'MESSAGE_NOT_FOUND');

    const end = await endTransaction(
      c,
      topic,
      entry.messageId,
      entry.transactionId,
      TransactionResolution.COMMIT,
    );
    assert.equal(end.status?.code, Code.OK);
    const got = await c.receive({ group: 'g', topic });
    assert.deepEqual(got.messages.map(text), ['tx']);
    // As the real proxy does (contract suite, case 9): the stored TRAN_MSG property survives the commit.
    assert.equal(
      got.messages[0]?.systemProperties?.messageType,
      MessageType.TRANSACTION,
      'committed = transaction',
    );

    const twice = await endTransaction(
      c,
      topic,
      entry.messageId,
      entry.transactionId,
      TransactionResolution.COMMIT,
    );
    assert.equal(codeName(twice.status), 'INTERNAL_SERVER_ERROR', 'transaction data is gone');
  });

  test('ROLLBACK drops the half message', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('tx-rb');
    fx.broker.createTopic(topic, { type: 'TRANSACTION' });
    const { c } = await producer(fx, topic);
    await c.consumerSession('g', [topic]);
    const res = await c.send(message({ topic, type: MessageType.TRANSACTION }));
    const entry = res.entries[0]!;
    const end = await endTransaction(
      c,
      topic,
      entry.messageId,
      entry.transactionId,
      TransactionResolution.ROLLBACK,
    );
    assert.equal(end.status?.code, Code.OK);
    assert.equal(fx.broker.stats().halfMessages, 0);
    assert.equal(codeName((await c.receive({ group: 'g', topic })).status), 'MESSAGE_NOT_FOUND');
  });

  test('blank transaction id → INVALID_TRANSACTION_ID; unknown → 50001', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('tx-bad');
    fx.broker.createTopic(topic, { type: 'TRANSACTION' });
    const c = fx.client();
    assert.equal(
      codeName((await endTransaction(c, topic, 'm', ' ', TransactionResolution.COMMIT)).status),
      'INVALID_TRANSACTION_ID',
    );
    assert.equal(
      codeName((await endTransaction(c, topic, 'm', 'nope', TransactionResolution.COMMIT)).status),
      'INTERNAL_SERVER_ERROR',
    );
  });

  test('an unresolved transaction is checked through the producer telemetry stream, repeatedly', async (t) => {
    const fx = await startBroker(t, {
      fakeTime: true,
      transactionCheckDelayMs: 1_000,
      transactionCheckIntervalMs: 5_000,
      transactionCheckMax: 3,
    });
    const topic = uniqueName('tx-check');
    fx.broker.createTopic(topic, { type: 'TRANSACTION' });
    const { c, telemetry } = await producer(fx, topic);
    const reader = fx.client(); // settings are per client id: a consumer needs its own
    await reader.consumerSession('g', [topic]);
    const sent = message({ topic, body: 'orphan', type: MessageType.TRANSACTION });
    const entry = (await c.send(sent)).entries[0]!;

    fx.time!.advance(1_000);
    const first = await telemetry.next();
    assert.equal(first.command.case, 'recoverOrphanedTransactionCommand');
    const cmd = first.command.case === 'recoverOrphanedTransactionCommand' ? first.command.value : undefined;
    assert.equal(cmd?.transactionId, entry.transactionId);
    assert.equal(cmd?.message?.systemProperties?.messageId, sent.systemProperties?.messageId);
    assert.equal(cmd?.message?.systemProperties?.messageType, MessageType.TRANSACTION);
    assert.equal(text(cmd!.message!), 'orphan');

    fx.time!.advance(5_000);
    assert.equal((await telemetry.next()).command.case, 'recoverOrphanedTransactionCommand', 'checked again');
    assert.equal(fx.broker.stats().transactionChecks, 2);

    // The producer resolves it from the check, as SDKs do.
    const end = await endTransaction(
      c,
      topic,
      cmd!.message!.systemProperties!.messageId,
      cmd!.transactionId,
      TransactionResolution.COMMIT,
      TransactionSource.SOURCE_SERVER_CHECK,
    );
    assert.equal(end.status?.code, Code.OK);
    assert.deepEqual((await reader.receive({ group: 'g', topic })).messages.map(text), ['orphan']);
    fx.time!.advance(60_000);
    assert.equal(fx.broker.stats().transactionChecks, 2, 'no more checks once resolved');
  });

  test('after the last check an unresolved transaction is discarded', async (t) => {
    const fx = await startBroker(t, {
      fakeTime: true,
      transactionCheckDelayMs: 1_000,
      transactionCheckIntervalMs: 1_000,
      transactionCheckMax: 2,
    });
    const topic = uniqueName('tx-max');
    fx.broker.createTopic(topic, { type: 'TRANSACTION' });
    const { c } = await producer(fx, topic);
    const entry = (await c.send(message({ topic, type: MessageType.TRANSACTION }))).entries[0]!;
    fx.time!.advance(10_000);
    assert.equal(fx.broker.stats().transactionChecks, 2);
    assert.equal(fx.broker.stats().halfMessages, 0);
    assert.equal(
      codeName(
        (await endTransaction(c, topic, entry.messageId, entry.transactionId, TransactionResolution.COMMIT))
          .status,
      ),
      'INTERNAL_SERVER_ERROR',
    );
  });
});
