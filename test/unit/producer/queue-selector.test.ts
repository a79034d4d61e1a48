import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { checkMessageType, SendQueueSelector, writableQueues } from '../../../src/producer/queue-selector.js';
import { fifoQueueIndex } from '../../../src/producer/sip-hash.js';
import {
  createTopicRoute,
  type QueuePermission,
  type RouteMessageType,
  type RouteQueue,
} from '../../../src/protocol/route.js';
import { createEndpoints, endpointKey } from '../../../src/rpc/endpoints.js';

const ep = (port: number) => createEndpoints('ipv4', [{ host: '10.0.0.1', port }]);

function q(
  brokerName: string,
  queueId: number,
  opts: { brokerId?: number; permission?: QueuePermission; port?: number; types?: RouteMessageType[] } = {},
): RouteQueue {
  return {
    topic: 't',
    brokerName,
    brokerId: opts.brokerId ?? 0,
    queueId,
    permission: opts.permission ?? 'read-write',
    endpoints: ep(opts.port ?? 8081),
    acceptMessageTypes: opts.types ?? ['NORMAL'],
  };
}

const fixedRandom = () => 0;

describe('producer queue selection', () => {
  test('candidates are writable master queues only', () => {
    const route = createTopicRoute('t', [
      q('a', 0, { permission: 'read' }),
      q('a', 1, { permission: 'write' }),
      q('a', 2, { brokerId: 1 }),
      q('a', 3, { permission: 'none' }),
      q('a', 4),
    ]);
    assert.deepEqual(
      writableQueues(route).map((x) => x.queueId),
      [1, 4],
    );
  });

  test('round robin, at most one queue per broker, count = max attempts', () => {
    const route = createTopicRoute('t', [
      q('a', 0, { port: 1 }),
      q('a', 1, { port: 1 }),
      q('b', 0, { port: 2 }),
      q('c', 0, { port: 3 }),
    ]);
    const s = new SendQueueSelector(fixedRandom);
    const first = s.select(route, { count: 3 });
    assert.deepEqual(
      first.map((x) => `${x.brokerName}${x.queueId}`),
      ['a0', 'b0', 'c0'],
    );
    const second = s.select(route, { count: 3 });
    assert.deepEqual(
      second.map((x) => `${x.brokerName}${x.queueId}`),
      ['a1', 'b0', 'c0'],
      'the index advances per send',
    );
    const third = s.select(route, { count: 2 });
    assert.deepEqual(
      third.map((x) => `${x.brokerName}${x.queueId}`),
      ['b0', 'c0'],
    );
    assert.equal(s.select(route, { count: 1 }).length, 1);
  });

  test('skips isolated endpoints, falls back to them when all are isolated', () => {
    const route = createTopicRoute('t', [q('a', 0, { port: 1 }), q('b', 0, { port: 2 })]);
    const s = new SendQueueSelector(fixedRandom);
    const isolatedA = (key: string) => key === endpointKey(ep(1));
    assert.deepEqual(
      s.select(route, { count: 3, isIsolated: isolatedA }).map((x) => x.brokerName),
      ['b'],
    );
    assert.deepEqual(
      s
        .select(route, { count: 3, isIsolated: () => true })
        .map((x) => x.brokerName)
        .sort(),
      ['a', 'b'],
    );
  });

  test('skips avoided brokers even when every queue shares the isolated endpoints (cluster mode)', () => {
    // Behind cluster-mode proxies every queue carries the same endpoints.
    const route = createTopicRoute('t', [q('a', 0), q('a', 1), q('b', 0), q('b', 1)]);
    const s = new SendQueueSelector(fixedRandom);
    const allIsolated = () => true;
    const avoidedA = (name: string) => name === 'a';
    for (let i = 0; i < 8; i++) {
      assert.deepEqual(
        s.select(route, { count: 3, isIsolated: allIsolated, isAvoided: avoidedA }).map((x) => x.brokerName),
        ['b'],
        'the retry and the next sends leave the avoided broker',
      );
    }
    assert.deepEqual(
      s
        .select(route, { count: 3, isAvoided: () => true })
        .map((x) => x.brokerName)
        .sort(),
      ['a', 'b'],
      'every broker avoided: all are candidates again',
    );
    const fifo = s.select(route, { count: 3, messageGroup: 'g', isAvoided: () => true });
    assert.equal(fifo.length, 1, 'a message group keeps its one queue');
  });

  test('FIFO: exactly one queue, by SipHash of the group, isolation ignored', () => {
    const queues = [q('a', 0), q('a', 1), q('a', 2)];
    const route = createTopicRoute('t', queues);
    const s = new SendQueueSelector(fixedRandom);
    const picked = s.select(route, { count: 3, messageGroup: 'foo哈哈😄2222哈哈', isIsolated: () => true });
    assert.equal(picked.length, 1);
    assert.equal(picked[0]!.queueId, 1, 'Java SDK check value → index 1 of 3');
    for (let i = 0; i < 3; i++) {
      assert.equal(s.select(route, { count: 3, messageGroup: 'g' })[0]!.queueId, fifoQueueIndex('g', 3));
    }
  });

  test('no writable master queue → FORBIDDEN', () => {
    const route = createTopicRoute('t', [q('a', 0, { permission: 'read' }), q('a', 1, { brokerId: 2 })]);
    assert.throws(
      () => new SendQueueSelector().select(route, { count: 3 }),
      (e: unknown) => e instanceof RocketMQError && e.code === 'FORBIDDEN',
    );
  });

  test('random start index', () => {
    const route = createTopicRoute('t', [q('a', 0, { port: 1 }), q('b', 0, { port: 2 })]);
    const s = new SendQueueSelector(() => 0.9999);
    assert.equal(s.select(route, { count: 1 }).length, 1);
  });

  test('message type check against accepted types', () => {
    assert.doesNotThrow(() => checkMessageType(q('a', 0, { types: ['NORMAL'] }), 'NORMAL'));
    assert.throws(
      () => checkMessageType(q('a', 0, { types: ['FIFO'] }), 'NORMAL'),
      (e: unknown) => e instanceof RocketMQError && e.code === 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    );
    assert.doesNotThrow(() => checkMessageType(q('a', 0, { types: [] }), 'DELAY'), 'no types: unchecked');
    assert.doesNotThrow(() => checkMessageType(q('a', 0, { types: ['UNSPECIFIED'] }), 'DELAY'));
    assert.doesNotThrow(
      () => checkMessageType(q('a', 0, { types: ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'] }), 'TRANSACTION'),
      'MIXED',
    );
  });
});
