/**
 * The managed layer on a REAL RocketMQ 5.x proxy (issue E's proof): the switch stops receiving within a
 * second and resumes; requeue redelivers while ack does not; per-group order with workerNum 5; a drain
 * under load loses nothing and acks everything handled; trace and request ids reach the handler.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { NonRetryableError } from '../../src/managed/classifier.js';
import type { ConsumerConfig } from '../../src/managed/config.js';
import type { HandlerContext } from '../../src/managed/context.js';
import { Registry } from '../../src/managed/registry.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { drainGroup } from '../helpers/drain.js';
import { waitFor } from '../helpers/wait-for.js';

const INVISIBLE_MS = 10_000;

describe('managed layer against a real RocketMQ 5.x proxy', { concurrency: true }, () => {
  const shared = useSharedBroker({ before, after });

  async function setup(
    t: TestContext,
    prefix: string,
    opts: { fifo?: boolean; invisibleDurationMs?: number } = {},
  ) {
    const b = shared.broker!;
    const topic = uniqueName(prefix);
    const group = uniqueName(`${prefix}-g`);
    await Promise.all([
      b.createTopic(topic, opts.fifo ? 'FIFO' : 'NORMAL'),
      b.createConsumerGroup(group, { fifo: opts.fifo ?? false }),
    ]);
    const registry = new Registry({ drainTimeoutMs: 5_000 });
    t.after(() => registry.shutdownAll({ timeoutMs: 2_000 }));
    const producer = await registry.registerProducer({ endpoint: b.endpoint, topics: [topic] });
    const config: ConsumerConfig = {
      jobName: uniqueName('job'),
      topic,
      endpoint: b.endpoint,
      consumerGroup: group,
      invisibleDurationMs: opts.invisibleDurationMs ?? INVISIBLE_MS,
    };
    return { topic, group, registry, producer, config };
  }

  test('switch off: no new receive at once, the session ends with its long poll (≤ 5 s) and hands back what it took; switch on resumes', async (t) => {
    if (!shared.broker) return t.skip(shared.skipReason);
    const s = await setup(t, 'mgs', { invisibleDurationMs: 30_000 });
    const bodies: string[] = [];
    let w = waitFor(() => bodies.length >= 1, 30_000, 'first message');
    s.registry.registerConsumer(s.config, (_ctx, m) => {
      bodies.push(m.body.toString());
      w.poke();
    });
    s.registry.startAllConsumers();
    await s.producer.send({ topic: s.topic, body: 'before' });
    await w.done;
    const job = s.registry.consumer(s.config.jobName)!;
    const offAt = performance.now();
    s.registry.setConsumerSwitch(s.config.jobName, false);
    // Event-driven: the session is stopping before setConsumerSwitch returns (nothing polls).
    assert.equal(job.state, 'stopping');
    // Sent as the switch goes off: the long poll still open takes it; it must not stay invisible for
    // the 30 s invisible duration (a cancelled receive left it there).
    await s.producer.send({ topic: s.topic, body: 'while off' });
    await job.settled();
    const stoppedIn = performance.now() - offAt;
    assert.equal(job.state, 'off');
    // Bounded by the push long poll (5 s) plus the request timeout (3 s).
    assert.ok(stoppedIn < 8_000, `stopped in ${stoppedIn} ms`);
    t.diagnostic(`switch off → session stopped in ${Math.round(stoppedIn)} ms`);
    assert.deepEqual(bodies, ['before'], 'nothing handled while off');
    w = waitFor(() => bodies.length >= 2, 30_000, 'message after switch on');
    const onAt = performance.now();
    s.registry.setConsumerSwitch(s.config.jobName, true);
    await w.done;
    const onIn = performance.now() - onAt;
    t.diagnostic(`switch on → "while off" handled ${Math.round(onIn)} ms later`);
    assert.deepEqual(bodies, ['before', 'while off']);
    assert.ok(onIn < 10_000, `handled ${Math.round(onIn)} ms after the switch-on (invisible duration 30 s)`);
  });

  test('requeue redelivers after the invisible duration; ack (NonRetryableError) never does', async (t) => {
    if (!shared.broker) return t.skip(shared.skipReason);
    const s = await setup(t, 'mgc');
    const calls: Array<{ body: string; attempt: number; at: number }> = [];
    const w = waitFor(() => calls.filter((c) => c.body === 'requeue me').length >= 2, 40_000, 'redelivery');
    s.registry.registerConsumer(s.config, (ctx, m) => {
      const body = m.body.toString();
      calls.push({ body, attempt: ctx.attempt, at: Date.now() });
      w.poke();
      if (body === 'drop me') throw new NonRetryableError('permanent');
      if (body === 'requeue me' && ctx.attempt === 1) throw new Error('transient');
    });
    s.registry.startAllConsumers();
    await s.producer.send({ topic: s.topic, body: 'requeue me' });
    await s.producer.send({ topic: s.topic, body: 'drop me' });
    await w.done;
    const requeued = calls.filter((c) => c.body === 'requeue me');
    assert.deepEqual(
      requeued.map((c) => c.attempt),
      [1, 2],
    );
    assert.ok(requeued[1]!.at - requeued[0]!.at >= INVISIBLE_MS - 500, 'after the invisible duration');
    // By now the dropped message's own invisible duration has passed too: it was not delivered again.
    assert.equal(calls.filter((c) => c.body === 'drop me').length, 1, 'acked, not redelivered');
    const h = s.registry.health().consumers[0]!;
    assert.equal(h.requeued, 1);
    assert.equal(h.acked, 1);
  });

  test('per-group order with workerNum 5 on an ordered group', async (t) => {
    if (!shared.broker) return t.skip(shared.skipReason);
    const s = await setup(t, 'mgo', { fifo: true });
    const groups = ['a', 'b', 'c', 'd', 'e'];
    const per = 6;
    for (let i = 0; i < per; i++) {
      await Promise.all(
        groups.map((g) => s.producer.send({ topic: s.topic, body: `${g}-${i}`, messageGroup: g })),
      );
    }
    const seen: string[] = [];
    const w = waitFor(() => seen.length >= groups.length * per, 60_000, 'all ordered messages');
    s.registry.registerConsumer({ ...s.config, workerNum: 5 }, async (_ctx, m) => {
      seen.push(m.body.toString());
      w.poke();
      await new Promise((r) => setImmediate(r));
    });
    s.registry.startAllConsumers();
    await w.done;
    for (const g of groups) {
      assert.deepEqual(
        seen.filter((b) => b.startsWith(`${g}-`)),
        Array.from({ length: per }, (_, i) => `${g}-${i}`),
        `order of ${g}`,
      );
    }
  });

  test('drain under load: waitStop loses nothing and acks everything handled', async (t) => {
    if (!shared.broker) return t.skip(shared.skipReason);
    const s = await setup(t, 'mgd');
    const total = 200;
    const sent = new Set<string>();
    for (let i = 0; i < total; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) => s.producer.send({ topic: s.topic, body: `d${i + j}` })),
      );
      for (const r of batch) sent.add(r.messageId);
    }
    const handled = new Set<string>();
    const w = waitFor(() => handled.size >= 50, 30_000, '50 handled');
    s.registry.registerConsumer({ ...s.config, workerNum: 8 }, async (_ctx, m) => {
      await new Promise((r) => setTimeout(r, 5));
      handled.add(m.messageId);
      w.poke();
    });
    s.registry.startAllConsumers();
    await w.done;
    await s.registry.shutdownAll({ timeoutMs: 10_000 });
    const h = s.registry.health().consumers[0]!;
    assert.equal(h.state, 'closed');
    assert.equal(h.handled, handled.size);
    // Everything handled was acked (nothing comes back); everything else is still there.
    const rest = await drainGroup(
      shared.broker.endpoint,
      s.topic,
      s.group,
      INVISIBLE_MS + 4_000,
      INVISIBLE_MS,
    );
    const redelivered = rest.filter((m) => handled.has(m.messageId));
    assert.deepEqual(redelivered, [], 'no handled message is delivered again');
    const union = new Set([...handled, ...rest.map((m) => m.messageId)]);
    assert.equal(union.size, total, 'every message handled or still in the broker');
    assert.deepEqual(union, sent);
  });

  test('trace and request ids written by the managed producer reach the handler context', async (t) => {
    if (!shared.broker) return t.skip(shared.skipReason);
    const s = await setup(t, 'mgt');
    const contexts: HandlerContext[] = [];
    const w = waitFor(() => contexts.length >= 1, 30_000, 'handled');
    s.registry.registerConsumer(s.config, (ctx) => {
      contexts.push(ctx);
      w.poke();
    });
    s.registry.startAllConsumers();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const spanId = '00f067aa0ba902b7';
    await s.producer.send({ topic: s.topic, body: 'traced' }, { requestId: 'req-42', traceId, spanId });
    await w.done;
    const ctx = contexts[0]!;
    assert.equal(ctx.requestId, 'req-42');
    // No OTel SDK is registered here: the ids are the ones the message carried (x-trace-id/x-span-id).
    assert.equal(ctx.traceId, traceId);
    assert.equal(ctx.spanId, spanId);
    assert.equal(ctx.topic, s.topic);
    assert.equal(ctx.consumerGroup, s.group);
  });
});
