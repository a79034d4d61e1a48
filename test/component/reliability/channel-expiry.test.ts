/**
 * C8, a partition longer than the proxy's channel expiry: the in-process broker forgets clients it has
 * not heard from for `clientExpiryMs` (`forgetExpiredClients`, as the proxy drops the settings of a
 * client whose channel expired), and the fault proxy holds every byte while partitioned and delivers it
 * on heal, as TCP does. The clients must notice that their settings were lost, send them again at once,
 * and consume again within one heartbeat interval of the heal (plus the round trips and the receive
 * retry backoff, see `RESUME_MS`).
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { AtLeastOnceLedger } from '../../helpers/at-least-once.js';
import { consumeLoop, sendKeyed } from '../../helpers/ledger-flows.js';
import { consumerFor, faultyBroker, producerFor, uniqueName, until, watchUnhandled } from './setup.js';

const HEARTBEAT_MS = 1_000;
const EXPIRY_MS = 2_500;
const INVISIBLE_MS = 1_000;
/**
 * The heal-to-resume bound. The first heartbeat after the heal leaves at most one interval later; its
 * 40015 answer and the settings frame it triggers are two round trips, and the consume loop then waits
 * at most its receive retry backoff (200 ms + 20 % jitter in `consumerFor`) before receiving again.
 * The round trips get 300 ms together on this loaded 2-core machine.
 */
const SETTINGS_BACK_MS = HEARTBEAT_MS + 300;
const RESUME_MS = SETTINGS_BACK_MS + 240;

async function setup(t: TestContext, producerRecovery: boolean) {
  const unhandled = watchUnhandled(t);
  const { broker, proxy } = await faultyBroker(t, {
    forgetExpiredClients: true,
    clientExpiryMs: EXPIRY_MS,
    clientExpiryScanMs: 100,
  });
  const topic = uniqueName('c8');
  broker.createTopic(topic);
  // This producer talks to the broker directly and stays known; the consumer and a second producer go
  // through the proxy that will be partitioned.
  const direct = producerFor(t, broker.endpoint, { topics: [topic] });
  const partitioned = producerFor(t, proxy.endpoint, {
    topics: [topic],
    core: {
      heartbeatIntervalMs: HEARTBEAT_MS,
      heartbeatInitialDelayMs: HEARTBEAT_MS,
      ...(producerRecovery ? {} : { transportRecovery: false }),
    },
  });
  const consumer = consumerFor(t, proxy.endpoint, uniqueName('c8-g'), topic, {
    heartbeatIntervalMs: HEARTBEAT_MS,
    awaitDurationMs: 500,
  });
  await Promise.all([direct.start(), partitioned.start(), consumer.start()]);
  const resyncs: string[] = [];
  partitioned.core.on('settings.resync', (e) => resyncs.push(e.how));
  const recoveries: string[] = [];
  partitioned.core.on('transport.recovered', (e) => recoveries.push(e.reason));
  const ledger = new AtLeastOnceLedger('c8');
  const stop = new AbortController();
  t.after(() => stop.abort());
  const loop = consumeLoop(consumer, ledger, { signal: stop.signal, invisibleDurationMs: INVISIBLE_MS });
  for (let i = 0; i < 3; i++) assert.ok((await sendKeyed(direct, ledger, topic)).receipt);
  await until(() => ledger.ackedCount === 3, 5_000, 'the first three acks');
  const known = (): boolean =>
    broker.clientSettings(consumer.clientId) !== undefined &&
    broker.clientSettings(partitioned.core.clientId) !== undefined;
  const forgotten = (): boolean =>
    broker.clientSettings(consumer.clientId) === undefined &&
    broker.clientSettings(partitioned.core.clientId) === undefined;

  /** Partitions, waits for `longEnough`, sends during the partition, heals; returns the timings. */
  async function partitionAndHeal(longEnough: () => Promise<void>) {
    proxy.set({ kind: 'partition' });
    const partitionedAt = performance.now();
    await until(forgotten, 15_000, 'the broker to expire both partitioned clients');
    assert.ok(known() === false && broker.clientSettings(direct.core.clientId) !== undefined);
    assert.ok(broker.stats().expiredClients >= 2);
    await longEnough();
    for (let i = 0; i < 3; i++) assert.ok((await sendKeyed(direct, ledger, topic)).receipt);
    const partitionMs = performance.now() - partitionedAt;
    proxy.heal();
    const healedAt = performance.now();
    await until(known, 10_000, 'both clients to send their settings again');
    const resyncMs = performance.now() - healedAt;
    await until(() => ledger.drained, 10_000, 'the consumer to consume what was sent during the partition');
    const resumeMs = performance.now() - healedAt;
    assert.ok((await sendKeyed(partitioned, ledger, topic)).receipt, 'the partitioned producer sends again');
    t.diagnostic(
      `partition ${partitionMs.toFixed(0)} ms (expiry ${EXPIRY_MS} ms); settings back ${resyncMs.toFixed(0)} ms, consuming ${resumeMs.toFixed(0)} ms after heal; resyncs ${JSON.stringify(resyncs)}; recoveries ${recoveries.length}; ${proxy.stats().accepted} connections`,
    );
    await until(() => ledger.drained, 10_000, 'the last message');
    stop.abort();
    await loop;
    ledger.assertHolds({ log: (l) => t.diagnostic(l) });
    assert.deepEqual(unhandled, []);
    return { partitionMs, resyncMs, resumeMs };
  }
  return { partitionAndHeal, resyncs, recoveries };
}

describe('C8 partition longer than the channel expiry', () => {
  test('C8 the connection survives the partition: heartbeats answered 40015 make the clients re-send settings at once; consuming resumes within one heartbeat of the heal (plus round trips)', async (t) => {
    // Without its transport recovery the producer keeps its connection however long the partition lasts.
    const { partitionAndHeal, resyncs, recoveries } = await setup(t, false);
    const { resyncMs, resumeMs } = await partitionAndHeal(async () => {});
    assert.deepEqual(recoveries, [], 'the producer kept its connection');
    assert.ok(resyncs.includes('resent'), 'the lost settings were detected and re-sent on the live stream');
    assert.ok(resyncMs <= SETTINGS_BACK_MS, `settings back ${resyncMs.toFixed(0)} ms after heal`);
    assert.ok(resumeMs <= RESUME_MS, `consuming resumed ${resumeMs.toFixed(0)} ms after heal`);
  });

  test('C8 a partition long enough for a transport recovery: the renewed stream carries the settings; consuming resumes within one heartbeat of the heal (plus round trips)', async (t) => {
    const { partitionAndHeal, recoveries } = await setup(t, true);
    const { resyncMs, resumeMs } = await partitionAndHeal(() =>
      until(() => recoveries.length >= 1, 15_000, 'a transport recovery during the partition'),
    );
    assert.ok(resyncMs <= SETTINGS_BACK_MS, `settings back ${resyncMs.toFixed(0)} ms after heal`);
    assert.ok(resumeMs <= RESUME_MS, `consuming resumed ${resumeMs.toFixed(0)} ms after heal`);
  });
});
