/**
 * SIGKILL of one broker master of a REAL cluster (two masters behind a cluster-mode proxy) while a
 * producer sends at ~50 msg/s with `maxAttempts` at its default and a SimpleConsumer receives and acks,
 * every message through the at-least-once ledger (`test/helpers/at-least-once.ts`): no send fails to the
 * caller, sends continue on the other broker, and after the killed broker is restarted on its store its
 * messages are consumed: 0 lost, duplicates counted and bounded, 0 handled after a successful ack except
 * acks answered ≤ 10 s before the SIGKILL for copies of the killed broker (it persists pop consumer
 * offsets every 5 s; those messages are popped again, as attempt 1, after its restart).
 *
 * FIFO: four message groups sent one message at a time during the kill. A send whose group hashes to the
 * dead broker fails fast and typed until the proxy's routes drop that broker; the group then moves to the
 * other broker's queue (the proxy hashes a group over the writable queues it knows). After the restart
 * every message sent OK is consumed, and each group in the order of its sends within every queue it was
 * stored in (order across the move is not the broker's promise).
 *
 * In cluster mode the proxy picks the broker of a non-FIFO send itself (it ignores the client's queue),
 * so a retry lands on the dead broker again unless the proxy avoids it: the harness starts every cluster
 * proxy with `sendLatencyEnable=true` (its broker fault avoidance), the setting the README asks cluster
 * users to enable. The client also avoids a failing broker by name (`src/producer/broker-avoidance.ts`)
 * for proxies that honour its queue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../../src/model/message-view.js';
import { Producer } from '../../../src/producer/producer.js';
import type { JvmCluster } from '../../../testcontainers/index.js';
import { type AfterAck, AtLeastOnceLedger, copyOf, ledgerKeyOf } from '../../helpers/at-least-once.js';
import { uniqueName } from '../../helpers/broker.js';
import { clusterOrReason } from '../../helpers/cluster.js';
import { drain, type ErrorTally, receiveLoop, sendKeyed, tallyCode } from '../../helpers/ledger-flows.js';

/** Invisible duration of the consumer: short, so the drain's quiet window is short. */
const INVISIBLE_MS = 10_000;
/**
 * Redeliveries allowed beyond the excused ones: messages the killed broker had handed out and whose acks
 * could not reach it come back after its restart (the batch being acked and the receive in flight, 16
 * each).
 */
const MAX_REDELIVERIES = 32;
/**
 * The broker persists pop consumer offsets asynchronously, every `flushConsumerOffsetInterval` = 5 s: a
 * message acked OK up to one interval before a SIGKILL, plus the flush's own delay on a loaded machine
 * (measured 5.06 s at load 20), is popped again from the persisted offset after the restart (attempt 1).
 * Two intervals.
 */
const ACK_PERSIST_MS = 10_000;

