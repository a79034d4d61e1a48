import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  backoffDelay,
  createBackoff,
  customizedBackoff,
  exponentialBackoff,
} from '../../../src/internal/backoff.js';

const noJitter = exponentialBackoff({ initialMs: 10, maxMs: 1000, multiplier: 2, jitter: 0 });

describe('exponential backoff', () => {
  test('grows by the multiplier and caps at maxMs', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoffDelay(noJitter, n));
    assert.deepEqual(delays, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
  });

  test('jitter spreads the delay over base × (1 ± jitter)', () => {
    const policy = exponentialBackoff({ initialMs: 100, maxMs: 10_000, multiplier: 3, jitter: 0.5 });
    // attempt 2 → base 300
    assert.equal(
      backoffDelay(policy, 2, () => 0),
      150,
    );
    assert.equal(
      backoffDelay(policy, 2, () => 0.5),
      300,
    );
    assert.equal(
      backoffDelay(policy, 2, () => 0.999999),
      300 * (1 + 0.5 * (2 * 0.999999 - 1)),
    );
  });

  test('jitter never exceeds maxMs nor goes negative', () => {
    const policy = exponentialBackoff({ initialMs: 1000, maxMs: 1000, multiplier: 2, jitter: 1 });
    assert.equal(
      backoffDelay(policy, 5, () => 0.99),
      1000,
    );
    assert.equal(
      backoffDelay(policy, 5, () => 0),
      0,
    );
  });

  test('a huge attempt number stays at maxMs (no overflow to Infinity/NaN)', () => {
    assert.equal(backoffDelay(noJitter, 10_000), 1000);
  });

  test('rejects invalid parameters', () => {
    const ok = { initialMs: 10, maxMs: 100, multiplier: 2, jitter: 0.2 };
    assert.throws(() => exponentialBackoff({ ...ok, initialMs: -1 }), RangeError);
    assert.throws(() => exponentialBackoff({ ...ok, maxMs: 5 }), RangeError);
    assert.throws(() => exponentialBackoff({ ...ok, multiplier: 0.5 }), RangeError);
    assert.throws(() => exponentialBackoff({ ...ok, jitter: 1.5 }), RangeError);
    assert.throws(() => exponentialBackoff({ ...ok, jitter: Number.NaN }), RangeError);
    assert.throws(() => backoffDelay(noJitter, 0), RangeError);
    assert.throws(() => backoffDelay(noJitter, 1.5), RangeError);
  });
});

describe('customized backoff', () => {
  test('walks the list and repeats the last delay', () => {
    const policy = customizedBackoff([1000, 5000, 10_000]);
    assert.deepEqual(
      [1, 2, 3, 4, 50].map((n) => backoffDelay(policy, n)),
      [1000, 5000, 10_000, 10_000, 10_000],
    );
  });

  test('copies its input', () => {
    const list = [1, 2];
    const policy = customizedBackoff(list);
    list[0] = 99;
    assert.equal(backoffDelay(policy, 1), 1);
  });

  test('rejects an empty list or bad delays', () => {
    assert.throws(() => customizedBackoff([]), RangeError);
    assert.throws(() => customizedBackoff([1, -1]), RangeError);
    assert.throws(() => customizedBackoff([Number.NaN]), RangeError);
  });
});

describe('createBackoff', () => {
  test('hands out successive delays and resets', () => {
    const b = createBackoff(noJitter);
    assert.equal(b.attempt, 0);
    assert.deepEqual([b.next(), b.next(), b.next()], [10, 20, 40]);
    assert.equal(b.attempt, 3);
    b.reset();
    assert.equal(b.attempt, 0);
    assert.equal(b.next(), 10);
  });

  test('uses the injected random source', () => {
    const policy = exponentialBackoff({ initialMs: 100, maxMs: 100, multiplier: 1, jitter: 0.1 });
    const b = createBackoff(policy, () => 0);
    assert.equal(b.next(), 90);
  });
});
