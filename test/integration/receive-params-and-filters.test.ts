/**
 * Receive parameters and subscription filters on a REAL RocketMQ 5.x proxy (the shared broker):
 *
 * - A6: what the proxy does with a receive batch over 32, an invisible duration outside [10 s, 12 h],
 *   a long poll over 20 s; what the client refuses locally before any request.
 * - G6: tag matching is exact and case-sensitive, a 1 KiB tag matches only itself, `*` takes every
 *   message; SQL92 `BETWEEN` and `IN` select exactly, a property no message has matches nothing; an
 *   unparsable SQL expression is refused with a typed, non-retriable ILLEGAL_FILTER_EXPRESSION (5.4.0
 *   answers it with 50001, not 40010).
 *
 * Messages are sent with the raw wire helpers (bypassing the client's own checks where the proxy's
 * answer is the point).
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../src/errors.js';
import { FilterType } from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService } from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import { FilterExpression } from '../../src/model/filter-expression.js';
import type { MessageView } from '../../src/model/message-view.js';
import type { BrokerHandle } from '../../testcontainers/index.js';
import { releaseSharedBroker, sharedBroker, uniqueName } from '../helpers/broker.js';
import { RawClient } from '../helpers/raw-client.js';
import { dur, handshake, queryRoute, type RawSend, sendOne, writableQueue } from '../helpers/raw-flow.js';

const M = MessagingService.method;
const AWAIT_MS = 5_000; // the proxy's minimum long poll
const INVISIBLE_MS = 10_000; // the proxy's minimum invisible duration
const H12 = 12 * 60 * 60 * 1000;

describe('receive parameters and filters against a real RocketMQ 5.x proxy', () => {
  let broker: BrokerHandle | undefined;
  let skipReason = '';
  const raws: RawClient[] = [];

  before(async () => {
    const b = await sharedBroker();
    if (typeof b === 'string') skipReason = `no RocketMQ broker available: ${b}`;
    else broker = b;
  });

  after(async () => {
    for (const r of raws) r.close();
    await releaseSharedBroker();
  });

  /** A fresh topic and group, a raw producer for the topic, and (unless `filter` is null) a started consumer. */
  async function setup(t: TestContext, prefix: string, filter: FilterExpression | string = '*') {
    const b = broker!;
    const topic = uniqueName(prefix);
    const group = uniqueName(`${prefix}-g`);
    await b.createTopic(topic, 'NORMAL');
    await b.createConsumerGroup(group);
    const raw = new RawClient(b.endpoint, { timeoutMs: 10_000 });
    raws.push(raw);
    const session = await handshake(raw, { kind: 'producer', topics: [topic] });
    t.after(() => session.telemetry.close());
    const consumer = new SimpleConsumer({
      endpoints: b.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: filter },
      awaitDurationMs: AWAIT_MS,
    });
    t.after(() => consumer.shutdown());
    const send = (m: Omit<RawSend, 'topic' | 'body'> & { body?: string }) =>
      sendOne(raw, { ...m, topic, body: Buffer.from(m.body ?? 'x') });
    return { topic, group, raw, consumer, send };
  }

  /** Receives until `want` ids were seen (or `polls` receives), then one more poll; acks everything. */
  async function receiveAll(consumer: SimpleConsumer, want: readonly string[], polls = 6): Promise<string[]> {
    const seen = new Map<string, MessageView>();
    for (let i = 0; i < polls && !want.every((id) => seen.has(id)); i++) {
      for (const m of await consumer.receive(32, INVISIBLE_MS)) seen.set(m.messageId, m);
    }
    // One more poll: nothing else may show up.
    for (const m of await consumer.receive(32, INVISIBLE_MS)) seen.set(m.messageId, m);
    for (const m of seen.values()) await consumer.ack(m);
    return [...seen.keys()].sort();
  }

  /** One raw ReceiveMessage: the status codes and the number of messages the proxy answered. */
  async function rawReceive(
    s: { raw: RawClient; topic: string; group: string },
    o: { batchSize: number; invisibleMs: number; pollMs?: number; sql?: string },
  ): Promise<{ statuses: number[]; messages: number }> {
    const session = await handshake(s.raw, { kind: 'simple-consumer', group: s.group, topic: s.topic });
    try {
      const queue = writableQueue(await queryRoute(s.raw, s.topic));
      const pollMs = o.pollMs ?? AWAIT_MS;
      const frames = await s.raw.serverStream(
        M.receiveMessage,
        {
          group: { name: s.group },
          messageQueue: queue,
          filterExpression: o.sql
            ? { type: FilterType.SQL, expression: o.sql }
            : { type: FilterType.TAG, expression: '*' },
          batchSize: o.batchSize,
          invisibleDuration: dur(o.invisibleMs),
          autoRenew: false,
          longPollingTimeout: dur(pollMs),
        },
        pollMs + 10_000,
      );
      return {
        statuses: frames.flatMap((f) => (f.content.case === 'status' ? [f.content.value.code] : [])),
        messages: frames.filter((f) => f.content.case === 'message').length,
      };
    } finally {
      session.telemetry.close();
    }
  }

  // ── A6 ──

  test('A6 a receive batch of 0, -1, 33 or 100000: refused locally (INVALID_ARGUMENT); the proxy itself clamps 33 and 100000 to at most 32', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'a6-batch');
    await s.consumer.start();
    for (const n of [0, -1, 33, 100_000]) {
      await assert.rejects(
        s.consumer.receive(n, INVISIBLE_MS),
        (e: unknown) => e instanceof RocketMQError && e.code === 'INVALID_ARGUMENT',
        `receive(${n})`,
      );
    }
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await s.send({}));
    // The proxy, asked directly: more than 32 is not an error, the answer is capped.
    const r33 = await rawReceive(s, { batchSize: 33, invisibleMs: INVISIBLE_MS });
    const rBig = await rawReceive(s, { batchSize: 100_000, invisibleMs: INVISIBLE_MS });
    t.diagnostic(`raw batch 33 → ${r33.messages} messages ${JSON.stringify(r33.statuses)}; 100000 → ${rBig.messages} ${JSON.stringify(rBig.statuses)}`);
    assert.ok(r33.messages >= 1 && r33.messages <= 32, `batch 33 answered ${r33.messages} messages`);
    assert.ok(rBig.messages >= 1 && rBig.messages <= 32, `batch 100000 answered ${rBig.messages} messages`);
    assert.deepEqual(r33.statuses, [20000]);
    assert.deepEqual(rBig.statuses, [20000]);
  });

  test('A6 invisible duration: 9 999 ms, 12 h + 1 ms and -1 refused locally; the proxy refuses 9 999 ms and 12 h + 1 s with 40011 and takes 10 s and 12 h; changeInvisibleDuration -1 / 12 h + 1 ms refused, 0 redelivers at once', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'a6-inv');
    await s.consumer.start();
    for (const ms of [9_999, H12 + 1, -1]) {
      await assert.rejects(
        s.consumer.receive(1, ms),
        (e: unknown) => e instanceof RocketMQError && e.code === 'ILLEGAL_INVISIBLE_TIME',
        `receive invisible ${ms}`,
      );
    }
    await s.send({});
    await s.send({});
    const low = await rawReceive(s, { batchSize: 1, invisibleMs: 9_999 });
    const high = await rawReceive(s, { batchSize: 1, invisibleMs: H12 + 1_000 });
    const ten = await rawReceive(s, { batchSize: 1, invisibleMs: INVISIBLE_MS });
    const twelve = await rawReceive(s, { batchSize: 1, invisibleMs: H12 });
    t.diagnostic(
      `raw invisible 9999 → ${JSON.stringify(low)}; 12 h + 1 s → ${JSON.stringify(high)}; 10 s → ${JSON.stringify(ten)}; 12 h → ${JSON.stringify(twelve)}`,
    );
    assert.deepEqual(low, { statuses: [40011], messages: 0 });
    assert.deepEqual(ten.statuses, [20000]);
    assert.equal(ten.messages, 1);
    assert.deepEqual(twelve.statuses, [20000]);
    assert.equal(twelve.messages, 1);
    assert.deepEqual(high, { statuses: [40011], messages: 0 });

    // changeInvisibleDuration: -1 and 12 h + 1 ms refused locally; 0 makes the message visible at once.
    const id = await s.send({ body: 'change' });
    let v: MessageView | undefined;
    for (let i = 0; i < 4 && !v; i++) v = (await s.consumer.receive(1, INVISIBLE_MS)).find((m) => m.messageId === id);
    assert.ok(v, 'received');
    for (const ms of [-1, H12 + 1]) {
      await assert.rejects(
        s.consumer.changeInvisibleDuration(v, ms),
        (e: unknown) => e instanceof RocketMQError && e.code === 'ILLEGAL_INVISIBLE_TIME',
        `changeInvisibleDuration ${ms}`,
      );
    }
    await s.consumer.changeInvisibleDuration(v, 0);
    const started = performance.now();
    let again: MessageView | undefined;
    for (let i = 0; i < 2 && !again; i++)
      again = (await s.consumer.receive(1, INVISIBLE_MS)).find((m) => m.messageId === id);
    const ms = performance.now() - started;
    assert.ok(again, 'delivered again after changeInvisibleDuration(0)');
    assert.equal(again.deliveryAttempt, 2);
    // At once: well inside the 10 s the first receive made it invisible for.
    assert.ok(ms < INVISIBLE_MS - 2_000, `delivered again after ${ms.toFixed(0)} ms`);
    await s.consumer.ack(again);
  });

  test('A6 a long poll over 20 s (25 s): the receive returns empty after the proxy\'s 20 s cap, without an error; the default await too', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'a6-await');
    const long = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: s.group,
      subscriptions: { [s.topic]: '*' },
      awaitDurationMs: 25_000,
    });
    t.after(() => long.shutdown());
    const dflt = new SimpleConsumer({
      endpoints: broker.endpoint,
      consumerGroup: s.group,
      subscriptions: { [s.topic]: '*' },
    });
    t.after(() => dflt.shutdown());
    await Promise.all([long.start(), dflt.start()]);
    const started = performance.now();
    const [a, b] = await Promise.all([long.receive(32, INVISIBLE_MS), dflt.receive(32, INVISIBLE_MS)]);
    const ms = performance.now() - started;
    t.diagnostic(`25 s await and default await on an empty topic: both returned [] after ${ms.toFixed(0)} ms`);
    assert.deepEqual(a, []);
    assert.deepEqual(b, []);
    // The proxy holds the poll for its cap (20 s), less than the 25 s asked; the client's deadline
    // (await + request timeout) is longer, so the empty answer, not a deadline, ends the call.
    assert.ok(ms >= 19_000, `returned after ${ms.toFixed(0)} ms`);
  });

  // ── G6 ──

  test('G6 tags: exact and case-sensitive; a 1 KiB tag matches only itself; * takes everything', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'g6-case', FilterExpression.tag('TagA'));
    await s.consumer.start();
    const want = [await s.send({ tag: 'TagA' })];
    const others = [await s.send({ tag: 'taga' }), await s.send({ tag: 'TAGA' }), await s.send({ tag: 'TagA ' }), await s.send({})];
    const seen = await receiveAll(s.consumer, want);
    assert.deepEqual(seen, want);
    for (const id of others) assert.ok(!seen.includes(id));

    const long = `L${'x'.repeat(1022)}y`;
    const s2 = await setup(t, 'g6-long', FilterExpression.tag(long));
    await s2.consumer.start();
    const want2 = [await s2.send({ tag: long })];
    await s2.send({ tag: `${long.slice(0, -1)}z` });
    await s2.send({ tag: long.slice(0, -1) });
    assert.deepEqual(await receiveAll(s2.consumer, want2), want2);

    const s3 = await setup(t, 'g6-all', '*');
    await s3.consumer.start();
    const all = [await s3.send({ tag: 'a' }), await s3.send({ tag: long }), await s3.send({})].sort();
    assert.deepEqual(await receiveAll(s3.consumer, all), all);
  });

  test('G6 SQL92: BETWEEN and IN select exactly; a property no message has matches nothing', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'g6-sql', FilterExpression.sql("price BETWEEN 10 AND 20 AND region IN ('eu', 'apac')"));
    await s.consumer.start();
    const want = [
      await s.send({ properties: { price: '10', region: 'eu' } }),
      await s.send({ properties: { price: '20', region: 'apac' } }),
    ].sort();
    const others = [
      await s.send({ properties: { price: '9', region: 'eu' } }),
      await s.send({ properties: { price: '21', region: 'apac' } }),
      await s.send({ properties: { price: '15', region: 'us' } }),
      await s.send({ properties: { region: 'eu' } }),
      await s.send({}),
    ];
    const seen = await receiveAll(s.consumer, want);
    assert.deepEqual(seen, want);
    for (const id of others) assert.ok(!seen.includes(id));

    const u = await setup(t, 'g6-unknown', FilterExpression.sql("nosuchprop = 'x'"));
    await u.consumer.start();
    await u.send({ properties: { price: '10' } });
    await u.send({});
    // Two empty polls: a comparison with an absent property is not true.
    assert.deepEqual(await u.consumer.receive(32, INVISIBLE_MS), []);
    assert.deepEqual(await u.consumer.receive(32, INVISIBLE_MS), []);
  });

  test('G6 an unparsable SQL expression is refused typed and non-retriable (start or receive)', async (t) => {
    if (!broker) return t.skip(skipReason);
    const s = await setup(t, 'g6-bad', FilterExpression.sql('price >>> AND ('));
    let err: unknown;
    try {
      await s.consumer.start();
      await s.consumer.receive(32, INVISIBLE_MS);
    } catch (e) {
      err = e;
    }
    const raw = await rawReceive(s, { batchSize: 1, invisibleMs: INVISIBLE_MS, sql: 'price >>> AND (' }).catch(
      (e: unknown) => ({ statuses: [String(e)], messages: 0 }),
    );
    t.diagnostic(
      `client: ${err instanceof RocketMQError ? `${err.code} (${err.brokerCode ?? '-'}): ${err.message}` : String(err)}; raw ReceiveMessage → ${JSON.stringify(raw)}`,
    );
    assert.ok(err instanceof RocketMQError, `expected a RocketMQError, got ${String(err)}`);
    // RocketMQ 5.4.0 answers 50001 "parse the consumer's subscription failed" (not the catalogue's
    // 40010); the client types both as ILLEGAL_FILTER_EXPRESSION.
    assert.equal(err.code, 'ILLEGAL_FILTER_EXPRESSION');
    assert.equal(err.retriable, false);
    assert.ok(err.brokerCode === 50001 || err.brokerCode === 40010, `broker code ${err.brokerCode}`);
    assert.ok(raw.statuses.length === 1 && (raw.statuses[0] === 50001 || raw.statuses[0] === 40010), JSON.stringify(raw));
  });
});
