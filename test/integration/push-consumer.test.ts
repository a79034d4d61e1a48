/**
 * PushConsumer on a REAL RocketMQ 5.x proxy (issue D's proof): batched acks leave nothing redelivered;
 * a failing listener is redelivered after the retry delay and lands in the dead-letter queue after the
 * last attempt (the DLQ topic is read back); FIFO order per message group with concurrency > 1 under
 * failures; a listener slower than the invisible duration is not redelivered while it runs (lease
 * renewal); shutdown mid-flight loses nothing.
 *
 * The proxy's shortest invisible duration is 10 s, so "not redelivered" checks wait past it. Tests run
 * concurrently to keep the wall time near the slowest one (~35 s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import type { MessageListener, PushConsumerOptions } from '../../src/consumer/push-consumer-options.js';
import type { MessageView } from '../../src/model/message-view.js';
import { Producer } from '../../src/producer/producer.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { drainGroup } from '../helpers/drain.js';
import { waitFor, waitUntil } from '../helpers/wait-for.js';

const INVISIBLE_MS = 10_000;

describe('PushConsumer against a real RocketMQ 5.x proxy', { concurrency: true }, () => {
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

  async function consumer(
    t: TestContext,
    topic: string,
    group: string,
    listener: MessageListener,
    extra: Partial<PushConsumerOptions> = {},
  ): Promise<PushConsumer> {
    const c = new PushConsumer({
      endpoints: shared.broker!.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener,
      invisibleDurationMs: INVISIBLE_MS,
      ...extra,
    });
    t.after(() => c.shutdown({ timeoutMs: 2_000 }));
    await c.start({ timeoutMs: 20_000 });
    return c;
  }

  const drainFor = (topic: string, group: string, ms: number): Promise<MessageView[]> =>
    drainGroup(shared.broker!.endpoint, topic, group, ms, INVISIBLE_MS);

  test('batched acks: every message handled once, acked in fewer requests, nothing redelivered', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('pcr');
    const group = uniqueName('pcr-g');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);
    const seen: string[] = [];
    const w = waitFor(() => seen.length >= 40, 30_000, '40 messages');
    const c = await consumer(t, topic, group, (m) => {
      seen.push(m.messageId);
      w.poke();
    });
    const ids = new Set<string>();
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) =>
        ids.add((await producer!.send({ topic, body: `b${i}` })).messageId),
      ),
    );
    await w.done;
    await waitUntil(() => c.stats().acked === 40, 10_000, '40 acks');
    assert.deepEqual(new Set(seen), ids);
    const stats = c.stats();
    assert.ok(stats.ackRequests < 40, `acks were batched: ${stats.ackRequests} requests for 40 messages`);
    assert.equal(stats.settleFailures, 0);
    // Past the invisible duration nothing comes back, to this consumer or to another of the group.
    const again = await drainFor(topic, group, INVISIBLE_MS + 3_000);
    assert.deepEqual(again, [], 'no acked message is redelivered');
    assert.equal(seen.length, 40, 'handled exactly once');
  });

  test('a failing listener is redelivered after the retry delay, then dead-lettered; the DLQ is read back', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('pcd');
    const group = uniqueName('pcd-g');
    await Promise.all([
      broker.createTopic(topic, 'NORMAL'),
      broker.createConsumerGroup(group, { maxRetries: 2 }),
    ]);
    const attempts: Array<{ attempt: number; at: number }> = [];
    const w = waitFor(() => attempts.length >= 3, 40_000, 'three attempts');
    await consumer(t, topic, group, (_m, ctx) => {
      attempts.push({ attempt: ctx.attempt, at: Date.now() });
      w.poke();
      return 'failure';
    });
    const sent = await producer!.send({ topic, body: 'poison', keys: ['poison-key'] });
    await w.done;
    assert.deepEqual(
      attempts.map((a) => a.attempt),
      [1, 2, 3],
    );
    // The group's customized policy: 1 s before attempt 2, 5 s before attempt 3.
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 900, `2nd after ${attempts[1]!.at - attempts[0]!.at} ms`);
    assert.ok(
      attempts[2]!.at - attempts[1]!.at >= 4_500,
      `3rd after ${attempts[2]!.at - attempts[1]!.at} ms`,
    );
    // The proxy moves it to %DLQ%<group> when the next delivery would exceed the max attempts.
    const dlqTopic = `%DLQ%${group}`;
    let dead: MessageView[] = [];
    const end = Date.now() + 30_000;
    while (dead.length === 0 && Date.now() < end) {
      try {
        dead = await drainFor(dlqTopic, uniqueName('pcd-dlq-reader'), 6_000);
      } catch (e) {
        // The DLQ topic is created on the first dead letter; until then its route is unknown.
        if ((e as { code?: string }).code !== 'TOPIC_NOT_FOUND') throw e;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
    assert.equal(dead.length, 1, 'one message in the DLQ');
    assert.equal(dead[0]?.body.toString(), 'poison');
    assert.deepEqual(dead[0]?.keys, ['poison-key']);
    assert.equal(dead[0]?.messageId, sent.messageId);
    assert.equal(attempts.length, 3, 'not delivered again after dead-lettering');
  });

  test('FIFO: per-group order with concurrency > 1 under failures (local retries)', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('pcf');
    const group = uniqueName('pcf-g');
    await Promise.all([broker.createTopic(topic, 'FIFO'), broker.createConsumerGroup(group, { fifo: true })]);
    const groups = ['A', 'B', 'C', 'D'];
    const perGroup = 6;
    for (let i = 0; i < perGroup; i++) {
      await Promise.all(groups.map((g) => producer!.send({ topic, body: `${g}-${i}`, messageGroup: g })));
    }
    const handled: string[] = [];
    const failedOnce = new Set<string>();
    const w = waitFor(() => new Set(handled).size >= groups.length * perGroup, 60_000, 'all FIFO messages');
    const c = await consumer(
      t,
      topic,
      group,
      (m) => {
        const body = m.body.toString();
        handled.push(body);
        w.poke();
        if (body.endsWith('-3') && !failedOnce.has(body)) {
          failedOnce.add(body);
          throw new Error('planned failure');
        }
      },
      { concurrency: 4 },
    );
    await w.done;
    assert.equal(c.stats().fifo, true, 'the server reports the group as ordered');
    for (const g of groups) {
      const seq = handled.filter((b) => b.startsWith(`${g}-`));
      const expected = ['0', '1', '2', '3', '3', '4', '5'].map((i) => `${g}-${i}`);
      assert.deepEqual(seq, expected, `order of group ${g}`);
    }
  });

  test('a listener slower than the invisible duration is not redelivered while it runs', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('pcl');
    const group = uniqueName('pcl-g');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);
    const calls: number[] = [];
    let finish!: () => void;
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    const w = waitFor(() => calls.length >= 1, 30_000, 'first call');
    const c = await consumer(t, topic, group, async (_m, ctx) => {
      calls.push(ctx.attempt);
      w.poke();
      if (calls.length === 1) await finished;
    });
    await producer!.send({ topic, body: 'slow' });
    await w.done;
    // 2.5 invisible durations with the message in the listener.
    await new Promise((r) => setTimeout(r, INVISIBLE_MS * 2.5));
    assert.deepEqual(calls, [1], 'not delivered again while in the listener');
    assert.ok(c.stats().leaseRenewals >= 2, `renewals: ${c.stats().leaseRenewals}`);
    finish();
    await waitUntil(() => c.stats().acked === 1, 10_000, 'ack with the renewed receipt');
    assert.equal(c.stats().settleFailures, 0);
  });

  test('shutdown mid-flight loses nothing: handled ones are acked, the rest come to the next consumer', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('pcs');
    const group = uniqueName('pcs-g');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);
    const ids = new Set<string>();
    for (let i = 0; i < 30; i++) ids.add((await producer!.send({ topic, body: `s${i}` })).messageId);
    const first = new Set<string>();
    const w = waitFor(() => first.size >= 5, 30_000, 'five handled');
    const c = await consumer(
      t,
      topic,
      group,
      async (m) => {
        first.add(m.messageId);
        w.poke();
        await new Promise((r) => setTimeout(r, 50));
      },
      { concurrency: 2, maxCachedMessages: 16 },
    );
    await w.done;
    await c.shutdown({ timeoutMs: 5_000 });
    const stats = c.stats();
    assert.equal(stats.state, 'stopped');
    assert.equal(stats.acked + stats.settleFailures, stats.succeeded, 'every handled message was settled');
    assert.ok(stats.released > 0 || stats.acked === 30, 'waiting messages were handed back');
    // A new consumer of the group gets every message the first one did not ack.
    // Messages popped by a receive that shutdown cancelled come back after their invisible duration.
    const rest = await drainFor(topic, group, INVISIBLE_MS + 4_000);
    const union = new Set([...first, ...rest.map((m) => m.messageId)]);
    assert.deepEqual(union, ids, 'every message handled at least once');
  });
});
