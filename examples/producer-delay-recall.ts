/**
 * DELAY messages: one delivered `delayMs` after sending, one at a `deliveryTimestamp`, and one recalled
 * before its time with the `recallHandle` of its receipt (servers ≥ 5.3.2). A PushConsumer shows that
 * the delayed messages arrive no earlier than asked and that the recalled one never arrives.
 *
 * DELAY messages need a topic of type DELAY: RocketMQ 5.x proxies refuse other message types on it
 * (and DELAY messages on a NORMAL topic) — the producer checks the route's type before sending.
 *
 *   npx tsx examples/producer-delay-recall.ts   (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { type MessageView, Producer, PushConsumer, RocketMQError } from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, sleep, uniqueName } from './support.js';

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('reminders');
  const group = uniqueName('notifier');
  await broker.createTopic(topic, 'DELAY');
  await broker.createGroup(group);
  log(`broker: ${broker.describe}; DELAY topic ${topic}`);
  // The real broker's timer wheel ticks once a second; the in-process broker is exact.
  const slack = broker.inProcess ? 0 : 1_000;

  const inbox = new Inbox<{ message: MessageView; at: number }>();
  await using consumer = new PushConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    listener: (message) => {
      inbox.push({ message, at: Date.now() });
    },
  });
  await consumer.start();

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
  });
  await producer.start();

  // Recalled at once, well before its time (a recall that reaches the broker after the message's time
  // is refused); the consumer keeps listening until a second past that time.
  const recalled = await producer.send({ topic, body: 'recalled reminder', delayMs: 8_000 });
  const recalledDue = Date.now() + 8_000;
  expect(recalled.recallHandle !== undefined, 'the receipt of a delay message carries a recall handle');
  const id = await producer.recallMessage(topic, recalled.recallHandle!);
  expect(id === recalled.messageId, `recallMessage recalled ${id}`);

  const sentAt = Date.now();
  const inTwo = await producer.send({ topic, body: 'reminder in 2 s', delayMs: 2_000 });
  const atTime = new Date(sentAt + 2_500);
  const onTime = await producer.send({ topic, body: 'reminder at a time', deliveryTimestamp: atTime });
  log(
    `sent 3 delay messages: ${recalled.messageId} (8 s, recalled), ${inTwo.messageId} (2 s), ${onTime.messageId} (at ${atTime.toISOString()})`,
  );
  const normal = await producer.send({ topic, body: 'not delayed' }).then(
    () => 'accepted',
    (e: unknown) => (e instanceof RocketMQError ? e.code : String(e)),
  );
  expect(
    normal === 'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    'a NORMAL message is refused on a DELAY topic (MESSAGE_PROPERTY_CONFLICT_WITH_TYPE)',
    normal,
  );

  const got = await inbox.until(
    (items) => [inTwo, onTime].every((r) => items.some((i) => i.message.messageId === r.messageId)),
    'the two delayed messages',
    broker.inProcess ? 10_000 : 30_000,
  );
  for (const { message, at } of got) {
    log(
      `received "${message.body}" ${at - sentAt} ms after sending (deliveryTimestamp ${message.deliveryTimestamp?.toISOString()})`,
    );
  }
  const arrival = (id: string): number => got.find((g) => g.message.messageId === id)?.at ?? 0;
  expect(arrival(inTwo.messageId) - sentAt >= 2_000 - slack, '"reminder in 2 s" arrived no earlier than 2 s');
  expect(
    arrival(onTime.messageId) >= atTime.getTime() - slack,
    '"reminder at a time" arrived no earlier than its time',
  );
  await sleep(recalledDue + 1_000 - Date.now());
  expect(
    !inbox.items.some((g) => g.message.messageId === recalled.messageId),
    'the recalled message was not delivered (a second past its time)',
  );
  await consumer.shutdown();
}

runExample(main);
