/**
 * Interceptors on a REAL RocketMQ 5.x proxy (the runner's shared broker): a Producer and a
 * PushConsumer with hooks; the hooks see every send, consume and ack of 100 keyed messages exactly once,
 * with the outcome `ok`, and a throwing hook changes nothing. A few seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PushConsumer } from '../../src/consumer/push-consumer.js';
import { Producer } from '../../src/producer/producer.js';
import type { HookContext, Interceptor } from '../../src/protocol/interceptors.js';
import { uniqueName, useSharedBroker } from '../helpers/broker.js';
import { waitUntil } from '../helpers/wait-for.js';

const N = 100;

function keysOf(ctx: HookContext): string[] {
  if (ctx.point === 'send') return ctx.messages.map((m) => m.keys?.[0] ?? '?');
  if (ctx.point === 'commit-transaction' || ctx.point === 'rollback-transaction') return [];
  return ctx.messages.map((m) => m.keys[0] ?? '?');
}

describe('Interceptors against a real RocketMQ 5.x proxy', () => {
  const shared = useSharedBroker({ before, after });

  test('hooks see every send, consume and ack of 100 messages exactly once', async (t) => {
    const broker = shared.broker;
    if (!broker) return t.skip(shared.skipReason);
    const topic = uniqueName('hooks');
    const group = uniqueName('hooks-g');
    await Promise.all([broker.createTopic(topic, 'NORMAL'), broker.createConsumerGroup(group)]);
    const counts = new Map<string, Map<string, number>>();
    const add = (what: string, keys: readonly string[]): void => {
      const m = counts.get(what) ?? new Map<string, number>();
      counts.set(what, m);
      for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    };
    const interceptors: Interceptor[] = [
      {
        before: (ctx) => add(`${ctx.point}.before`, keysOf(ctx)),
        after: async (ctx, o) => add(`${ctx.point}.after.${o.status}`, keysOf(ctx)),
      },
      {
        name: 'thrower',
        before: () => {
          throw new Error('hook bug');
        },
      },
    ];
    const quiet = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const producer = new Producer({ endpoints: broker.endpoint, interceptors, logger: quiet });
    t.after(() => producer.shutdown());
    await producer.start({ timeoutMs: 20_000 });
    const consumer = new PushConsumer({
      endpoints: broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: () => undefined,
      interceptors,
      logger: quiet,
    });
    t.after(() => consumer.shutdown({ timeoutMs: 2_000 }));
    await consumer.start({ timeoutMs: 20_000 });
    const keys = Array.from({ length: N }, (_, i) => `k${i}`);
    await Promise.all(keys.map((k) => producer.send({ topic, body: k, keys: [k] })));
    await waitUntil(() => (counts.get('ack.after.ok')?.size ?? 0) >= N, 30_000, `${N} ack hooks`);
    for (const what of [
      'send.before',
      'send.after.ok',
      'consume.before',
      'consume.after.ok',
      'ack.before',
      'ack.after.ok',
      'receive.after.ok',
    ]) {
      const m = counts.get(what) ?? new Map<string, number>();
      assert.deepEqual([...m.keys()].sort(), [...keys].sort(), `${what}: every key`);
      assert.ok(
        [...m.values()].every((n) => n === 1),
        `${what}: each once`,
      );
    }
    assert.equal(counts.get('send.after.error'), undefined);
    assert.equal(consumer.stats().acked, N);
  });
});
