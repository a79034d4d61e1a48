/**
 * Interceptors on a Producer and a PushConsumer against the in-process broker (fake time): the hooks
 * themselves keep an at-least-once ledger of a run, and must see every send, consume and ack exactly
 * once, in registration order, while a throwing and a rejecting interceptor change nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { Producer } from '../../../src/producer/producer.js';
import type { HookContext, HookOutcome, Interceptor } from '../../../src/protocol/interceptors.js';
import { AtLeastOnceLedger, copyOf, ledgerKeyOf } from '../../helpers/at-least-once.js';
import { drive } from '../../helpers/fake-time.js';
import { uniqueName } from '../../helpers/in-process-client.js';
import { startBroker } from '../in-process-broker/fixture.js';

const quiet = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Counts hook calls per `point.phase` and ledger key. */
class HookTally {
  readonly calls = new Map<string, Map<string, number>>();
  readonly order: string[] = [];

  add(what: string, keys: readonly string[]): void {
    let m = this.calls.get(what);
    if (m === undefined) {
      m = new Map();
      this.calls.set(what, m);
    }
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  }

  /** Keys seen by `what`, with their counts. */
  of(what: string): Map<string, number> {
    return this.calls.get(what) ?? new Map();
  }
}

function keysOf(ctx: HookContext): string[] {
  if (ctx.point === 'send') return ctx.messages.map((m) => m.keys?.[0] ?? '?');
  if (ctx.point === 'commit-transaction' || ctx.point === 'rollback-transaction') {
    return ctx.receipts.map((r) => r.messageId);
  }
  return ctx.messages.map((m: MessageView) => ledgerKeyOf(m) ?? '?');
}

