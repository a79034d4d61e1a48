/**
 * PushConsumer on an ordered (FIFO) group: messages of one message group are handed to the listener
 * one at a time, in the order they were sent — also across batches and with `concurrency` > 1 —
 * while different groups run in parallel. A failed message is retried in place (locally, after the
 * retry delay) before the next message of its group; after the group's last attempt it goes to the
 * dead-letter queue and the group moves on.
 *
 * Whether a group is ordered is the server's setting (the consumer reads it at start): create the group
 * as FIFO, and send with a `messageGroup` to a FIFO topic.
 *
 *   npx tsx examples/push-consumer-fifo.ts  (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { Producer, PushConsumer } from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, sleep, uniqueName } from './support.js';

const ACCOUNTS = ['acct-a', 'acct-b', 'acct-c', 'acct-d'];
const PER_ACCOUNT = 5;

async function main(): Promise<void> {
  await using broker = await openBroker();
  const topic = uniqueName('ledger-entries');
  const group = uniqueName('balances');
  await broker.createTopic(topic, 'FIFO');
  await broker.createGroup(group, { fifo: true });
  log(`broker: ${broker.describe}; FIFO topic ${topic}, ordered group ${group}`);

  const calls = new Inbox<{ account: string; seq: number; attempt: number }>();
  const running = new Set<string>();
  let sameGroupOverlap = false;
  let peakGroups = 0;
  await using consumer = new PushConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    concurrency: 8,
    listener: async (message, { attempt }) => {
      const [account, seq] = message.body.toString().split('#') as [string, string];
      if (running.has(account)) sameGroupOverlap = true;
      running.add(account);
      peakGroups = Math.max(peakGroups, running.size);
      try {
        await sleep(10 + Number(seq) * 3); // some entries take longer
        calls.push({ account, seq: Number(seq), attempt });
        // The ledger database is briefly locked for entry 2 of acct-b: retry it in 200 ms.
        if (account === 'acct-b' && seq === '2' && attempt === 1) return { retryAfterMs: 200 };
        return 'success';
      } finally {
        running.delete(account);
      }
    },
  });
  await consumer.start();
  log(`consumer is ${consumer.state}; the server says the group is FIFO: ${consumer.stats().fifo}`);
  expect(consumer.stats().fifo, 'the consumer consumes in order (ordered group)');

  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
  });
  await producer.start();
  // Interleaved across accounts; within one account, each send waits for the previous one.
  for (let seq = 0; seq < PER_ACCOUNT; seq++) {
    await Promise.all(
      ACCOUNTS.map((account) => producer.send({ topic, body: `${account}#${seq}`, messageGroup: account })),
    );
  }
  log(`sent ${PER_ACCOUNT} entries for each of ${ACCOUNTS.join(', ')}`);

  const all = await calls.until(
    (c) =>
      c.filter((x) => !(x.account === 'acct-b' && x.seq === 2 && x.attempt === 1)).length >=
      ACCOUNTS.length * PER_ACCOUNT,
    'every entry handled',
    broker.inProcess ? 15_000 : 60_000,
  );
  for (const account of ACCOUNTS) {
    const seen = all
      .filter((c) => c.account === account)
      .map((c) => (c.attempt > 1 ? `${c.seq}(retry)` : `${c.seq}`));
    log(`  ${account}: ${seen.join(' → ')}`);
  }
  const inOrder = ACCOUNTS.filter((a) => a !== 'acct-b').every(
    (a) =>
      all
        .filter((c) => c.account === a)
        .map((c) => c.seq)
        .join() === '0,1,2,3,4',
  );
  expect(inOrder, 'each account’s entries were handled once, in the order sent');
  const b = all
    .filter((c) => c.account === 'acct-b')
    .map((c) => `${c.seq}/${c.attempt}`)
    .join();
  expect(b === '0/1,1/1,2/1,2/2,3/1,4/1', 'acct-b: entry 2 was retried in place, before entry 3', b);
  expect(!sameGroupOverlap, 'never two listener calls for one account at the same time');
  expect(peakGroups > 1, `different accounts were handled in parallel (up to ${peakGroups} at once)`);
  await consumer.shutdown();
}

runExample(main);
