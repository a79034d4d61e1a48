/**
 * Lite topics on a REAL RocketMQ 5.5.0 (issue J's proof): one broker for the whole file (see
 * `test/helpers/lite-broker.ts`). A LitePushConsumer subscribes to and unsubscribes from 1,000 lite
 * topics while running, one message each, every message delivered once; MAX skips a lite topic's
 * backlog, MIN replays it and LAST resumes from the group's position; a suspend brings the message
 * back after the asked time; the server's quota (a group attribute) is enforced before sending; the server's
 * own refusals come back typed; `{ suspendMs }` on a plain PushConsumer is an ordinary retry; the
 * proxy refuses a LiteSimpleConsumer (its server side is not in 5.5.0).
 *
 * Figures (subscribe/unsubscribe rate, end-to-end latency) are printed as test diagnostics.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { LitePushConsumer, type LitePushConsumerOptions } from '../../src/consumer/lite-push-consumer.js';
import { LiteSimpleConsumer } from '../../src/consumer/lite-simple-consumer.js';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { RocketMQError } from '../../src/errors.js';
import type { MessageView } from '../../src/model/message-view.js';
import { Producer } from '../../src/producer/producer.js';
import { uniqueName } from '../helpers/broker.js';
import { type LiteBroker, startLiteBroker } from '../helpers/lite-broker.js';
import { waitFor } from '../helpers/wait-for.js';

const LITE_TOPICS = 1_000;
const PIPELINES = 32;

const code = (c: string) => (e: unknown) => e instanceof RocketMQError && e.code === c;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** Runs `fn` over `items` with `n` in flight. */
async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe('lite topics on a real RocketMQ 5.5.0', { concurrency: true }, () => {
  let broker: LiteBroker | undefined;
  let skipReason = '';
  let producer: Producer | undefined;
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    const b = await startLiteBroker();
    if (typeof b === 'string') {
      skipReason = b;
      return;
    }
    broker = b;
    producer = new Producer({ endpoints: b.endpoint, requestTimeoutMs: 15_000 });
    await producer.start({ timeoutMs: 60_000 });
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await producer?.shutdown({ timeoutMs: 5_000 });
    await broker?.stop();
  });

  /** A LITE parent topic and a lite group bound to it. */
  async function liteSetup(
    opts: { quota?: number; fifo?: boolean } = {},
  ): Promise<{ topic: string; group: string }> {
    const topic = uniqueName('lite');
    const group = uniqueName('lite-g');
    await broker!.createTopic(topic, 'LITE');
    await broker!.createConsumerGroup(group, {
      liteBindTopic: topic,
      ...(opts.fifo === undefined ? {} : { fifo: opts.fifo }),
      ...(opts.quota === undefined ? {} : { liteClientQuota: opts.quota }),
    });
    return { topic, group };
  }

  async function liteConsumer(opts: Omit<LitePushConsumerOptions, 'endpoints'>): Promise<LitePushConsumer> {
    const c = new LitePushConsumer({ endpoints: broker!.endpoint, requestTimeoutMs: 15_000, ...opts });
    closers.push(() => c.shutdown({ timeoutMs: 10_000 }));
    await c.start({ timeoutMs: 60_000 });
    return c;
  }

  test(`${LITE_TOPICS} lite topics subscribed and unsubscribed while running: every message delivered once`, async (t: TestContext) => {
    if (!broker) return t.skip(skipReason);
    const { topic, group } = await liteSetup();
    const deliveries = new Map<string, number>();
    const sentAt = new Map<string, number>();
    const latencies: number[] = [];
    const delivered = new Map<string, () => void>();
    const all = waitFor(
      () => deliveries.size === LITE_TOPICS,
      180_000,
      `${LITE_TOPICS} lite topics delivered`,
    );
    const c = await liteConsumer({
      topic,
      consumerGroup: group,
      concurrency: 64,
      listener: (m: MessageView) => {
        const lite = m.liteTopic ?? '';
        deliveries.set(lite, (deliveries.get(lite) ?? 0) + 1);
        const s = sentAt.get(lite);
        if (s !== undefined && deliveries.get(lite) === 1) latencies.push(performance.now() - s);
        delivered.get(lite)?.();
        all.poke();
      },
    });
    const names = Array.from({ length: LITE_TOPICS }, (_, i) => `s${i}-${Date.now().toString(36)}`);
    let subscribeMs = 0;
    let unsubscribeMs = 0;
    const started = performance.now();
    // Each lite topic: subscribe, send its message, wait for it, unsubscribe; PIPELINES at once.
    await pool(names, PIPELINES, async (name) => {
      let s = performance.now();
      await c.subscribeLite(name);
      subscribeMs += performance.now() - s;
      const got = new Promise<void>((resolve) => delivered.set(name, resolve));
      sentAt.set(name, performance.now());
      await producer!.send({ topic, liteTopic: name, body: name });
      await got;
      s = performance.now();
      await c.unsubscribeLite(name);
      unsubscribeMs += performance.now() - s;
    });
    await all.done;
    const wallMs = performance.now() - started;
    const dup = [...deliveries].filter(([, n]) => n !== 1);
    assert.deepEqual(dup, [], 'every lite topic delivered exactly once');
    assert.equal(c.liteTopics.size, 0, 'all unsubscribed');
    latencies.sort((a, b) => a - b);
    t.diagnostic(
      `${LITE_TOPICS} lite topics in ${(wallMs / 1000).toFixed(1)} s with ${PIPELINES} pipelines: ` +
        `subscribe ${(subscribeMs / LITE_TOPICS).toFixed(1)} ms each (${((LITE_TOPICS / subscribeMs) * 1000 * PIPELINES).toFixed(0)}/s at ${PIPELINES} in flight), ` +
        `unsubscribe ${(unsubscribeMs / LITE_TOPICS).toFixed(1)} ms each (${((LITE_TOPICS / unsubscribeMs) * 1000 * PIPELINES).toFixed(0)}/s), ` +
        `end-to-end p50 ${percentile(latencies, 50).toFixed(1)} ms p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );
  });

  test('offsets: MAX skips the backlog, MIN and LAST (no position yet) replay it, LAST resumes after a pause', async (t: TestContext) => {
    if (!broker) return t.skip(skipReason);
    const { topic, group } = await liteSetup();
    const stamp = Date.now().toString(36);
    const names = { max: `max-${stamp}`, min: `min-${stamp}`, last: `last-${stamp}` } as const;
    for (const lite of Object.values(names)) {
      for (let i = 0; i < 3; i++) await producer!.send({ topic, liteTopic: lite, body: `old-${i}` });
    }
    const got = new Map<string, string[]>(Object.values(names).map((n) => [n, []]));
    let w = waitFor(
      () => Object.values(names).every((n) => got.get(n)!.includes('new')),
      60_000,
      'the new message of every lite topic',
    );
    const c = await liteConsumer({
      topic,
      consumerGroup: group,
      listener: (m) => {
        got.get(m.liteTopic ?? '')?.push(m.body.toString());
        w.poke();
      },
    });
    await c.subscribeLite(names.max, { offset: 'max' });
    await c.subscribeLite(names.min, { offset: 'min' });
    await c.subscribeLite(names.last, { offset: 'last' });
    for (const lite of Object.values(names)) await producer!.send({ topic, liteTopic: lite, body: 'new' });
    await w.done;
    const all = ['new', 'old-0', 'old-1', 'old-2'];
    assert.deepEqual(got.get(names.max), ['new'], 'MAX: the backlog is skipped');
    assert.deepEqual([...got.get(names.min)!].sort(), all, 'MIN: the backlog is replayed');
    assert.deepEqual([...got.get(names.last)!].sort(), all, 'LAST without a position: from the start');
    // LAST resumes from the group's position: what came while unsubscribed, not the old messages.
    await c.unsubscribeLite(names.last);
    await producer!.send({ topic, liteTopic: names.last, body: 'while-away' });
    got.set(names.last, []);
    w = waitFor(() => got.get(names.last)!.includes('back'), 60_000, 'the message after resubscribing');
    await c.subscribeLite(names.last, { offset: 'last' });
    await producer!.send({ topic, liteTopic: names.last, body: 'back' });
    await w.done;
    assert.deepEqual(got.get(names.last), ['while-away', 'back'], 'LAST: resumed where the group left off');
  });

  test('suspend (FIFO lite group): the message comes back after the asked time, not before', async (t: TestContext) => {
    if (!broker) return t.skip(skipReason);
    const { topic, group } = await liteSetup({ fifo: true });
    const SUSPEND_MS = 3_000;
    const seen: Array<{ at: number; attempt: number }> = [];
    const w = waitFor(() => seen.length >= 2, 60_000, 'the suspended message back');
    const c = await liteConsumer({
      topic,
      consumerGroup: group,
      listener: (m) => {
        seen.push({ at: performance.now(), attempt: m.deliveryAttempt });
        w.poke();
        return seen.length === 1 ? { suspendMs: SUSPEND_MS } : 'success';
      },
    });
    const lite = `susp-${Date.now().toString(36)}`;
    await c.subscribeLite(lite);
    await producer!.send({ topic, liteTopic: lite, body: 'wait' });
    await w.done;
    const [first, second] = seen as [{ at: number; attempt: number }, { at: number; attempt: number }];
    const gap = second.at - first.at;
    t.diagnostic(
      `suspend ${SUSPEND_MS} ms: back after ${gap.toFixed(0)} ms, attempts ${first.attempt} → ${second.attempt}`,
    );
    assert.ok(gap >= SUSPEND_MS - 500, `not back before the suspend ended (${gap.toFixed(0)} ms)`);
    // Measured on 5.5.0: the redelivery still reports the next attempt (2), although the request
    // carries the suspend flag (see the unit test of buildChangeInvisibleRequest); README says so.
    assert.ok(second.attempt <= first.attempt + 1, 'at most one attempt more');
    assert.equal(c.stats().fifo, true);
    assert.equal(c.stats().nacked, 1);
  });

  test('quota: the group quota reaches the client; one more lite topic is refused before sending', async (t: TestContext) => {
    if (!broker) return t.skip(skipReason);
    const { topic, group } = await liteSetup({ quota: 3 });
    const c = await liteConsumer({ topic, consumerGroup: group, listener: () => undefined });
    assert.equal(c.liteSubscriptionQuota, 3);
    for (const i of [1, 2, 3]) await c.subscribeLite(`q${i}`);
    await assert.rejects(c.subscribeLite('q4'), code('LITE_SUBSCRIPTION_QUOTA_EXCEEDED'));
    assert.deepEqual([...c.liteTopics].sort(), ['q1', 'q2', 'q3']);
    await c.unsubscribeLite('q1');
    await c.subscribeLite('q4');
    assert.deepEqual([...c.liteTopics].sort(), ['q2', 'q3', 'q4']);
  });

  test('server refusals are typed: a normal (non-lite) group is refused at start', async (t: TestContext) => {
    if (!broker) return t.skip(skipReason);
    const { topic } = await liteSetup();
    const normalGroup = uniqueName('lite-normal');
    await broker.createConsumerGroup(normalGroup);
    const c = new LitePushConsumer({
      endpoints: broker.endpoint,
      topic,
      consumerGroup: normalGroup,
      listener: () => undefined,
    });
    closers.push(() => c.shutdown({ timeoutMs: 5_000 }));
    const err = await c.start({ timeoutMs: 60_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof RocketMQError, 'start refused');
    assert.equal(err.code, 'BAD_REQUEST');
    assert.match(err.message, /cannot use LITE mode/);
  });

  test('LiteSimpleConsumer: the 5.5.0 proxy refuses LITE_SIMPLE_CONSUMER settings (so it is proven on the in-process broker)', async (t: TestContext) => {
    if (!broker) return t.skip(skipReason);
    const { topic, group } = await liteSetup();
    const c = new LiteSimpleConsumer({
      endpoints: broker.endpoint,
      topic,
      consumerGroup: group,
      // The refusal is retried until the settings timeout, which follows the request timeout.
      requestTimeoutMs: 5_000,
    });
    closers.push(() => c.shutdown({ timeoutMs: 5_000 }));
    const err = await c.start({ timeoutMs: 60_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Measured on 5.5.0: the proxy ends every Telemetry stream with gRPC INTERNAL "process client
    // telemetryCommand failed. Client type is not consumer, type: LITE_SIMPLE_CONSUMER", so no settings
    // ever come back and start() fails with SETTINGS_TIMEOUT carrying that last error.
    assert.ok(err instanceof RocketMQError, 'start refused');
    assert.equal(err.code, 'SETTINGS_TIMEOUT');
    assert.match(err.message, /Client type is not consumer, type: LITE_SIMPLE_CONSUMER/);
  });

  test('{ suspendMs } on a plain PushConsumer is a retry: redelivered with the next attempt', async (t: TestContext) => {
    if (!broker) return t.skip(skipReason);
    const topic = uniqueName('lite-plain');
    const group = uniqueName('lite-plain-g');
    await broker.createTopic(topic, 'NORMAL');
    await broker.createConsumerGroup(group);
    const attempts: number[] = [];
    const w = waitFor(() => attempts.length >= 2, 60_000, 'the redelivery');
    const c = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: (m) => {
        attempts.push(m.deliveryAttempt);
        w.poke();
        return attempts.length === 1 ? { suspendMs: 1_000 } : 'success';
      },
    });
    closers.push(() => c.shutdown({ timeoutMs: 10_000 }));
    await c.start({ timeoutMs: 60_000 });
    await producer!.send({ topic, body: 'plain' });
    await w.done;
    assert.deepEqual(attempts.slice(0, 2), [1, 2]);
  });
});
