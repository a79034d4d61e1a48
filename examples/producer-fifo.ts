/**
 * FIFO messages: a `messageGroup` per customer. Messages of one group go to one queue and are
 * consumed in the order they were sent (by an ordered consumer group); different groups are
 * independent. A SimpleConsumer of an ordered group checks the order.
 *
 * Order is the order in which sends *completed*: send the messages of one group one after another
 * (await each), not concurrently.
 *
 *   npx tsx examples/producer-fifo.ts       (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { Producer, RocketMQError, SimpleConsumer } from '../src/index.js';
import { expect, log, openBroker, runExample, uniqueName } from './support.js';

const CUSTOMERS = ['alice', 'bob', 'carol'];
const STEPS = ['created', 'paid', 'packed', 'shipped'];

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('order-events');
  const group = uniqueName('order-tracker');
  await broker.createTopic(topic, 'FIFO');
  await broker.createGroup(group, { fifo: true }); // an ordered group: consumption follows the groups' order
  log(`broker: ${broker.describe}; FIFO topic ${topic}, ordered group ${group}`);

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
  });
  await producer.start();

  const queues = new Map<string, Set<number>>();
  for (const step of STEPS) {
    for (const customer of CUSTOMERS) {
      const r = await producer.send({
        topic,
        body: `${customer}:${step}`,
        messageGroup: customer,
        tag: step,
      });
      const q = queues.get(customer) ?? new Set<number>();
      q.add(r.queue.queueId);
      queues.set(customer, q);
    }
  }
  log(`sent ${STEPS.length} events for each of ${CUSTOMERS.join(', ')}, interleaved`);
  for (const [customer, q] of queues) log(`  group ${customer} → queue ${[...q].join(', ')}`);
  expect(
    [...queues.values()].every((q) => q.size === 1),
    'every message of a group went to the same queue',
  );

  const noGroup = await producer.send({ topic, body: 'no group' }).then(
    () => 'accepted',
    (e: unknown) => (e instanceof RocketMQError ? e.code : String(e)),
  );
  expect(
    noGroup === 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    'a message without messageGroup is refused on a FIFO topic',
    noGroup,
  );

  await using consumer = new SimpleConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
  });
  await consumer.start();
  const order = new Map<string, string[]>();
  let received = 0;
  const giveUpAt = Date.now() + 30_000;
  while (received < CUSTOMERS.length * STEPS.length && Date.now() < giveUpAt) {
    // An ordered group gets a queue's next messages only once the earlier ones are acked.
    for (const m of await consumer.receive(32, 30_000)) {
      const [customer, step] = m.body.toString().split(':') as [string, string];
      order.set(customer, [...(order.get(customer) ?? []), step]);
      log(`received ${m.body} (group ${m.messageGroup}, queue ${m.queueId})`);
      if (m.messageGroup !== customer) throw new Error(`${m.body} carries group ${m.messageGroup}`);
      await consumer.ack(m);
      received++;
    }
  }
  for (const customer of CUSTOMERS) {
    expect(
      JSON.stringify(order.get(customer)) === JSON.stringify(STEPS),
      `${customer}'s events were consumed in the order sent: ${order.get(customer)?.join(' → ')}`,
      order.get(customer),
    );
  }
}

runExample(main);
