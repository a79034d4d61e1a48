/**
 * `npm run demo` — sends messages and consumes them, printing what happened and how long it took.
 *
 *   npm run demo                               embedded in-process broker (no JVM, no network)
 *   npm run demo -- --endpoint 127.0.0.1:8081  an existing RocketMQ 5.x proxy (or ROCKETMQ_ENDPOINT;
 *                                              ROCKETMQ_NAMESRV lets the demo create its topic)
 *   npm run demo -- --jvm                      start the local JVM broker from the test harness
 *
 * Until the library's Producer/Consumer land, the demo drives the protocol directly with the
 * generated types (test/helpers/raw-flow.ts); it then grows into the managed-layer demo.
 */
import { parseArgs } from 'node:util';
import { InProcessBroker } from '../src/testing/index.js';
import type { BrokerHandle } from '../testcontainers/index.js';
import { uniqueName } from '../test/helpers/broker.js';
import { RawClient } from '../test/helpers/raw-client.js';
import { ackOne, handshake, queryRoute, receiveOnce, sendOne, writableQueue } from '../test/helpers/raw-flow.js';

const { values } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    jvm: { type: 'boolean', default: false },
    count: { type: 'string', default: '5' },
  },
});

interface Target {
  describe: string;
  endpoint: string;
  prepare(topic: string, group: string): Promise<void>;
  close(): Promise<void>;
}

async function target(): Promise<Target> {
  const endpoint = values.endpoint ?? process.env.ROCKETMQ_ENDPOINT;
  if (endpoint || values.jvm) {
    const { startBroker } = await import('../testcontainers/index.js');
    if (endpoint) process.env.ROCKETMQ_ENDPOINT = endpoint;
    const b: BrokerHandle = await startBroker({ ignoreEnv: values.jvm && !endpoint, log: (l) => console.log(`  [broker] ${l}`) });
    return {
      describe: `${b.source ?? 'real'} broker at ${b.endpoint}`,
      endpoint: b.endpoint,
      prepare: async (topic, group) => {
        await b.createTopic(topic, 'NORMAL');
        await b.createConsumerGroup(group);
      },
      close: () => b.stop(),
    };
  }
  const b = await InProcessBroker.start();
  return {
    describe: `in-process broker at ${b.endpoint}`,
    endpoint: b.endpoint,
    prepare: async (topic, group) => {
      b.createTopic(topic, { type: 'NORMAL' });
      b.createConsumerGroup(group);
    },
    close: () => b.shutdown(),
  };
}

async function main(): Promise<void> {
  const count = Number(values.count);
  const t0 = performance.now();
  const ms = () => `${(performance.now() - t0).toFixed(0)} ms`;
  const t = await target();
  console.log(`broker: ${t.describe} (ready after ${ms()})`);
  const topic = uniqueName('demo');
  const group = uniqueName('demo-group');
  await t.prepare(topic, group);
  console.log(`topic ${topic}, consumer group ${group}`);

  const producer = new RawClient(t.endpoint);
  const consumer = new RawClient(t.endpoint);
  const p = await handshake(producer, { kind: 'producer', topics: [topic] });
  const c = await handshake(consumer, { kind: 'simple-consumer', group, topic });
  try {
    const sent = new Map<string, string>();
    for (let i = 0; i < count; i++) {
      const body = `order #${i} at ${new Date().toISOString()}`;
      const id = await sendOne(producer, { topic, body: Buffer.from(body), tag: 'demo', keys: [`order-${i}`] });
      sent.set(id, body);
    }
    console.log(`sent ${sent.size} messages (${ms()})`);

    const queue = writableQueue(await queryRoute(consumer, topic));
    let received = 0;
    for (let round = 0; round < 10 && received < sent.size; round++) {
      const r = await receiveOnce(consumer, group, queue, 30_000, 5000);
      for (const m of r.messages) {
        const id = m.systemProperties?.messageId ?? '';
        const body = Buffer.from(m.body).toString();
        if (sent.get(id) !== body) throw new Error(`unexpected message ${id}`);
        await ackOne(consumer, group, topic, m);
        received++;
        console.log(`  received + acked ${id} "${body}" (attempt ${m.systemProperties?.deliveryAttempt})`);
      }
    }
    console.log(`received and acked ${received}/${sent.size} (${ms()})`);
    if (received !== sent.size) process.exitCode = 1;
  } finally {
    p.telemetry.close();
    c.telemetry.close();
    producer.close();
    consumer.close();
    await t.close();
  }
  console.log(`done in ${ms()}`);
}

main().catch((err: unknown) => {
  console.error('demo failed:', err);
  process.exitCode = 1;
});
