import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clampDelay, MAX_TIMER_DELAY_MS, systemTimers, unrefTimer } from '../../../src/internal/timers.js';

describe('timers', () => {
  test('clampDelay keeps delays inside what Node honours', () => {
    assert.equal(clampDelay(-5), 0);
    assert.equal(clampDelay(Number.NaN), 0);
    assert.equal(clampDelay(10), 10);
    assert.equal(clampDelay(2 ** 31), MAX_TIMER_DELAY_MS);
    assert.equal(clampDelay(Number.POSITIVE_INFINITY), MAX_TIMER_DELAY_MS);
  });

  test('systemTimers resolves the global setTimeout at call time (mock timers apply)', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let fired = 0;
    systemTimers.setTimeout(() => fired++, 100);
    t.mock.timers.tick(99);
    assert.equal(fired, 0);
    t.mock.timers.tick(1);
    assert.equal(fired, 1);
    const h = systemTimers.setTimeout(() => fired++, 10);
    systemTimers.clearTimeout(h);
    t.mock.timers.tick(20);
    assert.equal(fired, 1);
  });

  test('unrefTimer calls unref when present and tolerates other values', () => {
    let called = 0;
    unrefTimer({ unref: () => called++ });
    unrefTimer(42);
    unrefTimer(null);
    unrefTimer(undefined);
    assert.equal(called, 1);
  });
});
