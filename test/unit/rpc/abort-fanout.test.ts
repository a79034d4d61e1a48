import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import { whenAborted } from '../../../src/rpc/abort-fanout.js';

test('many waiters share one abort listener, removed with the last waiter', () => {
  const controller = new AbortController();
  const unwatch = Array.from({ length: 100 }, () => whenAborted(controller.signal, () => {}));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  for (const u of unwatch.slice(1)) u();
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  unwatch[0]!();
  unwatch[0]!(); // idempotent
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('abort runs every registered waiter once, not the unregistered ones', () => {
  const controller = new AbortController();
  const ran: string[] = [];
  const onA = (): void => {
    ran.push('a');
  };
  whenAborted(controller.signal, onA);
  whenAborted(controller.signal, onA); // the same function twice is two registrations
  const stopB = whenAborted(controller.signal, () => ran.push('b'));
  whenAborted(controller.signal, () => ran.push('c'));
  stopB();
  controller.abort();
  controller.abort();
  assert.deepEqual(ran, ['a', 'a', 'c']);
});

test('no MaxListenersExceededWarning with many concurrent waiters', async () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w);
  };
  process.on('warning', onWarning);
  try {
    const controller = new AbortController();
    const unwatch = Array.from({ length: 50 }, () => whenAborted(controller.signal, () => {}));
    await new Promise((r) => setImmediate(r));
    for (const u of unwatch) u();
    assert.deepEqual(
      warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});

test('an undefined signal needs no listener', () => {
  const unwatch = whenAborted(undefined, () => assert.fail('never'));
  unwatch();
});
