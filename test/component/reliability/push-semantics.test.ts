/**
 * PushConsumer semantics under stress (reliability-matrix rows E3, E6, F3, G5) on the in-process broker.
 * Broker and consumer share one fake time source (ManualTime); listeners "work" by waiting on it, and
 * `drive()` advances it in small steps while loopback I/O runs — no real-time sleep decides anything.
 *
 * - E3 a listener that never returns: shutdown resolves at its bound (+ at most the 1 s left to the
 *   client core), reports the undrained count in a warning, does not ack the message, and the broker
 *   delivers it again (attempt 2) once its invisibility ends.
 * - E6 a FIFO consumer started on a backlog of 50 messages in 5 groups: every group is consumed in
 *   send order from its first message, with no failed receive on the way.
 * - F3 a listener 10× slower than the producer: the prefetch cache stays within its byte bound (plus one
 *   receive batch), the broker never has more in flight than that, and nothing is redelivered (the
 *   leases of waiting messages are renewed).
 * - G5 FIFO under failure, 8 groups × 100 messages, 10 % failing once, 5 workers: per group the
 *   successful deliveries are exactly the send order, never two messages of a group at once, other
 *   groups progress while one waits to retry; with one group, message n+1 starts only after n's ack
 *   reached the broker.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import type { MessageListener, PushConsumerOptions } from '../../../src/consumer/push-consumer-options.js';
import type { ManualTime } from '../../../src/testing/index.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { type MessageSpec, message, uniqueName } from '../../helpers/in-process-client.js';
import { type Fixture, startBroker } from '../in-process-broker/fixture.js';
import { capturingLogger } from './setup.js';

interface Setup {
  fx: Fixture;
  time: ManualTime;
  topic: string;
  group: string;
  consumer: PushConsumer;
  logger: ReturnType<typeof capturingLogger>;
  send(spec?: Omit<MessageSpec, 'topic'>): Promise<string>;
}

async function setup(
  t: TestContext,
  listener: MessageListener,
  options: {
    fifo?: boolean;
    queues?: number;
    consumer?: Partial<PushConsumerOptions>;
    start?: boolean;
  } = {},
): Promise<Setup> {
  const fx = await startBroker(t, { fakeTime: true });
  const time = fx.time!;
  const topic = uniqueName('ps');
  const group = uniqueName('ps-g');
  fx.broker.createTopic(topic, { type: options.fifo ? 'FIFO' : 'NORMAL', queues: options.queues ?? 1 });
  fx.broker.createConsumerGroup(group, { fifo: options.fifo ?? false });
  const logger = capturingLogger();
  const consumer = new PushConsumer({
    endpoints: fx.broker.endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    listener,
    clock: time,
    timers: time,
    logger,
    ...options.consumer,
  });
  t.after(() => consumer.shutdown({ timeoutMs: 0 }));
  if (options.start ?? true) await consumer.start();
  const producer = fx.client();
  return {
    fx,
    time,
    topic,
    group,
    consumer,
    logger,
    send: async (spec = {}) => {
      const m = message({ topic, ...spec });
      const res = await producer.send(m);
      assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
      return m.systemProperties!.messageId;
    },
  };
}

/** Resolves after `ms` of fake time. */
const work = (time: ManualTime, ms: number): Promise<void> =>
  new Promise((r) => {
    time.setTimeout(r, ms);
  });

