import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createDeferred } from '../../../src/internal/deferred.js';
import { type Closing, Lifecycle } from '../../../src/internal/lifecycle.js';
import { ResourceCount } from '../../../src/internal/resource-count.js';
import { Scheduler } from '../../../src/internal/scheduler.js';
import { ManualTime } from '../../../src/testing/manual-time.js';

/** Lets pending promise callbacks run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class Closed extends Error {
  readonly code = 'CLOSED';
}

function make() {
  const time = new ManualTime();
  const resources = new ResourceCount(null);
  const scheduler = new Scheduler({ timers: time, resources });
  const lifecycle = new Lifecycle({
    scheduler,
    clock: time,
    resources,
    closedError: (message) => new Closed(message),
  });
  return { time, resources, scheduler, lifecycle };
}

function settled(p: Promise<unknown>): { done: boolean; error: unknown } {
  const s = { done: false, error: undefined as unknown };
  p.then(
    () => {
      s.done = true;
    },
    (e: unknown) => {
      s.done = true;
      s.error = e;
    },
  );
  return s;
}

describe('Lifecycle', () => {
  test('track passes results through while open and refuses calls once the shutdown began', async () => {
    const { lifecycle } = make();
    assert.equal(await lifecycle.track(async () => 42), 42);
    await assert.rejects(
      lifecycle.track(async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    void lifecycle.shutdown(1_000, async () => {});
    await assert.rejects(
      lifecycle.track(async () => 1),
      (e: unknown) => e instanceof Closed,
    );
    assert.throws(() => lifecycle.assertOpen(), Closed);
  });

  test('the bound cuts calls still in flight with the closed error and aborts their signal; the steps go on', async () => {
    const { time, lifecycle, scheduler } = make();
    let signal!: AbortSignal;
    const call = settled(
      lifecycle.track((s) => {
        signal = s;
        return new Promise(() => {}); // ignores its signal
      }),
    );
    const waited: boolean[] = [];
    const stopping = settled(
      lifecycle.shutdown(500, async (c) => {
        waited.push(await c.drainCalls());
        waited.push(await c.within(new Promise(() => {})));
      }),
    );
    await flush();
    assert.equal(lifecycle.state, 'draining');
    time.advance(499);
    await flush();
    assert.equal(call.done, false);
    assert.equal(stopping.done, false);
    time.advance(1);
    await flush();
    assert.ok(call.error instanceof Closed, 'the call rejected with the closed error');
    assert.equal(signal.aborted, true);
    assert.equal(stopping.done, true);
    assert.deepEqual(waited, [false, false]);
    assert.equal(lifecycle.state, 'closed');
    assert.equal(scheduler.pending, 0, 'the bound timer is gone');
  });

  test('calls that finish within the bound keep their results; the steps resolve before the bound', async () => {
    const { lifecycle, scheduler } = make();
    const work = createDeferred<string>();
    const call = lifecycle.track(() => work.promise);
    let remaining = -1;
    const stopping = lifecycle.shutdown(5_000, async (c: Closing) => {
      assert.equal(await c.drainCalls(), true);
      remaining = c.remaining();
    });
    work.resolve('ok');
    assert.equal(await call, 'ok');
    await stopping;
    assert.equal(remaining, 5_000);
    assert.equal(scheduler.pending, 0);
  });

  test('destroy() during a graceful shutdown ends it at once and returns the same promise', async () => {
    const { lifecycle } = make();
    const stepsSawForce: boolean[] = [];
    const graceful = lifecycle.shutdown(30_000, async (c) => {
      await c.within(new Promise(() => {}));
      stepsSawForce.push(c.forced, c.signal.aborted);
      assert.equal(c.remaining(), 0);
    });
    const g = settled(graceful);
    await flush();
    assert.equal(g.done, false);
    const forced = lifecycle.destroy(async () => assert.fail('steps run once'));
    assert.equal(forced, graceful);
    await forced;
    assert.deepEqual(stepsSawForce, [true, true]);
    assert.equal(await lifecycle.shutdown(1, async () => assert.fail('steps run once')), undefined);
  });

  test('an infinite bound never forces by itself; destroy() still does', async () => {
    const { time, lifecycle, scheduler } = make();
    const stopping = settled(
      lifecycle.shutdown(Number.POSITIVE_INFINITY, async (c) => {
        await c.within(new Promise(() => {}));
      }),
    );
    await flush();
    assert.equal(scheduler.pending, 0, 'no bound timer');
    time.advance(10 * 24 * 3_600_000);
    await flush();
    assert.equal(stopping.done, false);
    await lifecycle.destroy(async () => {});
    assert.equal(stopping.done, true);
  });

  test('destroy() before any shutdown runs the steps forced from the start', async () => {
    const { lifecycle } = make();
    let forced = false;
    await lifecycle.destroy(async (c) => {
      forced = c.forced;
    });
    assert.equal(forced, true);
    assert.equal(lifecycle.state, 'closed');
  });

  test('a throwing step does not reject the shutdown; the keep-alive handle is counted while it runs', async () => {
    const { lifecycle, resources } = make();
    const gate = createDeferred<void>();
    const stopping = lifecycle.shutdown(1_000, async () => {
      await gate.promise;
      throw new Error('step failed');
    });
    assert.equal(resources.snapshot().keepAlive, 1);
    gate.resolve();
    await stopping;
    assert.equal(resources.snapshot().keepAlive, 0);
    assert.equal(resources.total, 0);
  });
});
