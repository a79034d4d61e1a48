import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDeferred } from '../../../src/internal/deferred.js';
import { keyedSharedPromise, sharedPromise } from '../../../src/internal/shared-promise.js';

describe('sharedPromise', () => {
  test('concurrent calls share one run; a later call starts a new one', async () => {
    let runs = 0;
    const gate = createDeferred<void>();
    const start = sharedPromise(async () => {
      runs++;
      await gate.promise;
      return runs;
    });
    const a = start();
    const b = start();
    assert.equal(a, b);
    gate.resolve();
    assert.deepEqual(await Promise.all([a, b]), [1, 1]);
    assert.equal(await start(), 2);
    assert.equal(runs, 2);
  });

  test('a rejection is shared and then cleared', async () => {
    let runs = 0;
    const call = sharedPromise(async () => {
      runs++;
      if (runs === 1) throw new Error('first fails');
      return 'ok';
    });
    const [a, b] = [call(), call()];
    await assert.rejects(a, /first fails/);
    await assert.rejects(b, /first fails/);
    assert.equal(await call(), 'ok');
  });

  test('a synchronous throw becomes a rejection', async () => {
    const call = sharedPromise((): Promise<void> => {
      throw new Error('sync');
    });
    await assert.rejects(call(), /sync/);
  });
});

describe('keyedSharedPromise', () => {
  test('one in-flight call per key', async () => {
    const gates = new Map([
      ['a', createDeferred<void>()],
      ['b', createDeferred<void>()],
    ]);
    const calls: string[] = [];
    const query = keyedSharedPromise(async (key: string) => {
      calls.push(key);
      await gates.get(key)!.promise;
      return key.toUpperCase();
    });
    const a1 = query('a');
    const a2 = query('a');
    const b1 = query('b');
    assert.equal(a1, a2);
    assert.notEqual(a1, b1);
    assert.equal(query.size, 2);
    gates.get('a')!.resolve();
    assert.equal(await a1, 'A');
    assert.equal(query.size, 1);
    gates.get('b')!.resolve();
    assert.equal(await b1, 'B');
    assert.equal(query.size, 0);
    assert.deepEqual(calls, ['a', 'b']);
  });
});
