import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RocketMQError } from '../../../src/errors.js';
import { createDeadline, unboundedDeadline } from '../../../src/internal/abort.js';
import { customizedBackoff, exponentialBackoff } from '../../../src/internal/backoff.js';
import { ManualClock } from '../../../src/internal/clock.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import { type RetryRun, runWithRetry } from '../../../src/producer/send-retry.js';

const brokerError = (code: ConstructorParameters<typeof RocketMQError>[1]) => new RocketMQError(code, code);

/** A scripted attempt function: each entry is an error to throw or a value to return. */
function script(steps: Array<RocketMQError | string>) {
  const calls: Array<{ candidate: string; attempt: number; timeoutMs: number }> = [];
  const attempt = async (candidate: string, n: number, timeoutMs: number): Promise<string> => {
    calls.push({ candidate, attempt: n, timeoutMs });
    const step = steps[n - 1];
    if (step === undefined) throw new Error('unscripted attempt');
    if (step instanceof RocketMQError) throw step;
    return step;
  };
  return { calls, attempt };
}

function baseRun(
  over: Partial<RetryRun<string, string>> & Pick<RetryRun<string, string>, 'attempt'>,
): RetryRun<string, string> {
  return {
    candidates: ['a', 'b', 'c'],
    maxAttempts: 3,
    deadline: unboundedDeadline,
    perAttemptTimeoutMs: 3_000,
    backoff: customizedBackoff([100]),
    sleep: async () => {},
    ...over,
  };
}

describe('send retry policy', () => {
  test('retriable errors move to the next candidate at once', async () => {
    const s = script([brokerError('INTERNAL_SERVER_ERROR'), brokerError('PROXY_TIMEOUT'), 'ok']);
    const sleeps: number[] = [];
    const failures: string[] = [];
    const result = await runWithRetry(
      baseRun({
        attempt: s.attempt,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
        onFailure: (c, e) => failures.push(`${c}:${e.code}`),
      }),
    );
    assert.equal(result, 'ok');
    assert.deepEqual(
      s.calls.map((c) => c.candidate),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(sleeps, [], 'no wait for non-throttling errors');
    assert.deepEqual(failures, ['a:INTERNAL_SERVER_ERROR', 'b:PROXY_TIMEOUT']);
  });

  for (const code of [
    'BAD_REQUEST',
    'ILLEGAL_TOPIC',
    'UNAUTHORIZED',
    'FORBIDDEN',
    'TOPIC_NOT_FOUND',
    'MESSAGE_BODY_TOO_LARGE',
    'MESSAGE_PROPERTIES_TOO_LARGE',
    'UNSUPPORTED',
  ] as const) {
    test(`${code} is not retried`, async () => {
      const s = script([brokerError(code), 'ok']);
      await assert.rejects(runWithRetry(baseRun({ attempt: s.attempt })), { code });
      assert.equal(s.calls.length, 1);
    });
  }

  test('stops after maxAttempts with the last error; candidates wrap around', async () => {
    const s = script([
      brokerError('INTERNAL_ERROR'),
      brokerError('INTERNAL_ERROR'),
      brokerError('HA_NOT_AVAILABLE'),
      'ok',
    ]);
    await assert.rejects(runWithRetry(baseRun({ attempt: s.attempt, candidates: ['a', 'b'] })), {
      code: 'HA_NOT_AVAILABLE',
    });
    assert.deepEqual(
      s.calls.map((c) => c.candidate),
      ['a', 'b', 'a'],
    );
  });

  test('TOO_MANY_REQUESTS waits the backoff of the failed attempt (mock timers)', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const scheduler = new Scheduler({ timers: { setTimeout, clearTimeout } });
    const s = script([brokerError('TOO_MANY_REQUESTS'), brokerError('TOO_MANY_REQUESTS'), 'ok']);
    const policy = exponentialBackoff({ initialMs: 10, maxMs: 1_000, multiplier: 2, jitter: 0 });
    const done = runWithRetry(
      baseRun({ attempt: s.attempt, backoff: policy, sleep: (ms, sig) => scheduler.sleep(ms, sig) }),
    );
    const flush = async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
    };
    await flush();
    assert.equal(s.calls.length, 1);
    t.mock.timers.tick(9);
    await flush();
    assert.equal(s.calls.length, 1, 'still waiting 10 ms after the first throttle');
    t.mock.timers.tick(1);
    await flush();
    assert.equal(s.calls.length, 2);
    t.mock.timers.tick(19);
    await flush();
    assert.equal(s.calls.length, 2, 'second wait is 20 ms');
    t.mock.timers.tick(1);
    assert.equal(await done, 'ok');
    assert.equal(s.calls.length, 3);
    scheduler.close();
  });

  test('jitter comes from the policy and the random source', async () => {
    const sleeps: number[] = [];
    const s = script([brokerError('TOO_MANY_REQUESTS'), 'ok']);
    await runWithRetry(
      baseRun({
        attempt: s.attempt,
        backoff: exponentialBackoff({ initialMs: 100, maxMs: 1_000, multiplier: 2, jitter: 0.2 }),
        random: () => 1,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      }),
    );
    assert.equal(sleeps.length, 1);
    assert.ok(Math.abs(sleeps[0]! - 120) < 1e-9, `100 ms + 20 % → ${sleeps[0]}`);
  });

  test('a backoff longer than the remaining budget ends with the throttling error', async () => {
    const clock = new ManualClock();
    const s = script([brokerError('TOO_MANY_REQUESTS'), 'ok']);
    await assert.rejects(
      runWithRetry(
        baseRun({
          attempt: s.attempt,
          deadline: createDeadline(clock, 50),
          backoff: customizedBackoff([100]),
        }),
      ),
      { code: 'TOO_MANY_REQUESTS' },
    );
    assert.equal(s.calls.length, 1);
  });

  test('every attempt gets min(per-attempt timeout, remaining budget); a spent budget stops', async () => {
    const clock = new ManualClock();
    const deadline = createDeadline(clock, 5_000);
    const calls: number[] = [];
    await assert.rejects(
      runWithRetry(
        baseRun({
          deadline,
          maxAttempts: 5,
          attempt: async (_c, _n, timeoutMs) => {
            calls.push(timeoutMs);
            clock.advance(timeoutMs); // the attempt used all its time
            throw new RocketMQError('deadline', 'TIMEOUT', { retriable: true });
          },
        }),
      ),
      { code: 'TIMEOUT' },
    );
    assert.deepEqual(calls, [3_000, 2_000], 'the second attempt only gets what is left');
  });

  test('an expired budget before the first attempt → TIMEOUT', async () => {
    const clock = new ManualClock();
    const s = script(['ok']);
    await assert.rejects(runWithRetry(baseRun({ attempt: s.attempt, deadline: createDeadline(clock, 0) })), {
      code: 'TIMEOUT',
    });
    assert.equal(s.calls.length, 0);
  });

  test('an aborted signal stops retries', async () => {
    const ac = new AbortController();
    let n = 0;
    await assert.rejects(
      runWithRetry(
        baseRun({
          signal: ac.signal,
          attempt: async () => {
            n++;
            ac.abort();
            throw brokerError('INTERNAL_SERVER_ERROR');
          },
        }),
      ),
      { code: 'ABORTED' },
    );
    assert.equal(n, 1);
  });

  test('no candidates → FORBIDDEN', async () => {
    const s = script(['ok']);
    await assert.rejects(runWithRetry(baseRun({ attempt: s.attempt, candidates: [] })), {
      code: 'FORBIDDEN',
    });
  });
});
