/**
 * SimpleConsumer: the application pulls messages and settles each one itself.
 *
 * - `receive(maxMessages, invisibleDurationMs)`: long-polls; the messages returned are invisible to
 *   the rest of the group for that long. Not acked in time → delivered again (at-least-once).
 * - `ack(message)`: done, never delivered again. `ackAll(batch)` settles a whole batch in one request
 *   per endpoint and topic and returns a result per message.
 * - `changeInvisibleDuration(message, ms)`: more time (or 0: hand it back now). It returns a new view
 *   with a new receipt handle, which later calls must use.
 * - `messages({ signal })`: an async iterator that receives continuously until the signal aborts.
 *
 *   npx tsx examples/simple-consumer.ts     (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { FilterExpression, type MessageView, Producer, SimpleConsumer } from '../src/index.js';
import { expect, log, openBroker, runExample, uniqueName } from './support.js';

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
  await using consumer = new SimpleConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: FilterExpression.tag('job') },
    awaitDurationMs: 10_000, // each receive waits up to 10 s for messages
  });
  await consumer.start();

  // 1. receive → ack, and changeInvisibleDuration(…, 0) to hand one back.
  for (const name of ['resize', 'encode', 'upload']) await producer.send({ topic, body: name, tag: 'job' });
  await producer.send({ topic, body: 'not for us', tag: 'other' }); // filtered out by the tag expression
  const first: MessageView[] = [];
  while (first.length < 3) first.push(...(await consumer.receive(3, 30_000)));
  log(`received ${first.map((m) => `"${m.body}" (attempt ${m.deliveryAttempt})`).join(', ')}`);
  const [a, b, c] = first as [MessageView, MessageView, MessageView];
  const results = await consumer.ackAll([a, b]);
  const notAcked = results.filter((r) => r.error !== undefined).map((r) => r.error?.code);
  expect(notAcked.length === 0, `"${a.body}" and "${b.body}" acked with one ackAll`, notAcked);
  const handedBack = await consumer.changeInvisibleDuration(c, 0);
  log(`handed "${c.body}" back (new receipt handle: ${handedBack.receiptHandle !== c.receiptHandle})`);

  const again = await consumer.receive(3, 30_000);
  log(`received again: ${again.map((m) => `"${m.body}" (attempt ${m.deliveryAttempt})`).join(', ')}`);
  expect(
    again.length === 1 && again[0]?.messageId === c.messageId && again[0].deliveryAttempt === 2,
    `only the handed-back message came back, as delivery attempt 2`,
    again.map((m) => ({ body: m.body.toString(), attempt: m.deliveryAttempt })),
  );
  // A slow job asks for more time before its invisible duration runs out, then acks with the new view.
  const extended = await consumer.changeInvisibleDuration(again[0]!, 60_000);
  await consumer.ack(extended);
  log(`extended "${extended.body}" by 60 s, then acked it with the new receipt handle`);

  // 2. The iterator: receive continuously, ack each, stop with the signal.
  for (let i = 0; i < 5; i++) await producer.send({ topic, body: `batch job ${i}`, tag: 'job' });
  const stop = new AbortController();
  const bound = setTimeout(() => stop.abort(), 20_000); // never wait forever
  bound.unref();
  const handled: string[] = [];
  try {
    for await (const m of consumer.messages({
      signal: stop.signal,
      maxMessages: 8,
      invisibleDurationMs: 30_000,
    })) {
      handled.push(m.body.toString());
      await consumer.ack(m);
      if (handled.length === 5) stop.abort(); // ends the loop normally
    }
  } finally {
    clearTimeout(bound);
  }
  log(`messages() yielded ${handled.join(', ')} and ended when the signal aborted`);
  expect(
    handled.length === 5 && new Set(handled).size === 5,
    'the iterator yielded the 5 new messages once each',
    handled,
  );
  const everything = [...first, ...again].map((m) => m.body.toString()).concat(handled);
  expect(!everything.includes('not for us'), 'the message with another tag was never delivered');
}

runExample(main);
