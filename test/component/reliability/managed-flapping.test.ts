/**
 * The managed layer under a flapping switch (reliability-matrix rows E7) on the in-process broker, broker
 * and registry on one fake time source:
 *
 * - the on/off switch of a job is flapped 100 times in 10 s while messages keep arriving: at no sample
 *   is more than one receive stream of the job open at the broker (one queue: one receive loop per
 *   session), and sessions do not pile up (at no sample does the broker know more than one client of
 *   the job's group);
 * - a second job is misconfigured (its topic does not exist): its start fails and is retried with
 *   backoff, and it does not keep the good job from running;
 * - once switched off, no handler starts more than 1 s later (the long poll is aborted);
 * - switched back on, everything sent is handled; `waitStop()` after `shutdownAll()` drains and stops
 *   both jobs; nothing is left unacked at the broker (0 lost).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { customizedBackoff } from '../../../src/internal/backoff.js';
import { Registry } from '../../../src/managed/registry.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { message, uniqueName } from '../../helpers/in-process-client.js';
import { startBroker } from '../in-process-broker/fixture.js';

describe('E7 managed switch flapped under load', () => {
  test('100 flips in 10 s with a misconfigured neighbour: ≤ 1 receive stream and 1 live session, off stops deliveries within 1 s, nothing lost', async (t) => {
    const fx = await startBroker(t, { fakeTime: true });
    const time = fx.time!;
    const topic = uniqueName('e7');
    const group = uniqueName('e7-g');
    fx.broker.createTopic(topic, { queues: 1 });
    fx.broker.createConsumerGroup(group);
    const registry = new Registry({
      clock: time,
      timers: time,
      startBackoff: customizedBackoff([1_000]),
      startTimeoutMs: 5_000,
      consumerOptions: { clock: time, timers: time },
    });
    t.after(() => registry.shutdownAll({ force: true }));
    const handledAt = new Map<string, number[]>();
    const good = { jobName: uniqueName('e7-job'), topic, endpoint: fx.broker.endpoint, consumerGroup: group };
    registry.registerConsumer({ ...good, invisibleDurationMs: 10_000 }, (_ctx, m) => {
      const at = handledAt.get(m.messageId) ?? [];
      at.push(time.now());
      handledAt.set(m.messageId, at);
    });
    const broken = {
      jobName: uniqueName('e7-broken'),
      topic: uniqueName('e7-missing-topic'),
      endpoint: fx.broker.endpoint,
      consumerGroup: uniqueName('e7-broken-g'),
    };
    registry.registerConsumer(broken, () => undefined);
    registry.startAllConsumers();
    const registeredAt = time.now();
    const job = registry.consumer(good.jobName)!;
    const bad = registry.consumer(broken.jobName)!;
    await drive(
      time,
      () => job.state === 'running' && bad.state === 'backoff',
      'good running, broken in backoff',
    );

    const producer = fx.client();
    const sent: string[] = [];
    const send = async (body: string) => {
      const m = message({ topic, body });
      const res = await producer.send(m);
      assert.equal(res.status?.code, 20000, `send failed: ${res.status?.message}`);
      sent.push(m.systemProperties!.messageId);
    };

    let maxStreams = 0;
    let maxLive = 0;
    const sample = () => {
      maxStreams = Math.max(maxStreams, fx.broker.stats().receiveStreams);
      // Sessions of the good job the broker knows (clients with the group's settings, until they
      // terminate): more than one at a time would be sessions piling up.
      const live = fx.broker.clientIds.filter((id) => fx.broker.clientSettings(id)?.group === group).length;
      maxLive = Math.max(maxLive, live);
    };
    // 100 flips, one every 100 ms of fake time, a message sent at each.
    let on = true;
    for (let flip = 0; flip < 100; flip++) {
      on = !on;
      registry.setConsumerSwitch(good.jobName, on);
      await send(`flap-${flip}`);
      for (let step = 0; step < 5; step++) {
        time.advance(20);
        await settleIo(3);
        sample();
      }
    }
    assert.equal(on, true, 'the last flip switched it on');
    await drive(
      time,
      () => sent.every((id) => handledAt.has(id)),
      'everything sent during the flapping handled',
      {
        stepMs: 50,
        maxVirtualMs: 60_000,
      },
    );
    sample();
    assert.ok(maxStreams <= 1, `${maxStreams} receive streams open at once`);
    const sessions = job.health().sessionsStarted;
    assert.ok(sessions >= 2, `${sessions} sessions for 50 switch-ons`);
    assert.equal(maxLive, 1, `${maxLive} sessions of the job alive at once at the broker`);
    assert.ok(bad.health().startFailures >= 1, 'the misconfigured job keeps failing to start');
    assert.equal(bad.health().lastError?.code, 'TOPIC_NOT_FOUND');

    // Off: no receive is issued any more and the one in flight ends on its own (a push long poll lasts
    // at most 5 s; what it brings is handed back); nothing sent afterwards is handled, at once or later.
    registry.setConsumerSwitch(good.jobName, false);
    const offAt = time.now();
    await drive(time, () => job.state === 'off', 'off', { maxVirtualMs: 6_000 });
    const lateIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      await send(`while-off-${i}`);
      lateIds.push(sent[sent.length - 1]!);
    }
    for (let i = 0; i < 50; i++) {
      time.advance(100);
      await settleIo(3);
      sample();
    }
    const afterOff = [...handledAt.values()].flat().filter((at) => at > offAt + 1_000);
    assert.deepEqual(afterOff, [], 'no handler started more than 1 s after the switch went off');
    assert.ok(
      lateIds.every((id) => !handledAt.has(id)),
      'nothing handled while off',
    );
    assert.equal(fx.broker.stats().receiveStreams, 0);

    // On again: the rest is handled; then shutdownAll + waitStop drains and stops both jobs.
    registry.setConsumerSwitch(good.jobName, true);
    await drive(time, () => sent.every((id) => handledAt.has(id)), 'everything handled', {
      stepMs: 50,
      maxVirtualMs: 30_000,
    });
    let stopped = false;
    const waiting = registry.waitStop({ timeoutMs: 20_000 }).then(() => {
      stopped = true;
    });
    void registry.shutdownAll();
    await drive(time, () => stopped, 'waitStop to resolve', { stepMs: 50, maxVirtualMs: 30_000 });
    await waiting;
    assert.equal(job.state, 'closed');
    assert.equal(bad.state, 'closed');
    const stats = fx.broker.stats();
    assert.equal(stats.inflight, 0, 'nothing left invisible (handed back or acked)');
    // 0 lost: a fresh read of the group after the invisible duration finds nothing unacked.
    const reader = fx.client();
    await reader.consumerSession(group, [topic]);
    time.advance(31_000);
    const left = await reader.receive({ group, topic });
    assert.deepEqual(
      left.messages.map((m) => m.systemProperties?.messageId),
      [],
      'every message was acked',
    );
    const elapsedS = (time.now() - registeredAt) / 1_000;
    assert.ok(
      bad.health().startFailures <= elapsedS + 1,
      `${bad.health().startFailures} failed starts in ${elapsedS} s (backoff 1 s: no retry storm)`,
    );
    t.diagnostic(
      `${sent.length} sent, ${sessions} sessions (max ${maxLive} alive at once), ${stats.acked} acks, max ${maxStreams} receive stream(s), ` +
        `broken job: ${bad.health().startFailures} failed starts`,
    );
  });
});
