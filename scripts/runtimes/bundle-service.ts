/**
 * A small service, bundled into one file by `scripts/runtimes.ts bundle` (esbuild) and run from a
 * read-only directory with HOME unset, on Node and on Bun: a producer sends SERVICE_COUNT messages
 * (default 20) to SERVICE_TOPIC and a PushConsumer of SERVICE_GROUP consumes them. It exits 0 after
 * printing `service ok: …` once every sent message id was consumed, and 1 otherwise (after 60 s at most).
 * Broker: ROCKETMQ_ENDPOINT (+ ROCKETMQ_ACCESS_KEY / ROCKETMQ_SECRET_KEY); the topic and group exist.
 */
import { Producer, PushConsumer } from '../../src/index.js';

async function main(): Promise<void> {
  const endpoints = process.env.ROCKETMQ_ENDPOINT ?? '';
  const topic = process.env.SERVICE_TOPIC ?? '';
  const group = process.env.SERVICE_GROUP ?? '';
  if (!endpoints || !topic || !group)
    throw new Error('ROCKETMQ_ENDPOINT, SERVICE_TOPIC and SERVICE_GROUP are required');
  const count = Number(process.env.SERVICE_COUNT ?? '20');
  const accessKey = process.env.ROCKETMQ_ACCESS_KEY;
  const accessSecret = process.env.ROCKETMQ_SECRET_KEY;
  const credentials = accessKey && accessSecret ? { accessKey, accessSecret } : undefined;

  const consumed = new Set<string>();
  let allConsumed: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allConsumed = resolve;
  });
  const sent = new Set<string>();
  const consumer = new PushConsumer({
    endpoints,
    credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    listener: (message) => {
      consumed.add(message.messageId);
      if (sent.size === count && [...sent].every((id) => consumed.has(id))) allConsumed();
    },
  });
  const producer = new Producer({ endpoints, credentials, topics: [topic] });
  const timer = setTimeout(() => allConsumed(), 60_000);
  try {
    await consumer.start({ timeoutMs: 30_000 });
    await producer.start({ timeoutMs: 30_000 });
    for (let i = 0; i < count; i++) {
      const r = await producer.send({ topic, body: `service-${i}` });
      sent.add(r.messageId);
    }
    if ([...sent].every((id) => consumed.has(id))) allConsumed();
    await done;
  } finally {
    clearTimeout(timer);
    await producer.shutdown({ timeoutMs: 10_000 });
    await consumer.shutdown({ timeoutMs: 10_000 });
  }
  const missing = [...sent].filter((id) => !consumed.has(id));
  if (missing.length > 0)
    throw new Error(`${missing.length} of ${count} sent messages were not consumed within 60 s`);
  console.log(
    `service ok: ${count} sent, every one consumed by the push consumer (cwd ${process.cwd()}, HOME ${process.env.HOME ?? 'unset'})`,
  );
}

main().then(
  () => undefined,
  (err: unknown) => {
    console.error('service failed:', err);
    process.exitCode = 1;
  },
);
