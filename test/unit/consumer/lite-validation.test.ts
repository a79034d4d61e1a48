import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LitePushConsumer } from '../../../src/consumer/lite-push-consumer.js';
import { validateLiteOffset, validateLiteTopic } from '../../../src/consumer/lite-validation.js';
import { toOutcome } from '../../../src/consumer/consume-service.js';
import { RocketMQError } from '../../../src/errors.js';
import { noopLogger } from '../../../src/observability/logger.js';

const code = (c: string) => (e: unknown) => e instanceof RocketMQError && e.code === c;

describe('lite topic names', () => {
  test('a name of [a-zA-Z0-9_-] up to the limit is accepted', () => {
    assert.equal(validateLiteTopic('session_42-A'), 'session_42-A');
    assert.equal(validateLiteTopic('x'.repeat(64)), 'x'.repeat(64));
  });
  test('empty, over-long (bytes) and refused characters give ILLEGAL_LITE_TOPIC', () => {
    assert.throws(() => validateLiteTopic(''), code('ILLEGAL_LITE_TOPIC'));
    assert.throws(() => validateLiteTopic('x'.repeat(65)), code('ILLEGAL_LITE_TOPIC'));
    assert.throws(() => validateLiteTopic('x'.repeat(11), 10), code('ILLEGAL_LITE_TOPIC'));
    for (const bad of ['a b', 'a.b', 'a/b', 'a%b', 'é', ' ', 'a|b']) {
      assert.throws(() => validateLiteTopic(bad), code('ILLEGAL_LITE_TOPIC'), bad);
    }
  });
  test('a non-string gives INVALID_ARGUMENT', () => {
    assert.throws(() => validateLiteTopic(42), code('INVALID_ARGUMENT'));
    assert.throws(() => validateLiteTopic(undefined), code('INVALID_ARGUMENT'));
  });
});

describe('lite offsets', () => {
  test('policies and positions map to the wire', () => {
    assert.deepEqual(validateLiteOffset('last'), { case: 'policy', value: 'last' });
    assert.deepEqual(validateLiteOffset('min'), { case: 'policy', value: 'min' });
    assert.deepEqual(validateLiteOffset('max'), { case: 'policy', value: 'max' });
    assert.deepEqual(validateLiteOffset({ offset: 0 }), { case: 'offset', value: 0n });
    assert.deepEqual(validateLiteOffset({ tailN: 5 }), { case: 'tailN', value: 5n });
    assert.deepEqual(validateLiteOffset({ timestamp: new Date(1000) }), { case: 'timestamp', value: 1000n });
  });
  test('out of range or unknown offsets give ILLEGAL_OFFSET', () => {
    for (const bad of [
      'first',
      { offset: -1 },
      { offset: 1.5 },
      { tailN: 0 },
      { timestamp: -1 },
      { timestamp: new Date(Number.NaN) },
      { offset: 1, tailN: 1 },
      {},
      null,
      7,
    ]) {
      assert.throws(() => validateLiteOffset(bad), code('ILLEGAL_OFFSET'), JSON.stringify(bad));
    }
  });
});

describe('suspend results', () => {
  test('{ suspendMs } within (0, 12 h] is a suspend', () => {
    assert.deepEqual(toOutcome({ suspendMs: 1500 }, noopLogger), {
      t: 'failure',
      retryAfterMs: 1500,
      suspend: true,
    });
  });
  test('suspend ≤ 0, beyond 12 h or not a number is a plain failure (logged)', () => {
    for (const bad of [0, -5, 12 * 3600_000 + 1, Number.NaN, '10']) {
      assert.deepEqual(toOutcome({ suspendMs: bad }, noopLogger), { t: 'failure' }, String(bad));
    }
  });
});

describe('LitePushConsumer options', () => {
  const base = {
    endpoints: '127.0.0.1:8081',
    consumerGroup: 'g',
    topic: 'parent',
    listener: () => undefined,
  };
  test('a bad parent topic gives ILLEGAL_TOPIC; subscriptions are refused', () => {
    assert.throws(() => new LitePushConsumer({ ...base, topic: 'bad topic' }), code('ILLEGAL_TOPIC'));
    assert.throws(
      () => new LitePushConsumer({ ...base, subscriptions: { t: '*' } } as never),
      code('INVALID_ARGUMENT'),
    );
    assert.throws(() => new LitePushConsumer({ ...base, liteResyncIntervalMs: 0 }), code('INVALID_ARGUMENT'));
  });
  test('subscribeLite before start is INVALID_STATE and sends nothing', async () => {
    const c = new LitePushConsumer(base);
    await assert.rejects(c.subscribeLite('a'), code('INVALID_STATE'));
    await assert.rejects(c.unsubscribeLite('a'), code('INVALID_STATE'));
    await c.shutdown({ timeoutMs: 1000 });
  });
});
