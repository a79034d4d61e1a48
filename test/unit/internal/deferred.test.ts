import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDeferred } from '../../../src/internal/deferred.js';

describe('createDeferred', () => {
  test('resolves from outside; later calls are ignored', async () => {
    const d = createDeferred<number>();
    assert.equal(d.settled, false);
    d.resolve(1);
    d.resolve(2);
    d.reject(new Error('ignored'));
    assert.equal(d.settled, true);
    assert.equal(await d.promise, 1);
  });

  test('rejects from outside', async () => {
    const d = createDeferred<void>();
    const err = new Error('x');
    d.reject(err);
    d.resolve();
    await assert.rejects(d.promise, (e) => e === err);
  });
});
