/**
 * Faults against a REAL RocketMQ 5.x broker that this file owns (it is killed and restarted, so it is
 * never the runner's shared broker). A proxy in local mode always advertises its own gRPC address in
 * routes, so the clients' channel factory (the `createGrpcClient` seam) dials the TCP fault proxy in
 * front of it instead, like a NAT: every call goes through the fault proxy, which also counts the
 * clients' connection attempts.
 *
 * - C2 half-open connection (blackhole): sends fail by their deadline, the heartbeat-driven recovery
 *   opens a new connection, sends recover within 25 s.
 * - C5 RST storm under send + consume: every send settles typed, nothing lost.
 * - D2 the proxy+broker JVM frozen (SIGSTOP) for 8 s, then resumed: calls time out typed, at most a few
 *   connection attempts meanwhile, sends and receives back within 10 s of SIGCONT, nothing lost.
 * - D1 SIGKILL (and, separately, SIGTERM) of the proxy+broker JVM during steady sends and receives,
 *   restart on the same store: typed failures while it is down, a bounded number of connection attempts
 *   (no storm), sends and receives back by themselves within 30 s of the broker being ready,
 *   at-least-once accounting over everything sent (messages held unacked at the kill come back),
 *   shutdown while it is down bounded. After SIGTERM no acked message may come back at all.
 * - D3 messages received but not acked when the broker is SIGKILLed: after the restart `ackAll` with
 *   the old receipts settles each one or surfaces a typed error; the refused ones are delivered again
 *   and acked.
 * - G7 delay messages pending in the broker's timer when it is SIGKILLed: after the restart each is
 *   delivered, not before its time and at most 30 s (the D1 recovery bound) after the later of its time
 *   and the restart being ready; every delivery and its ack outcome is reported; a delivery time 20 s
 *   in the past is delivered at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { RocketMQError } from '../../../src/errors.js';
import { exponentialBackoff } from '../../../src/internal/backoff.js';
import { Producer } from '../../../src/producer/index.js';
import type { GrpcClientFactory } from '../../../src/rpc/channel-pool.js';
import type { BrokerHandle } from '../../../testcontainers/index.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { AtLeastOnceLedger, copyOf, ledgerKeyOf } from '../../helpers/at-least-once.js';
import { FaultProxy } from '../../helpers/fault-proxy.js';
import { consumeLoop, drain, receiveLoop, sendKeyed, tallyCode } from '../../helpers/ledger-flows.js';
import { ownBrokerSkipReason, startOwnBroker } from '../../helpers/own-broker.js';
import { waitUntil } from '../../helpers/wait-for.js';

const INVISIBLE_MS = 10_000; // the proxy's minimum
const AWAIT_MS = 5_000; // the proxy's minimum long poll
const name = (prefix: string) =>
  `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;

describe('real broker faults (own broker behind the fault proxy)', () => {
  let broker: BrokerHandle | undefined;
  let proxy: FaultProxy;
  let skip: string | undefined;
  let viaProxy: GrpcClientFactory;
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    // D2 freezes the proxy+broker JVM (SIGSTOP/SIGCONT) and D1 terminates it (SIGTERM): a JVM of its own.
    skip = await ownBrokerSkipReason({ jvm: true });
    if (skip) return;
    broker = await startOwnBroker({}, { jvm: true });
    proxy = await FaultProxy.start({ target: broker.endpoint });
    const brokerAddress = broker.endpoint;
    viaProxy = (target, credentials, options) =>
      new grpc.Client(target.replace(brokerAddress, proxy.endpoint), credentials, options);
  });

  after(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    await proxy?.close();
    await broker?.stop();
  });

  const producer = (topics: string[]) => {
    const p = new Producer({
      endpoints: broker!.endpoint,
      topics,
      requestTimeoutMs: 1_500,
      core: {
        heartbeatIntervalMs: 1_000,
        transportRecovery: { cooldownMs: 5_000 },
        createGrpcClient: viaProxy,
      },
    });
    closers.push(() => p.shutdown({ timeoutMs: 1_000 }));
    return p;
  };
  const consumer = (group: string, topic: string) => {
    const c = new SimpleConsumer({
      endpoints: broker!.endpoint,
      createGrpcClient: viaProxy,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: AWAIT_MS,
      requestTimeoutMs: 1_500,
      heartbeatIntervalMs: 1_000,
      retryBackoff: exponentialBackoff({ initialMs: 100, maxMs: 1_000, multiplier: 2, jitter: 0.2 }),
    });
    closers.push(() => c.shutdown({ timeoutMs: 1_000 }));
    return c;
  };
  async function topicAndGroup(prefix: string): Promise<{ topic: string; group: string }> {
    const topic = name(prefix);
    const group = name(`${prefix}_g`);
    await broker!.createTopic(topic, 'NORMAL');
    await broker!.createConsumerGroup(group);
    return { topic, group };
  }

  test('C2 half-open connection: sends time out, a new connection is opened, sends recover within 25 s', async (t) => {
    if (!broker) return t.skip(skip);
    const { topic, group } = await topicAndGroup('c2');
    const p = producer([topic]);
    await p.start();
    const ledger = new AtLeastOnceLedger('real-c2');
    const bytesBefore = proxy.stats().bytesUp;
    assert.ok((await sendKeyed(p, ledger, topic)).receipt);
    assert.ok(proxy.stats().bytesUp > bytesBefore, 'sends go through the fault proxy');
    proxy.resetStats();
    proxy.blackholeExisting();
    const started = performance.now();
    let failures = 0;
    let recoveredMs = Number.NaN;
    while (performance.now() - started < 30_000) {
      const { receipt } = await sendKeyed(p, ledger, topic, { timeoutMs: 2_000 });
      if (receipt) {
        recoveredMs = performance.now() - started;
        break;
      }
      failures++;
    }
    t.diagnostic(
      `recovered after ${recoveredMs.toFixed(0)} ms; ${failures} failed sends; ${proxy.stats().accepted} new connections`,
    );
    assert.ok(recoveredMs <= 25_000, `recovered after ${recoveredMs.toFixed(0)} ms (bound 25 s)`);
    assert.ok(failures >= 1);
    assert.ok(proxy.stats().accepted <= 3, 'no reconnect storm');
    const c = consumer(group, topic);
    await c.start();
    await drain(c, ledger, { timeoutMs: 30_000, invisibleDurationMs: INVISIBLE_MS });
    // The consumer starts after the fault and acks once: no stored copy is delivered twice. (A send
    // retried after a late answer stores another copy: reported, deduplicable by its message id.)
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 0 });
  });

  test('C5 RST storm for 3 s under send + consume: every send settles typed, nothing lost', async (t) => {
    if (!broker) return t.skip(skip);
    const { topic, group } = await topicAndGroup('c5');
    const p = producer([topic]);
    const c = consumer(group, topic);
    await Promise.all([p.start(), c.start()]);
    const ledger = new AtLeastOnceLedger('real-c5');
    const stop = new AbortController();
    const loop = consumeLoop(c, ledger, { signal: stop.signal, invisibleDurationMs: INVISIBLE_MS });
    t.after(() => stop.abort());
    const storm = setInterval(() => proxy.resetAll(), 300);
    const untyped: unknown[] = [];
    const started = performance.now();
    try {
      while (performance.now() - started < 3_000) {
        const key = ledger.nextKey();
        await ledger.send(key, () =>
          p.send({ topic, body: key, keys: [key] }, { timeoutMs: 3_000 }).catch((e: unknown) => {
            if (!(e instanceof RocketMQError)) untyped.push(e);
            throw e;
          }),
        );
      }
    } finally {
      clearInterval(storm);
    }
    const resets = proxy.stats().resets;
    await waitUntil(() => ledger.drained, 40_000, 'every sent message acked after the storm');
    stop.abort();
    await loop;
    await drain(c, ledger, { timeoutMs: 30_000, invisibleDurationMs: INVISIBLE_MS });
    // Sends and acks are one at a time: a reset loses at most the answer of the send in flight (its
    // retry stores another copy) and of the ack in flight (the message comes again).
    const r = ledger.assertHolds({ log: (l) => t.diagnostic(l), maxDuplicates: 2 * resets });
    assert.deepEqual(untyped, []);
    assert.ok(r.sent.ok >= 5);
  });

  test('D2 JVM frozen 8 s (SIGSTOP/SIGCONT): typed timeouts, no connection storm, back within 10 s, nothing lost', async (t) => {
    if (!broker) return t.skip(skip);
    const pid = (broker as { pids?: number[] }).pids?.[1];
    assert.ok(pid !== undefined, `the ${broker.source} broker exposes no proxy pid to freeze`);
    const { topic, group } = await topicAndGroup('d2');
    const p = producer([topic]);
    const c = consumer(group, topic);
    await Promise.all([p.start(), c.start()]);
    const ledger = new AtLeastOnceLedger('real-d2');
    const stop = new AbortController();
    // An application loop that keeps receiving whatever the broker answers. The `messages()` iterator is
    // not used here: a receive that sat in the frozen JVM is answered after SIGCONT with "the deadline
    // time remaining is not enough for polling", a non-retriable code, and the iterator ends with it
    // (reported for src/consumer; a loop over receive() rides it out).
    const receiveErrors = new Map<string, number>();
    const loop = receiveLoop(c, ledger, {
      signal: stop.signal,
      invisibleDurationMs: INVISIBLE_MS,
      tally: receiveErrors,
    });
    const codes = new Map<string, number>();
    let okSends = 0;
    let sending = true;
    t.after(() => {
      sending = false;
      stop.abort();
    });
    const sender = (async () => {
      while (sending) {
        const key = ledger.nextKey();
        await ledger.send(key, () =>
          p.send({ topic, body: key, keys: [key] }, { timeoutMs: 2_000 }).then(
            (r) => {
              okSends++;
              return r;
            },
            (e: unknown) => {
              const code = RocketMQError.from(e).code;
              codes.set(code, (codes.get(code) ?? 0) + 1);
              throw e;
            },
          ),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await waitUntil(() => ledger.ackedCount >= 5, 20_000, 'steady traffic before the freeze');
    proxy.resetStats();
    process.kill(pid, 'SIGSTOP');
    let frozenMs = 0;
    try {
      await new Promise((r) => setTimeout(r, 8_000));
    } finally {
      process.kill(pid, 'SIGCONT');
      frozenMs = 8_000;
    }
    const attempts = proxy.stats().accepted;
    const resumedAt = performance.now();
    const okAtResume = okSends;
    const ackedAtResume = ledger.ackedCount;
    await waitUntil(
      () => okSends > okAtResume + 2 && ledger.ackedCount > ackedAtResume + 2,
      20_000,
      'traffic after SIGCONT',
    );
    const rtoMs = performance.now() - resumedAt;
    sending = false;
    await sender;
    await waitUntil(() => ledger.drained, 60_000, 'everything sent to be acked');
    stop.abort();
    await loop;
    await drain(c, ledger, { timeoutMs: 30_000, invisibleDurationMs: INVISIBLE_MS });
    // One receive batch (16) popped around the freeze can have its acks time out, so those come again.
    // (The frozen JVM also stores, after SIGCONT, the attempts of sends that timed out: extra copies,
    // reported, deduplicable by message id.)
    ledger.assertHolds({ log: (l) => t.diagnostic(l), maxRedeliveries: 16 });
    t.diagnostic(
      `frozen ${frozenMs} ms: ${attempts} connection attempts, send errors ${JSON.stringify([...codes])}, ` +
        `receive errors ${JSON.stringify([...receiveErrors])}; back ${(rtoMs / 1000).toFixed(1)} s after SIGCONT`,
    );
    assert.ok(
      [...codes.keys()].every((k) => ['TIMEOUT', 'UNAVAILABLE', 'CANCELLED'].includes(k)),
      JSON.stringify([...codes]),
    );
    assert.ok((codes.get('TIMEOUT') ?? 0) >= 1, 'sends timed out while frozen');
    assert.ok(attempts <= 6, `${attempts} connection attempts in 8 s (no storm)`);
    assert.ok(rtoMs <= 10_000, `back after ${rtoMs.toFixed(0)} ms`);
  });

  /**
   * The broker goes down during steady sends and receives (`kill`: SIGKILL; `terminate`: SIGTERM and
   * its graceful shutdown) and is restarted on the same store.
   */
  async function downAndRestart(t: TestContext, how: 'kill' | 'terminate'): Promise<void> {
    const b = broker!;
    const { topic, group } = await topicAndGroup(how === 'kill' ? 'd1' : 'd1t');
    const p = producer([topic]);
    const c = consumer(group, topic);
    const bystander = producer([topic]); // shut down while the broker is down
    await Promise.all([p.start(), c.start(), bystander.start()]);
    const ledger = new AtLeastOnceLedger(`real-d1-${how}`);
    const stop = new AbortController();
    const receiveErrors = new Map<string, number>();
    const loop = receiveLoop(c, ledger, {
      signal: stop.signal,
      invisibleDurationMs: INVISIBLE_MS,
      tally: receiveErrors,
    });
    let okAfter = 0;
    let sending = true;
    t.after(() => {
      sending = false;
      stop.abort();
    });
    const sendErrors = new Map<string, number>();
    const sender = (async () => {
      while (sending) {
        const key = ledger.nextKey();
        const receipt = await ledger.send(key, () =>
          p.send({ topic, body: `body of ${key}`, keys: [key] }, { timeoutMs: 3_000 }).catch((e: unknown) => {
            const code = tallyCode(e);
            sendErrors.set(code, (sendErrors.get(code) ?? 0) + 1);
            throw e;
          }),
        );
        if (receipt) okAfter++;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitUntil(() => ledger.ackedCount >= 10, 20_000, 'steady traffic before the kill');

    proxy.resetStats();
    const killedAt = performance.now();
    if (how === 'kill') await b.kill();
    else await (b as unknown as { terminate(): Promise<void> }).terminate();
    await waitUntil(() => ledger.report().sent.unknown >= 1, 10_000, 'sends to fail while down');
    const shutdownStarted = performance.now();
    await bystander.shutdown({ timeoutMs: 1_000 });
    const shutdownMs = performance.now() - shutdownStarted;
    await b.restart();
    const readyAt = performance.now();
    const downMs = readyAt - killedAt;
    const attempts = proxy.stats().accepted;
    const ackedAtReady = ledger.ackedCount;
    okAfter = 0;
    await waitUntil(
      () => okAfter >= 3 && ledger.ackedCount >= ackedAtReady + 3,
      30_000,
      'sends and receives to resume',
    );
    const rtoMs = performance.now() - readyAt;
    sending = false;
    await sender;
    // Messages held unacked at the kill come back after their invisible duration.
    await waitUntil(() => ledger.drained, 60_000, 'everything sent to be acked');
    stop.abort();
    await loop;
    await drain(c, ledger, { timeoutMs: 30_000, invisibleDurationMs: INVISIBLE_MS });
    // The broker writes pop acks asynchronously; acks acknowledged just before a SIGKILL can be lost
    // with the JVM, and those messages are delivered again after the restart (consumer offsets are
    // persisted every flushConsumerOffsetInterval = 5 s). A graceful SIGTERM gets no such excuse.
    const excuse =
      how === 'kill'
        ? {
            reason: 'ack acknowledged ≤ 5 s before the broker was SIGKILLed, redelivered after the restart',
            applies: (v: { ackedAt: number }) =>
              v.ackedAt <= performance.timeOrigin + killedAt &&
              v.ackedAt >= performance.timeOrigin + killedAt - 5_000,
          }
        : undefined;
    const failedSends = [...sendErrors.values()].reduce((a, b) => a + b, 0);
    // Redeliveries the fault can cause: the excused ones (acks lost with a SIGKILLed JVM) and one receive
    // batch (16) held at the fault whose acks fail. (Sends whose answer the fault swallowed may have
    // stored extra copies: reported, deduplicable by message id.)
    const maxRedeliveries = (excuse ? ledger.report(excuse).excused.length : 0) + 16;
    const r = ledger.assertHolds({
      log: (l) => t.diagnostic(l),
      maxRedeliveries,
      ...(excuse ? { excuse } : {}),
    });
    t.diagnostic(
      `down ${(downMs / 1000).toFixed(1)} s with ${attempts} connection attempts from 3 clients (${(attempts / (downMs / 1000)).toFixed(2)}/s); ` +
        `RTO ${(rtoMs / 1000).toFixed(1)} s after ready; shutdown while down ${shutdownMs.toFixed(0)} ms; ` +
        `sent ${r.sent.total} (unknown ${r.sent.unknown}, recovered ${r.recovered.length}); ` +
        `send errors ${JSON.stringify([...sendErrors])}; receive errors ${JSON.stringify([...receiveErrors])}`,
    );
    // Typed failures: every error is a RocketMQError (no `untyped: …` key), sends fail while the broker
    // is down with a transport code or a deadline, receives with those or a broker status the restarting
    // broker answered with — never INTERNAL (a client bug) or an unknown broker code.
    const DOWN = ['UNAVAILABLE', 'TIMEOUT', 'CANCELLED'];
    assert.ok(failedSends >= 1, 'sends failed while the broker was down');
    for (const code of sendErrors.keys()) assert.ok(DOWN.includes(code), `send error ${code}`);
    for (const code of receiveErrors.keys()) {
      assert.ok(!code.startsWith('untyped'), `receive error ${code}`);
      assert.ok(!['INTERNAL', 'UNKNOWN_BROKER_CODE'].includes(code), `receive error ${code}`);
    }
    assert.ok(rtoMs <= 30_000, `RTO ${rtoMs.toFixed(0)} ms`);
    // Three clients (the bystander only for the first seconds). The fault proxy accepts TCP and then
    // closes it (no backend), which grpc-js retries about once a second per channel rather than with its
    // exponential connect backoff; bounded, but not the backoff a refused port gets.
    const perClient = attempts / (downMs / 1000) / 3;
    assert.ok(
      perClient < 2,
      `${attempts} connection attempts in ${downMs.toFixed(0)} ms (${perClient.toFixed(2)}/s per client)`,
    );
    assert.ok(shutdownMs < 2_500, `shutdown while down took ${shutdownMs.toFixed(0)} ms (timeout 1 s)`);
    assert.equal(bystander.state, 'stopped');
  }

  test('D1 SIGKILL during sends and receives, restart: typed failures, no connection storm, recovery ≤ 30 s after ready, nothing lost', async (t) => {
    if (!broker) return t.skip(skip);
    await downAndRestart(t, 'kill');
  });

  test('D1 kill -TERM during sends and receives, restart: the same bounds, and no acked message comes back', async (t) => {
    if (!broker) return t.skip(skip);
    assert.equal(
      typeof (broker as { terminate?: unknown }).terminate,
      'function',
      `the ${broker.source} broker cannot be terminated gracefully`,
    );
    await downAndRestart(t, 'terminate');
  });

  test('D3 received but unacked across a SIGKILL + restart: ackAll answers each old receipt typed; a message comes back at most once (also after an accepted old-receipt ack) and its new ack settles it for good; nothing lost', async (t) => {
    if (!broker) return t.skip(skip);
    const { topic, group } = await topicAndGroup('d3');
    const p = producer([topic]);
    const c = consumer(group, topic);
    await Promise.all([p.start(), c.start()]);
    const ledger = new AtLeastOnceLedger('real-d3');
    const count = 20;
    for (let i = 0; i < count; i++) assert.ok((await sendKeyed(p, ledger, topic)).receipt, 'sent');
    // Held long enough to still be invisible when the restarted broker answers the acks.
    const invisibleMs = 30_000;
    const held: MessageView[] = [];
    const receiveUntil = performance.now() + 30_000;
    while (held.length < count && performance.now() < receiveUntil) {
      for (const v of await c.receive(32, invisibleMs)) {
        const key = ledgerKeyOf(v);
        if (key === undefined) continue;
        ledger.handled(key, { messageId: v.messageId, copy: copyOf(v), attempt: v.deliveryAttempt });
        held.push(v);
      }
    }
    assert.equal(held.length, count, 'every message received before the kill');

    await broker.kill();
    await broker.restart();
    // Ack the old receipts. Until the client is reconnected an ack fails retriably; those are tried again.
    let pending = held;
    const outcomes = new Map<string, number>();
    const ackUntil = performance.now() + 30_000;
    while (pending.length > 0 && performance.now() < ackUntil) {
      const results = await c.ackAll(pending, { timeoutMs: 3_000 });
      pending = [];
      for (const { message, error } of results) {
        const key = ledgerKeyOf(message)!;
        if (error === undefined) {
          ledger.acked(key, 'ok', { copy: copyOf(message) });
          outcomes.set('ok', (outcomes.get('ok') ?? 0) + 1);
          continue;
        }
        assert.ok(error instanceof RocketMQError, `typed: ${String(error)}`);
        if (error.retriable) {
          pending.push(message);
        } else {
          ledger.acked(key, 'failed', { copy: copyOf(message), err: error });
          outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1);
        }
      }
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(pending, [], 'every ack answered for good within 30 s of the restart');
    const oldAcksEnd = performance.timeOrigin + performance.now();
    t.diagnostic(`acks after the restart: ${JSON.stringify([...outcomes])}`);
    // Refused acks: those messages come back after their invisible duration. An ack of a receipt taken
    // before an unclean restart may be answered OK and still not applied: RocketMQ 5.4.0 answered all 20
    // OK and revived all 20 about 0.5 s later (the pop checkpoint recovered from the store outlives the
    // ack). Either way each message comes back at most once, and the ack of that delivery settles it:
    // the drain's quiet window past the invisible duration sees nothing more.
    await drain(c, ledger, { timeoutMs: 90_000, invisibleDurationMs: invisibleMs });
    const heldKeys = new Set(held.map((v) => ledgerKeyOf(v)!));
    const r = ledger.assertHolds({
      log: (l) => t.diagnostic(l),
      maxRedeliveries: count,
      excuse: {
        reason: 'acked with a receipt from before the SIGKILL: the restarted broker may revive the message',
        applies: (v) => heldKeys.has(v.key) && v.ackedAt <= oldAcksEnd,
      },
    });
    t.diagnostic(`came back after an accepted old-receipt ack: ${r.excused.length} of ${outcomes.get('ok') ?? 0}`);
  });

  /** One delivery: when it arrived (epoch ms) and how its ack ended (`ok` or the error code). */
  interface Arrival {
    readonly at: number;
    readonly attempt: number;
    readonly ack: string;
  }

  /** Receives from `c` until `want` bodies arrived or `untilMs` passed; returns each body's deliveries. */
  async function arrivals(c: SimpleConsumer, want: number, untilMs: number): Promise<Map<string, Arrival[]>> {
    const got = new Map<string, Arrival[]>();
    const end = performance.now() + untilMs;
    while (got.size < want && performance.now() < end) {
      let views: MessageView[];
      try {
        views = await c.receive(32, INVISIBLE_MS);
      } catch (err) {
        assert.ok(err instanceof RocketMQError, `typed: ${String(err)}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      const at = Date.now();
      for (const v of views) {
        const body = Buffer.from(v.body).toString();
        const ack = await c.ack(v).then(
          () => 'ok',
          (e: unknown) => RocketMQError.from(e).code,
        );
        got.set(body, [...(got.get(body) ?? []), { at, attempt: v.deliveryAttempt, ack }]);
      }
    }
    return got;
  }

  test('G7 delay messages pending across a SIGKILL + restart: each delivered after the restart, not early, ≤ 30 s after max(its time, ready)', async (t) => {
    if (!broker) return t.skip(skip);
    const topic = name('g7');
    const group = name('g7_g');
    await broker.createTopic(topic, 'DELAY');
    await broker.createConsumerGroup(group);
    const p = producer([topic]);
    const c = consumer(group, topic);
    await Promise.all([p.start(), c.start()]);
    // Due after the restart is likely done (a restart takes 15–60 s on this machine), so the delivery
    // is checked against the timer, not only "eventually".
    const dueAt = Date.now() + 60_000;
    const count = 5;
    for (let i = 0; i < count; i++) {
      await p.send({ topic, body: `delayed-${i}`, deliveryTimestamp: dueAt + i * 1_000 });
    }
    // Nothing is delivered before its time.
    assert.deepEqual(await c.receive(32, INVISIBLE_MS), []);
    await broker.kill();
    await broker.restart();
    const readyAt = Date.now();
    const got = await arrivals(c, count, Math.max(0, dueAt + count * 1_000 - readyAt) + 60_000);
    // Later copies (the timer's replay after the kill, or a failed ack) would show within this window.
    for (const [body, more] of await arrivals(c, count + 1, INVISIBLE_MS + 5_000))
      got.set(body, [...(got.get(body) ?? []), ...more]);
    const report: string[] = [];
    for (let i = 0; i < count; i++) {
      const due = dueAt + i * 1_000;
      const times = got.get(`delayed-${i}`);
      assert.ok(times, `delayed-${i} (due ${new Date(due).toISOString()}) was delivered after the restart`);
      report.push(
        `delayed-${i}: ${times.map((d) => `${d.at - due} ms (attempt ${d.attempt}, ack ${d.ack})`).join(' + ')}`,
      );
      const at = times[0]!.at;
      assert.ok(at >= due - 1_500, `delayed-${i} delivered ${due - at} ms early`);
      assert.ok(
        at <= Math.max(due, readyAt) + 30_000,
        `delayed-${i} delivered ${at - Math.max(due, readyAt)} ms after max(its time, ready)`,
      );
    }
    t.diagnostic(`restart ready ${readyAt - dueAt} ms relative to the first due time; ${report.join('; ')}`);
  });

  test('G7 a delivery time 20 s in the past is delivered at once', async (t) => {
    if (!broker) return t.skip(skip);
    const topic = name('g7p');
    const group = name('g7p_g');
    await broker.createTopic(topic, 'DELAY');
    await broker.createConsumerGroup(group);
    const p = producer([topic]);
    const c = consumer(group, topic);
    await Promise.all([p.start(), c.start()]);
    const sentAt = Date.now();
    await p.send({ topic, body: 'past', deliveryTimestamp: sentAt - 20_000 });
    const got = await arrivals(c, 1, 15_000);
    const at = got.get('past')?.[0]?.at;
    assert.ok(at !== undefined, 'the past-dated message was delivered');
    t.diagnostic(`delivered ${at - sentAt} ms after the send`);
    // At once: within one receive round trip plus the timer's one-second tick.
    assert.ok(at - sentAt <= 5_000, `delivered ${at - sentAt} ms after the send`);
  });
});