describe('E3 drain timeout hit', () => {
  test('a listener that never returns: shutdown resolves at its bound, reports 1 undrained, the message comes back as attempt 2', async (t) => {
    let calls = 0;
    const s = await setup(t, () => {
      calls++;
      return new Promise<never>(() => {}); // never settles, ignores its signal
    });
    const id = await s.send({ body: 'stuck forever' });
    await drive(s.time, () => calls === 1, 'the listener running');
    const timeoutMs = 2_000;
    const startedAt = s.time.now();
    let doneAt: number | undefined;
    const stopping = s.consumer.shutdown({ timeoutMs }).then(() => {
      doneAt = s.time.now();
    });
    await drive(s.time, () => doneAt !== undefined, 'shutdown to resolve', {
      stepMs: 50,
      maxVirtualMs: 10_000,
    });
    await stopping;
    const elapsed = doneAt! - startedAt;
    assert.ok(
      elapsed >= timeoutMs && elapsed <= timeoutMs + 1_000,
      `shutdown resolved after ${elapsed} virtual ms (bound ${timeoutMs} + 1 000)`,
    );
    assert.equal(s.consumer.state, 'stopped');
    const warning = s.logger.lines.find((l) => l.startsWith('warn shutdown bound reached'));
    assert.ok(warning, `a warning reports the undrained messages: ${s.logger.lines.join(' | ')}`);
    assert.match(warning, /"inFlight":1\b/);
    assert.equal(s.fx.broker.stats().acked, 0, 'not acked');
    assert.equal(s.fx.broker.stats().inflight, 1, 'still invisible at the broker');

    // Not handed back: invisible until its lease (30 s by default) runs out, then delivered again.
    const c = s.fx.client();
    await c.consumerSession(s.group, [s.topic]);
    assert.deepEqual((await c.receive({ group: s.group, topic: s.topic })).messages, [], 'still invisible');
    s.time.advance(31_000);
    const again = await c.receive({ group: s.group, topic: s.topic });
    assert.equal(again.messages.length, 1);
    assert.equal(again.messages[0]!.systemProperties?.messageId, id);
    assert.equal(again.messages[0]!.systemProperties?.deliveryAttempt, 2);
    assert.equal(calls, 1);
  });
});

describe('E6 FIFO consumer started on a backlog', () => {
  test('50 messages in 5 groups queued before start: each group in send order from its first message, no failed receive', async (t) => {
    const calls: Array<{ group: string; n: number; attempt: number }> = [];
    const s = await setup(
      t,
      (m, ctx) => {
        const [group, n] = m.body.toString().split('#');
        calls.push({ group: group!, n: Number(n), attempt: ctx.attempt });
      },
      { fifo: true, queues: 2, consumer: { concurrency: 4 }, start: false },
    );
    const groups = ['g0', 'g1', 'g2', 'g3', 'g4'];
    for (let n = 0; n < 10; n++) for (const g of groups) await s.send({ body: `${g}#${n}`, group: g });
    await s.consumer.start();
    await drive(s.time, () => s.fx.broker.stats().acked === 50, '50 acks', { stepMs: 50 });
    for (const g of groups) {
      assert.deepEqual(
        calls.filter((c) => c.group === g).map((c) => c.n),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        `order of ${g}`,
      );
    }
    assert.ok(
      calls.every((c) => c.attempt === 1),
      'no redelivery',
    );
    assert.equal(s.consumer.stats().fifo, true);
    const failed = s.logger.lines.filter((l) => /receive failed|settings/i.test(l) && !l.startsWith('info'));
    assert.deepEqual(failed, [], 'no failed receive (e.g. a server without the settings yet)');
  });
});

describe('F3 slow consumer', () => {
  test('a listener 10× slower than the producer: the cache stays within its byte bound, nothing is redelivered', async (t) => {
    const BODY = 8 * 1024;
    const MAX_BYTES = 32 * 1024;
    const BATCH = 4;
    const COUNT = 40;
    const attempts = new Map<string, number[]>();
    let s!: Setup;
    s = await setup(
      t,
      async (m, ctx) => {
        const seen = attempts.get(m.messageId) ?? [];
        seen.push(ctx.attempt);
        attempts.set(m.messageId, seen);
        await work(s.time, 1_000); // 1 s per message; the producer sends one every 100 ms
      },
      {
        consumer: {
          concurrency: 1,
          maxCachedBytes: MAX_BYTES,
          maxCachedMessages: 1_000,
          maxMessagesPerReceive: BATCH,
          invisibleDurationMs: 10_000,
        },
      },
    );
    let maxCachedBytes = 0;
    let maxInflight = 0;
    const sample = (): void => {
      maxCachedBytes = Math.max(maxCachedBytes, s.consumer.stats().cachedBytes);
      maxInflight = Math.max(maxInflight, s.fx.broker.stats().inflight);
    };
    const body = Buffer.alloc(BODY, 0x62);
    for (let i = 0; i < COUNT; i++) {
      await s.send({ body });
      for (let step = 0; step < 2; step++) {
        s.time.advance(50);
        await settleIo(3);
        sample();
      }
    }
    await drive(
      s.time,
      () => {
        sample();
        return s.fx.broker.stats().acked === COUNT;
      },
      `${COUNT} acks`,
      { stepMs: 50, maxVirtualMs: 120_000 },
    );
    const bound = MAX_BYTES + BATCH * BODY; // the cache refills while under its bound, one batch at a time
    t.diagnostic(
      `max cached ${maxCachedBytes} bytes (bound ${bound}), max in flight ${maxInflight}; ${s.consumer.stats().leaseRenewals} lease renewals`,
    );
    assert.ok(maxCachedBytes > 0 && maxCachedBytes <= bound, `cached up to ${maxCachedBytes} bytes`);
    assert.ok(maxInflight <= bound / BODY, `${maxInflight} messages in flight at the broker`);
    assert.equal(attempts.size, COUNT);
    for (const [id, seen] of attempts) assert.deepEqual(seen, [1], `${id} delivered once`);
    assert.ok(s.consumer.stats().leaseRenewals > 0, 'waiting messages had their leases renewed');
  });
});

