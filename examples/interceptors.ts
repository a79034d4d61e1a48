/**
 * Interceptors: hooks around the producer's sends and the push consumer's listener calls and acks,
 * timing each one and counting outcomes; a hook that throws is logged and changes nothing.
 *
 *   npx tsx examples/interceptors.ts     (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { type Interceptor, Producer, PushConsumer } from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, uniqueName } from './support.js';

const COUNT = 20;

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('audit');
  const group = uniqueName('auditors');
  await broker.createTopic(topic, 'NORMAL');
  await broker.createGroup(group);
  log(`broker: ${broker.describe}; topic ${topic}, group ${group}`);

  const counts = new Map<string, number>();
  let slowest = 0;
  const timing: Interceptor = {
    name: 'timing',
    after: (context, outcome) => {
      const key = `${context.point}:${outcome.status}`;
      counts.set(key, (counts.get(key) ?? 0) + context.messages.length);
      slowest = Math.max(slowest, outcome.durationMs);
    },
  };
  const buggy: Interceptor = {
    name: 'buggy',
    before: () => {
      throw new Error('a bug in a hook');
    },
  };
  const quiet = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
    interceptors: [timing, buggy],
    logger: quiet, // the buggy hook's failures are logged as warnings
  });
  await producer.start();
  const acked = new Inbox<string>();
  await using consumer = new PushConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    interceptors: [
      timing,
      buggy,
      {
        after: (c) => {
          if (c.point === 'ack') acked.push(c.messages[0]!.messageId);
        },
      },
    ],
    logger: quiet,
    listener: () => undefined,
  });
  await consumer.start();
  await Promise.all(Array.from({ length: COUNT }, (_, i) => producer.send({ topic, body: `event ${i}` })));
  await acked.until((ids) => ids.length >= COUNT, `${COUNT} ack hooks`);
  log(
    `hooks counted: ${[...counts].map(([k, n]) => `${k}=${n}`).join(', ')}; slowest ${slowest.toFixed(1)} ms`,
  );
  expect(counts.get('send:ok') === COUNT, 'a send hook per message', counts.get('send:ok'));
  expect(counts.get('consume:ok') === COUNT, 'a consume hook per message', counts.get('consume:ok'));
  expect(counts.get('ack:ok') === COUNT, 'an ack hook per message', counts.get('ack:ok'));
  log(`ok: the hooks saw ${COUNT} sends, ${COUNT} listener calls and ${COUNT} acks, despite a throwing hook`);
}

runExample(main);
