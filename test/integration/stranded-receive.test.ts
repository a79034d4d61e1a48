/**
 * Stopping a consumer strands nothing, on a REAL RocketMQ 5.x proxy.
 *
 * What the proxy does with a receive the client cancels (measured on 5.4.0): the pop goes on inside the
 * broker; a message it takes after the cancel reached the proxy fails to be written and is made visible
 * again after 1 s (received again as attempt 2 about 3 s after it was sent); a message the proxy wrote
 * just before the cancel arrived stays invisible for the whole invisible duration. The second case is
 * the one a stop used to hit: a message sent as the consumer stops. Here a push consumer is shut down
 * right after such a send, and the next consumer of the group must get the message within a few
 * seconds (its release costs the broker's revive, ~2–3 s), not after the 30 s invisible duration.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import type { MessageListener } from '../../src/consumer/push-consumer-options.js';
import { Producer } from '../../src/producer/producer.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { waitUntil } from '../helpers/wait-for.js';

const INVISIBLE_MS = 30_000;
/** Far below the invisible duration, above the proxy's revive of a released message (~2–3 s). */
const BOUND_MS = 10_000;

describe('stopping a consumer strands nothing (real proxy)', () => {
  const shared = useSharedBroker({ before, after });
  let producer: Producer | undefined;

  before(async () => {
    if (!shared.broker) return;
    producer = new Producer({ endpoints: shared.broker.endpoint });
    await producer.start({ timeoutMs: 20_000 });
  });

  after(async () => {
    await producer?.shutdown();
  });

  async function consumer(t: TestContext, topic: string, group: string, listener: MessageListener) {
    const c = new PushConsumer({
      endpoints: shared.broker!.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener,
      invisibleDurationMs: INVISIBLE_MS,
    });
    t.after(() => c.shutdown({ timeoutMs: 2_000 }));
    await c.start({ timeoutMs: 20_000 });
    return c;
  }

  for (let round = 1; round <= 2; round++) {
    test(`a message sent as a push consumer shuts down reaches the next consumer within ${BOUND_MS / 1000} s (round ${round})`, async (t) => {
      if (!shared.broker) return t.skip(shared.skipReason);
      const topic = uniqueName('strand');
      const group = uniqueName('strand-g');
      await shared.broker.createTopic(topic, 'NORMAL');
      await shared.broker.createConsumerGroup(group);
      const handled: Array<{ body: string; by: string; attempt: number }> = [];
      const listener =
        (by: string): MessageListener =>
        (m, ctx) => {
          handled.push({ body: m.body.toString(), by, attempt: ctx.attempt });
        };
      const first = await consumer(t, topic, group, listener('first'));
      // Once the warm-up message is handled, the consumer's next long poll is open at the proxy.
      await producer!.send({ topic, body: 'warm-up' });
      await waitUntil(() => handled.length === 1, 20_000, 'the warm-up handled');

      await producer!.send({ topic, body: 'racing' });
      const sentAt = performance.now();
      await first.shutdown({ timeoutMs: 10_000 });
      const stopMs = performance.now() - sentAt;

      await consumer(t, topic, group, listener('next'));
      await waitUntil(
        () => handled.some((h) => h.body === 'racing'),
        INVISIBLE_MS + 15_000,
        'the racing message handled',
      );
      const ms = Math.round(performance.now() - sentAt);
      const h = handled.find((x) => x.body === 'racing')!;
      t.diagnostic(
        `handled by ${h.by} (attempt ${h.attempt}) ${ms} ms after the send; stop took ${Math.round(stopMs)} ms`,
      );
      assert.ok(
        ms < BOUND_MS,
        `the message came ${ms} ms after the send (invisible duration ${INVISIBLE_MS} ms)`,
      );
      assert.equal(handled.filter((x) => x.body === 'racing').length, 1, 'handled once');
    });
  }
});
