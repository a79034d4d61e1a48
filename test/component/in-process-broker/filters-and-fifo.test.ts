import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Code } from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { fifoQueueIndex } from '../../../src/testing/java-hash.js';
import { codeName, message, text, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker, until } from './fixture.js';

describe('filters', () => {
  test('a TAG expression selects exactly the messages with those tags', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('tag');
    fx.broker.createTopic(topic, { queues: 2 });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    await c.send(message({ topic, body: 'a1', tag: 'A' }));
    await c.send(message({ topic, body: 'b1', tag: 'B' }));
    await c.send(message({ topic, body: 'c1', tag: 'C' }));
    await c.send(message({ topic, body: 'none' }));
    await c.send(message({ topic, body: 'a2', tag: 'A' }));
    const got = await c.receive({ group: 'g', topic, tag: 'A || C' });
    assert.deepEqual(got.messages.map(text).sort(), ['a1', 'a2', 'c1']);
    assert.ok(got.messages.every((m) => m.systemProperties?.tag === 'A' || m.systemProperties?.tag === 'C'));
  });

  test('a SQL92 expression over user properties and TAGS selects exactly the matching messages', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('sql');
    fx.broker.createTopic(topic, { queues: 1 });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    const specs: Array<[string, Record<string, string>, string?]> = [
      ['eu-10', { region: 'eu', amount: '10' }, 'pay'],
      ['eu-200', { region: 'eu', amount: '200' }, 'pay'],
      ['us-300', { region: 'us', amount: '300' }, 'pay'],
      ['eu-500-refund', { region: 'eu', amount: '500' }, 'refund'],
      ['no-amount', { region: 'eu' }, 'pay'],
      ['apac-150', { region: 'apac', amount: '150' }, 'pay'],
    ];
    for (const [body, props, tag] of specs) await c.send(message({ topic, body, props, tag }));
    const got = await c.receive({
      group: 'g',
      topic,
      sql: "region IN ('eu', 'apac') AND amount BETWEEN 100 AND 1000 AND TAGS = 'pay'",
    });
    assert.equal(got.status?.code, Code.OK);
    assert.deepEqual(got.messages.map(text), ['eu-200', 'apac-150']);
  });

  test('messages a filter skips are consumed for that group (not offered later)', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('skip');
    fx.broker.createTopic(topic, { queues: 1 });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    await c.send(message({ topic, body: 'x', props: { n: '1' } }));
    await c.send(message({ topic, body: 'y', props: { n: '2' } }));
    assert.deepEqual((await c.receive({ group: 'g', topic, sql: 'n > 1' })).messages.map(text), ['y']);
    assert.equal(codeName((await c.receive({ group: 'g', topic })).status), 'MESSAGE_NOT_FOUND');
  });

  test('empty SQL → ILLEGAL_FILTER_EXPRESSION; unparsable SQL → 50001; SQL disabled → 50001', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('badsql');
    fx.broker.createTopic(topic);
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, sql: '' })).status),
      'ILLEGAL_FILTER_EXPRESSION',
    );
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, sql: 'a >' })).status),
      'INTERNAL_SERVER_ERROR',
    );

    const off = await startBroker(t, { sqlFilter: false });
    off.broker.createTopic(topic);
    const d = off.client();
    await d.consumerSession('g', [topic]);
    const r = await d.receive({ group: 'g', topic, sql: "a = 'b'" });
    assert.equal(codeName(r.status), 'INTERNAL_SERVER_ERROR');
    assert.match(r.status?.message ?? '', /SQL92/);
  });
});

describe('FIFO', () => {
  test('a single-message send with a group lands on the proxy-hashed queue', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('fifoq');
    fx.broker.createTopic(topic, { type: 'FIFO', queues: 8 });
    fx.broker.createConsumerGroup('g', { fifo: true });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    for (const group of ['order-1', 'order-2', 'order-3']) {
      await c.send(message({ topic, group }));
    }
    const got = await c.receive({ group: 'g', topic });
    for (const m of got.messages) {
      assert.equal(m.systemProperties?.queueId, fifoQueueIndex(m.systemProperties!.messageGroup!, 8));
    }
  });

  test('messages of a group come in order, and the next is withheld while an earlier one is in flight', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('fifo');
    fx.broker.createTopic(topic, { type: 'FIFO', queues: 4 });
    fx.broker.createConsumerGroup('g', { fifo: true });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    for (let i = 1; i <= 3; i++) await c.send(message({ topic, group: 'order-7', body: `step-${i}` }));

    const first = await c.receive({ group: 'g', topic, batch: 1, invisibleMs: 10_000 });
    assert.deepEqual(first.messages.map(text), ['step-1']);
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, batch: 1, invisibleMs: 10_000 })).status),
      'MESSAGE_NOT_FOUND',
      'step-2 is blocked while step-1 is in flight',
    );

    // Not acked: after the invisible time step-1 comes back first, attempt 2.
    fx.time!.advance(10_000);
    const retry = await c.receive({ group: 'g', topic, batch: 1, invisibleMs: 10_000 });
    assert.deepEqual(retry.messages.map(text), ['step-1']);
    assert.equal(retry.messages[0]?.systemProperties?.deliveryAttempt, 2);
    await c.ackMessages('g', topic, retry.messages);

    const rest = await c.receive({ group: 'g', topic, batch: 32, invisibleMs: 10_000 });
    assert.deepEqual(rest.messages.map(text), ['step-2', 'step-3']);
    assert.equal(
      codeName((await c.receive({ group: 'g', topic, invisibleMs: 10_000 })).status),
      'MESSAGE_NOT_FOUND',
    );
    await c.ackMessages('g', topic, rest.messages);
  });

  test('an ack unblocks a parked FIFO receive', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const topic = uniqueName('fifo-wake');
    fx.broker.createTopic(topic, { type: 'FIFO', queues: 1 });
    fx.broker.createConsumerGroup('g', { fifo: true });
    const c = fx.client();
    await c.consumerSession('g', [topic]);
    await c.send(message({ topic, group: 'k', body: '1' }));
    await c.send(message({ topic, group: 'k', body: '2' }));
    const first = await c.receive({ group: 'g', topic, batch: 1 });
    const parked = c.receive({ group: 'g', topic, batch: 1, longPollMs: 20_000 });
    await until(() => fx.broker.stats().waitingReceives === 1, 5000, 'receive to park');
    await c.ackMessages('g', topic, first.messages);
    assert.deepEqual((await parked).messages.map(text), ['2']);
  });

  test('a non-FIFO group reads a FIFO topic without blocking', async (t) => {
    const fx = await startBroker(t);
    const topic = uniqueName('fifo-plain');
    fx.broker.createTopic(topic, { type: 'FIFO', queues: 1 });
    const c = fx.client();
    await c.consumerSession('plain', [topic]);
    await c.send(message({ topic, group: 'k', body: '1' }));
    await c.send(message({ topic, group: 'k', body: '2' }));
    assert.deepEqual((await c.receive({ group: 'plain', topic, batch: 1 })).messages.map(text), ['1']);
    assert.deepEqual((await c.receive({ group: 'plain', topic, batch: 1 })).messages.map(text), ['2']);
  });
});
