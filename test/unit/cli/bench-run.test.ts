/**
 * The bench loop with a hand-driven clock and timers: counts, concurrency, progress snapshots and rates,
 * retriable vs non-retriable failures, --duration and Ctrl-C.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type BenchSnapshot, runBench } from '../../../src/cli/bench-run.js';
import { RocketMQError } from '../../../src/index.js';
import { fakeTimers } from '../../helpers/fake-cli-io.js';

/** A send that completes when the test releases it; the clock moves 2 ms per completed send. */
function controlledSends() {
  const waiting: Array<{ index: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  let now = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    now: () => now,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    waiting,
    send: (index: number, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        let finished = false;
        const done = () => {
          if (!finished) inFlight--;
          finished = true;
        };
        signal.addEventListener('abort', () => {
          done();
          reject(signal.reason);
        });
        waiting.push({
          index,
          resolve: () => {
            now += 2;
            done();
            resolve();
          },
          reject: (e) => {
            done();
            reject(e);
          },
        });
      }),
    /** Lets queued microtasks run so workers pick up their next send. */
    settle: () => new Promise<void>((r) => setImmediate(r)),
  };
}

describe('runBench', () => {
  test('makes exactly --count sends with at most --concurrency in flight, and measures them', async () => {
    let now = 0;
    const timers = fakeTimers();
    const result = await runBench({
      send: async () => {
        now += 4;
      },
      count: 50,
      concurrency: 5,
      now: () => now,
      timers,
      signal: new AbortController().signal,
    });
    assert.equal(result.succeeded, 50);
    assert.equal(result.failed, 0);
    assert.equal(result.stoppedBy, 'count');
    assert.equal(result.latency.count, 50);
    assert.equal(result.elapsedMs, 200);
    assert.equal(result.averageRate, 250);
    assert.equal(timers.pending, 0);
  });

  test('progress snapshots carry the current and average rates; timers are cleared at the end', async () => {
    const c = controlledSends();
    const timers = fakeTimers();
    const snapshots: BenchSnapshot[] = [];
    const run = runBench({
      send: c.send,
      count: 6,
      concurrency: 2,
      now: c.now,
      timers,
      signal: new AbortController().signal,
      progressIntervalMs: 1000,
      onProgress: (s) => snapshots.push(s),
    });
    await c.settle();
    assert.equal(c.inFlight, 2);
    assert.equal(c.maxInFlight, 2);
    for (let i = 0; i < 4; i++) {
      c.waiting.shift()!.resolve();
      await c.settle();
    }
    timers.tickIntervals();
    assert.equal(snapshots.length, 1);
    assert.deepEqual(snapshots[0], {
      elapsedMs: 8,
      succeeded: 4,
      failed: 0,
      currentRate: 500,
      averageRate: 500,
    });
    c.waiting.shift()!.resolve();
    c.waiting.shift()!.resolve();
    const result = await run;
    assert.equal(result.succeeded, 6);
    assert.equal(c.maxInFlight, 2);
    assert.equal(timers.pending, 0);
  });

  test('retriable failures are counted by code and the run goes on', async () => {
    let n = 0;
    const result = await runBench({
      send: async () => {
        n++;
        if (n % 3 === 0) throw new RocketMQError('busy', 'TOO_MANY_REQUESTS');
      },
      count: 9,
      concurrency: 1,
      now: () => 0,
      timers: fakeTimers(),
      signal: new AbortController().signal,
    });
    assert.equal(result.succeeded, 6);
    assert.equal(result.failed, 3);
    assert.deepEqual([...result.errors], [['TOO_MANY_REQUESTS', 3]]);
    assert.equal(result.stoppedBy, 'count');
    assert.equal(result.fatal, undefined);
  });

  test('a non-retriable failure stops the run at once and is returned', async () => {
    let calls = 0;
    const result = await runBench({
      send: async () => {
        calls++;
        if (calls === 3) throw new RocketMQError('topic missing', 'TOPIC_NOT_FOUND');
      },
      count: 1000,
      concurrency: 1,
      now: () => 0,
      timers: fakeTimers(),
      signal: new AbortController().signal,
    });
    assert.equal(calls, 3);
    assert.equal(result.stoppedBy, 'fatal');
    assert.equal(result.fatal?.code, 'TOPIC_NOT_FOUND');
  });

  test('--duration ends an unbounded run; sends in flight are cancelled, not counted as failures', async () => {
    const c = controlledSends();
    const timers = fakeTimers();
    const run = runBench({
      send: c.send,
      durationMs: 30_000,
      concurrency: 3,
      now: c.now,
      timers,
      signal: new AbortController().signal,
    });
    await c.settle();
    c.waiting.shift()!.resolve();
    await c.settle();
    timers.fireTimeouts();
    const result = await run;
    assert.equal(result.stoppedBy, 'duration');
    assert.equal(result.succeeded, 1);
    assert.equal(result.failed, 0);
    assert.equal(c.inFlight, 0);
    assert.equal(timers.pending, 0);
  });

  test('Ctrl-C (the signal) interrupts the run', async () => {
    const c = controlledSends();
    const interrupt = new AbortController();
    const run = runBench({
      send: c.send,
      count: 100,
      concurrency: 2,
      now: c.now,
      timers: fakeTimers(),
      signal: interrupt.signal,
    });
    await c.settle();
    interrupt.abort();
    const result = await run;
    assert.equal(result.stoppedBy, 'interrupted');
    assert.equal(result.succeeded, 0);
  });
});
