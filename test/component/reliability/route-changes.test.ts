/**
 * Route changes seen by a running producer (reliability-matrix rows D6; growth 4 → 8 and a deleted topic
 * are also in route-and-semantics.test.ts), on the in-process broker with a 200 ms route refresh:
 *
 * - 4 → 8 queues: after the refresh every queue gets messages (no queue starves);
 * - 8 → 2 queues (the topic re-created smaller; the in-process broker cannot shrink a live topic): after
 *   the refresh only the two remaining queues are used and every send succeeds;
 * - no writable queue (a route answered without queues stands in for `updateTopicPerm -p 4`, read-only):
 *   sends fail with `FORBIDDEN` at once, without a SendMessage, and work again after the next refresh
 *   once the route has queues again.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { waitUntil } from '../../helpers/wait-for.js';
import { producerFor, uniqueName } from './setup.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    assert.ok(e instanceof RocketMQError, String(e));
    return e.code;
  }
}

describe('D6 route changes under a running producer', () => {
  test('4 → 8 → 2 queues and a route without writable queues: new queues used, removed ones dropped, FORBIDDEN then recovered', async (t) => {
    const broker = await InProcessBroker.start({ longPollingMinMs: 0 });
    t.after(() => broker.shutdown());
    const topic = uniqueName('d6');
    broker.createTopic(topic, { queues: 4 });
    const producer = producerFor(t, broker.endpoint, {
      topics: [topic],
      core: { routeRefreshIntervalMs: 200 },
    });
    await producer.start();
    const queueCount = () => producer.core.routes.peek(topic)?.queues.length ?? 0;
    const sendSome = async (n: number) => {
      const used = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const q = (await producer.send({ topic, body: `m${i}` })).queue.queueId;
        used.set(q, (used.get(q) ?? 0) + 1);
      }
      return used;
    };

    // Growth: every one of the 8 queues is used.
    broker.createTopic(topic, { queues: 8 });
    await waitUntil(() => queueCount() === 8, 5_000, 'the route with 8 queues');
    const grown = await sendSome(64);
    assert.deepEqual(
      [...grown.keys()].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7],
      'no queue starves',
    );
    assert.ok(
      [...grown.values()].every((n) => n >= 4),
      `spread: ${JSON.stringify([...grown])}`,
    );

    // Shrink: re-created with 2 queues; once refreshed, only queues 0 and 1 are used, and all sends work.
    broker.deleteTopic(topic);
    broker.createTopic(topic, { queues: 2 });
    await waitUntil(() => queueCount() === 2, 5_000, 'the route with 2 queues');
    const shrunk = await sendSome(32);
    assert.deepEqual(
      [...shrunk.keys()].sort((a, b) => a - b),
      [0, 1],
    );

    // No writable queue: FORBIDDEN at once, nothing sent; recovered after the route has queues again.
    broker.faults.malformed('QueryRoute', 'empty-payload');
    await waitUntil(() => queueCount() === 0, 5_000, 'a route without queues');
    const sends = broker.stats().calls.SendMessage;
    const started = performance.now();
    assert.equal(await codeOf(producer.send({ topic, body: 'nowhere' })), 'FORBIDDEN');
    // A refusal, not a timeout: it comes before the request timeout (1 s, producerFor) could end a call.
    const refusedAfter = performance.now() - started;
    assert.ok(refusedAfter < 1_000, `refused after ${refusedAfter.toFixed(0)} ms, before any request timeout`);
    assert.equal(broker.stats().calls.SendMessage, sends, 'no SendMessage without a writable queue');
    broker.faults.clear();
    await waitUntil(() => queueCount() === 2, 5_000, 'the route with queues again');
    assert.ok((await producer.send({ topic, body: 'back' })).messageId);
  });
});
