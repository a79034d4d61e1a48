/**
 * `npm run demo` — the managed layer doing the seed package's job, with what happened printed as it
 * happens: a consumer with 5 workers and a producer; synchronous, asynchronous and delayed sends; a
 * flaky handler retried later; the switch turned off and on; then SIGINT and a graceful drain.
 *
 *   npm run demo                               embedded in-process broker (no JVM, no network)
 *   npm run demo -- --endpoint 127.0.0.1:8081  an existing RocketMQ 5.x proxy (or ROCKETMQ_ENDPOINT;
 *                                              ROCKETMQ_NAMESRV lets the demo create its topics)
 *   npm run demo -- --jvm                      start the local JVM broker from the test harness
 *   npm run demo -- --wait                     wait for your Ctrl-C instead of sending SIGINT itself
 */
import { parseArgs } from 'node:util';
import {
  ConsumeErrorActions,
  type HandlerContext,
  handleShutdownSignals,
  type MessageView,
  managedHealth,
  registerConsumer,
  registerProducer,
  setConsumerSwitch,
  startAllConsumers,
  waitStop,
} from '../src/index.js';
import { InProcessBroker } from '../src/testing/index.js';
import type { BrokerHandle } from '../testcontainers/index.js';

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    jvm: { type: 'boolean', default: false },
    count: { type: 'string', default: '20' },
    wait: { type: 'boolean', default: false },
  },
});

interface Target {
  readonly describe: string;
  readonly endpoint: string;
  createTopic(name: string, type: 'NORMAL' | 'DELAY'): Promise<void>;
  createGroup(name: string): Promise<void>;
  close(): Promise<void>;
}

async function target(): Promise<Target> {
  const endpoint = values.endpoint ?? process.env.ROCKETMQ_ENDPOINT;
  if (endpoint || values.jvm) {
    const { startBroker } = await import('../testcontainers/index.js');
    if (endpoint) process.env.ROCKETMQ_ENDPOINT = endpoint;
    const b: BrokerHandle = await startBroker({
      ignoreEnv: values.jvm && !endpoint,
      log: (l) => console.log(`  [broker] ${l}`),
    });
    return {
      describe: `${b.source ?? 'real'} broker at ${b.endpoint}`,
      endpoint: b.endpoint,
      createTopic: (name, type) => b.createTopic(name, type),
      createGroup: (name) => b.createConsumerGroup(name),
      close: () => b.stop(),
    };
  }
  const b = await InProcessBroker.start();
  return {
    describe: `in-process broker at ${b.endpoint}`,
    endpoint: b.endpoint,
    createTopic: async (name, type) => b.createTopic(name, { type }),
    createGroup: async (name) => b.createConsumerGroup(name),
    close: () => b.shutdown(),
  };
}

const t0 = performance.now();
const at = (): string => `${String(Math.round(performance.now() - t0)).padStart(5)} ms`;
const say = (line: string): void => console.log(`[${at()}] ${line}`);

/** Resolves once `cond()` holds; checked whenever `check()` runs (on every handled message). */
function until(cond: () => boolean): { done: Promise<void>; check: () => void } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => {
    resolve = r;
  });
  const check = (): void => {
    if (cond()) resolve();
  };
  return { done, check };
}

