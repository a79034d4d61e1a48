/**
 * PushConsumer on a concurrent (non-FIFO) group: the client receives in the background, keeps a
 * prefetch cache, and calls the listener for up to `concurrency` messages at once. What the listener
 * returns settles the message:
 *
 * - nothing / `'success'` → acked (acks of many messages go out in one AckMessage request);
 * - `'failure'` or a throw → delivered again after the group's retry-policy delay;
 * - `{ retryAfterMs }` → delivered again after that delay.
 *
 * Then `shutdown()` drains: no more receives, listeners in progress finish, acks are flushed.
 *
 *   npx tsx examples/push-consumer.ts       (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { Producer, PushConsumer } from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, sleep, uniqueName } from './support.js';

const COUNT = 24;
const CONCURRENCY = 4;

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('emails');
  const group = uniqueName('mailer');
  await broker.createTopic(topic, 'NORMAL');
  await broker.createGroup(group);
  log(`broker: ${broker.describe}; topic ${topic}, group ${group}`);

  const done = new Inbox<{ body: string; attempt: number }>();
  const attempts = new Map<string, number[]>();
  let inFlight = 0;
  let peak = 0;
  await using consumer = new PushConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    concurrency: CONCURRENCY,
    listener: async (message, { attempt, signal }) => {
      const body = message.body.toString();
      attempts.set(body, [...(attempts.get(body) ?? []), attempt]);
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        await sleep(25, signal); // the "email" takes a while; `signal` aborts if the lease is lost
        if (body === 'email 3' && attempt === 1) return { retryAfterMs: 300 }; // the mail server said "later"
        if (body === 'email 7' && attempt === 1) throw new Error('template not loaded yet');
        done.push({ body, attempt });
        return 'success';
      } finally {
        inFlight--;
      }
    },
  });
  await consumer.start();
  log(`consumer ${consumer.clientId} is ${consumer.state} (FIFO group: ${consumer.stats().fifo})`);

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
  });
  await producer.start();
  await Promise.all(Array.from({ length: COUNT }, (_, i) => producer.send({ topic, body: `email ${i}` })));
  log(`sent ${COUNT} messages`);

  await done.until(
    (d) => d.length >= COUNT,
    `all ${COUNT} messages handled`,
    broker.inProcess ? 15_000 : 60_000,
  );
  log(
    `"email 3" attempts: ${attempts.get('email 3')?.join(', ')}; "email 7" attempts: ${attempts.get('email 7')?.join(', ')}`,
  );
  expect(
    attempts.get('email 3')?.join() === '1,2' && attempts.get('email 7')?.join() === '1,2',
    'the message that asked for { retryAfterMs } and the one that threw were each delivered again, once',
  );
  const twice = [...attempts].filter(([b, a]) => a.length > 1 && b !== 'email 3' && b !== 'email 7');
  expect(twice.length === 0, 'no other message was delivered twice', twice);
  expect(
    peak > 1 && peak <= CONCURRENCY,
    `listener calls ran in parallel, never more than ${CONCURRENCY} (peak ${peak})`,
  );

  await consumer.shutdown({ timeoutMs: 5_000 });
  const s = consumer.stats();
  log(
    `after shutdown: state ${s.state}; received ${s.received}, succeeded ${s.succeeded}, failed ${s.failed}; acked ${s.acked} in ${s.ackRequests} AckMessage requests, nacked ${s.nacked}`,
  );
  expect(s.state === 'stopped', 'shutdown() drained and stopped the consumer');
  expect(s.acked === COUNT && s.nacked === 2, `${COUNT} acked and 2 nacked`, {
    acked: s.acked,
    nacked: s.nacked,
  });
  expect(s.ackRequests < s.acked, 'acks were batched (fewer AckMessage requests than acked messages)');
}

runExample(main);
