import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ErrorCode, RocketMQError } from '../../../src/errors.js';
import {
  DEFAULT_MAX_BODY_SIZE,
  deriveMessageType,
  type MessageInit,
  type MessageType,
  type ValidateMessageOptions,
  validateMessage,
} from '../../../src/model/message.js';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const base: MessageInit = { topic: 'orders', body: 'hello' };

function expectCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RocketMQError, `expected a RocketMQError, got ${String(e)}`);
    assert.equal(e.code, code, `wrong code (message: ${e.message})`);
    return true;
  });
}

/** Builds a message by overriding fields of `base`; casts let the table pass wrong JS types. */
const msg = (fields: Record<string, unknown>): MessageInit =>
  ({ ...base, ...fields }) as unknown as MessageInit;

const props = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));

type BadCase = [name: string, message: MessageInit, code: ErrorCode, options?: ValidateMessageOptions];

const BAD: BadCase[] = [
  // Wrong JS types.
  ['message is null', null as unknown as MessageInit, 'INVALID_ARGUMENT'],
  ['topic is a number', msg({ topic: 42 }), 'INVALID_ARGUMENT'],
  ['topic is missing', { body: 'x' } as unknown as MessageInit, 'INVALID_ARGUMENT'],
  ['body is a number', msg({ body: 1 }), 'INVALID_ARGUMENT'],
  ['body is a plain array', msg({ body: [1, 2] }), 'INVALID_ARGUMENT'],
  ['tag is a number', msg({ tag: 1 }), 'INVALID_ARGUMENT'],
  ['keys is a string', msg({ keys: 'k1' }), 'INVALID_ARGUMENT'],
  ['a key is a number', msg({ keys: ['a', 2] }), 'INVALID_ARGUMENT'],
  ['properties is an array', msg({ properties: [['a', 'b']] }), 'INVALID_ARGUMENT'],
  ['a property value is a number', msg({ properties: { a: 1 } }), 'INVALID_ARGUMENT'],
  ['messageGroup is a number', msg({ messageGroup: 7 }), 'INVALID_ARGUMENT'],
  ['deliveryTimestamp is a string', msg({ deliveryTimestamp: '2024-01-01' }), 'INVALID_ARGUMENT'],
  ['delayMs is a string', msg({ delayMs: '1000' }), 'INVALID_ARGUMENT'],
  ['priority is a string', msg({ priority: '1' }), 'INVALID_ARGUMENT'],
  ['priority is negative', msg({ priority: -1 }), 'INVALID_ARGUMENT'],
  ['priority is fractional', msg({ priority: 1.5 }), 'INVALID_ARGUMENT'],
  ['priority exceeds int32', msg({ priority: 2 ** 31 }), 'INVALID_ARGUMENT'],
  ['liteTopic is a number', msg({ liteTopic: 3 }), 'INVALID_ARGUMENT'],
  // Topic.
  ['topic is empty', msg({ topic: '' }), 'ILLEGAL_TOPIC'],
  ['topic is blank', msg({ topic: '   ' }), 'ILLEGAL_TOPIC'],
  ['topic is 128 characters', msg({ topic: 't'.repeat(128) }), 'ILLEGAL_TOPIC'],
  ['topic has a space', msg({ topic: 'my topic' }), 'ILLEGAL_TOPIC'],
  ['topic has a slash', msg({ topic: 'a/b' }), 'ILLEGAL_TOPIC'],
  ['topic has a dot', msg({ topic: 'a.b' }), 'ILLEGAL_TOPIC'],
  ['topic is not ASCII', msg({ topic: 'tópico' }), 'ILLEGAL_TOPIC'],
  ['topic is TBW102', msg({ topic: 'TBW102' }), 'ILLEGAL_TOPIC'],
  ['topic is SCHEDULE_TOPIC_XXXX', msg({ topic: 'SCHEDULE_TOPIC_XXXX' }), 'ILLEGAL_TOPIC'],
  ['topic is RMQ_SYS_TRANS_HALF_TOPIC', msg({ topic: 'RMQ_SYS_TRANS_HALF_TOPIC' }), 'ILLEGAL_TOPIC'],
  ['topic is RMQ_SYS_TRACE_TOPIC', msg({ topic: 'RMQ_SYS_TRACE_TOPIC' }), 'ILLEGAL_TOPIC'],
  ['topic has prefix rmq_sys_', msg({ topic: 'rmq_sys_wheel' }), 'ILLEGAL_TOPIC'],
  ['topic is a retry topic', msg({ topic: '%RETRY%my-group' }), 'ILLEGAL_TOPIC'],
  ['topic is a DLQ topic', msg({ topic: '%DLQ%my-group' }), 'ILLEGAL_TOPIC'],
  // Body.
  ['body is an empty string', msg({ body: '' }), 'MESSAGE_BODY_EMPTY'],
  ['body is an empty Uint8Array', msg({ body: new Uint8Array(0) }), 'MESSAGE_BODY_EMPTY'],
  ['body exceeds maxBodySize', msg({ body: 'x'.repeat(11) }), 'MESSAGE_BODY_TOO_LARGE', { maxBodySize: 10 }],
  [
    'body exceeds the default 4 MiB',
    msg({ body: Buffer.alloc(DEFAULT_MAX_BODY_SIZE + 1) }),
    'MESSAGE_BODY_TOO_LARGE',
  ],
  [
    'UTF-8 body exceeds maxBodySize',
    msg({ body: 'é'.repeat(6) }),
    'MESSAGE_BODY_TOO_LARGE',
    { maxBodySize: 11 },
  ],
  // Tag.
  ['tag is empty', msg({ tag: '' }), 'ILLEGAL_MESSAGE_TAG'],
  ['tag is blank', msg({ tag: ' \t ' }), 'ILLEGAL_MESSAGE_TAG'],
  ['tag contains |', msg({ tag: 'a|b' }), 'ILLEGAL_MESSAGE_TAG'],
  ['tag contains ||', msg({ tag: 'a||b' }), 'ILLEGAL_MESSAGE_TAG'],
  ['tag contains a newline', msg({ tag: 'a\nb' }), 'ILLEGAL_MESSAGE_TAG'],
  ['tag contains a C1 control', msg({ tag: 'a\u0085' }), 'ILLEGAL_MESSAGE_TAG'],
  // Keys.
  ['a key is empty', msg({ keys: [''] }), 'ILLEGAL_MESSAGE_KEY'],
  ['a key is blank', msg({ keys: ['ok', '  '] }), 'ILLEGAL_MESSAGE_KEY'],
  ['a key contains a tab', msg({ keys: ['a\tb'] }), 'ILLEGAL_MESSAGE_KEY'],
  ['a key contains DEL', msg({ keys: ['a\u007f'] }), 'ILLEGAL_MESSAGE_KEY'],
  // Properties.
  ['a property key is empty', msg({ properties: { '': 'v' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  ['a property key is blank', msg({ properties: { '  ': 'v' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  [
    'property key UNIQ_KEY is reserved',
    msg({ properties: { UNIQ_KEY: 'x' } }),
    'ILLEGAL_MESSAGE_PROPERTY_KEY',
  ],
  ['property key KEYS is reserved', msg({ properties: { KEYS: 'x' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  [
    'property key TAGS is reserved (Map)',
    msg({ properties: new Map([['TAGS', 'x']]) }),
    'ILLEGAL_MESSAGE_PROPERTY_KEY',
  ],
  [
    'property key __CRC32# is reserved',
    msg({ properties: { '__CRC32#': 'x' } }),
    'ILLEGAL_MESSAGE_PROPERTY_KEY',
  ],
  [
    'property key DLQ_ORIGIN_TOPIC is reserved',
    msg({ properties: { DLQ_ORIGIN_TOPIC: 'x' } }),
    'ILLEGAL_MESSAGE_PROPERTY_KEY',
  ],
  ['a property key has \\u0001', msg({ properties: { 'a\u0001b': 'v' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  ['a property value is empty', msg({ properties: { k: '' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  ['a property value has \\u0002', msg({ properties: { k: 'v\u0002' } }), 'ILLEGAL_MESSAGE_PROPERTY_KEY'],
  ['129 properties', msg({ properties: props(129) }), 'MESSAGE_PROPERTIES_TOO_LARGE'],
  [
    'properties over 16 KiB',
    msg({ properties: { k: 'v'.repeat(16 * 1024) } }),
    'MESSAGE_PROPERTIES_TOO_LARGE',
  ],
  [
    'properties + tag + keys over 16 KiB',
    msg({ properties: { k: 'v'.repeat(16 * 1024 - 10) }, tag: 'tag', keys: ['key-1', 'key-2'] }),
    'MESSAGE_PROPERTIES_TOO_LARGE',
  ],
  // Message group.
  ['group is empty', msg({ messageGroup: '' }), 'ILLEGAL_MESSAGE_GROUP'],
  ['group is blank', msg({ messageGroup: '   ' }), 'ILLEGAL_MESSAGE_GROUP'],
  ['group is 64 bytes', msg({ messageGroup: 'g'.repeat(64) }), 'ILLEGAL_MESSAGE_GROUP'],
  [
    'group is 66 UTF-8 bytes in 22 characters',
    msg({ messageGroup: '中'.repeat(22) }),
    'ILLEGAL_MESSAGE_GROUP',
  ],
  ['group contains a control character', msg({ messageGroup: 'g\r' }), 'ILLEGAL_MESSAGE_GROUP'],
  // Lite topic.
  ['liteTopic is blank', msg({ liteTopic: ' ' }), 'ILLEGAL_LITE_TOPIC'],
  ['liteTopic has a control character', msg({ liteTopic: 'a\u0000' }), 'ILLEGAL_LITE_TOPIC'],
  // Delivery time.
  [
    'deliveryTimestamp is an invalid Date',
    msg({ deliveryTimestamp: new Date('nope') }),
    'ILLEGAL_DELIVERY_TIME',
  ],
  ['deliveryTimestamp is NaN', msg({ deliveryTimestamp: Number.NaN }), 'ILLEGAL_DELIVERY_TIME'],
  ['deliveryTimestamp is negative', msg({ deliveryTimestamp: -1 }), 'ILLEGAL_DELIVERY_TIME'],
  ['deliveryTimestamp is past year 9999', msg({ deliveryTimestamp: 1e16 }), 'ILLEGAL_DELIVERY_TIME'],
  ['delayMs is negative', msg({ delayMs: -5 }), 'ILLEGAL_DELIVERY_TIME'],
  ['delayMs is Infinity', msg({ delayMs: Number.POSITIVE_INFINITY }), 'ILLEGAL_DELIVERY_TIME'],
  [
    'delay beyond maxDelayMs',
    msg({ delayMs: 86_400_001 }),
    'ILLEGAL_DELIVERY_TIME',
    { maxDelayMs: 86_400_000 },
  ],
  // Type conflicts.
  ['group + delay', msg({ messageGroup: 'g', delayMs: 1000 }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
  ['group + priority', msg({ messageGroup: 'g', priority: 1 }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
  ['delay + priority', msg({ deliveryTimestamp: NOW, priority: 0 }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
  ['group + liteTopic', msg({ messageGroup: 'g', liteTopic: 'l' }), 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE'],
  [
    'deliveryTimestamp + delayMs',
    msg({ deliveryTimestamp: NOW, delayMs: 1 }),
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
  ],
  [
    'transactional + group',
    msg({ messageGroup: 'g' }),
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    { transactional: true },
  ],
  [
    'transactional + delay',
    msg({ delayMs: 10 }),
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    { transactional: true },
  ],
  [
    'transactional + priority 0',
    msg({ priority: 0 }),
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    { transactional: true },
  ],
  [
    'transactional + liteTopic',
    msg({ liteTopic: 'l' }),
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    { transactional: true },
  ],
];

describe('validateMessage refuses bad input with a specific code', () => {
  for (const [name, message, code, options] of BAD) {
    test(`${name} → ${code}`, () =>
      expectCode(() => validateMessage(message, { now: NOW, ...options }), code));
  }
});

describe('validateMessage accepts the boundary values', () => {
  const ok = (fields: Record<string, unknown>, options: ValidateMessageOptions = {}) =>
    validateMessage(msg(fields), { now: NOW, ...options });

  test('topic of 127 characters, and with % and |', () => {
    assert.equal(ok({ topic: 't'.repeat(127) }).topic.length, 127);
    assert.equal(ok({ topic: 'ns%orders|v2_a-b' }).topic, 'ns%orders|v2_a-b');
    assert.equal(ok({ topic: 'RMQ_SYS_custom' }).topic, 'RMQ_SYS_custom'); // only the lowercase prefix is reserved
  });

  test('body of exactly maxBodySize, Buffer and Uint8Array bodies kept, strings as UTF-8', () => {
    assert.equal(ok({ body: 'x'.repeat(10) }, { maxBodySize: 10 }).body.length, 10);
    const buf = Buffer.from('abc');
    assert.equal(ok({ body: buf }).body, buf);
    assert.deepEqual(Buffer.from(ok({ body: 'é' }).body), Buffer.from([0xc3, 0xa9]));
  });

  test('message group of 63 bytes', () => {
    assert.equal(ok({ messageGroup: 'g'.repeat(63) }).type, 'FIFO');
    assert.equal(ok({ messageGroup: `${'中'.repeat(21)}` }).messageGroup?.length, 21); // 63 bytes
  });

  test('128 properties, and exactly 16 KiB of properties + tag + keys', () => {
    assert.equal(Object.keys(ok({ properties: props(128) }).properties).length, 128);
    const m = ok({
      properties: { k: 'v'.repeat(16 * 1024 - 1 - 3 - 10) },
      tag: 'tag',
      keys: ['key-1', 'key-2'],
    });
    assert.equal(m.tag, 'tag');
  });

  test('a "__proto__" property stays an ordinary key', () => {
    const properties = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    const m = ok({ properties });
    assert.deepEqual(Object.keys(m.properties), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(m.properties), Object.prototype);
  });

  test('Map properties are accepted', () => {
    assert.deepEqual(ok({ properties: new Map([['a', 'b']]) }).properties, { a: 'b' });
  });

  test('priority 0, delay 0 and a past delivery time are valid', () => {
    assert.equal(ok({ priority: 0 }).priority, 0);
    assert.equal(ok({ delayMs: 0 }).deliveryTimestamp, NOW);
    assert.equal(ok({ deliveryTimestamp: NOW - 60_000 }).deliveryTimestamp, NOW - 60_000);
  });

  test('delayMs is resolved against now; a Date becomes epoch ms', () => {
    assert.equal(ok({ delayMs: 1500 }).deliveryTimestamp, NOW + 1500);
    assert.equal(ok({ deliveryTimestamp: new Date(NOW + 5) }).deliveryTimestamp, NOW + 5);
    assert.equal(ok({ delayMs: 86_400_000 }, { maxDelayMs: 86_400_000 }).type, 'DELAY');
  });

  test('null fields count as absent', () => {
    const m = ok({
      tag: null,
      keys: null,
      properties: null,
      messageGroup: null,
      delayMs: null,
      priority: null,
    });
    assert.equal(m.type, 'NORMAL');
    assert.equal(m.tag, undefined);
    assert.deepEqual(m.keys, []);
  });

  test('the result is frozen and carries only the fields given', () => {
    const m = ok({ tag: 't', keys: ['k'], properties: { a: 'b' } });
    assert.ok(Object.isFrozen(m));
    assert.ok(Object.isFrozen(m.keys));
    assert.ok(Object.isFrozen(m.properties));
    assert.deepEqual(Object.keys(m).sort(), ['body', 'keys', 'properties', 'tag', 'topic', 'type']);
  });
});

describe('message type derivation (as the server derives it)', () => {
  const TABLE: Array<[string, Record<string, unknown>, boolean, MessageType]> = [
    ['nothing', {}, false, 'NORMAL'],
    ['message group', { messageGroup: 'g' }, false, 'FIFO'],
    ['lite topic', { liteTopic: 'l' }, false, 'LITE'],
    ['delivery timestamp', { deliveryTimestamp: NOW + 1000 }, false, 'DELAY'],
    ['delay', { delayMs: 1000 }, false, 'DELAY'],
    ['priority', { priority: 3 }, false, 'PRIORITY'],
    ['priority 0', { priority: 0 }, false, 'PRIORITY'],
    ['transactional', {}, true, 'TRANSACTION'],
    ['tag and keys only', { tag: 't', keys: ['k'] }, false, 'NORMAL'],
  ];
  for (const [name, fields, transactional, type] of TABLE) {
    test(`${name}${transactional ? ' (transactional)' : ''} → ${type}`, () => {
      assert.equal(deriveMessageType(fields, transactional), type);
      assert.equal(validateMessage(msg(fields), { now: NOW, transactional }).type, type);
    });
  }

  test('conflicts name the clashing fields', () => {
    assert.throws(
      () => deriveMessageType({ messageGroup: 'g', priority: 1 }),
      /messageGroup, priority are mutually exclusive/,
    );
  });
});