async function main(): Promise<void> {
  const count = Number(values.count);
  const t = await target();
  say(`broker: ${t.describe}`);
  const suffix = Date.now().toString(36);
  const orders = `demo-orders-${suffix}`;
  const later = `demo-delayed-${suffix}`;
  const group = `demo-billing-${suffix}`;
  await Promise.all([t.createTopic(orders, 'NORMAL'), t.createTopic(later, 'DELAY'), t.createGroup(group)]);
  say(`topics ${orders} (NORMAL) and ${later} (DELAY), consumer group ${group}`);

  const handled = new Map<string, number>();
  let inHandler = 0;
  let waiter = until(() => false);
  const flakyFailed = new Set<string>();
  const handle = async (ctx: HandlerContext, m: MessageView): Promise<void> => {
    inHandler++;
    waiter.check();
    try {
      const body = m.body.toString();
      await new Promise((r) => setTimeout(r, 30)); // some work
      if (body.includes('flaky') && !flakyFailed.has(body)) {
        flakyFailed.add(body);
        throw new Error('the payment service is busy');
      }
      handled.set(body, (handled.get(body) ?? 0) + 1);
      say(
        `  handled "${body}" (attempt ${ctx.attempt}, request ${ctx.requestId.slice(0, 8)}, ${inHandler} in progress)`,
      );
    } finally {
      inHandler--;
      waiter.check();
    }
  };
  const config = { endpoint: t.endpoint, consumerGroup: group, invisibleDurationMs: 30_000 };
  registerConsumer(
    {
      ...config,
      jobName: 'orders',
      topic: orders,
      workerNum: 5,
      // Busy downstream: try again in half a second instead of waiting out the invisible duration.
      errorClassifier: () => ConsumeErrorActions.retryLater(500),
    },
    handle,
  );
  registerConsumer(
    { ...config, jobName: 'delayed', topic: later, consumerGroup: `${group}-delayed` },
    handle,
  );
  await t.createGroup(`${group}-delayed`);
  startAllConsumers();
  say('registered consumers "orders" (5 workers) and "delayed"; started');

  const producer = await registerProducer({ endpoint: t.endpoint, topics: [orders, later] });
  say(`producer ${producer.id} ready`);

  // 1. synchronous, asynchronous and delayed sends
  const half = Math.floor(count / 2);
  const expected = count + 2 + 1;
  waiter = until(() => handled.size >= expected);
  for (let i = 0; i < half; i++) await producer.send({ topic: orders, body: `order ${i}`, tag: 'sync' });
  say(`sent ${half} messages synchronously`);
  await new Promise<void>((resolve) => {
    let pending = count - half;
    for (let i = half; i < count; i++) {
      producer.sendAsync({ topic: orders, body: `order ${i}`, tag: 'async' }, (err) => {
        if (err) say(`  async send failed: ${err.code} ${err.message}`);
        if (--pending === 0) resolve();
      });
    }
  });
  say(`sent ${count - half} messages asynchronously`);
  await producer.send({ topic: orders, body: 'flaky order' });
  const delayedAt = performance.now();
  await producer.sendDelay({ topic: later, body: 'reminder A (2 s)' }, 2_000);
  await producer.sendDelay({ topic: later, body: 'reminder B (2 s)' }, 2_000);
  say('sent one flaky message and two messages delayed by 2 s');
  await waiter.done;
  say(
    `all ${expected} handled; the flaky one after one retry; the delayed ones ${Math.round(performance.now() - delayedAt)} ms after sending`,
  );

  // 2. the switch
  setConsumerSwitch('orders', false);
  say('switched "orders" off');
  for (let i = 0; i < 3; i++) await producer.send({ topic: orders, body: `while off ${i}` });
  await new Promise((r) => setTimeout(r, 1_000));
  say(
    `sent 3 while off; handled meanwhile: ${[...handled.keys()].filter((b) => b.startsWith('while off')).length}`,
  );
  waiter = until(() => [...handled.keys()].filter((b) => b.startsWith('while off')).length === 3);
  const onAt = performance.now();
  setConsumerSwitch('orders', true);
  await waiter.done;
  say(`switched "orders" on: the 3 were handled ${Math.round(performance.now() - onAt)} ms later`);

  // 3. SIGINT with messages in flight → graceful drain
  handleShutdownSignals();
  waiter = until(() => inHandler >= 3);
  for (let i = 0; i < 30; i++) producer.sendAsync({ topic: orders, body: `last batch ${i}` });
  const stopped = waitStop({ timeoutMs: 10_000 });
  if (values.wait) {
    say('press Ctrl-C to stop (graceful drain)');
  } else {
    await waiter.done;
    say(`sending SIGINT to myself (${inHandler} handlers in progress)`);
    process.kill(process.pid, 'SIGINT');
  }
  const drainAt = performance.now();
  await stopped;
  const h = managedHealth();
  say(`drained and stopped in ${Math.round(performance.now() - drainAt)} ms`);
  for (const c of h.consumers) {
    say(
      `  ${c.jobName}: handled ${c.handled}, failed ${c.failed} (retried later ${c.retriedLater}), sessions ${c.sessionsStarted}, state ${c.state}`,
    );
  }
  const duplicates = [...handled.values()].filter((n) => n > 1).length;
  const waiting = 30 - [...handled.keys()].filter((b) => b.startsWith('last batch')).length;
  say(`messages handled: ${handled.size}, handled twice: ${duplicates}`);
  say(`last batch: ${30 - waiting} finished by the drain, ${waiting} handed back to the broker for the next run`);
  await t.close();
  say('done');
}

main().catch((err: unknown) => {
  console.error('demo failed:', err);
  process.exitCode = 1;
});
