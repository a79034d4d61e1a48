/**
 * Orphaned transactions whose checker does not decide at once (reliability-matrix rows D7), on the
 * in-process broker driven by fake time (its check schedule moves only when the test advances it):
 *
 * - the producer that sent the half message went away before deciding; another producer of the topic
 *   gets every check over its telemetry stream;
 * - a checker that throws, then answers UNKNOWN, leaves the transaction open: the broker checks again
 *   at its interval, and the third check's COMMIT delivers the message once;
 * - a checker that always answers UNKNOWN is asked exactly `transactionCheckMax` times, then the broker
 *   discards the message: nothing is delivered, and no further check comes.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { TransactionCheckResult } from '../../../src/producer/index.js';
import { InProcessBroker, ManualTime } from '../../../src/testing/index.js';
import { drive, settleIo } from '../../helpers/fake-time.js';
import { consumerFor, producerFor, uniqueName } from './setup.js';

const CHECK_MS = 1_000;
const CHECK_MAX = 4;

async function orphan(t: TestContext, checker: (n: number) => TransactionCheckResult) {
  const time = new ManualTime();
  const broker = await InProcessBroker.start({
    clock: time,
    longPollingMinMs: 0,
    minInvisibleDurationMs: 1_000,
    transactionCheckDelayMs: CHECK_MS,
    transactionCheckIntervalMs: CHECK_MS,
    transactionCheckMax: CHECK_MAX,
  });
  t.after(() => broker.shutdown());
  const topic = uniqueName('orphan');
  broker.createTopic(topic, { type: 'TRANSACTION' });
  const gone = producerFor(t, broker.endpoint, { topics: [topic] });
  await gone.start();
  await gone.beginTransaction().send({ topic, body: 'undecided' });
  await gone.shutdown(); // went away without commit or rollback
  assert.equal(broker.stats().halfMessages, 1);
  const checks: Array<{ at: number; body: string }> = [];
  const heir = producerFor(t, broker.endpoint, {
    topics: [topic],
    transactionChecker: (m) => {
      checks.push({ at: time.now(), body: m.body.toString() });
      return checker(checks.length);
    },
  });
  await heir.start();
  return { time, broker, topic, checks, started: time.now() };
}

describe('D7 orphaned transaction checks', () => {
  test('checker throws, then UNKNOWN: rechecked at the interval; the third check commits it, delivered once', async (t) => {
    const o = await orphan(t, (n) => {
      if (n === 1) throw new Error('checker crashed');
      return n === 2 ? 'UNKNOWN' : 'COMMIT';
    });
    await drive(o.time, () => o.broker.stats().halfMessages === 0, 'the transaction resolved', {
      stepMs: 50,
      maxVirtualMs: 10 * CHECK_MS,
    });
    assert.equal(o.checks.length, 3);
    assert.deepEqual(
      o.checks.map((c) => c.body),
      ['undecided', 'undecided', 'undecided'],
    );
    // The checks come one interval apart (the first after the check delay).
    const gaps = o.checks.slice(1).map((c, i) => c.at - o.checks[i]!.at);
    for (const gap of gaps) assert.ok(gap >= CHECK_MS && gap < CHECK_MS + 200, `gap ${gap} ms`);
    assert.equal(o.broker.stats().stored, 1, 'committed once');
    const consumer = consumerFor(t, o.broker.endpoint, uniqueName('orphan-g'), o.topic);
    await consumer.start();
    const [v] = await consumer.receive(1, 10_000);
    assert.equal(v?.body.toString(), 'undecided');
  });

  test('always UNKNOWN: exactly transactionCheckMax checks, then discarded; no check afterwards', async (t) => {
    const o = await orphan(t, () => 'UNKNOWN');
    await drive(o.time, () => o.checks.length === CHECK_MAX, `${CHECK_MAX} checks`, {
      stepMs: 50,
      maxVirtualMs: (CHECK_MAX + 2) * CHECK_MS,
    });
    await drive(o.time, () => o.broker.stats().halfMessages === 0, 'the half message discarded', {
      stepMs: 50,
      maxVirtualMs: 2 * CHECK_MS,
    });
    // Well past further intervals: no more checks, nothing stored.
    for (let i = 0; i < 5; i++) {
      o.time.advance(CHECK_MS);
      await settleIo();
    }
    assert.equal(o.checks.length, CHECK_MAX);
    assert.equal(o.broker.stats().stored, 0, 'nothing delivered');
  });
});
