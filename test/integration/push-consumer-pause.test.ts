/**
 * PushConsumer pause/resume on a REAL RocketMQ 5.x proxy (the runner's shared broker): a backlog of
 * 1,000 is paused mid-way for about 8 s; no listener call starts and nothing is received while paused,
 * and after resume every message is handled exactly once, none redelivered. About 15 s.
 *
 * The pause stays shorter than a lease renewal (invisible duration 20 s, renewed a third before it
 * ends): RocketMQ 5.4.0 revives a message acked after a ChangeInvisibleDuration even though it answers
 * the ack OK (apache/rocketmq#9583), so a pause past a renewal would show the broker's duplicates, not
 * the client's. Renewal while paused is proven on the in-process broker
 * (`test/component/consumer/push-consumer-pause.test.ts`).
 */
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { Producer } from '../../src/producer/producer.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { waitFor, waitUntil } from '../helpers/wait-for.js';

const INVISIBLE_MS = 20_000;
const BACKLOG = 1_000;

describe('PushConsumer pause/resume against a real RocketMQ 5.x proxy', () => {
  const shared = useSharedBroker({ before, after });

  test('a backlog of 1,000 paused mid-way: no listener call while paused, nothing redelivered, all consumed once after resume', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('pause');
    const group = uniqueName('pause-g');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);
    const producer = new Producer({ endpoints: broker.endpoint });
    t.after(() => producer.shutdown());
    await producer.start({ timeoutMs: 20_000 });
    const ids = new Set<string>();
    for (let i = 0; i < BACKLOG; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, j) => producer.send({ topic, body: `p${i + j}` })),
      );
      for (const r of batch) ids.add(r.messageId);
    }
    const calls: Array<{ id: string; attempt: number }> = [];
    let consumer: PushConsumer | undefined;
    const first = waitFor(() => calls.length >= 100, 30_000, '100 listener calls');
    const all = waitFor(() => calls.length >= BACKLOG, 60_000, `${BACKLOG} listener calls`);
    consumer = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      invisibleDurationMs: INVISIBLE_MS,
      concurrency: 4,
      listener: (m, ctx) => {
        calls.push({ id: m.messageId, attempt: ctx.attempt });
        if (calls.length === 100) consumer?.pause();
        first.poke();
        all.poke();
      },
    });
    const c = consumer;
    t.after(() => c.shutdown({ timeoutMs: 2_000 }));
    await c.start({ timeoutMs: 20_000 });
    await first.done;
    assert.deepEqual(c.paused(), [topic]);
    // Listener calls already running finish; receives open at the pause end within their long poll.
    await delay(300);
    const atPause = calls.length;
    await delay(6_000);
    const received = c.stats().received;
    const cached = c.stats().cachedMessages;
    await delay(2_000);
    assert.equal(calls.length, atPause, 'no listener call started while paused');
    assert.equal(c.stats().received, received, 'nothing received while paused');
    assert.equal(c.stats().leasesLost, 0, 'no lease lost while paused');
    t.diagnostic(`paused at ${atPause} calls with ${cached} messages cached`);
    c.resume();
    await all.done;
    await waitUntil(() => c.stats().acked >= BACKLOG, 10_000, `${BACKLOG} acks`);
    assert.equal(calls.length, BACKLOG, 'each message handled once');
    assert.deepEqual(new Set(calls.map((x) => x.id)), ids);
    assert.ok(
      calls.every((x) => x.attempt === 1),
      'nothing redelivered',
    );
    assert.equal(c.stats().settleFailures, 0);
  });
});
