/**
 * The behaviours of an `AdminApi`, checked by what the broker does afterwards: a FIFO topic takes FIFO
 * sends and refuses normal ones, lag falls to 0 after consumption, a reset replays exactly the
 * messages stored after the timestamp, a redriven dead letter is consumed again with its properties.
 * One body, run against a real broker (`test/integration/admin.test.ts`, with `Admin`) and against
 * the in-process broker (`test/component/in-process-broker/admin.test.ts`, with `broker.admin()`).
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { AdminApi } from '../../src/admin/index.js';
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../src/errors.js';
import type { MessageView } from '../../src/model/message-view.js';
import { Producer } from '../../src/producer/producer.js';
import { uniqueName } from './broker.js';
import { waitUntil } from './wait-for.js';

/** What the shared body needs from the file that runs it. */
export interface AdminBehaviourEnv {
  /** Why the tests cannot run (no broker), or `undefined` once ready. */
  skipReason(): string | undefined;
  admin(): AdminApi;
  /** Endpoint and credentials for producers and consumers. */
  clientOptions(): { endpoints: string; credentials?: { accessKey: string; accessSecret: string } };
  /** Long-polling wait of the consumers, ms. */
  readonly awaitMs: number;
  /** Invisibility of received messages, ms. */
  readonly invisibleMs: number;
}

/** Polls `probe` (one call at a time) until it returns a value. */
export async function eventually<T>(
  what: string,
  boundMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  let value: T | undefined;
  let busy = false;
  await waitUntil(
    () => {
      if (value === undefined && !busy) {
        busy = true;
        probe()
          .then((v) => {
            value = v;
          })
          .catch(() => {})
          .finally(() => {
            busy = false;
          });
      }
      return value !== undefined;
    },
    boundMs,
    what,
  );
  return value as T;
}

