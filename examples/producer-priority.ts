/**
 * PRIORITY messages (RocketMQ 5.4): `priority` is an integer ≥ 0 (0 is a valid priority) and needs a
 * topic of type PRIORITY. The broker uses it to pick among messages waiting in a queue; this example
 * shows what the client controls: the priority travels with the message and the topic's type is
 * enforced. (How the broker orders a backlog is the broker's business and is not checked here.)
 *
 *   npx tsx examples/producer-priority.ts   (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { Producer, RocketMQError, SimpleConsumer } from '../src/index.js';
import { expect, log, openBroker, runExample, uniqueName } from './support.js';

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('tickets');
  const group = uniqueName('support-desk');
  await broker.createTopic(topic, 'PRIORITY');
  await broker.createGroup(group);
  log(`broker: ${broker.describe}; PRIORITY topic ${topic}`);

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
  });
  await producer.start();

  const sent = new Map<string, number>();
  for (const [body, priority] of [
    ['printer jammed', 0],
    ['password reset', 1],
    ['invoice wrong', 5],
    ['site is down', 9],
  ] as const) {
    const r = await producer.send({ topic, body, priority });
    sent.set(r.messageId, priority);
    log(`sent "${body}" with priority ${priority}: ${r.messageId}`);
  }

  const codeOf = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'accepted',
      (e: unknown) => (e instanceof RocketMQError ? e.code : String(e)),
    );
  const plain = await codeOf(producer.send({ topic, body: 'no priority' }));
  expect(
    plain === 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    'a message without priority is refused on a PRIORITY topic',
    plain,
  );
  const negative = await codeOf(producer.send({ topic, body: 'x', priority: -1 }));
  log(`priority -1 is refused before sending: ${negative}`);
  expect(negative !== 'accepted', 'a negative priority is refused');
  const both = await codeOf(producer.send({ topic, body: 'x', priority: 1, messageGroup: 'g' }));
  log(`priority together with messageGroup is refused: ${both}`);
  expect(both !== 'accepted', 'priority and messageGroup exclude each other');

  await using consumer = new SimpleConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
  });
  await consumer.start();
  const got = new Map<string, number | undefined>();
  const giveUpAt = Date.now() + 30_000;
  while (got.size < sent.size && Date.now() < giveUpAt) {
    for (const m of await consumer.receive(16, 30_000)) {
      log(`received "${m.body}" with priority ${m.priority}`);
      got.set(m.messageId, m.priority);
      await consumer.ack(m);
    }
  }
  expect(
    [...sent].every(([id, priority]) => got.get(id) === priority),
    'every message was received with the priority it was sent with',
    Object.fromEntries(got),
  );
}

runExample(main);
