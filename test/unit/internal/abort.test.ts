import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  abortReason,
  attemptTimeout,
  createAbortError,
  createDeadline,
  createTimeoutError,
  deadlineSignal,
  isAbortError,
  isTimeoutError,
  linkSignals,
  raceSignal,
  throwIfAborted,
  unboundedDeadline,
} from '../../../src/internal/abort.js';
import { ManualClock } from '../../../src/internal/clock.js';
import { createDeferred } from '../../../src/internal/deferred.js';

describe('abort errors', () => {
  test('factories produce named DOMExceptions recognised by the predicates', () => {
    const a = createAbortError();
    const t = createTimeoutError('late');
    assert.equal(a.name, 'AbortError');
    assert.equal(t.name, 'TimeoutError');
    assert.equal(t.message, 'late');
    assert.equal(isAbortError(a), true);
    assert.equal(isAbortError(t), false);
    assert.equal(isTimeoutError(t), true);
    assert.equal(isTimeoutError(new Error('x')), false);
    assert.equal(isAbortError('AbortError'), false);
    assert.equal(isAbortError(null), false);
  });

  test('abortReason returns the reason, or an AbortError when there is none', () => {
    const reason = new Error('why');
    assert.equal(abortReason(AbortSignal.abort(reason)), reason);
    const c = new AbortController();
    c.abort();
    assert.equal(isAbortError(abortReason(c.signal)), true);
  });

  test('throwIfAborted throws the reason only once aborted', () => {
    throwIfAborted(undefined);
    const c = new AbortController();
    throwIfAborted(c.signal);
    const reason = new Error('stop');
    c.abort(reason);
    assert.throws(
      () => throwIfAborted(c.signal),
      (e) => e === reason,
    );
  });
});

describe('linkSignals', () => {
  test('no signals: never aborts; one signal: returned as is', () => {
    assert.equal(linkSignals().aborted, false);
    assert.equal(linkSignals(undefined, undefined).aborted, false);
    const c = new AbortController();
    assert.equal(linkSignals(undefined, c.signal), c.signal);
  });

  test('aborts when any input aborts, with that reason', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, undefined, b.signal);
    assert.equal(linked.aborted, false);
    const reason = new Error('b');
    b.abort(reason);
    assert.equal(linked.aborted, true);
    assert.equal(linked.reason, reason);
  });

  test('an already aborted input makes the result aborted', () => {
    const reason = new Error('early');
    const linked = linkSignals(new AbortController().signal, AbortSignal.abort(reason));
    assert.equal(linked.aborted, true);
    assert.equal(linked.reason, reason);
  });
});

describe('linkSignals without AbortSignal.any (older Node 20 releases)', () => {
  test('falls back to listener wiring with the same behaviour', (t) => {
    const holder = AbortSignal as unknown as { any?: unknown };
    const original = holder.any;
    holder.any = undefined;
    t.after(() => {
      holder.any = original;
    });
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, b.signal);
    assert.notEqual(linked, a.signal);
    const reason = new Error('a first');
    a.abort(reason);
    b.abort(new Error('b later'));
    assert.equal(linked.reason, reason);
    const pre = linkSignals(new AbortController().signal, AbortSignal.abort('done'));
    assert.equal(pre.reason, 'done');
  });
});

describe('deadlineSignal', () => {
  test('aborts with a TimeoutError after the delay', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const d = deadlineSignal(500);
    t.mock.timers.tick(499);
    assert.equal(d.signal.aborted, false);
    t.mock.timers.tick(1);
    assert.equal(d.signal.aborted, true);
    assert.equal(isTimeoutError(d.signal.reason), true);
  });

  test('clear() cancels the timer', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const d = deadlineSignal(100);
    d.clear();
    d.clear();
    t.mock.timers.tick(1000);
    assert.equal(d.signal.aborted, false);
  });

  test('Infinity never aborts and arms no timer', () => {
    let armed = 0;
    const d = deadlineSignal(Number.POSITIVE_INFINITY, {
      setTimeout: () => armed++,
      clearTimeout: () => {},
    });
    assert.equal(armed, 0);
    assert.equal(d.signal.aborted, false);
    d.clear();
  });
});

describe('raceSignal', () => {
  test('passes the value through and detaches its listener', async () => {
    const c = new AbortController();
    assert.equal(await raceSignal(Promise.resolve(7), c.signal), 7);
    assert.equal(await raceSignal(Promise.resolve(8), undefined), 8);
    await assert.rejects(raceSignal(Promise.reject(new Error('inner')), c.signal), /inner/);
  });

  test('rejects with the reason when the signal aborts first', async () => {
    const c = new AbortController();
    const work = createDeferred<number>();
    const raced = raceSignal(work.promise, c.signal);
    const reason = new Error('cancelled');
    c.abort(reason);
    await assert.rejects(raced, (e) => e === reason);
    work.reject(new Error('late failure must not be unhandled'));
  });

  test('rejects at once for an already aborted signal', async () => {
    const reason = new Error('pre');
    await assert.rejects(raceSignal(new Promise(() => {}), AbortSignal.abort(reason)), (e) => e === reason);
  });
});

describe('Deadline', () => {
  test('counts down on the monotonic clock and expires', () => {
    const clock = new ManualClock(0, 1000);
    const d = createDeadline(clock, 300);
    assert.equal(d.remaining(), 300);
    clock.setWallClock(-5_000_000); // wall-clock jumps do not matter
    clock.advance(200);
    assert.equal(d.remaining(), 100);
    assert.equal(d.expired(), false);
    clock.advance(150);
    assert.equal(d.remaining(), 0);
    assert.equal(d.expired(), true);
  });

  test('undefined or Infinity means unbounded', () => {
    const clock = new ManualClock();
    assert.equal(createDeadline(clock, undefined), unboundedDeadline);
    assert.equal(createDeadline(clock, Number.POSITIVE_INFINITY).expired(), false);
    assert.equal(unboundedDeadline.remaining(), Number.POSITIVE_INFINITY);
  });

  test('attemptTimeout takes the smaller of the attempt limit and the budget', () => {
    const clock = new ManualClock();
    const d = createDeadline(clock, 5000);
    assert.equal(attemptTimeout(3000, d), 3000);
    clock.advance(4000);
    assert.equal(attemptTimeout(3000, d), 1000);
    assert.equal(attemptTimeout(3000, unboundedDeadline), 3000);
  });
});
