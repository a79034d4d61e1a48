import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  Code,
  type Message,
  MessageSchema,
  MessageType,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { BrokerStatusError } from '../../../src/testing/status.js';
import {
  acceptedMessageTypes,
  DEFAULT_MESSAGE_LIMITS,
  deriveMessageType,
  validateGroupName,
  validateInvisibleTime,
  validateMessage,
  validateTopicMessageType,
  validateTopicName,
} from '../../../src/testing/validation.js';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);

function msg(over: {
  body?: Uint8Array;
  props?: Record<string, string>;
  tag?: string;
  keys?: string[];
  id?: string;
  group?: string;
  deliveryAt?: number;
  type?: MessageType;
  recoveryMs?: number;
}): Message {
  return create(MessageSchema, {
    topic: { name: 't' },
    body: over.body ?? new Uint8Array([1]),
    userProperties: over.props ?? {},
    systemProperties: {
      tag: over.tag,
      keys: over.keys ?? [],
      messageId: over.id ?? '01ABC',
      messageGroup: over.group,
      messageType: over.type ?? MessageType.NORMAL,
      deliveryTimestamp: over.deliveryAt === undefined ? undefined : timestampFromMs(over.deliveryAt),
      orphanedTransactionRecoveryDuration:
        over.recoveryMs === undefined ? undefined : durationFromMs(over.recoveryMs),
    },
  });
}

function codeOf(fn: () => void): Code | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    assert.ok(err instanceof BrokerStatusError, `unexpected ${String(err)}`);
    return err.code;
  }
}

const check = (m: Message) => codeOf(() => validateMessage(m, DEFAULT_MESSAGE_LIMITS, NOW));

describe('validateMessage (proxy codes)', () => {
  const cases: Array<[string, Message, Code | 'ok']> = [
    ['a plain message', msg({}), 'ok'],
    ['empty body', msg({ body: new Uint8Array() }), Code.MESSAGE_BODY_EMPTY],
    ['body over 4 MiB', msg({ body: new Uint8Array(4 * 1024 * 1024 + 1) }), Code.MESSAGE_BODY_TOO_LARGE],
    ['body of exactly 4 MiB', msg({ body: new Uint8Array(4 * 1024 * 1024) }), 'ok'],
    [
      '129 user properties',
      msg({ props: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, 'v'])) }),
      Code.MESSAGE_PROPERTIES_TOO_LARGE,
    ],
    [
      'properties over 16 KiB',
      msg({ props: { big: 'x'.repeat(16 * 1024) } }),
      Code.MESSAGE_PROPERTIES_TOO_LARGE,
    ],
    ['reserved property key', msg({ props: { UNIQ_KEY: 'x' } }), Code.ILLEGAL_MESSAGE_PROPERTY_KEY],
    ['reserved key TAGS', msg({ props: { TAGS: 'x' } }), Code.ILLEGAL_MESSAGE_PROPERTY_KEY],
    ['control char in a property value', msg({ props: { k: 'a\u0001' } }), Code.ILLEGAL_MESSAGE_PROPERTY_KEY],
    ['blank tag', msg({ tag: '  ' }), Code.ILLEGAL_MESSAGE_TAG],
    ['tag with |', msg({ tag: 'a|b' }), Code.ILLEGAL_MESSAGE_TAG],
    ['tag with control char', msg({ tag: 'a\n' }), Code.ILLEGAL_MESSAGE_TAG],
    ['empty tag is no tag', msg({ tag: '' }), 'ok'],
    ['whitespace key', msg({ keys: [' '] }), Code.ILLEGAL_MESSAGE_KEY],
    ['key with control char', msg({ keys: ['k\u007f'] }), Code.ILLEGAL_MESSAGE_KEY],
    ['blank message id', msg({ id: ' ' }), Code.ILLEGAL_MESSAGE_ID],
    [
      'delivery time beyond one day',
      msg({ deliveryAt: NOW + 24 * 3600_000 + 1 }),
      Code.ILLEGAL_DELIVERY_TIME,
    ],
    ['delivery time within one day', msg({ deliveryAt: NOW + 3600_000 }), 'ok'],
    ['whitespace message group', msg({ group: ' ' }), Code.ILLEGAL_MESSAGE_GROUP],
    ['message group of 64 bytes', msg({ group: 'g'.repeat(64) }), Code.ILLEGAL_MESSAGE_GROUP],
    ['message group of 63 bytes', msg({ group: 'g'.repeat(63) }), 'ok'],
    [
      'transaction recovery over 1 h',
      msg({ type: MessageType.TRANSACTION, recoveryMs: 3601_000 }),
      Code.BAD_REQUEST,
    ],
  ];
  for (const [name, m, expected] of cases) {
    test(name, () => assert.equal(check(m), expected));
  }

  test('checks run in the proxy order: body before properties before message id', () => {
    assert.equal(
      check(msg({ body: new Uint8Array(), props: { TAGS: 'x' }, id: '' })),
      Code.MESSAGE_BODY_EMPTY,
    );
    assert.equal(check(msg({ props: { TAGS: 'x' }, id: '' })), Code.ILLEGAL_MESSAGE_PROPERTY_KEY);
  });
});

