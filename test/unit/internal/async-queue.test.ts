import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AsyncQueue } from '../../../src/internal/async-queue.js';

describe('AsyncQueue', () => {
  test('buffers pushes and delivers them in order, then ends on close', async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    q.push(2);
    assert.equal(q.size, 2);
    q.close();
    assert.equal(q.push(3), false);
    const seen: number[] = [];
    for await (const v of q) seen.push(v);
    assert.deepEqual(seen, [1, 2]);
  });

  test('wakes waiting consumers in call order', async () => {
    const q = new AsyncQueue<string>();
    const first = q.next();
    const second = q.next();
    q.push('a');
    q.push('b');
    assert.deepEqual(await first, { value: 'a', done: false });
    assert.deepEqual(await second, { value: 'b', done: false });
  });

  test('close() finishes waiting consumers', async () => {
    const q = new AsyncQueue<number>();
    const waiting = q.next();
    q.close();
    assert.deepEqual(await waiting, { value: undefined, done: true });
  });

  test('fail() delivers buffered items first, then throws once', async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    const err = new Error('stream broke');
    q.fail(err);
    q.fail(new Error('ignored'));
    const seen: number[] = [];
    await assert.rejects(
      async () => {
        for await (const v of q) seen.push(v);
      },
      (e) => e === err,
    );
    assert.deepEqual(seen, [1]);
    assert.deepEqual(await q.next(), { value: undefined, done: true });
  });

  test('fail() rejects a consumer that is already waiting', async () => {
    const q = new AsyncQueue<number>();
    const waiting = q.next();
    const err = new Error('x');
    q.fail(err);
    await assert.rejects(waiting, (e) => e === err);
  });

  test('breaking out of for-await drops the buffer and calls onReturn once', async () => {
    let returned = 0;
    const q = new AsyncQueue<number>({ onReturn: () => returned++ });
    q.push(1);
    q.push(2);
    q.push(3);
    for await (const v of q) {
      assert.equal(v, 1);
      break;
    }
    assert.equal(returned, 1);
    assert.equal(q.ended, true);
    assert.equal(q.size, 0);
    assert.equal(q.push(4), false);
    await q.return();
    assert.equal(returned, 1);
  });

  test('onReturn is not called after close(), and its errors are contained', async () => {
    let returned = 0;
    const closed = new AsyncQueue<number>({ onReturn: () => returned++ });
    closed.close();
    await closed.return();
    assert.equal(returned, 0);
    const throwing = new AsyncQueue<number>({
      onReturn: () => {
        throw new Error('cleanup failed');
      },
    });
    assert.deepEqual(await throwing.return(), { value: undefined, done: true });
  });
});
