/**
 * PushConsumer pause and resume: a backlog is consumed, the consumer is paused (no listener call while
 * paused, nothing lost from the cache), then resumed; every message is handled exactly once. A topic
 * that is not subscribed is refused.
 *
 *   npx tsx examples/push-consumer-pause.ts     (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { Producer, PushConsumer, RocketMQError } from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, sleep, uniqueName } from './support.js';

const COUNT = 60;

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('jobs');
  const group = uniqueName('workers');
  await broker.createTopic(topic, 'NORMAL');
  await broker.createGroup(group);
  log(`broker: ${broker.describe}; topic ${topic}, group ${group}`);

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
  });
  await producer.start();
  await Promise.all(Array.from({ length: COUNT }, (_, i) => producer.send({ topic, body: `job ${i}` })));

  const handled = new Inbox<string>();
  let consumer: PushConsumer | undefined;
  consumer = new PushConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    concurrency: 2,
    listener: (message) => {
      handled.push(message.body.toString());
      if (handled.items.length === 10) consumer?.pause(); // e.g. a downstream service asked us to back off
    },
  });
  await using c = consumer;
  await c.start();
  await handled.until((items) => items.length >= 10, '10 jobs handled');
  expect(c.paused().length === 1 && c.paused()[0] === topic, 'paused() reports the topic', c.paused());
  await sleep(300); // calls already running finish
  const atPause = handled.items.length;
  await sleep(2_000);
  expect(handled.items.length === atPause, 'no listener call while paused', handled.items.length - atPause);
  log(
    `ok: no job handled during 2 s of pause (${atPause} before it, ${c.stats().cachedMessages} waiting in the cache)`,
  );

  try {
    c.pause(['not-subscribed']);
    expect(false, 'pausing a topic that is not subscribed is refused');
  } catch (err) {
    expect(
      err instanceof RocketMQError && err.code === 'INVALID_ARGUMENT',
      'the refusal is INVALID_ARGUMENT',
      err,
    );
    log('ok: pausing a topic that is not subscribed is refused with INVALID_ARGUMENT');
  }

  c.resume();
  const all = await handled.until((items) => new Set(items).size >= COUNT, `all ${COUNT} jobs`);
  expect(all.length === COUNT, 'each job handled once', all.length);
  log(`ok: after resume all ${COUNT} jobs were handled exactly once`);
}

runExample(main);
