import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fifoQueueIndex, sipHash24, toSigned64 } from '../../../src/producer/sip-hash.js';

const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

describe('SipHash-2-4 (the Java SDK\'s FIFO hash)', () => {
  test('reference vectors (key 00..0F, message 00..n-1)', () => {
    assert.equal(sipHash24(bytes(0)), 0x726fdb47dd0e0e31n);
    assert.equal(sipHash24(bytes(1)), 0x74f839c593dc67fdn);
    assert.equal(sipHash24(bytes(15)), 0xa129ca6149be45e5n, 'the paper’s test vector');
  });

  test('check value of the Java SDK: foo哈哈😄2222哈哈', () => {
    const h = sipHash24(Buffer.from('foo哈哈😄2222哈哈', 'utf8'));
    assert.equal(h, 17741360347522701986n);
    assert.equal(toSigned64(h), -705383726186849630n);
    assert.equal(fifoQueueIndex('foo哈哈😄2222哈哈', 3), 1);
  });

  test('floorMod keeps indexes in range for negative hashes', () => {
    for (const group of ['a', 'b', 'order-1', 'order-2', '', 'ü']) {
      for (const n of [1, 2, 3, 7, 16]) {
        const i = fifoQueueIndex(group, n);
        assert.ok(Number.isInteger(i) && i >= 0 && i < n, `${group}/${n} → ${i}`);
      }
    }
    assert.equal(fifoQueueIndex('g', 1), 0);
    assert.throws(() => fifoQueueIndex('g', 0), RangeError);
  });

  test('is deterministic', () => {
    assert.equal(fifoQueueIndex('group-42', 8), fifoQueueIndex('group-42', 8));
  });
});