describe('G5 FIFO under failure', () => {
  test('8 groups × 100 messages, 10 % failing once, 5 workers: per-group send order, one at a time per group, others progress', async (t) => {
    const GROUPS = 8;
    const PER_GROUP = 100;
    const active = new Map<string, number>();
    const overlaps: string[] = [];
    const calls: Array<{ group: string; n: number; attempt: number; at: number }> = [];
    const failedOnce = new Set<string>();
    let s!: Setup;
    s = await setup(
      t,
      async (m, ctx) => {
        const [group, nText] = m.body.toString().split('#') as [string, string];
        const n = Number(nText);
        calls.push({ group, n, attempt: ctx.attempt, at: s.time.now() });
        const running = (active.get(group) ?? 0) + 1;
        active.set(group, running);
        if (running > 1) overlaps.push(`${group}#${n}`);
        try {
          await work(s.time, 10);
          if (n % 10 === 7 && !failedOnce.has(`${group}#${n}`)) {
            failedOnce.add(`${group}#${n}`);
            throw new Error(`planned failure of ${group}#${n}`);
          }
        } finally {
          active.set(group, active.get(group)! - 1);
        }
      },
      { fifo: true, queues: 4, consumer: { concurrency: 5 } },
    );
    for (let n = 0; n < PER_GROUP; n++)
      for (let g = 0; g < GROUPS; g++) await s.send({ body: `G${g}#${n}`, group: `G${g}` });
    await drive(s.time, () => s.fx.broker.stats().acked === GROUPS * PER_GROUP, 'every message acked', {
      stepMs: 20,
      maxVirtualMs: 600_000,
    });
    assert.deepEqual(overlaps, [], 'never two messages of one group at once');
    const expected = Array.from({ length: PER_GROUP }, (_, n) => n);
    for (let g = 0; g < GROUPS; g++) {
      const seq = calls.filter((c) => c.group === `G${g}`);
      // Each message once, the failed ones twice in a row (retried locally before the next starts).
      const collapsed = seq.map((c) => c.n).filter((n, i, all) => i === 0 || all[i - 1] !== n);
      assert.deepEqual(collapsed, expected, `order of G${g}`);
      assert.equal(seq.length, PER_GROUP + PER_GROUP / 10, `G${g}: one retry per failing message`);
    }
    // While a failed message waits for its retry, other groups go on.
    for (const key of failedOnce) {
      const [group, n] = key.split('#') as [string, string];
      const tries = calls.filter((c) => c.group === group && c.n === Number(n));
      assert.equal(tries.length, 2);
      const between = calls.filter((c) => c.group !== group && c.at > tries[0]!.at && c.at < tries[1]!.at);
      assert.ok(between.length > 0, `no other group progressed while ${key} waited to retry`);
    }
    assert.equal(s.consumer.stats().nacked, 0, 'FIFO retries stay local');
    assert.equal(s.fx.broker.stats().deadLettered, 0);
  });

  test('one group: message n + 1 starts only after the ack of n reached the broker', async (t) => {
    const violations: string[] = [];
    let s!: Setup;
    s = await setup(
      t,
      async (m, ctx) => {
        const n = Number(m.body.toString());
        if (ctx.attempt === 1 && s.fx.broker.stats().acked !== n)
          violations.push(`#${n} started with ${s.fx.broker.stats().acked} acked`);
        await work(s.time, 10);
        if (n % 10 === 3 && ctx.attempt === 1) throw new Error('planned failure');
      },
      { fifo: true, queues: 1, consumer: { concurrency: 5 } },
    );
    for (let n = 0; n < 30; n++) await s.send({ body: String(n), group: 'only' });
    await drive(s.time, () => s.fx.broker.stats().acked === 30, '30 acks', { stepMs: 20 });
    assert.deepEqual(violations, []);
  });
});
