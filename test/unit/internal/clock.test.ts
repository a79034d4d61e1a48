import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock, systemClock } from '../../../src/internal/clock.js';

describe('systemClock', () => {
  test('now() follows Date (mock timers included)', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
    assert.equal(systemClock.now(), 1_700_000_000_000);
    t.mock.timers.tick(250);
    assert.equal(systemClock.now(), 1_700_000_000_250);
  });

  test('monotonic() never goes backwards', () => {
    const a = systemClock.monotonic();
    const b = systemClock.monotonic();
    assert.ok(b >= a);
  });
});

describe('ManualClock', () => {
  test('starts at the given readings and advances both', () => {
    const clock = new ManualClock(1000, 5);
    assert.equal(clock.now(), 1000);
    assert.equal(clock.monotonic(), 5);
    clock.advance(250);
    assert.equal(clock.now(), 1250);
    assert.equal(clock.monotonic(), 255);
  });

  test('setWallClock moves only wall time', () => {
    const clock = new ManualClock(1000, 0);
    clock.setWallClock(10);
    assert.equal(clock.now(), 10);
    assert.equal(clock.monotonic(), 0);
  });

  test('rejects negative or non-finite steps', () => {
    const clock = new ManualClock();
    assert.throws(() => clock.advance(-1), RangeError);
    assert.throws(() => clock.advance(Number.NaN), RangeError);
    assert.throws(() => clock.advance(Number.POSITIVE_INFINITY), RangeError);
    assert.equal(clock.monotonic(), 0);
  });
});
