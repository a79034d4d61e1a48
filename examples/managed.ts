/**
 * The managed layer: a registry of consumer jobs and producers,
 * an error classifier, per-job switches and `waitStop()`.
 *
 * - job "payments" (a handler object with `config` and `handle`) charges orders with 3 workers and
 *   forwards a receipt through the managed producer — from inside the handler, so the receipt carries
 *   the order's request id without being told;
 * - its classifier: a `NonRetryableError` is acked (never retried), a `BusyError` is retried 300 ms later,
 *   anything else is requeued (delivered again after the invisible duration);
 * - job "receipts" is switched off and on again: while off it handles nothing, on again it catches up;
 * - `waitStop({ signal })` returns once the signal asked for the shutdown and everything drained.
 *
 *   npx tsx examples/managed.ts             (in-process broker; ROCKETMQ_ENDPOINT=host:port for a real proxy)
 */
import {
  ConsumeErrorActions,
  type ConsumerDefinition,
  type ErrorClassifier,
  getConsumerSwitch,
  type HandlerContext,
  managedHealth,
  type MessageView,
  NonRetryableError,
  registerConsumer,
  registerProducer,
  setConsumerSwitch,
  startAllConsumers,
  waitStop,
} from '../src/index.js';
import { expect, Inbox, log, openBroker, runExample, uniqueName } from './support.js';

/** The payment provider is overloaded: worth trying again soon. */
class BusyError extends Error {
  override name = 'BusyError';
}

const classifier: ErrorClassifier = (ctx, _message, err) => {
  if (err instanceof NonRetryableError) return ConsumeErrorActions.ack;
  if (err instanceof BusyError) return ConsumeErrorActions.retryLater(300);
  ctx.logger.warn('unexpected failure; requeueing', { err });
  return ConsumeErrorActions.requeue;
};

async function main(): Promise<void> {
  await using broker = await openBroker();
  const ordersTopic = uniqueName('orders');
  const receiptsTopic = uniqueName('receipts');
  const group = uniqueName('billing');
  await broker.createTopic(ordersTopic, 'NORMAL');
  await broker.createTopic(receiptsTopic, 'NORMAL');
  await broker.createGroup(`${group}-payments`);
  await broker.createGroup(`${group}-receipts`);
  log(`broker: ${broker.describe}`);
  const auth = broker.credentials
    ? { accessKey: broker.credentials.accessKey, accessSecret: broker.credentials.accessSecret }
    : {};
  const patience = broker.inProcess ? 10_000 : 60_000;

  const producer = await registerProducer({
    endpoint: broker.endpoint,
    topics: [ordersTopic, receiptsTopic],
    ...auth,
  });
  const charged = new Inbox<{ order: string; attempt: number; requestId: string }>();
  const receipts = new Inbox<{ order: string; requestId: string }>();
  const busyOnce = new Set<string>();

  const payments: ConsumerDefinition = {
    config: {
      jobName: 'payments',
      topic: ordersTopic,
      endpoint: broker.endpoint,
      consumerGroup: `${group}-payments`,
      workerNum: 3,
      errorClassifier: classifier,
      ...auth,
    },
    async handle(ctx: HandlerContext, message: MessageView) {
      const order = message.body.toString();
      if (order === 'order-bad') throw new NonRetryableError('unknown customer', { code: 'NOT_FOUND' });
      if (order === 'order-busy' && !busyOnce.has(order)) {
        busyOnce.add(order);
        throw new BusyError('payment provider overloaded');
      }
      // Sent from inside the handler: carries ctx.requestId as x-request-id.
      await producer.send({ topic: receiptsTopic, body: order });
      charged.push({ order, attempt: ctx.attempt, requestId: ctx.requestId });
    },
  };
  registerConsumer(payments);
  registerConsumer(
    {
      jobName: 'receipts',
      topic: receiptsTopic,
      endpoint: broker.endpoint,
      consumerGroup: `${group}-receipts`,
      ...auth,
    },
    (ctx, message) => {
      receipts.push({ order: message.body.toString(), requestId: ctx.requestId });
    },
  );
  startAllConsumers();
  log('registered jobs "payments" (3 workers) and "receipts"; started');

  const sent = ['order-1', 'order-2', 'order-3', 'order-bad', 'order-busy'];
  for (const order of sent)
    await producer.send({ topic: ordersTopic, body: order }, { requestId: `req-${order}` });
  log(`sent ${sent.join(', ')} (request ids req-<order>)`);

  const got = await receipts.until((r) => r.length >= 4, 'receipts for the 4 good orders', patience);
  // A receipt can reach "receipts" before the handler that sent it records the charge.
  await charged.until((c) => c.length >= 4, 'the 4 good orders charged', patience);
  const busy = charged.items.find((c) => c.order === 'order-busy');
  log(`"order-busy" was charged on attempt ${busy?.attempt}`);
  expect(busy?.attempt === 2, 'the BusyError was retried (retryLater) and succeeded on attempt 2');
  expect(!charged.items.some((c) => c.order === 'order-bad'), 'the NonRetryableError was acked, not retried');
  expect(
    got.every((r) => r.requestId === `req-${r.order}`),
    'each receipt carried the request id of its order (x-request-id, propagated by the handler context)',
    got,
  );

  // The switch: "receipts" off → nothing handled; on → it catches up.
  setConsumerSwitch('receipts', false);
  log(`switched "receipts" off (switch: ${getConsumerSwitch('receipts')})`);
  for (const order of ['order-4', 'order-5']) await producer.send({ topic: ordersTopic, body: order });
  await charged.until(
    (c) => c.some((x) => x.order === 'order-5') && c.some((x) => x.order === 'order-4'),
    'order-4 and order-5 charged',
    patience,
  );
  const receiptsJob = managedHealth().consumers.find((c) => c.jobName === 'receipts');
  log(`"payments" charged order-4 and order-5 and sent their receipts; "receipts" is ${receiptsJob?.state}`);
  // Its session may still be "stopping": the long poll it had open ends on its own (at most 5 s) and
  // hands back what it took, so nothing is handled and nothing is left invisible.
  expect(
    (receiptsJob?.state === 'off' || receiptsJob?.state === 'stopping') && receipts.items.length === 4,
    'while off, "receipts" handled nothing',
  );
  const onAt = Date.now();
  setConsumerSwitch('receipts', true);
  const caughtUp = await receipts.until((r) => r.length >= 6, 'the 2 receipts sent while off', patience);
  expect(
    ['order-4', 'order-5'].every((o) => caughtUp.some((r) => r.order === o)),
    `switched on: "receipts" handled the 2 waiting receipts ${Date.now() - onAt} ms later`,
  );

  // waitStop: returns once shutdown is requested (here by the signal) and everything drained.
  const stop = new AbortController();
  const stopped = waitStop({ signal: stop.signal, timeoutMs: 10_000 });
  stop.abort();
  await stopped;
  const h = managedHealth();
  for (const c of h.consumers) {
    log(
      `  ${c.jobName}: ${c.state}; handled ${c.handled}, failed ${c.failed} (acked ${c.acked}, retried later ${c.retriedLater}, requeued ${c.requeued}), sessions ${c.sessionsStarted}`,
    );
  }
  expect(
    h.consumers.every((c) => c.state === 'closed') && h.producers.length === 0,
    'waitStop() returned with every job and producer closed',
  );
  const p = h.consumers.find((c) => c.jobName === 'payments');
  expect(
    p?.handled === 6 && p.acked === 1 && p.retriedLater === 1,
    'payments: 6 handled, 1 acked by the classifier, 1 retried later',
    p,
  );
}

runExample(main);