/** Registers the shared admin tests in the current `describe`. */
export function adminBehaviours(env: AdminBehaviourEnv): void {
  const skipped = (t: TestContext): boolean => {
    const reason = env.skipReason();
    if (reason !== undefined) t.skip(reason);
    return reason !== undefined;
  };
  // Resolved per test: the admin is made by the caller's `before` hook.
  const admin = new Proxy({} as AdminApi, {
    get: (_t, key) => {
      const a = env.admin() as unknown as Record<PropertyKey, unknown>;
      const v = a[key];
      return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(a) : v;
    },
  });

  async function producerFor(t: TestContext, topic: string): Promise<Producer> {
    const p = new Producer({ ...env.clientOptions(), topics: [topic] });
    t.after(() => p.shutdown());
    await p.start();
    return p;
  }

  async function consumerFor(t: TestContext, group: string, topic: string): Promise<SimpleConsumer> {
    const c = new SimpleConsumer({
      ...env.clientOptions(),
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: env.awaitMs,
    });
    t.after(() => c.shutdown());
    await c.start();
    return c;
  }

  async function receiveIds(c: SimpleConsumer, want: number, polls = 8): Promise<MessageView[]> {
    const seen = new Map<string, MessageView>();
    for (let i = 0; i < polls && seen.size < want; i++) {
      for (const m of await c.receive(32, env.invisibleMs)) {
        seen.set(m.messageId, m);
        await c.ack(m);
      }
    }
    return [...seen.values()];
  }

  test('a created FIFO topic is listed, described with its type and queues, takes FIFO sends and refuses normal ones; update and delete take effect', async (t) => {
    if (skipped(t)) return;
    const topic = uniqueName('adm-fifo');
    const created = await admin.createTopic(topic, { type: 'FIFO', queues: 3 });
    assert.ok(created.length > 0 && created.every((r) => r.ok), JSON.stringify(created));
    assert.ok((await admin.listTopics()).includes(topic));
    const d = await admin.describeTopic(topic);
    assert.equal(d.type, 'FIFO');
    assert.equal(d.brokers[0]?.writeQueues, 3);
    assert.equal(d.queues.length, 3);

    const producer = await producerFor(t, topic);
    const ok = await producer.send({ topic, body: 'fifo', messageGroup: 'g1' });
    assert.ok(ok.messageId);
    await assert.rejects(producer.send({ topic, body: 'normal' }), (e: unknown) => {
      assert.ok(e instanceof RocketMQError);
      assert.equal(e.code, 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE', e.message);
      return true;
    });
    const after1 = await admin.describeTopic(topic);
    assert.equal(
      after1.queues.reduce((s, q) => s + q.maxOffset, 0),
      1,
      'only the FIFO send was stored',
    );

    const updated = await admin.updateTopic(topic, { queues: 5 });
    assert.ok(
      updated.every((r) => r.ok),
      JSON.stringify(updated),
    );
    const d2 = await admin.describeTopic(topic);
    assert.equal(d2.brokers[0]?.readQueues, 5);
    assert.equal(d2.type, 'FIFO', 'update keeps the type it was not asked to change');

    const deleted = await admin.deleteTopic(topic);
    assert.ok(
      deleted.every((r) => r.ok),
      JSON.stringify(deleted),
    );
    assert.ok(!(await admin.listTopics()).includes(topic));
    await assert.rejects(admin.describeTopic(topic), { code: 'TOPIC_NOT_FOUND' });
  });

  test('a created group keeps FIFO, delivery attempts and retry policy, shows its connected client, and is deleted', async (t) => {
    if (skipped(t)) return;
    const topic = uniqueName('adm-grp-t');
    const group = uniqueName('adm-grp');
    await admin.createTopic(topic, { type: 'NORMAL', queues: 1 });
    const r = await admin.createGroup(group, {
      fifo: true,
      maxDeliveryAttempts: 4,
      retryPolicy: { kind: 'exponential', initialMs: 1000, maxMs: 60_000, multiplier: 2 },
    });
    assert.ok(
      r.every((x) => x.ok),
      JSON.stringify(r),
    );
    assert.ok((await admin.listGroups()).includes(group));
    await consumerFor(t, group, topic);
    const d = await eventually('the consumer to show up', 30_000, async () => {
      const g = await admin.describeGroup(group);
      return g.clients.length > 0 ? g : undefined;
    });
    assert.equal(d.fifo, true);
    assert.equal(d.maxDeliveryAttempts, 4);
    assert.deepEqual(d.retryPolicy, { kind: 'exponential', initialMs: 1000, maxMs: 60_000, multiplier: 2 });
    assert.ok(d.clients[0]?.clientId);
    assert.ok(d.clients[0]?.language);

    const u = await admin.updateGroup(group, { maxDeliveryAttempts: 6 });
    assert.ok(u.every((x) => x.ok));
    const d2 = await admin.describeGroup(group);
    assert.equal(d2.maxDeliveryAttempts, 6);
    assert.equal(d2.fifo, true, 'update keeps what it was not asked to change');

    const del = await admin.deleteGroup(group);
    assert.ok(del.every((x) => x.ok));
    assert.ok(!(await admin.listGroups()).includes(group));
  });

  test('lag counts unconsumed messages with the age of the oldest, falls to 0 after consumption; a reset replays exactly the messages after the timestamp', async (t) => {
    if (skipped(t)) return;
    const topic = uniqueName('adm-lag');
    const group = uniqueName('adm-lag-g');
    await admin.createTopic(topic, { type: 'NORMAL', queues: 2 });
    await admin.createGroup(group);
    const consumer = await consumerFor(t, group, topic);
    const producer = await producerFor(t, topic);

    const first: string[] = [];
    for (let i = 0; i < 4; i++) first.push((await producer.send({ topic, body: `a${i}` })).messageId);
    const lag = await eventually('lag of 4', 30_000, async () => {
      const l = await admin.lag(group, { topic });
      return l.totalLag === 4 ? l : undefined;
    });
    assert.ok(lag.oldestUnconsumedAgeMs !== undefined && lag.oldestUnconsumedAgeMs >= 0);
    assert.equal(
      lag.queues.reduce((s, q) => s + q.lag, 0),
      4,
    );

    const a = await receiveIds(consumer, 4);
    assert.deepEqual(a.map((m) => m.messageId).sort(), [...first].sort());
    await eventually('lag of 0', 30_000, async () => {
      const l = await admin.lag(group, { topic });
      return l.totalLag === 0 ? l : undefined;
    });

    const desc = await admin.describeTopic(topic);
    const mark = Math.max(...desc.queues.map((q) => q.lastUpdateTimestamp)) + 1;
    await waitUntil(() => Date.now() > mark + 5, 5_000, 'the clock to pass the mark');
    const second: string[] = [];
    for (let i = 0; i < 3; i++) second.push((await producer.send({ topic, body: `b${i}` })).messageId);
    const b = await receiveIds(consumer, 3);
    assert.deepEqual(b.map((m) => m.messageId).sort(), [...second].sort());

    const plan = await admin.resetOffset(group, topic, mark, { dryRun: true });
    assert.equal(plan.applied, false);
    assert.equal(
      plan.changes.reduce((s, c) => s + (c.from - c.to), 0),
      3,
      JSON.stringify(plan.changes),
    );
    const done = await admin.resetOffset(group, topic, mark);
    assert.ok(done.applied && done.brokers.every((x) => x.ok), JSON.stringify(done));
    const replay = await receiveIds(consumer, 3);
    assert.deepEqual(replay.map((m) => m.messageId).sort(), [...second].sort());
    const extra = await consumer.receive(32, env.invisibleMs);
    assert.deepEqual(
      extra.map((m) => m.messageId),
      [],
      'nothing before the timestamp is replayed',
    );
  });

  test('a message is found by id and by key within a time range, with body and properties', async (t) => {
    if (skipped(t)) return;
    const topic = uniqueName('adm-msg');
    await admin.createTopic(topic, { queues: 1 });
    const producer = await producerFor(t, topic);
    const key = uniqueName('k');
    const begin = Date.now() - 1000;
    const sent = await producer.send({
      topic,
      body: 'payload',
      tag: 'tg',
      keys: [key],
      properties: { p: 'v' },
    });
    const m = await eventually('the message index', 30_000, () => admin.getMessage(topic, sent.messageId));
    assert.equal(m.body.toString(), 'payload');
    assert.equal(m.tag, 'tg');
    assert.deepEqual(m.keys, [key]);
    assert.equal(m.properties.p, 'v');
    const found = await admin.findMessages(topic, key, { begin, end: Date.now() + 60_000 });
    assert.deepEqual(
      found.map((x) => x.messageId),
      [sent.messageId],
    );
    const none = await admin.findMessages(topic, key, { begin: 0, end: begin - 60_000 });
    assert.deepEqual(none, []);
  });

  test('a dead letter is listed with its original topic and, redriven, is consumed again with its properties', async (t) => {
    if (skipped(t)) return;
    const topic = uniqueName('adm-dlq');
    const group = uniqueName('adm-dlq-g');
    await admin.createTopic(topic, { queues: 1 });
    await admin.createGroup(group, { maxDeliveryAttempts: 1 });
    const consumer = await consumerFor(t, group, topic);
    const producer = await producerFor(t, topic);
    const sent = await producer.send({
      topic,
      body: 'dead',
      tag: 'dt',
      keys: ['dk'],
      properties: { u: '1' },
    });
    const got = await eventually('the first delivery', 30_000, async () => {
      const r = await consumer.receive(1, env.invisibleMs);
      return r[0];
    });
    assert.equal(got.messageId, sent.messageId);
    await consumer.changeInvisibleDuration(got, 1000);

    // The proxy dead-letters a message when a receive finds it past its last delivery attempt.
    const letters = await eventually('the dead letter', 60_000, async () => {
      const redelivered = await consumer.receive(1, env.invisibleMs);
      assert.deepEqual(redelivered, [], 'a message past its last attempt is not delivered again');
      const l = await admin.listDeadLetters(group).catch(() => []);
      return l.length > 0 ? l : undefined;
    });
    assert.equal(letters[0]?.originalTopic, topic, JSON.stringify(letters[0]?.allProperties));
    assert.equal(letters[0]?.messageId, sent.messageId);

    const results = await admin.redriveDeadLetters(group, {
      messageIds: [sent.messageId, 'FFFF00000000000000000000'],
    });
    assert.deepEqual(
      results.map((r) => [r.messageId, r.ok]),
      [
        ['FFFF00000000000000000000', false],
        [sent.messageId, true],
      ],
    );
    const again = await eventually('the redriven message', 30_000, async () => {
      const r = await consumer.receive(1, env.invisibleMs);
      return r[0];
    });
    await consumer.ack(again);
    assert.equal(again.messageId, sent.messageId);
    assert.equal(again.tag, 'dt');
    assert.deepEqual(again.keys, ['dk']);
    assert.equal(again.properties.u, '1');
    assert.equal(Buffer.from(again.body).toString(), 'dead');
  });

  test('redriving from a group without a dead-letter topic fails typed', async (t) => {
    if (skipped(t)) return;
    await assert.rejects(admin.redriveDeadLetters(uniqueName('adm-nodlq')), { code: 'TOPIC_NOT_FOUND' });
  });
}
