/**
 * Create/start/use/shutdown cycles (reliability-matrix rows F1): after hundreds of producer and consumer
 * lifecycles against one in-process broker, the process's active resources are back at their baseline
 * and the heap after a full GC has grown by less than 5 MiB.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SimpleConsumer } from '../../../src/consumer/simple-consumer.js';
import { Producer } from '../../../src/producer/index.js';
import { InProcessBroker } from '../../../src/testing/index.js';
import { assertNoExtraResources, resources } from '../../helpers/resources.js';
import { uniqueName } from './setup.js';

/** 100 in CI (~20 s); `ROCKETMQ_TS_F1_CYCLES=1000` for the full F1 row. */
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

describe('lifecycle cycles leave nothing behind', () => {
  test(`F1 ${CYCLES} × (producer start, send, shutdown) and ${CYCLES} × (consumer start, receive, ack, shutdown)`, async (t) => {
    const broker = await InProcessBroker.start({ longPollingMinMs: 0 });
    t.after(() => broker.shutdown());
    const topic = uniqueName('cycles');
    const group = uniqueName('cycles-g');
    broker.createTopic(topic);
    const run = async (i: number) => {
      const p = new Producer({ endpoints: broker.endpoint, topics: [topic] });
      await p.start();
      await p.send({ topic, body: `m${i}` });
      await p.shutdown();
      const c = new SimpleConsumer({
        endpoints: broker.endpoint,
        consumerGroup: group,
        subscriptions: { [topic]: '*' },
        awaitDurationMs: 50,
      });
      await c.start();
      for (const v of await c.receive(32, 30_000)) await c.ack(v);
      await c.shutdown();
      assert.equal(p.state, 'stopped');
      assert.equal(c.state, 'stopped');
    };
    const beforeWarmUp = resources();
    for (let i = 0; i < 10; i++) await run(i); // warm-up: JIT, lazy module state
    // The warm-up's clients left nothing either (process handles and the library's own counts).
    await assertNoExtraResources(beforeWarmUp, 3_000);
    const baseline = resources();
    const heapBefore = await heapAfterGc();
    const started = performance.now();
    for (let i = 0; i < CYCLES; i++) await run(i);
    const ms = performance.now() - started;
    await assertNoExtraResources(baseline);
    const growth = (await heapAfterGc()) - heapBefore;
    t.diagnostic(
      `${CYCLES} cycles in ${(ms / 1000).toFixed(1)} s; heap after GC ${growth >= 0 ? '+' : ''}${(growth / 1024 / 1024).toFixed(2)} MiB; ` +
        `broker: ${broker.stats().telemetryStreams} telemetry streams open, ${broker.stats().acked} acked`,
    );
    assert.ok(growth < 5 * 1024 * 1024, `heap grew ${(growth / 1024 / 1024).toFixed(2)} MiB`);
    assert.equal(broker.stats().telemetryStreams, 0, 'every telemetry stream was closed');
    assert.equal(broker.stats().acked, CYCLES + 10);
  });
});
