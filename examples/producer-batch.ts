/**
 * `sendBatch`: NORMAL messages of one topic in a single SendMessage request. The result lists the ids
 * this client gave the messages (in order) and the proxy's entries as returned (the Apache proxy
 * answers a batch with one entry). Batches are checked as a whole before sending: one topic, NORMAL
 * messages only, bodies together within the size limit. A SimpleConsumer receives every message.
 *
 *   npx tsx examples/producer-batch.ts      (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { type MessageInit, Producer, RocketMQError, SimpleConsumer } from '../src/index.js';
import { expect, log, openBroker, runExample, uniqueName } from './support.js';

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('clicks');
  const other = uniqueName('views');
  const group = uniqueName('analytics');
  await broker.createTopic(topic, 'NORMAL');
  await broker.createTopic(other, 'NORMAL');
  await broker.createGroup(group);
  log(`broker: ${broker.describe}; topic ${topic}`);

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic, other],
  });
  await producer.start();

  const batch: MessageInit[] = Array.from({ length: 10 }, (_, i) => ({
    topic,
    body: JSON.stringify({ click: i, page: `/page/${i % 3}` }),
    tag: 'click',
    keys: [`click-${i}`],
  }));
  const result = await producer.sendBatch(batch);
  log(
    `sendBatch: ${result.messageIds.length} ids, ${result.entries.length} entr${result.entries.length === 1 ? 'y' : 'ies'} from the proxy`,
  );
  for (const e of result.entries)
    log(`  entry: id ${e.messageId.slice(0, 40)}…, queue ${e.queue.queueId}, offset ${e.offset}`);
  expect(
    result.messageIds.length === 10 && new Set(result.messageIds).size === 10,
    '10 distinct message ids, in order',
  );

  const codeOf = (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'accepted',
      (e: unknown) => (e instanceof RocketMQError ? e.code : String(e)),
    );
  const mixed = await codeOf(producer.sendBatch([batch[0]!, { topic: other, body: 'x' }]));
  expect(
    mixed === 'INVALID_ARGUMENT',
    'a batch over two topics is refused (INVALID_ARGUMENT), nothing sent',
    mixed,
  );
  const delayed = await codeOf(producer.sendBatch([batch[0]!, { topic, body: 'x', delayMs: 1_000 }]));
  expect(
    delayed === 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    'a batch with a non-NORMAL message is refused (MESSAGE_PROPERTY_CONFLICT_WITH_TYPE)',
    delayed,
  );

  await using consumer = new SimpleConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
  });
  await consumer.start();
  const got = new Set<string>();
  let deliveries = 0;
  const giveUpAt = Date.now() + 30_000;
  while (got.size < 10 && Date.now() < giveUpAt) {
    for (const m of await consumer.receive(32, 30_000)) {
      got.add(m.messageId);
      deliveries++;
      await consumer.ack(m);
    }
  }
  log(`received and acked ${got.size} messages`);
  expect(
    result.messageIds.every((id) => got.has(id)) && deliveries === 10,
    'each message of the batch was received once, under the id sendBatch reported',
    { distinct: got.size, deliveries },
  );
}

runExample(main);
