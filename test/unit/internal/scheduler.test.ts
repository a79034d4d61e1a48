import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { createDeferred } from '../../../src/internal/deferred.js';
import { Scheduler, SchedulerClosedError, type TaskErrorContext } from '../../../src/internal/scheduler.js';
import type { TimerApi } from '../../../src/internal/timers.js';

/** Lets pending promise callbacks run (setImmediate is not mocked). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function mockTimers(t: TestContext): void {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
}

function collectErrors(): { errors: Array<[unknown, TaskErrorContext]>; scheduler: Scheduler } {
  const errors: Array<[unknown, TaskErrorContext]> = [];
  const scheduler = new Scheduler({ onError: (err, ctx) => errors.push([err, ctx]) });
  return { errors, scheduler };
}

describe('Scheduler.after', () => {
  test('runs once after the delay and untracks the timer', (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    let runs = 0;
    const handle = scheduler.after(100, () => runs++, { name: 'once' });
    assert.equal(handle.name, 'once');
    assert.equal(scheduler.pending, 1);
    assert.equal(handle.active, true);
    t.mock.timers.tick(99);
    assert.equal(runs, 0);
    t.mock.timers.tick(1);
    assert.equal(runs, 1);
    assert.equal(scheduler.pending, 0);
    assert.equal(handle.active, false);
    t.mock.timers.tick(1000);
    assert.equal(runs, 1);
  });

  test('cancel prevents the run', (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    let runs = 0;
    const handle = scheduler.after(50, () => runs++);
    handle.cancel();
    handle.cancel();
    assert.equal(scheduler.pending, 0);
    t.mock.timers.tick(100);
    assert.equal(runs, 0);
    assert.equal(handle.active, false);
  });

  test('sync throws and async rejections go to onError with the task name', async (t) => {
    mockTimers(t);
    const { errors, scheduler } = collectErrors();
    const boom = new Error('boom');
    const later = new Error('later');
    scheduler.after(
      10,
      () => {
        throw boom;
      },
      { name: 'sync' },
    );
    scheduler.after(
      10,
      async () => {
        throw later;
      },
      { name: 'async' },
    );
    t.mock.timers.tick(10);
    await flush();
    assert.deepEqual(errors, [
      [boom, { name: 'sync' }],
      [later, { name: 'async' }],
    ]);
  });

  test('without an onError hook, failures are still never unhandled', async (t) => {
    mockTimers(t);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    t.after(() => process.off('unhandledRejection', onUnhandled));
    const scheduler = new Scheduler();
    scheduler.after(1, () => Promise.reject(new Error('async failure')));
    scheduler.every(1, () => {
      throw new Error('sync failure');
    });
    t.mock.timers.tick(1);
    await flush();
    await flush();
    assert.deepEqual(unhandled, []);
    scheduler.close();
  });

  test('an onError hook that throws is contained', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler({
      onError: () => {
        throw new Error('hook broke');
      },
    });
    let after = 0;
    scheduler.after(1, () => Promise.reject(new Error('x')));
    scheduler.after(2, () => after++);
    t.mock.timers.tick(1);
    await flush();
    t.mock.timers.tick(1);
    assert.equal(after, 1);
  });
});

describe('Scheduler.every', () => {
  test('fires at a fixed rate, honouring initialDelayMs', (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    const at: number[] = [];
    scheduler.every(100, () => at.push(Date.now()), { name: 'tick', initialDelayMs: 10 });
    t.mock.timers.tick(10);
    t.mock.timers.tick(100);
    t.mock.timers.tick(100);
    assert.deepEqual(at, [10, 110, 210]);
    assert.equal(scheduler.pending, 1);
  });

  test('the first run defaults to one period', (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    let runs = 0;
    scheduler.every(50, () => runs++);
    t.mock.timers.tick(49);
    assert.equal(runs, 0);
    t.mock.timers.tick(1);
    assert.equal(runs, 1);
  });

  test('skips ticks while the previous async run is still pending', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    let started = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    const gate = createDeferred<void>();
    scheduler.every(100, async () => {
      started++;
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      if (started === 1) await gate.promise;
      concurrent--;
    });
    t.mock.timers.tick(100); // run 1 starts and hangs
    await flush();
    assert.equal(scheduler.running, 1);
    t.mock.timers.tick(100); // skipped
    await flush();
    t.mock.timers.tick(100); // skipped
    await flush();
    assert.equal(started, 1);
    gate.resolve();
    await flush();
    assert.equal(scheduler.running, 0);
    t.mock.timers.tick(100); // runs again
    await flush();
    assert.equal(started, 2);
    assert.equal(maxConcurrent, 1);
    assert.equal(scheduler.pending, 1);
  });

  test('errors are reported and the task keeps running', async (t) => {
    mockTimers(t);
    const { errors, scheduler } = collectErrors();
    let runs = 0;
    scheduler.every(
      10,
      async () => {
        runs++;
        throw new Error(`fail ${runs}`);
      },
      { name: 'flaky' },
    );
    for (let i = 0; i < 3; i++) {
      t.mock.timers.tick(10);
      await flush();
    }
    assert.equal(runs, 3);
    assert.deepEqual(
      errors.map(([e, ctx]) => [(e as Error).message, ctx.name]),
      [
        ['fail 1', 'flaky'],
        ['fail 2', 'flaky'],
        ['fail 3', 'flaky'],
      ],
    );
  });

  test('cancel from inside the task stops further runs', (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    let runs = 0;
    const handle = scheduler.every(10, () => {
      runs++;
      if (runs === 2) handle.cancel();
    });
    for (let i = 0; i < 10; i++) t.mock.timers.tick(10);
    assert.equal(runs, 2);
    assert.equal(scheduler.pending, 0);
    assert.equal(handle.active, false);
  });

  test('rejects non-positive or non-finite periods', () => {
    const scheduler = new Scheduler();
    assert.throws(() => scheduler.every(0, () => {}), RangeError);
    assert.throws(() => scheduler.every(-1, () => {}), RangeError);
    assert.throws(() => scheduler.every(Number.NaN, () => {}), RangeError);
    assert.equal(scheduler.pending, 0);
  });
});

describe('Scheduler.sleep', () => {
  test('resolves after the delay', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    let done = false;
    const p = scheduler.sleep(200).then(() => {
      done = true;
    });
    assert.equal(scheduler.pending, 1);
    t.mock.timers.tick(199);
    await flush();
    assert.equal(done, false);
    t.mock.timers.tick(1);
    await p;
    assert.equal(done, true);
    assert.equal(scheduler.pending, 0);
  });

  test('rejects with the abort reason and clears its timer', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    const controller = new AbortController();
    const p = scheduler.sleep(10_000, controller.signal);
    assert.equal(scheduler.pending, 1);
    const reason = new Error('stop');
    controller.abort(reason);
    await assert.rejects(p, (err) => err === reason);
    assert.equal(scheduler.pending, 0);
  });

  test('default abort reason is an AbortError', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    const controller = new AbortController();
    const p = scheduler.sleep(10_000, controller.signal);
    controller.abort();
    await assert.rejects(p, { name: 'AbortError' });
  });

  test('an already aborted signal rejects without arming a timer', async () => {
    const scheduler = new Scheduler();
    const reason = new Error('already');
    await assert.rejects(scheduler.sleep(10, AbortSignal.abort(reason)), (err) => err === reason);
    assert.equal(scheduler.pending, 0);
  });

  test('removes its abort listener after resolving', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    const controller = new AbortController();
    let removed = 0;
    const original = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.removeEventListener = ((...args: Parameters<AbortSignal['removeEventListener']>) => {
      removed++;
      original(...args);
    }) as AbortSignal['removeEventListener'];
    const p = scheduler.sleep(5, controller.signal);
    t.mock.timers.tick(5);
    await p;
    assert.equal(removed, 1);
  });
});

describe('Scheduler.close', () => {
  test('clears every timer; later scheduling is a no-op', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    let runs = 0;
    scheduler.after(10, () => runs++);
    const periodic = scheduler.every(10, () => runs++);
    assert.equal(scheduler.pending, 2);
    scheduler.close();
    scheduler.close();
    assert.equal(scheduler.closed, true);
    assert.equal(scheduler.pending, 0);
    t.mock.timers.tick(100);
    assert.equal(runs, 0);
    assert.equal(periodic.active, false);

    const late = scheduler.after(1, () => runs++, { name: 'late' });
    const lateEvery = scheduler.every(1, () => runs++);
    assert.equal(late.active, false);
    assert.equal(late.name, 'late');
    assert.equal(lateEvery.active, false);
    assert.equal(scheduler.pending, 0);
    t.mock.timers.tick(10);
    assert.equal(runs, 0);
  });

  test('rejects pending and later sleeps with SchedulerClosedError', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    const pending = scheduler.sleep(1000);
    scheduler.close();
    await assert.rejects(pending, SchedulerClosedError);
    await assert.rejects(scheduler.sleep(1), (err: unknown) => {
      assert.ok(err instanceof SchedulerClosedError);
      assert.equal(err.code, 'CLOSED');
      return true;
    });
    assert.equal(scheduler.pending, 0);
  });

  test('a periodic task that is mid-run when close() happens does not re-arm', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    const gate = createDeferred<void>();
    let runs = 0;
    scheduler.every(10, async () => {
      runs++;
      await gate.promise;
    });
    t.mock.timers.tick(10);
    scheduler.close();
    gate.resolve();
    await scheduler.whenIdle();
    t.mock.timers.tick(100);
    assert.equal(runs, 1);
    assert.equal(scheduler.pending, 0);
  });

  test('whenIdle waits for in-flight runs', async (t) => {
    mockTimers(t);
    const scheduler = new Scheduler();
    const gate = createDeferred<void>();
    let finished = false;
    scheduler.after(1, async () => {
      await gate.promise;
      finished = true;
    });
    t.mock.timers.tick(1);
    let idle = false;
    const waiting = scheduler.whenIdle().then(() => {
      idle = true;
    });
    await flush();
    assert.equal(idle, false);
    gate.resolve();
    await waiting;
    assert.equal(finished, true);
  });
});

describe('Scheduler with an injected timer API', () => {
  function fakeTimers() {
    const armed = new Map<number, { fn: () => void; ms: number; unrefed: boolean }>();
    let id = 0;
    const api: TimerApi = {
      setTimeout: (fn, ms) => {
        const handle = { id: ++id, unref: () => (armed.get(handle.id)!.unrefed = true) };
        armed.set(handle.id, { fn, ms, unrefed: false });
        return handle;
      },
      clearTimeout: (h) => {
        armed.delete((h as { id: number }).id);
      },
    };
    return { api, armed };
  }

  test('every timer is unref()ed and delays are clamped', () => {
    const { api, armed } = fakeTimers();
    const scheduler = new Scheduler({ timers: api });
    scheduler.after(2 ** 40, () => {});
    scheduler.every(5, () => {}, { initialDelayMs: -3 });
    void scheduler.sleep(7).catch(() => {});
    const entries = [...armed.values()];
    assert.deepEqual(
      entries.map((e) => e.ms),
      [2_147_483_647, 0, 7],
    );
    assert.ok(entries.every((e) => e.unrefed));
    scheduler.close();
    assert.equal(armed.size, 0);
  });
});
