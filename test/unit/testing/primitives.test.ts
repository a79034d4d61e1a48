import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MessagingService } from '../../../src/gen/apache/rocketmq/v2/service_pb.js';
import { parseAuthorization, verifyAuthorization } from '../../../src/testing/auth.js';
import { decodeRecallHandle, encodeRecallHandle } from '../../../src/testing/delay.js';
import { compileTagFilter } from '../../../src/testing/filter.js';
import { fifoQueueIndex, guavaConsistentHash, javaStringHashCode } from '../../../src/testing/java-hash.js';
import { ManualTime } from '../../../src/testing/manual-time.js';
import { decodeReceiptHandle, encodeReceiptHandle } from '../../../src/testing/receipt-handle.js';
import { createServiceDefinition, RPC_NAMES } from '../../../src/testing/service-definition.js';
import { BrokerStatusError } from '../../../src/testing/status.js';

describe('java-hash', () => {
  test('String.hashCode', () => {
    assert.equal(javaStringHashCode(''), 0);
    assert.equal(javaStringHashCode('hello'), 99162322);
    assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
  });

  test('Guava consistentHash golden values', () => {
    const golden = [0, 55, 62, 8, 45, 59, 86, 97, 82, 59, 73, 37, 17, 56, 86, 21, 90, 37, 38, 83];
    assert.deepEqual(
      golden.map((_, i) => guavaConsistentHash(i, 100)),
      golden,
    );
    assert.equal(guavaConsistentHash(10863919174838991n, 11), 6);
    assert.equal(guavaConsistentHash(2016238256797177309n, 11), 3);
    assert.equal(guavaConsistentHash(1673758223894951030n, 11), 5);
    assert.equal(guavaConsistentHash(2, 100001), 80343);
    assert.equal(guavaConsistentHash(2201, 100001), 22152);
    assert.equal(guavaConsistentHash(2202, 100001), 15018);
  });

  test('fifoQueueIndex is deterministic and in range', () => {
    for (const g of ['a', 'order-1', '哈哈😄']) {
      const i = fifoQueueIndex(g, 8);
      assert.ok(i >= 0 && i < 8);
      assert.equal(fifoQueueIndex(g, 8), i);
    }
  });
});

describe('auth', () => {
  const acl = [{ accessKey: 'ak', secretKey: 'mySecretKey' }];
  const dt = '20240102T030405Z';
  const sig = 'B002FFC3996A13C395D4CD31455D1457C644FDA8'; // HMAC-SHA1('mySecretKey', '20240102T030405Z')
  const header = (s: string, ak = 'ak') =>
    `MQv2-HMAC-SHA1 Credential=${ak}, SignedHeaders=x-mq-date-time, Signature=${s}`;

  test('accepts the reference vector in upper and lower case, and Go-style credentials', () => {
    assert.equal(verifyAuthorization(header(sig), dt, acl), undefined);
    assert.equal(verifyAuthorization(header(sig.toLowerCase()), dt, acl), undefined);
    assert.equal(verifyAuthorization(header(sig, 'ak//Rocketmq'), dt, acl), undefined);
  });

  test('rejects a wrong signature, unknown key, missing header or date', () => {
    assert.ok(verifyAuthorization(header(`${sig.slice(0, -1)}9`), dt, acl));
    assert.ok(verifyAuthorization(header(sig, 'other'), dt, acl));
    assert.ok(verifyAuthorization(undefined, dt, acl));
    assert.ok(verifyAuthorization(header(sig), undefined, acl));
    assert.ok(verifyAuthorization('garbage', dt, acl));
  });

  test('no credentials configured: everything passes', () => {
    assert.equal(verifyAuthorization(undefined, undefined, []), undefined);
  });

  test('parseAuthorization splits like the server', () => {
    assert.deepEqual(parseAuthorization(header('AB')), {
      algorithm: 'MQv2-HMAC-SHA1',
      credential: 'ak',
      signature: 'AB',
    });
  });
});

