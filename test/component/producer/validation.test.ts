/**
 * Bad inputs: each refused with its own typed code, before anything is sent (counted on the
 * in-process broker: no SendMessage, RecallMessage or EndTransaction call at all).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import type { MessageInit } from '../../../src/model/message.js';
import { Producer, type SendOptions } from '../../../src/producer/index.js';
import { InProcessBroker } from '../../../src/testing/index.js';

const MiB = 1024 * 1024;
const TOPIC = `valid-${process.pid}`;
const FIFO_TOPIC = `valid-fifo-${process.pid}`;
const TX_TOPIC = `valid-tx-${process.pid}`;

type Case = readonly [name: string, message: unknown, code: string, options?: unknown];

const m = (over: Record<string, unknown>): unknown => ({ topic: TOPIC, body: 'x', ...over });
const manyProps = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v']));

const SEND_CASES: readonly Case[] = [
  ['blank topic', m({ topic: '' }), 'ILLEGAL_TOPIC'],
  ['topic with a space', m({ topic: 'a b' }), 'ILLEGAL_TOPIC'],
  ['topic of 128 chars', m({ topic: 'x'.repeat(128) }), 'ILLEGAL_TOPIC'],
  ['system topic', m({ topic: 'TBW102' }), 'ILLEGAL_TOPIC'],
  ['retry topic', m({ topic: '%RETRY%group' }), 'ILLEGAL_TOPIC'],
  ['rmq_sys_ prefix', m({ topic: 'rmq_sys_x' }), 'ILLEGAL_TOPIC'],
  ['topic not a string', m({ topic: 42 }), 'INVALID_ARGUMENT'],
  ['empty string body', m({ body: '' }), 'MESSAGE_BODY_EMPTY'],
  ['empty bytes body', m({ body: new Uint8Array(0) }), 'MESSAGE_BODY_EMPTY'],
  ['body over 4 MiB', m({ body: Buffer.alloc(4 * MiB + 1) }), 'MESSAGE_BODY_TOO_LARGE'],
  ['body a number', m({ body: 123 }), 'INVALID_ARGUMENT'],
  ['empty tag', m({ tag: '' }), 'ILLEGAL_MESSAGE_TAG'],
  ['blank tag', m({ tag: '  ' }), 'ILLEGAL_MESSAGE_TAG'],
  ['tag with |', m({ tag: 'a|b' }), 'ILLEGAL_MESSAGE_TAG'],
  ['tag with a newline', m({ tag: 'a\nb' }), 'ILLEGAL_MESSAGE_TAG'],
  ['blank key', m({ keys: [' '] }), 'ILLEGAL_MESSAGE_KEY'],
  ['key with a control char', m({ keys: ['a\u0001'] }), 'ILLEGAL_MESSAGE_KEY'],
  ['keys not an array', m({ keys: 'abc' }), 'INVALID_ARGUMENT'],
  ['reserved property key', m({ properties: { UNIQ_KEY: 'x' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  [
    'reserved property key (Map)',
    m({ properties: new Map([['TAGS', 'x']]) }),
    'ILLEGAL_MESSAGE_PROPERTY_KEY',
  ],
  ['blank property key', m({ properties: { '': 'x' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  ['blank property value', m({ properties: { a: ' ' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  ['property value not a string', m({ properties: { a: 1 } }), 'INVALID_ARGUMENT'],
  ['129 properties', m({ properties: manyProps }), 'MESSAGE_PROPERTIES_TOO_LARGE'],
  ['properties over 16 KiB', m({ properties: { a: 'v'.repeat(17 * 1024) } }), 'MESSAGE_PROPERTIES_TOO_LARGE'],
  ['blank message group', m({ messageGroup: ' ' }), 'ILLEGAL_MESSAGE_GROUP'],
  ['message group of 64 bytes', m({ messageGroup: 'g'.repeat(64) }), 'ILLEGAL_MESSAGE_GROUP'],
  ['blank lite topic', m({ liteTopic: ' ' }), 'ILLEGAL_LITE_TOPIC'],
  ['negative delay', m({ delayMs: -1 }), 'ILLEGAL_DELIVERY_TIME'],
  ['invalid delivery date', m({ deliveryTimestamp: new Date(Number.NaN) }), 'ILLEGAL_DELIVERY_TIME'],
  ['delay not a number', m({ delayMs: 'soon' }), 'INVALID_ARGUMENT'],
  ['negative priority', m({ priority: -1 }), 'INVALID_ARGUMENT'],
  ['fractional priority', m({ priority: 1.5 }), 'INVALID_ARGUMENT'],
  ['group + delay', m({ messageGroup: 'g', delayMs: 10 }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
  ['priority + group', m({ messageGroup: 'g', priority: 1 }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
  [
    'delivery time + priority',
    m({ deliveryTimestamp: Date.now() + 1000, priority: 1 }),
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
  ],
  ['message null', null, 'INVALID_ARGUMENT'],
  ['negative timeoutMs', m({}), 'INVALID_ARGUMENT', { timeoutMs: -1 }],
  ['signal not an AbortSignal', m({}), 'INVALID_ARGUMENT', { signal: 'x' }],
  ['requestId not a string', m({}), 'INVALID_ARGUMENT', { requestId: 7 }],
  ['NORMAL message to a FIFO topic', m({ topic: FIFO_TOPIC }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
  [
    'DELAY message to a FIFO topic',
    m({ topic: FIFO_TOPIC, delayMs: 1000 }),
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
  ],
];

describe('bad inputs are refused before anything is sent', () => {
  let broker: InProcessBroker;
  let producer: Producer;

  before(async () => {
    broker = await InProcessBroker.start();
    broker.createTopic(TOPIC);
    broker.createTopic(FIFO_TOPIC, { type: 'FIFO' });
    broker.createTopic(TX_TOPIC, { type: 'TRANSACTION' });
    producer = new Producer({ endpoints: broker.endpoint, topics: [TOPIC, FIFO_TOPIC, TX_TOPIC] });
    await producer.start();
    broker.resetStats();
  });

  after(async () => {
    await producer.shutdown({ timeoutMs: 1_000 });
    await broker.shutdown();
  });

  const expectCode = async (p: Promise<unknown>, code: string) => {
    await assert.rejects(p, (err: unknown) => {
      assert.ok(err instanceof RocketMQError, String(err));
      assert.equal(err.code, code, err.message);
      return true;
    });
  };

  for (const [name, message, code, options] of SEND_CASES) {
    test(`send: ${name} → ${code}`, async () => {
      await expectCode(producer.send(message as MessageInit, options as SendOptions), code);
    });
  }

  test('transaction: delay in a half message → MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', async () => {
    await expectCode(
      producer.beginTransaction().send({ topic: TX_TOPIC, body: 'x', delayMs: 5 }),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    );
  });

  test('transaction: undeclared topic → INVALID_ARGUMENT', async () => {
    await expectCode(
      producer.beginTransaction().send({ topic: 'not-declared', body: 'x' }),
      'INVALID_ARGUMENT',
    );
  });

  test('batch: empty → INVALID_ARGUMENT', async () => {
    await expectCode(producer.sendBatch([]), 'INVALID_ARGUMENT');
  });

  test('batch: two topics → INVALID_ARGUMENT', async () => {
    await expectCode(
      producer.sendBatch([
        { topic: TOPIC, body: 'a' },
        { topic: FIFO_TOPIC, body: 'b' },
      ]),
      'INVALID_ARGUMENT',
    );
  });

  test('batch: FIFO message → MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', async () => {
    await expectCode(
      producer.sendBatch([{ topic: TOPIC, body: 'a', messageGroup: 'g' }]),
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    );
  });

  test('batch: bodies together over 4 MiB → MESSAGE_BODY_TOO_LARGE', async () => {
    const body = Buffer.alloc(2 * MiB);
    await expectCode(
      producer.sendBatch([
        { topic: TOPIC, body },
        { topic: TOPIC, body },
        { topic: TOPIC, body: 'x' },
      ]),
      'MESSAGE_BODY_TOO_LARGE',
    );
  });

  test('batch: one bad message → its code', async () => {
    await expectCode(
      producer.sendBatch([
        { topic: TOPIC, body: 'a' },
        { topic: TOPIC, body: '' },
      ]),
      'MESSAGE_BODY_EMPTY',
    );
  });

  test('recall: blank handle → INVALID_ARGUMENT', async () => {
    await expectCode(producer.recallMessage(TOPIC, ''), 'INVALID_ARGUMENT');
  });

  test('recall: bad topic → ILLEGAL_TOPIC', async () => {
    await expectCode(producer.recallMessage('bad topic', 'handle'), 'ILLEGAL_TOPIC');
  });

  test('nothing reached the broker', () => {
    const calls = broker.stats().calls;
    assert.equal(calls.SendMessage, 0);
    assert.equal(calls.RecallMessage, 0);
    assert.equal(calls.EndTransaction, 0);
    assert.ok(SEND_CASES.length + 9 >= 30, 'at least 30 bad-input cases');
  });
});