describe('Interceptors: Producer and PushConsumer', () => {
  test('hooks see every send, consume and ack of a ledger run exactly once; the ledger they keep holds; broken hooks change nothing', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const time = fx.time!;
    const topic = uniqueName('hooks');
    const group = uniqueName('hooks-g');
    fx.broker.createTopic(topic, { type: 'NORMAL', queues: 2 });
    fx.broker.createConsumerGroup(group, {});
    const ledger = new AtLeastOnceLedger('hooks');
    const tally = new HookTally();
    const recorder: Interceptor = {
      name: 'ledger',
      before: (ctx) => {
        tally.order.push(`ledger.${ctx.point}`);
        tally.add(`${ctx.point}.before`, keysOf(ctx));
        if (ctx.point === 'consume') {
          const v = ctx.messages[0]!;
          ledger.handled(ledgerKeyOf(v)!, { copy: copyOf(v), attempt: v.deliveryAttempt });
        }
      },
      after: async (ctx: HookContext, outcome: HookOutcome) => {
        await Promise.resolve();
        tally.add(`${ctx.point}.after.${outcome.status}`, keysOf(ctx));
        if (ctx.point === 'send' && outcome.status === 'ok') {
          const key = keysOf(ctx)[0]!;
          ledger.record({
            type: 'sent',
            key,
            outcome: 'ok',
            messageId: outcome.receipts![0]!.messageId,
            at: 0,
          });
        }
        if (ctx.point === 'ack') {
          const v = ctx.messages[0]!;
          ledger.acked(ledgerKeyOf(v)!, outcome.status === 'ok' ? 'ok' : 'failed', { copy: copyOf(v) });
        }
      },
    };
    const broken: Interceptor[] = [
      {
        name: 'thrower',
        before: (ctx) => {
          tally.order.push(`thrower.${ctx.point}`);
          throw new Error('hook bug');
        },
      },
      { name: 'rejecter', after: () => Promise.reject(new Error('async hook bug')) },
    ];
    const interceptors = [recorder, ...broken];
    const producer = new Producer({
      endpoints: fx.broker.endpoint,
      clock: time,
      timers: time,
      logger: quiet,
      interceptors,
      // Generous: on a loaded machine a send timed out and retried stores a second copy.
      requestTimeoutMs: 60_000,
    });
    t.after(() => producer.shutdown({ timeoutMs: 0 }));
    await producer.start();
    const handled: string[] = [];
    const consumer = new PushConsumer({
      endpoints: fx.broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: (m) => {
        handled.push(ledgerKeyOf(m)!);
      },
      clock: time,
      timers: time,
      logger: quiet,
      interceptors,
    });
    t.after(() => consumer.shutdown({ timeoutMs: 0 }));
    await consumer.start();
    const N = 200;
    const keys: string[] = [];
    for (let i = 0; i < N; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, () => {
          const key = ledger.nextKey();
          keys.push(key);
          return producer.send({ topic, body: key, keys: [key] });
        }),
      );
    }
    await drive(time, () => consumer.stats().acked >= N, `${N} acks`, { stepMs: 5 });
    await drive(time, () => tally.of('ack.after.ok').size === N, 'the last ack hooks');

    const exactlyOnce = (what: string): void => {
      const m = tally.of(what);
      assert.deepEqual([...m.keys()].sort(), [...keys].sort(), `${what}: every key`);
      assert.ok(
        [...m.values()].every((n) => n === 1),
        `${what}: each key once`,
      );
    };
    for (const what of [
      'send.before',
      'send.after.ok',
      'consume.before',
      'consume.after.ok',
      'ack.before',
      'ack.after.ok',
    ]) {
      exactlyOnce(what);
    }
    exactlyOnce('receive.after.ok');
    assert.equal(tally.of('send.after.error').size, 0);
    assert.deepEqual([...handled].sort(), [...keys].sort(), 'the listener saw what the hooks saw');
    const report = ledger.assertHolds({ maxDuplicates: 0 });
    assert.equal(report.lost.length, 0);
    // Registration order: the ledger hook's before ran ahead of the thrower's for every operation.
    for (let i = 0; i < tally.order.length; i += 2) {
      assert.ok(
        tally.order[i]!.startsWith('ledger.') && tally.order[i + 1]!.startsWith('thrower.'),
        `order at ${i}`,
      );
    }
  });

  test('a failed listener call: consume after-hook reports failure, the nack is a change-invisible-duration hook, the redelivery a second consume', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const time = fx.time!;
    const topic = uniqueName('hooks-f');
    const group = uniqueName('hooks-fg');
    fx.broker.createTopic(topic, { type: 'NORMAL', queues: 1 });
    fx.broker.createConsumerGroup(group, {});
    const seen: string[] = [];
    const consumer = new PushConsumer({
      endpoints: fx.broker.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      listener: (_m, ctx) => (ctx.attempt === 1 ? 'failure' : undefined),
      clock: time,
      timers: time,
      interceptors: [
        {
          after: (ctx, o) => {
            if (ctx.point !== 'receive')
              seen.push(`${ctx.point}:${o.status}${o.result ? `:${o.result}` : ''}`);
          },
        },
      ],
    });
    t.after(() => consumer.shutdown({ timeoutMs: 0 }));
    await consumer.start();
    const res = await fx
      .client()
      .send((await import('../../helpers/in-process-client.js')).message({ topic, body: 'once-failing' }));
    assert.equal(res.status?.code, 20000);
    await drive(time, () => consumer.stats().acked === 1, 'acked after the retry', { stepMs: 50 });
    await drive(time, () => seen.includes('ack:ok'), 'the ack hook');
    assert.deepEqual(seen, [
      'consume:error:failure',
      'change-invisible-duration:ok',
      'consume:ok:success',
      'ack:ok',
    ]);
  });

  test('transaction commit and rollback each run their hooks once per half message', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const time = fx.time!;
    const topic = uniqueName('hooks-tx');
    fx.broker.createTopic(topic, { type: 'TRANSACTION', queues: 1 });
    const seen: string[] = [];
    const producer = new Producer({
      endpoints: fx.broker.endpoint,
      topics: [topic],
      clock: time,
      timers: time,
      transactionChecker: () => 'ROLLBACK',
      interceptors: [{ after: (ctx, o) => void seen.push(`${ctx.point}:${o.status}`) }],
    });
    t.after(() => producer.shutdown({ timeoutMs: 0 }));
    await producer.start();
    const a = producer.beginTransaction();
    await a.send({ topic, body: 'a' });
    await a.commit();
    const b = producer.beginTransaction();
    await b.send({ topic, body: 'b' });
    await b.rollback();
    assert.deepEqual(seen, ['send:ok', 'commit-transaction:ok', 'send:ok', 'rollback-transaction:ok']);
  });

  test('a hook that is not a function → INVALID_ARGUMENT at construction', () => {
    const bad = [{ before: 'nope' }] as unknown as Interceptor[];
    const invalid = (e: unknown) => (e as { code?: string }).code === 'INVALID_ARGUMENT';
    assert.throws(() => new Producer({ endpoints: '127.0.0.1:8081', interceptors: bad }), invalid);
    assert.throws(
      () =>
        new PushConsumer({
          endpoints: '127.0.0.1:8081',
          consumerGroup: 'g',
          subscriptions: { t: '*' },
          listener: () => undefined,
          interceptors: bad,
        }),
      invalid,
    );
  });
});
