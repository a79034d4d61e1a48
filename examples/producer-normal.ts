/**
 * NORMAL messages: `send` one at a time and concurrently, each returning its receipt; tag, keys and
 * user properties; per-call options (`signal`, `timeoutMs`); a bad message refused before anything is
 * sent. A SimpleConsumer then receives every message to show it arrived as it was sent.
 *
 *   npx tsx examples/producer-normal.ts     (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { type MessageView, Producer, RocketMQError, type SendReceipt, SimpleConsumer } from '../src/index.js';
import { expect, log, openBroker, runExample, uniqueName } from './support.js';

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('orders');
  const group = uniqueName('billing');
  await broker.createTopic(topic, 'NORMAL');
  await broker.createGroup(group);
  log(`broker: ${broker.describe}; topic ${topic}, group ${group}`);

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic], // routes fetched at start, so the first send does not wait for one
  });
  await producer.start();
  log(`producer ${producer.clientId} is ${producer.state}`);

  // One at a time: each send resolves with the receipt once the broker stored the message.
  const receipts = new Map<string, SendReceipt>();
  for (let i = 1; i <= 3; i++) {
    const r = await producer.send({
      topic,
      body: JSON.stringify({ order: i, amount: i * 10 }),
      tag: 'created',
      keys: [`order-${i}`],
      properties: { source: 'example', order: String(i) },
    });
    receipts.set(r.messageId, r);
    log(
      `sent order-${i}: id ${r.messageId}, queue ${r.queue.brokerName}/${r.queue.queueId}, offset ${r.offset}`,
    );
  }

  // Concurrently: sends are independent promises; each is bounded by its own timeoutMs.
  const concurrent = await Promise.all(
    [4, 5, 6, 7].map((i) =>
      producer.send(
        { topic, body: JSON.stringify({ order: i }), tag: 'paid', keys: [`order-${i}`] },
        { timeoutMs: 5_000 },
      ),
    ),
  );
  for (const r of concurrent) receipts.set(r.messageId, r);
  log(`sent 4 more concurrently: ${concurrent.map((r) => r.messageId).join(', ')}`);

  // Refused before anything goes on the wire: an empty body, and an already aborted signal.
  const codeOf = async (p: Promise<unknown>): Promise<string> =>
    p.then(
      () => 'no error',
      (e: unknown) => (e instanceof RocketMQError ? e.code : String(e)),
    );
  const empty = await codeOf(producer.send({ topic, body: '' }));
  expect(empty === 'MESSAGE_BODY_EMPTY', 'an empty body is refused with MESSAGE_BODY_EMPTY', empty);
  const aborted = await codeOf(producer.send({ topic, body: 'x' }, { signal: AbortSignal.abort() }));
  expect(aborted === 'ABORTED', 'a send whose signal is aborted fails with ABORTED', aborted);

  // Receive them all (subscribing to both tags) and compare with what was sent.
  await using consumer = new SimpleConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: 'created||paid' },
  });
  await consumer.start();
  const seen = new Map<string, MessageView>();
  const giveUpAt = Date.now() + 30_000;
  while (seen.size < receipts.size && Date.now() < giveUpAt) {
    for (const m of await consumer.receive(16, 30_000)) {
      seen.set(m.messageId, m);
      await consumer.ack(m);
    }
  }
  log(`received and acked ${seen.size} messages`);
  expect(
    [...receipts.keys()].every((id) => seen.has(id)),
    `every one of the ${receipts.size} sent messages was received (matched by message id)`,
    { sent: receipts.size, received: seen.size },
  );
  const first = [...seen.values()].find((m) => m.keys.includes('order-1'));
  expect(
    first?.tag === 'created' &&
      first.properties.source === 'example' &&
      JSON.parse(first.body.toString()).amount === 10,
    'body, tag, keys and properties arrived as sent',
    first && { tag: first.tag, keys: first.keys, properties: first.properties },
  );
}

runExample(main);