describe('names', () => {
  test('topic names', () => {
    assert.equal(
      codeOf(() => validateTopicName('orders-1_%|')),
      'ok',
    );
    assert.equal(
      codeOf(() => validateTopicName('')),
      Code.ILLEGAL_TOPIC,
    );
    assert.equal(
      codeOf(() => validateTopicName('a b')),
      Code.ILLEGAL_TOPIC,
    );
    assert.equal(
      codeOf(() => validateTopicName('x'.repeat(128))),
      Code.ILLEGAL_TOPIC,
    );
    assert.equal(
      codeOf(() => validateTopicName('RMQ_SYS_TRANS_HALF_TOPIC')),
      Code.ILLEGAL_TOPIC,
    );
    assert.equal(
      codeOf(() => validateTopicName('rmq_sys_anything')),
      Code.ILLEGAL_TOPIC,
    );
  });

  test('group names', () => {
    assert.equal(
      codeOf(() => validateGroupName('g-1')),
      'ok',
    );
    assert.equal(
      codeOf(() => validateGroupName(' ')),
      Code.ILLEGAL_CONSUMER_GROUP,
    );
    assert.equal(
      codeOf(() => validateGroupName('g'.repeat(121))),
      Code.ILLEGAL_CONSUMER_GROUP,
    );
    assert.equal(
      codeOf(() => validateGroupName('CID_RMQ_SYS_x')),
      Code.ILLEGAL_CONSUMER_GROUP,
    );
  });

  test('invisible time bounds', () => {
    assert.equal(
      codeOf(() => validateInvisibleTime(9_999, 10_000, 43_200_000)),
      Code.ILLEGAL_INVISIBLE_TIME,
    );
    assert.equal(
      codeOf(() => validateInvisibleTime(43_200_001, 10_000, 43_200_000)),
      Code.ILLEGAL_INVISIBLE_TIME,
    );
    assert.equal(
      codeOf(() => validateInvisibleTime(10_000, 10_000, 43_200_000)),
      'ok',
    );
  });
});

describe('message types', () => {
  test('derivation order: transaction, delay, group, priority, normal', () => {
    assert.equal(deriveMessageType(msg({ type: MessageType.TRANSACTION, group: 'g' })), 'TRANSACTION');
    assert.equal(deriveMessageType(msg({ deliveryAt: NOW, group: 'g' })), 'DELAY');
    assert.equal(deriveMessageType(msg({ group: 'g' })), 'FIFO');
    assert.equal(deriveMessageType(msg({})), 'NORMAL');
  });

  test('topic type check', () => {
    assert.equal(
      codeOf(() => validateTopicMessageType('NORMAL', 'FIFO')),
      Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
    );
    assert.equal(
      codeOf(() => validateTopicMessageType('MIXED', 'FIFO')),
      'ok',
    );
    assert.equal(
      codeOf(() => validateTopicMessageType('DELAY', 'DELAY')),
      'ok',
    );
    assert.deepEqual(acceptedMessageTypes('MIXED'), [
      MessageType.NORMAL,
      MessageType.FIFO,
      MessageType.DELAY,
      MessageType.TRANSACTION,
    ]);
  });
});
