/**
 * Lite topics (RocketMQ 5.5): one LITE parent topic `chat` holds a small queue per conversation (a lite
 * topic); a lite group bound to the parent consumes the conversations it subscribes to at run time.
 *
 * - The producer sends with `liteTopic` (the conversation);
 * - the LitePushConsumer subscribes to single lite topics (`'min'` replays what is already there) and
 *   receives only those, each message naming its lite topic;
 * - a listener may return `{ suspendMs }`: the message comes back after that time (a lite group's
 *   "not now", which the server does not count as a failed attempt);
 * - after `unsubscribeLite` nothing more arrives from that conversation.
 *
 *   npx tsx examples/lite-push-consumer.ts   (in-process broker; ROCKETMQ_ENDPOINT=host:port for a 5.5
 *                                             proxy in cluster mode with enableLmq/enableMultiDispatch)
 */
import { LitePushConsumer, Producer } from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, uniqueName } from './support.js';

const SUSPEND_MS = 1_000;

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('chat');
  const group = uniqueName('chat-workers');
  await broker.createTopic(topic, 'LITE');
  await broker.createGroup(group, { liteBindTopic: topic });
  log(`broker: ${broker.describe}; LITE topic ${topic}, lite group ${group}`);
  const wait = broker.inProcess ? 15_000 : 60_000;

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
  });
  await producer.start();
  // Two conversations already have a message before anyone listens.
  await producer.send({ topic, liteTopic: 'alice', body: 'alice: hi (sent before subscribing)' });
  await producer.send({ topic, liteTopic: 'bob', body: 'bob: hello (sent before subscribing)' });

  const got = new Inbox<{ lite: string; body: string; attempt: number; at: number }>();
  let suspendedAt = 0;
  await using consumer = new LitePushConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    topic,
    listener: (message) => {
      const body = message.body.toString();
      got.push({
        lite: message.liteTopic ?? '',
        body,
        attempt: message.deliveryAttempt,
        at: performance.now(),
      });
      if (body === 'alice: busy?' && suspendedAt === 0) {
        suspendedAt = performance.now();
        return { suspendMs: SUSPEND_MS }; // "not now": back in a second
      }
      return 'success';
    },
  });
  await consumer.start();
  await consumer.subscribeLite('alice', { offset: 'min' });
  await consumer.subscribeLite('carol');
  log(
    `subscribed to ${[...consumer.liteTopics].join(', ')} (quota ${consumer.liteSubscriptionQuota} per client)`,
  );

  await producer.send({ topic, liteTopic: 'carol', body: 'carol: new conversation' });
  await producer.send({ topic, liteTopic: 'alice', body: 'alice: busy?' });
  await got.until(
    (items) => items.filter((i) => i.body === 'alice: busy?').length >= 2 && items.length >= 4,
    'the backlog, the new messages and the suspended one back',
    wait,
  );
  const bodies = got.items.map((i) => i.body);
  expect(bodies.includes('alice: hi (sent before subscribing)'), "'min' replayed alice's earlier message");
  expect(bodies.includes('carol: new conversation'), "carol's message arrived");
  expect(
    got.items.every((i) => i.lite !== 'bob'),
    'nothing from bob, who is not subscribed',
  );
  expect(
    got.items.every((i) => i.body.startsWith(`${i.lite}:`)),
    'every message named its lite topic',
  );
  const back = got.items.filter((i) => i.body === 'alice: busy?')[1]!;
  log(
    `the suspended message came back after ${Math.round(back.at - suspendedAt)} ms (attempt ${back.attempt})`,
  );
  expect(
    back.at - suspendedAt >= SUSPEND_MS - 50,
    `the suspended message came back after ${SUSPEND_MS} ms, not before`,
  );

  await consumer.unsubscribeLite('carol');
  const before = got.items.length;
  await producer.send({ topic, liteTopic: 'carol', body: 'carol: anyone there?' });
  await producer.send({ topic, liteTopic: 'alice', body: 'alice: bye' });
  await got.until((items) => items.some((i) => i.body === 'alice: bye'), "alice's last message", wait);
  expect(
    got.items.slice(before).every((i) => i.lite !== 'carol'),
    'after unsubscribeLite nothing more came from carol',
  );
  await consumer.shutdown({ timeoutMs: 5_000 });
  expect(consumer.state === 'stopped', 'shutdown() stopped the consumer');
}

runExample(main);