/** FIFO message groups sent during the kill. */
const FIFO_GROUPS = 4;
/** A FIFO send to the dead broker fails within this (measured: ≤ 0.3 s). */
const FIFO_FAIL_FAST_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a broker master killed during sends and consumption (proxy sendLatencyEnable=true)', () => {
  let cluster: JvmCluster | undefined;
  let skipReason = '';
  const closers: Array<() => Promise<unknown>> = [];

  before(async () => {
    const c = await clusterOrReason({ brokers: 2, proxies: 1 });
    if (typeof c === 'string') skipReason = c;
    else cluster = c;
  });

  after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await cluster?.stop();
  });

  test('no send fails to the caller; sends continue on the other broker; after the restart nothing is lost and nothing acked comes back', async (t) => {
    if (!cluster) return t.skip(skipReason);
    const topic = uniqueName('bk');
    const group = uniqueName('bk-g');
    await cluster.createTopic(topic, 'NORMAL', { queues: 4 });
    await cluster.createConsumerGroup(group);
    const fifoTopic = uniqueName('bkf');
    const fifoGroup = uniqueName('bkf-g');
    await cluster.createTopic(fifoTopic, 'FIFO', { queues: 4 });
    await cluster.createConsumerGroup(fifoGroup, { fifo: true });
    const brokerOf = (view: MessageView): string => {
      const i = cluster!.masters.findIndex((m) => `127.0.0.1:${m.ports[1]}` === view.storeHost);
      return cluster!.brokerNames[i] ?? `not a master: ${view.storeHost}`;
    };
    const p = new Producer({ endpoints: cluster.endpoint, topics: [topic, fifoTopic] });
    closers.push(() => p.shutdown({ timeoutMs: 2000 }));
    await p.start({ timeoutMs: 30_000 });
    const c = new SimpleConsumer({
      endpoints: cluster.endpoint,
      consumerGroup: group,
      subscriptions: { [topic]: '*' },
      awaitDurationMs: 2000,
    });
    closers.push(() => c.shutdown({ timeoutMs: 2000 }));
    await c.start({ timeoutMs: 30_000 });

    const ledger = new AtLeastOnceLedger(topic);
    const sentAt = new Map<string, number>(); // key → send start, for the keys acknowledged
    const failures: string[] = [];
    const stores = new Map<string, string>(); // `key|copy` → the broker that stored it
    const storeOfKey = new Map<string, string>(); // key → the broker of its first delivery
    let stop = false;
    const sending = (async () => {
      while (!stop) {
        const at = Date.now();
        const { key, receipt } = await sendKeyed(p, ledger, topic);
        if (receipt) sentAt.set(key, at);
        else failures.push(key);
        await sleep(20);
      }
    })();
    // FIFO: message groups sent one message at a time each, in rounds; a failed send is recorded with
    // its code and how long it took, and the group goes on (the ledger counts it as not sent).
    const fifoLedger = new AtLeastOnceLedger(fifoTopic);
    const roundOf = new Map<string, { group: string; round: number }>();
    const fifoFailures: Array<{ code: string; ms: number }> = [];
    const fifoSending = (async () => {
      for (let round = 0; !stop; round++) {
        for (let g = 0; g < FIFO_GROUPS && !stop; g++) {
          const key = fifoLedger.nextKey();
          const messageGroup = `order-${g}`;
          roundOf.set(key, { group: messageGroup, round });
          const at = Date.now();
          await fifoLedger.send(key, () =>
            p
              .send({ topic: fifoTopic, body: `${messageGroup}/${round}`, keys: [key], messageGroup })
              .catch((e: unknown) => {
                fifoFailures.push({ code: tallyCode(e), ms: Date.now() - at });
                throw e;
              }),
          );
        }
        await sleep(100);
      }
    })();
    // The application's loop: keeps receiving whatever the proxy answers while a broker is down
    // (errors tallied by code), and records which broker stored each delivered copy.
    const recording = {
      receive: (n: number, inv: number, o?: { signal?: AbortSignal }) =>
        c.receive(n, inv, o).then((views) => {
          for (const v of views) {
            const key = ledgerKeyOf(v) ?? '';
            stores.set(`${key}|${copyOf(v) ?? ''}`, brokerOf(v));
            if (!storeOfKey.has(key)) storeOfKey.set(key, brokerOf(v));
          }
          return views;
        }),
      ack: (v: MessageView) => c.ack(v),
    } as unknown as SimpleConsumer;
    const consuming = new AbortController();
    const tally: ErrorTally = new Map();
    const consumed = receiveLoop(recording, ledger, {
      signal: consuming.signal,
      invisibleDurationMs: INVISIBLE_MS,
      tally,
    });
    t.after(() => {
      stop = true; // also when an assertion failed: no loop outlives its test
      consuming.abort();
    });
    const sentBy = async (n: number) => {
      const until = Date.now() + 180_000;
      while (sentAt.size < n) {
        if (Date.now() > until)
          throw new Error(`only ${sentAt.size} of ${n} sends acknowledged in 180 s (a loaded machine)`);
        await sleep(20);
      }
    };
    await sentBy(100);
    const killedAt = Date.now();
    await cluster.masters[0]!.kill();
    const deadAt = Date.now(); // the JVM has exited: no ack can reach it any more
    const ackedBeforeKill = ledger.ackedCount;
    await sentBy(sentAt.size + 400);
    stop = true;
    await sending;
    await fifoSending;
    const afterKill = [...sentAt.values()].filter((at) => at > killedAt).length;
    const consumedDuringKill = ledger.ackedCount - ackedBeforeKill;

    const restartAt = Date.now();
    await cluster.masters[0]!.restart();
    const restartedAt = Date.now();
    consuming.abort();
    await consumed;
    // The FIFO topic is consumed after the restart: per message group, in the order of its sends
    // within each queue it was stored in (the proxy hashes a group over the writable queues it knows, so
    // a group of the dead broker moves to the other broker's queues while it is down).
    const fc = new SimpleConsumer({
      endpoints: cluster.endpoint,
      consumerGroup: fifoGroup,
      subscriptions: { [fifoTopic]: '*' },
      awaitDurationMs: 2000,
    });
    closers.push(() => fc.shutdown({ timeoutMs: 2000 }));
    await fc.start({ timeoutMs: 30_000 });
    const fifoOrder: Array<{ key: string; queue: string; attempt: number }> = [];
    const fifoRecording = {
      receive: (n: number, inv: number) =>
        fc.receive(n, inv).then((views) => {
          for (const v of views)
            fifoOrder.push({
              key: ledgerKeyOf(v) ?? '',
              queue: `${brokerOf(v)}/${v.queueId}`,
              attempt: v.deliveryAttempt,
            });
          return views;
        }),
      ack: (v: MessageView) => fc.ack(v),
    } as unknown as SimpleConsumer;
    const fifoDrained = drain(fifoRecording, fifoLedger, {
      timeoutMs: 90_000,
      invisibleDurationMs: INVISIBLE_MS,
    });
    const drainTally = await drain(recording, ledger, {
      timeoutMs: 90_000,
      invisibleDurationMs: INVISIBLE_MS,
    });
    t.diagnostic(
      `sent ${ledger.sentCount} (${afterKill} begun after the kill), failed sends: ${failures.length}; ` +
        `acked ${ackedBeforeKill} before the kill and ${consumedDuringKill} while broker-a was down; ` +
        `broker-a restarted on its store in ${restartedAt - restartAt} ms; ` +
        `receive errors while it was down: ${JSON.stringify([...tally])}, in the drain: ${JSON.stringify([...drainTally])}`,
    );
    assert.deepEqual(failures, [], 'no send failed to the caller (maxAttempts at its default)');

    // An OK ack of a copy held by broker-a, answered at most ACK_PERSIST_MS before its JVM was gone,
    // may be lost with it: that copy may come back after the restart. Nothing else is excused.
    const excuse = {
      reason: `an OK ack of a broker-a copy answered ≤ ${ACK_PERSIST_MS} ms before its SIGKILL, delivered again after its restart`,
      applies: (v: AfterAck) =>
        stores.get(`${v.key}|${v.copy ?? ''}`) === 'broker-a' &&
        v.ackedAt <= deadAt &&
        v.ackedAt >= deadAt - ACK_PERSIST_MS &&
        v.handledAt > restartAt,
    };
    const afterAck = ledger.report(excuse);
    for (const [what, list] of [
      ['excused', afterAck.excused],
      ['not excused', afterAck.handledAfterAck],
    ] as const) {
      if (list.length === 0) continue;
      const ages = list.map((v) => deadAt - v.ackedAt);
      t.diagnostic(
        `handled after an OK ack, ${what}: ${list.length}, acked ${Math.min(...ages).toFixed(0)}–${Math.max(...ages).toFixed(0)} ms ` +
          `before broker-a was gone, delivered again ${((Math.min(...list.map((v) => v.handledAt)) - restartedAt) / 1000).toFixed(1)} s after its restart; ` +
          `attempts ${[...new Set(list.map((v) => v.attempt))].join(',')}; brokers ${[...new Set(list.map((v) => stores.get(`${v.key}|${v.copy ?? ''}`)))].join(',')}`,
      );
    }
    const report = ledger.assertHolds({
      excuse,
      maxRedeliveries: afterAck.excused.length + MAX_REDELIVERIES,
      log: (l) => t.diagnostic(l),
    });
    assert.equal(report.sent.ok, ledger.sentCount, 'every send acknowledged');

    await fifoDrained;
    fifoLedger.assertHolds({ maxRedeliveries: 0, log: (l) => t.diagnostic(l) });
    const rounds = new Map<string, number[]>(); // `group@queue` → rounds in first-delivery order
    const queuesOf = new Map<string, Set<string>>();
    const seen = new Set<string>();
    for (const d of fifoOrder) {
      if (seen.has(d.key)) continue;
      seen.add(d.key);
      const { group: g, round } = roundOf.get(d.key)!;
      rounds.set(`${g}@${d.queue}`, [...(rounds.get(`${g}@${d.queue}`) ?? []), round]);
      queuesOf.set(g, (queuesOf.get(g) ?? new Set()).add(d.queue));
    }
    t.diagnostic(
      `FIFO: ${fifoLedger.sentCount} sends in ${FIFO_GROUPS} groups, ${fifoFailures.length} failed ` +
        `(${[...new Set(fifoFailures.map((f) => f.code))].join(', ') || 'none'}; slowest ${Math.max(0, ...fifoFailures.map((f) => f.ms))} ms); ` +
        `queues per group: ${[...queuesOf].map(([g, q]) => `${g}=${[...q].join('+')}`).join(' ')}`,
    );
    // A FIFO send whose group hashes to the dead broker fails fast and typed (the proxy's own
    // INTERNAL_SERVER_ERROR after its connection to broker-a failed), until the proxy's routes drop it.
    for (const f of fifoFailures) {
      assert.ok(f.ms < FIFO_FAIL_FAST_MS, `a failed FIFO send took ${f.ms} ms (${f.code})`);
      assert.ok(!f.code.startsWith('untyped'), `a typed RocketMQError: ${f.code}`);
    }
    for (const [gq, list] of rounds) {
      assert.deepEqual(
        list,
        [...list].sort((a, b) => a - b),
        `group@queue ${gq} consumed in the order it was sent`,
      );
    }
    const lateBrokers = new Set(
      [...sentAt.entries()].filter(([, at]) => at > killedAt + 5000).map(([k]) => storeOfKey.get(k)),
    );
    assert.deepEqual([...lateBrokers], ['broker-b'], 'while broker-a is down, sends go to broker-b');
    const fromA = [...sentAt.keys()].filter((k) => storeOfKey.get(k) === 'broker-a').length;
    assert.ok(fromA > 0, 'broker-a stored messages before the kill, consumed too');
  });
});
