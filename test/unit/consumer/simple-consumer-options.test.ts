/**
 * SimpleConsumer option validation and the argument checks that run before anything is sent. No broker:
 * every case fails locally with its own code.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  toFilterExpression,
  validateCallOptions,
  validateConsumerTopic,
  validateGroup,
  validateInvisibleDuration,
  validateMaxMessages,
  validateView,
} from '../../../src/consumer/consumer-validation.js';
import { SimpleConsumer, type SimpleConsumerOptions } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { FilterExpression } from '../../../src/model/filter-expression.js';
import { MessageView } from '../../../src/model/message-view.js';

const base: SimpleConsumerOptions = { endpoints: '127.0.0.1:8081', consumerGroup: 'g' };

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof RocketMQError, `not a RocketMQError: ${String(e)}`);
    return e.code;
  }
  return 'no error';
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof RocketMQError, `not a RocketMQError: ${String(e)}`);
    return e.code;
  }
  return 'no error';
}

const make = (o: Partial<SimpleConsumerOptions>) => () =>
  new SimpleConsumer({ ...base, ...o } as SimpleConsumerOptions);

describe('SimpleConsumer options', () => {
  test('valid options construct a consumer in state created, with defaults', async () => {
    const c = new SimpleConsumer({ ...base, subscriptions: { a: '*', b: FilterExpression.sql('x > 1') } });
    assert.equal(c.state, 'created');
    assert.equal(c.awaitDurationMs, 30_000);
    assert.equal(c.consumerGroup, 'g');
    assert.deepEqual(
      [...c.subscriptions].map(([t, f]) => [t, f.type, f.expression]),
      [
        ['a', 'TAG', '*'],
        ['b', 'SQL92', 'x > 1'],
      ],
    );
    await c.shutdown();
    assert.equal(c.state, 'stopped');
  });

  test('each bad option has its own code', () => {
    assert.equal(
      code(() => new SimpleConsumer(undefined as unknown as SimpleConsumerOptions)),
      'INVALID_ARGUMENT',
    );
    assert.equal(code(make({ endpoints: '' })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ endpoints: 42 as unknown as string })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ endpoints: 'host:99999' })), 'ILLEGAL_ACCESS_POINT');
    assert.equal(code(make({ consumerGroup: undefined as unknown as string })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ consumerGroup: '' })), 'ILLEGAL_CONSUMER_GROUP');
    assert.equal(code(make({ consumerGroup: 'bad group' })), 'ILLEGAL_CONSUMER_GROUP');
    assert.equal(code(make({ consumerGroup: 'g'.repeat(256) })), 'ILLEGAL_CONSUMER_GROUP');
    assert.equal(code(make({ awaitDurationMs: 0 })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ awaitDurationMs: Number.POSITIVE_INFINITY })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ requestTimeoutMs: -5 })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ minInvisibleDurationMs: 13 * 3600_000 })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ namespace: 7 as unknown as string })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ subscriptions: [] as unknown as Record<string, string> })), 'INVALID_ARGUMENT');
    assert.equal(code(make({ subscriptions: { 'bad topic': '*' } })), 'ILLEGAL_TOPIC');
    assert.equal(code(make({ subscriptions: { t: '' } })), 'ILLEGAL_FILTER_EXPRESSION');
    assert.equal(code(make({ subscriptions: { t: 'a||' } })), 'ILLEGAL_FILTER_EXPRESSION');
    assert.equal(code(make({ subscriptions: { t: 5 as unknown as string } })), 'INVALID_ARGUMENT');
  });

  test('calls on a consumer that was never started fail locally', async () => {
    const c = new SimpleConsumer({ ...base, subscriptions: { t: '*' } });
    assert.equal(await codeOf(c.receive(1, 30_000)), 'INVALID_STATE');
    assert.equal(await codeOf(c.receive(0, 30_000)), 'INVALID_ARGUMENT');
    const view = new MessageView({
      messageId: 'M',
      topic: 't',
      body: Buffer.alloc(0),
      receiptHandle: 'rh',
      endpoint: 'ipv4:1.2.3.4:1',
    });
    assert.equal(await codeOf(c.ack(view)), 'INVALID_ARGUMENT', 'unknown endpoint comes first');
    await c.shutdown();
    assert.equal(await codeOf(c.receive(1, 30_000)), 'CLOSED');
    assert.equal(await codeOf(c.start()), 'CLOSED');
  });

  test('minInvisibleDurationMs lowers the receive bound (for servers configured so)', async () => {
    const c = new SimpleConsumer({ ...base, subscriptions: { t: '*' }, minInvisibleDurationMs: 1_000 });
    assert.equal(await codeOf(c.receive(1, 1_000)), 'INVALID_STATE', 'passes validation, fails on state');
    assert.equal(await codeOf(c.receive(1, 999)), 'ILLEGAL_INVISIBLE_TIME');
    await c.shutdown();
  });
});

describe('argument checks', () => {
  test('maxMessages is an integer 1..32', () => {
    for (const ok of [1, 16, 32]) assert.equal(validateMaxMessages(ok), ok);
    for (const bad of [0, 33, -1, 1.5, Number.NaN, '3', undefined]) {
      assert.equal(
        code(() => validateMaxMessages(bad)),
        'INVALID_ARGUMENT',
        String(bad),
      );
    }
  });

  test('invisible duration is within [min, 12 h]', () => {
    assert.equal(validateInvisibleDuration(10_000, 10_000), 10_000);
    assert.equal(validateInvisibleDuration(12 * 3600_000, 10_000), 12 * 3600_000);
    assert.equal(validateInvisibleDuration(0, 0), 0);
    for (const bad of [9_999, 12 * 3600_000 + 1, -1]) {
      assert.equal(code(() => validateInvisibleDuration(bad, 10_000)), 'ILLEGAL_INVISIBLE_TIME', String(bad));
    }
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, '10000']) {
      assert.equal(code(() => validateInvisibleDuration(bad, 10_000)), 'INVALID_ARGUMENT', String(bad));
    }
  });

  test('topics, groups and filters', () => {
    assert.equal(validateConsumerTopic('%DLQ%my-group'), '%DLQ%my-group');
    assert.equal(
      code(() => validateConsumerTopic(1)),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      code(() => validateConsumerTopic('  ')),
      'ILLEGAL_TOPIC',
    );
    assert.equal(
      code(() => validateConsumerTopic('a/b')),
      'ILLEGAL_TOPIC',
    );
    assert.equal(validateGroup('g_1-%|x'), 'g_1-%|x');
    assert.equal(
      code(() => validateGroup(null)),
      'INVALID_ARGUMENT',
    );
    assert.equal(toFilterExpression('a || b').expression, 'a||b');
    assert.equal(toFilterExpression('*'), FilterExpression.all);
    assert.equal(
      code(() => toFilterExpression({ type: 'TAG', expression: '*' })),
      'INVALID_ARGUMENT',
    );
  });

  test('call options and views', () => {
    assert.deepEqual(validateCallOptions(undefined), {});
    assert.equal(
      code(() => validateCallOptions(5)),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      code(() => validateCallOptions({ signal: {} })),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      code(() => validateCallOptions({ timeoutMs: 0 })),
      'INVALID_ARGUMENT',
    );
    const view = new MessageView({
      messageId: 'M',
      topic: 't',
      body: Buffer.alloc(0),
      receiptHandle: 'rh',
      endpoint: 'e',
    });
    assert.equal(validateView(view), view);
    assert.equal(
      code(() => validateView({ ...view })),
      'INVALID_ARGUMENT',
    );
    assert.equal(
      code(() => validateView(new MessageView({ ...view, receiptHandle: '' }))),
      'INVALID_ARGUMENT',
    );
  });
});
