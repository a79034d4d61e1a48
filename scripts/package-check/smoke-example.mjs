// A small program written against the published package (not the sources): it starts the in-process
// broker from `rocketmq-ts/testing`, sends three messages with a Producer, receives and acknowledges them
// with a SimpleConsumer, and shuts everything down. scripts/check-package.ts bundles it into one file
// with esbuild and runs that file in an empty directory. Exits non-zero when anything is off.
import { FilterExpression, Producer, RocketMQError, SimpleConsumer, VERSION } from 'rocketmq-ts';
import { InProcessBroker } from 'rocketmq-ts/testing';

async function main() {
  const broker = await InProcessBroker.start();
  broker.createTopic('smoke', { type: 'NORMAL', queues: 2 });
  broker.createConsumerGroup('smoke-group');
  const producer = new Producer({ endpoints: broker.endpoint, topics: ['smoke'] });
  const consumer = new SimpleConsumer({
    endpoints: broker.endpoint,
    consumerGroup: 'smoke-group',
    subscriptions: { smoke: FilterExpression.tag('a||b') },
    awaitDurationMs: 5_000,
  });
  try {
    await producer.start();
    await consumer.start();
    const sent = [];
    for (const [i, tag] of ['a', 'b', 'c'].entries()) {
      const receipt = await producer.send({ topic: 'smoke', body: `message ${i}`, tag, keys: [`k${i}`] });
      if (tag !== 'c') sent.push(receipt.messageId);
    }
    const received = [];
    while (received.length < sent.length) {
      for (const m of await consumer.receive(16, 10_000)) {
        received.push(m);
        await consumer.ack(m);
      }
    }
    const ids = received.map((m) => m.messageId).sort();
    if (JSON.stringify(ids) !== JSON.stringify([...sent].sort())) {
      throw new Error(`received ${ids.join(',')}, expected ${sent.join(',')}`);
    }
    let invalid;
    try {
      new Producer({ endpoints: '' });
    } catch (e) {
      invalid = e;
    }
    if (!(invalid instanceof RocketMQError) || invalid.code !== 'INVALID_ARGUMENT') {
      throw new Error('an invalid option did not throw RocketMQError INVALID_ARGUMENT');
    }
    const bodies = received.map((m) => m.body.toString()).sort();
    console.log(
      `rocketmq-ts ${VERSION}: sent 3, received ${bodies.join(' | ')} (tag filter a||b), acked ${broker.stats().acked}`,
    );
  } finally {
    await consumer.shutdown();
    await producer.shutdown();
    await broker.shutdown();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
