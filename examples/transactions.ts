/**
 * Transactional messages: a half message is stored but invisible until its transaction is committed.
 *
 * 1. commit: the local work succeeded → `tx.commit()` → consumers get the message;
 * 2. rollback: the local work failed → `tx.rollback()` → the message is dropped;
 * 3. the producer "crashes" after sending (neither commit nor rollback): the broker later asks the
 *    producer's `transactionChecker` what happened, and the checker answers from the local database —
 *    COMMIT for an order that was paid, ROLLBACK for one that was cancelled.
 *
 * A PushConsumer shows which messages became visible. Transactional topics (type TRANSACTION) must be
 * listed in the producer's `topics`: the broker only sends checks for the topics a producer declared.
 * On the in-process broker the first check comes 0.5 s after the half message; on a real broker after
 * `transactionTimeOut` (6 s by default), then every `transactionCheckInterval`.
 *
 *   npx tsx examples/transactions.ts        (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import { type MessageView, Producer, PushConsumer, type TransactionCheckResult } from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, uniqueName } from './support.js';

/** The application's own database: order → its state, written in the same unit of work as the send. */
const orders = new Map<string, 'pending' | 'paid' | 'cancelled'>();

async function main(): Promise<void> {
  await using broker = await openBroker({ transactionCheckDelayMs: 500, transactionCheckIntervalMs: 500 });
  const topic = uniqueName('payments');
  const group = uniqueName('ledger');
  await broker.createTopic(topic, 'TRANSACTION');
  await broker.createGroup(group);
  log(`broker: ${broker.describe}; TRANSACTION topic ${topic}`);
  const patience = broker.inProcess ? 10_000 : 120_000;

  const delivered = new Inbox<MessageView>();
  await using consumer = new PushConsumer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    listener: (message) => {
      log(`consumer got "${message.body}"`);
      delivered.push(message);
    },
  });
  await consumer.start();

  const checks = new Inbox<{ order: string; answer: TransactionCheckResult }>();
  await using producer = new Producer({
    endpoints: broker.endpoint,
    credentials: broker.credentials,
    topics: [topic],
    // Called when the broker checks a transaction nobody ended; answers from the local database.
    transactionChecker: (message) => {
      const order = message.keys[0] ?? '';
      const state = orders.get(order);
      const answer: TransactionCheckResult =
        state === 'paid' ? 'COMMIT' : state === 'cancelled' ? 'ROLLBACK' : 'UNKNOWN';
      log(`checker: the broker asks about ${order} (local state ${state}) → ${answer}`);
      checks.push({ order, answer });
      return answer;
    },
  });
  await producer.start();

  /** One business operation: send the half message, do the local work, then end the transaction. */
  const pay = async (
    order: string,
    work: () => void,
    end: 'commit' | 'rollback' | 'crash',
  ): Promise<void> => {
    const tx = producer.beginTransaction();
    const receipt = await tx.send({ topic, body: `${order} paid`, keys: [order] });
    orders.set(order, 'pending');
    work();
    if (end === 'commit') await tx.commit();
    if (end === 'rollback') await tx.rollback();
    log(
      `${order}: half message ${receipt.messageId} (transaction ${receipt.transactionId}), ${end === 'crash' ? 'not ended' : end}, transaction ${tx.state}`,
    );
  };

  await pay('order-1', () => orders.set('order-1', 'paid'), 'commit');
  await pay('order-2', () => orders.set('order-2', 'cancelled'), 'rollback');
  // "Crashes": the local work is done (or undone) but the transaction is never ended by the producer.
  await pay('order-3', () => orders.set('order-3', 'paid'), 'crash');
  await pay('order-4', () => orders.set('order-4', 'cancelled'), 'crash');

  const answered = await checks.until(
    (c) => ['order-3', 'order-4'].every((o) => c.some((x) => x.order === o)),
    'the broker checks order-3 and order-4',
    patience,
  );
  const answerFor = (order: string): string | undefined =>
    answered.findLast((c) => c.order === order)?.answer;
  expect(
    answerFor('order-3') === 'COMMIT' && answerFor('order-4') === 'ROLLBACK',
    'the broker checked both unended transactions: order-3 → COMMIT, order-4 → ROLLBACK',
  );

  // A last committed transaction: once it is delivered, the rollbacks above are long settled.
  await pay('order-5', () => orders.set('order-5', 'paid'), 'commit');
  const got = await delivered.until(
    (d) => ['order-1', 'order-3', 'order-5'].every((o) => d.some((m) => m.keys[0] === o)),
    'order-1, order-3 and order-5 delivered',
    patience,
  );
  const keys = got.map((m) => m.keys[0]);
  expect(keys.includes('order-1'), 'order-1 (committed) was delivered');
  expect(keys.includes('order-3'), 'order-3 (committed by the checker) was delivered');
  expect(!keys.includes('order-2'), 'order-2 (rolled back) was not delivered');
  expect(!keys.includes('order-4'), 'order-4 (rolled back by the checker) was not delivered');
  await consumer.shutdown();
}

runExample(main);
