import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { RocketMQError } from '../../../src/errors.js';
import {
  AddressScheme,
  MessageQueueSchema,
  MessageType,
  Permission,
} from '../../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { createDeferred } from '../../../src/internal/deferred.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import {
  createTopicRoute,
  isMasterQueue,
  isReadable,
  isWritable,
  type RouteQueue,
} from '../../../src/protocol/route.js';
import { RouteCache, type RouteUpdate } from '../../../src/protocol/route-cache.js';
import { fromProtoRoute, toProtoMessageQueue } from '../../../src/protocol/route-convert.js';
import { endpointKey, parseEndpoints } from '../../../src/rpc/endpoints.js';

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function queue(topic: string, queueId: number, host = '127.0.0.1'): RouteQueue {
  return {
    topic,
    brokerName: 'b0',
    brokerId: 0,
    queueId,
    permission: 'read-write',
    endpoints: parseEndpoints(`${host}:8081`),
    acceptMessageTypes: ['NORMAL'],
  };
}

describe('route conversion', () => {
  test('protobuf queues → plain queues; invalid ones dropped; round trip', () => {
    const mq = create(MessageQueueSchema, {
      topic: { name: 't', resourceNamespace: 'ns' },
      id: 3,
      permission: Permission.WRITE,
      broker: {
        name: 'broker-a',
        id: 1,
        endpoints: { scheme: AddressScheme.IPv4, addresses: [{ host: '10.0.0.1', port: 8081 }] },
      },
      acceptMessageTypes: [MessageType.FIFO, MessageType.PRIORITY, 99 as MessageType],
    });
    const broken = create(MessageQueueSchema, { topic: { name: 't' }, id: 4, broker: { name: 'x' } });
    const route = fromProtoRoute('t', [mq, broken]);
    assert.equal(route.queues.length, 1);
    const q = route.queues[0]!;
    assert.deepEqual(
      { ...q, endpoints: endpointKey(q.endpoints) },
      {
        topic: 't',
        brokerName: 'broker-a',
        brokerId: 1,
        queueId: 3,
        permission: 'write',
        endpoints: 'ipv4:10.0.0.1:8081',
        acceptMessageTypes: ['FIFO', 'PRIORITY', 'UNSPECIFIED'],
      },
    );
    assert.equal(isWritable(q), true);
    assert.equal(isReadable(q), false);
    assert.equal(isMasterQueue(q), false);
    assert.equal(route.endpoints.length, 1);
    const back = create(MessageQueueSchema, toProtoMessageQueue(q, 'ns'));
    assert.equal(back.topic?.resourceNamespace, 'ns');
    assert.equal(back.broker?.endpoints?.scheme, AddressScheme.IPv4);
    assert.equal(back.permission, Permission.WRITE);
    assert.deepEqual(back.acceptMessageTypes, [
      MessageType.FIFO,
      MessageType.PRIORITY,
      MessageType.MESSAGE_TYPE_UNSPECIFIED,
    ]);
  });
});

describe('RouteCache', () => {
  test('two concurrent lookups of one topic share one query', async () => {
    let calls = 0;
    const gate = createDeferred<void>();
    const cache = new RouteCache({
      query: async (topic) => {
        calls++;
        await gate.promise;
        return createTopicRoute(topic, [queue(topic, 0)]);
      },
    });
    const a = cache.get('t');
    const b = cache.get('t');
    const other = cache.get('u');
    gate.resolve();
    const [ra, rb] = await Promise.all([a, b, other]);
    assert.equal(calls, 2, 'one query for t, one for u');
    assert.equal(ra, rb);
    assert.equal(await cache.get('t'), ra, 'cached');
    assert.equal(calls, 2);
    cache.close();
  });

  test('a failed refresh keeps the last good route; a changed route replaces it and is reported', async () => {
    let mode: 'ok' | 'fail' | 'changed' = 'ok';
    const updates: RouteUpdate[] = [];
    const cache = new RouteCache({
      query: async (topic) => {
        if (mode === 'fail') throw new RocketMQError('down', 'UNAVAILABLE');
        return createTopicRoute(
          topic,
          mode === 'ok' ? [queue(topic, 0)] : [queue(topic, 0), queue(topic, 1, '127.0.0.2')],
        );
      },
      onUpdate: (u) => updates.push(u),
    });
    const first = await cache.get('t');
    assert.equal(updates.length, 1);
    assert.equal(updates[0]!.previous, undefined);

    mode = 'fail';
    await cache.refreshAll(); // never rejects
    assert.equal(cache.peek('t'), first, 'last good route kept');
    await assert.rejects(cache.refresh('t'), { code: 'UNAVAILABLE' });
    assert.equal(cache.peek('t'), first);

    mode = 'ok';
    await cache.refreshAll();
    assert.equal(cache.peek('t'), first, 'identical route keeps its identity');
    assert.equal(updates.length, 1, 'no event for an unchanged route');

    mode = 'changed';
    await cache.refreshAll();
    const changed = cache.peek('t')!;
    assert.notEqual(changed, first);
    assert.equal(changed.queues.length, 2);
    assert.equal(updates.length, 2);
    assert.equal(updates[1]!.previous, first);
    assert.deepEqual(cache.endpoints().map(endpointKey), ['ipv4:127.0.0.1:8081', 'ipv4:127.0.0.2:8081']);
    cache.close();
  });

  test('refreshes every cached topic on the scheduler, without overlap', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
    const scheduler = new Scheduler();
    const queried: string[] = [];
    let hold: ReturnType<typeof createDeferred<void>> | undefined;
    const cache = new RouteCache({
      scheduler,
      refreshIntervalMs: 30_000,
      query: async (topic) => {
        queried.push(topic);
        if (hold) await hold.promise;
        return createTopicRoute(topic, [queue(topic, 0)]);
      },
    });
    await cache.get('a');
    await cache.get('b');
    queried.length = 0;
    cache.startRefresh();
    cache.startRefresh(); // idempotent
    t.mock.timers.tick(29_999);
    await flush();
    assert.deepEqual(queried, []);
    hold = createDeferred<void>();
    t.mock.timers.tick(1);
    await flush();
    assert.deepEqual(queried.sort(), ['a', 'b']);
    // The next tick comes while the first refresh is still pending: skipped.
    t.mock.timers.tick(30_000);
    await flush();
    assert.equal(queried.length, 2);
    hold.resolve();
    hold = undefined;
    await flush();
    t.mock.timers.tick(30_000);
    await flush();
    assert.equal(queried.length, 4);
    cache.close();
    assert.equal(scheduler.pending, 0);
    await assert.rejects(cache.get('zzz'), { code: 'CLOSED' });
    scheduler.close();
  });

  test('a caller signal or timeout bounds only that caller', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
    const gate = createDeferred<void>();
    let calls = 0;
    const cache = new RouteCache({
      query: async (topic) => {
        calls++;
        await gate.promise;
        return createTopicRoute(topic, [queue(topic, 0)]);
      },
    });
    const controller = new AbortController();
    const aborted = cache.get('t', { signal: controller.signal });
    const timed = cache.get('t', { timeoutMs: 100 });
    const patient = cache.get('t');
    controller.abort();
    await assert.rejects(aborted, { code: 'ABORTED' });
    t.mock.timers.tick(100);
    await assert.rejects(timed, { code: 'TIMEOUT' });
    gate.resolve();
    const route = await patient;
    assert.equal(route.topic, 't');
    assert.equal(calls, 1);
    cache.close();
  });
});