describe('handles', () => {
  test('receipt handles round-trip; garbage is an internal error like the proxy', () => {
    const h = encodeReceiptHandle({
      retrieveTime: 5,
      invisibleTime: 10,
      brokerName: 'b',
      queueId: 2,
      offset: 7,
      sequence: 9,
    });
    assert.deepEqual(decodeReceiptHandle(h), {
      retrieveTime: 5,
      invisibleTime: 10,
      brokerName: 'b',
      queueId: 2,
      offset: 7,
      sequence: 9,
    });
    assert.throws(
      () => decodeReceiptHandle('nope'),
      (e: unknown) => e instanceof BrokerStatusError && e.code === 50001,
    );
  });

  test('recall handles use the server format', () => {
    const h = encodeRecallHandle('topic', 'broker-0', 123, 'MID');
    assert.equal(Buffer.from(h, 'base64url').toString(), 'v1 topic broker-0 123 MID');
    assert.deepEqual(decodeRecallHandle(h), {
      topic: 'topic',
      brokerName: 'broker-0',
      timestamp: '123',
      messageId: 'MID',
    });
    assert.throws(() => decodeRecallHandle('!!'), BrokerStatusError);
    assert.throws(
      () => decodeRecallHandle(Buffer.from('v2 a b c d').toString('base64url')),
      BrokerStatusError,
    );
  });
});

describe('tag filter', () => {
  const m = (tag?: string) => ({ tag, keys: [], userProperties: {} });
  test('* and empty match all, a||b matches either, untagged never matches a tag list', () => {
    assert.equal(compileTagFilter('*').matches(m()), true);
    assert.equal(compileTagFilter('').matches(m('x')), true);
    assert.equal(compileTagFilter('a || b').matches(m('b')), true);
    assert.equal(compileTagFilter('a||b').matches(m('c')), false);
    assert.equal(compileTagFilter('a').matches(m()), false);
  });
});

describe('service definition', () => {
  test('RPC_NAMES lists every descriptor method, and paths/streaming flags follow the descriptor', () => {
    assert.deepEqual(
      [...RPC_NAMES],
      MessagingService.methods.map((m) => m.name),
    );
    const def = createServiceDefinition();
    assert.equal(def.SendMessage?.path, '/apache.rocketmq.v2.MessagingService/SendMessage');
    assert.equal(def.ReceiveMessage?.responseStream, true);
    assert.equal(def.ReceiveMessage?.requestStream, false);
    assert.equal(def.Telemetry?.requestStream, true);
    assert.equal(def.Telemetry?.responseStream, true);
    assert.equal(Object.keys(def).length, 17);
  });
});

describe('ManualTime', () => {
  test('fires due timers in order during advance, with the clock at each due time', () => {
    const time = new ManualTime(1000);
    const seen: Array<[string, number]> = [];
    time.setTimeout(() => seen.push(['b', time.now()]), 20);
    time.setTimeout(() => {
      seen.push(['a', time.now()]);
      time.setTimeout(() => seen.push(['c', time.now()]), 5);
    }, 10);
    const cancelled = time.setTimeout(() => seen.push(['x', time.now()]), 15);
    time.clearTimeout(cancelled);
    time.advance(30);
    assert.deepEqual(seen, [
      ['a', 1010],
      ['c', 1015],
      ['b', 1020],
    ]);
    assert.equal(time.now(), 1030);
    assert.equal(time.monotonic(), 30);
    assert.equal(time.pending, 0);
  });

  test('timers beyond the window stay pending', () => {
    const time = new ManualTime(0);
    let fired = false;
    time.setTimeout(() => {
      fired = true;
    }, 100);
    time.advance(99);
    assert.equal(fired, false);
    assert.equal(time.nextDueAt, 100);
    time.advance(1);
    assert.equal(fired, true);
  });
});
