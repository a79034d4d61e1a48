/**
 * Create/start/consume/shutdown cycles of the PushConsumer (reliability-matrix rows F1; the Producer and
 * the SimpleConsumer are cycled in lifecycle-leaks.test.ts): after hundreds of push-consumer lifecycles
 * against one in-process broker, the process's active resources are back at their baseline, the heap
 * after a full GC has grown by less than 5 MiB, and the broker holds no receive or telemetry stream of
 * the stopped consumers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PushConsumer } from '../../../src/consumer/push-consumer.js';
import { Producer } from '../../../src/producer/index.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { uniqueName } from './setup.js';

/** 100 in CI; `ROCKETMQ_TS_F1_CYCLES=1000` for the full F1 row. */
const CYCLES = Number(process.env.ROCKETMQ_TS_F1_CYCLES ?? 100);

/** A full GC (the flag is set at run time, so the test runner needs no `--expose-gc`). */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

async function heapAfterGc(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    fullGc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

describe('push-consumer lifecycle cycles leave nothing behind', () => {
  test(`F1 ${CYCLES} × (push consumer start, consume one message, shutdown)`, async (t) => {
    // Push long polls of 200 ms (the server's setting): a graceful shutdown waits for the one in flight.
    const broker = await InProcessBroker.start({ longPollingMinMs: 0, longPollingMaxMs: 200 });
    t.after(() => broker.shutdown());
    const topic = uniqueName('push-cycles');
    const group = uniqueName('push-cycles-g');
    broker.createTopic(topic, { queues: 2 });
    broker.createConsumerGroup(group);
    // One producer for the whole test: it is part of the baseline.
    const producer = new Producer({ endpoints: broker.endpoint, topics: [topic] });
    t.after(() => producer.shutdown());
    await producer.start();
    const run = async (i: number) => {
      await producer.send({ topic, body: `m${i}` });
      let handled!: () => void;
      const got = new Promise<void>((r) => {
        handled = r;
      });
      const c = new PushConsumer({
        endpoints: broker.endpoint,
        consumerGroup: group,
        subscriptions: { [topic]: '*' },
        listener: () => handled(),
      });
      await c.start();
      await got;
      await c.shutdown({ timeoutMs: 5_000 });
      assert.equal(c.state, 'stopped');
    };
    const beforeWarmUp = resources();
    for (let i = 0; i < 10; i++) await run(i); // warm-up: JIT, lazy module state
    // The warm-up's clients left nothing either (process handles and the library's own counts).
    await assertNoExtraResources(beforeWarmUp, 3_000);
    const baseline = resources();
    const ackedBefore = broker.stats().acked;
    const heapBefore = await heapAfterGc();
    const started = performance.now();
    for (let i = 0; i < CYCLES; i++) await run(i);
    const ms = performance.now() - started;
    await assertNoExtraResources(baseline);
    const growth = (await heapAfterGc()) - heapBefore;
    const stats = broker.stats();
    t.diagnostic(
      `${CYCLES} cycles in ${(ms / 1000).toFixed(1)} s; heap after GC ${growth >= 0 ? '+' : ''}${(growth / 1024 / 1024).toFixed(2)} MiB; ` +
        `broker: ${stats.telemetryStreams} telemetry / ${stats.receiveStreams} receive streams open, ${stats.acked - ackedBefore} acked`,
    );
    assert.ok(growth < 5 * 1024 * 1024, `heap grew ${(growth / 1024 / 1024).toFixed(2)} MiB`);
    assert.equal(stats.telemetryStreams, 1, 'only the producer’s telemetry stream is open');
    assert.equal(stats.receiveStreams, 0, 'no receive stream left open');
    assert.equal(stats.acked - ackedBefore, CYCLES, 'each cycle acked its message at shutdown');
    assert.equal(stats.inflight, 0);
  });
});
