/**
 * Queue selection of the simple consumer: round robin over topics, then over readable master queues,
 * interleaving brokers; slaves, write-only and no-permission queues are never picked.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ReceiveQueueSelector, readableQueues } from '../../../src/consumer/queue-selector.js';
import {
  createTopicRoute,
  type QueuePermission,
  type RouteQueue,
  type TopicRoute,
} from '../../../src/protocol/route.js';
import { createEndpoints } from '../../../src/rpc/endpoints.js';

function q(
  topic: string,
  brokerName: string,
  queueId: number,
  permission: QueuePermission = 'read-write',
  brokerId = 0,
): RouteQueue {
  const port = brokerName === 'a' ? 8081 : 8082;
  return {
    topic,
    brokerName,
    brokerId,
    queueId,
    permission,
    endpoints: createEndpoints('ipv4', [{ host: '10.0.0.1', port }]),
    acceptMessageTypes: ['NORMAL'],
  };
}

const label = (x: RouteQueue | undefined): string =>
  x === undefined ? '-' : `${x.topic}/${x.brokerName}${x.queueId}`;

describe('readableQueues', () => {
  test('keeps readable master queues only and interleaves brokers', () => {
    const route = createTopicRoute('t', [
      q('t', 'a', 0),
      q('t', 'a', 1, 'read'),
      q('t', 'a', 2, 'write'),
      q('t', 'a', 3, 'none'),
      q('t', 'a', 0, 'read-write', 1), // slave
      q('t', 'b', 0),
      q('t', 'b', 1),
      q('t', 'b', 2),
    ]);
    assert.deepEqual(readableQueues(route).map(label), ['t/a0', 't/b0', 't/a1', 't/b1', 't/b2']);
  });

  test('a route without readable master queues gives none', () => {
    const route = createTopicRoute('t', [q('t', 'a', 0, 'write'), q('t', 'a', 1, 'read', 2)]);
    assert.deepEqual(readableQueues(route), []);
  });
});

describe('ReceiveQueueSelector', () => {
  const routes = new Map<string, TopicRoute>([
    ['x', createTopicRoute('x', [q('x', 'a', 0), q('x', 'a', 1), q('x', 'b', 0), q('x', 'b', 1)])],
    ['y', createTopicRoute('y', [q('y', 'a', 0), q('y', 'b', 0)])],
    ['w', createTopicRoute('w', [q('w', 'a', 0, 'write')])],
  ]);
  const routeOf = (t: string): TopicRoute | undefined => routes.get(t);

  test('round robin over topics, then over each topic’s queues (brokers interleaved)', () => {
    const s = new ReceiveQueueSelector(() => 0);
    const picks = Array.from({ length: 8 }, () => label(s.next(['x', 'y'], routeOf)));
    assert.deepEqual(picks, ['x/a0', 'y/a0', 'x/b0', 'y/b0', 'x/a1', 'y/a0', 'x/b1', 'y/b0']);
  });

  test('every readable queue of every broker is visited, not one queue over and over', () => {
    const s = new ReceiveQueueSelector(Math.random);
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add(label(s.next(['x'], routeOf)));
    assert.deepEqual([...seen].sort(), ['x/a0', 'x/a1', 'x/b0', 'x/b1']);
  });

  test('topics without a route or without readable queues are skipped', () => {
    const s = new ReceiveQueueSelector(() => 0);
    const picks = Array.from({ length: 4 }, () => label(s.next(['missing', 'w', 'y'], routeOf)));
    assert.deepEqual(picks, ['y/a0', 'y/b0', 'y/a0', 'y/b0']);
  });

  test('undefined when no topic has a readable queue', () => {
    const s = new ReceiveQueueSelector(() => 0);
    assert.equal(s.next(['w', 'missing'], routeOf), undefined);
    assert.equal(s.next([], routeOf), undefined);
  });

  test('the queue index survives a route refresh (new route object)', () => {
    const s = new ReceiveQueueSelector(() => 0);
    const local = new Map(routes);
    assert.equal(label(s.next(['y'], (t) => local.get(t))), 'y/a0');
    local.set('y', createTopicRoute('y', [q('y', 'a', 0), q('y', 'b', 0)]));
    assert.equal(label(s.next(['y'], (t) => local.get(t))), 'y/b0');
  });

  test('forget() restarts a topic’s queue rotation', () => {
    const s = new ReceiveQueueSelector(() => 0);
    assert.equal(label(s.next(['y'], routeOf)), 'y/a0');
    s.forget('y');
    assert.equal(label(s.next(['y'], routeOf)), 'y/a0');
  });
});
