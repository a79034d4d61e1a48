/**
 * Run by `scripts/runtimes.ts` on each runtime against a real broker with authentication on (the
 * topic and group are created beforehand; names and keys come from the environment):
 *
 * - a producer with a wrong secret is refused at start with a typed `UNAUTHORIZED`;
 * - with the right keys a message is sent and received by a SimpleConsumer, settled with `ackAll`.
 *
 * Prints `acl smoke ok: …` and exits 0, or exits 1 with the reason.
 */
import { Producer, RocketMQError, SimpleConsumer } from '../../src/index.js';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

async function main(): Promise<void> {
  const endpoints = env('ROCKETMQ_ENDPOINT');
  const accessKey = env('ROCKETMQ_ACCESS_KEY');
  const accessSecret = env('ROCKETMQ_SECRET_KEY');
  const topic = env('SMOKE_TOPIC');
  const group = env('SMOKE_GROUP');

  const wrong = new Producer({
    endpoints,
    topics: [topic],
    credentials: { accessKey, accessSecret: `${accessSecret}x` },
  });
  const refused = await wrong.start({ timeoutMs: 30_000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  await wrong.shutdown({ timeoutMs: 5_000 });
  if (!(refused instanceof RocketMQError) || refused.code !== 'UNAUTHORIZED') {
    throw new Error(`a wrong secret should fail start with UNAUTHORIZED, got ${String(refused)}`);
  }
  console.log('acl smoke ok: a wrong secret is refused at start with UNAUTHORIZED');

  const credentials = { accessKey, accessSecret };
  const producer = new Producer({ endpoints, topics: [topic], credentials });
  const consumer = new SimpleConsumer({
    endpoints,
    credentials,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
  });
  try {
    await producer.start({ timeoutMs: 30_000 });
    await consumer.start({ timeoutMs: 30_000 });
    const body = `acl-${Date.now()}`;
    const receipt = await producer.send({ topic, body });
    const deadline = Date.now() + 60_000;
    let found = false;
    while (!found && Date.now() < deadline) {
      const batch = await consumer.receive(16, 30_000);
      const results = await consumer.ackAll(batch);
      const failed = results.filter((r) => r.error !== undefined);
      if (failed.length > 0)
        throw new Error(`ackAll left ${failed.length} unacked: ${failed[0]?.error?.message}`);
      found = batch.some((m) => m.messageId === receipt.messageId && m.body.toString() === body);
    }
    if (!found) throw new Error(`message ${receipt.messageId} was not received within 60 s`);
    console.log(`acl smoke ok: signed send, receive and ackAll of ${receipt.messageId}`);
  } finally {
    await consumer.shutdown({ timeoutMs: 10_000 });
    await producer.shutdown({ timeoutMs: 10_000 });
  }
}

main().then(
  () => console.log('acl smoke done'),
  (err: unknown) => {
    console.error('acl smoke failed:', err);
    process.exitCode = 1;
  },
);
