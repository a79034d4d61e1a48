/**
 * Reads back what a consumer group still has: a SimpleConsumer of the group receives (and acks) for a
 * while. Used to prove "nothing redelivered" / "nothing lost" after a consumer stopped.
 */
import { SimpleConsumer } from '../../src/consumer/simple-consumer.js';
import type { MessageView } from '../../src/model/message-view.js';

/** Receives from `topic` as `group` for `ms`, acking everything; returns what came. */
export async function drainGroup(
  endpoint: string,
  topic: string,
  group: string,
  ms: number,
  invisibleMs = 10_000,
): Promise<MessageView[]> {
  const sc = new SimpleConsumer({
    endpoints: endpoint,
    consumerGroup: group,
    subscriptions: { [topic]: '*' },
    awaitDurationMs: 5_000,
  });
  await sc.start({ timeoutMs: 20_000 });
  const got: MessageView[] = [];
  const end = Date.now() + ms;
  try {
    while (Date.now() < end) {
      const batch = await sc.receive(32, invisibleMs, {
        timeoutMs: Math.max(8_000, end - Date.now() + 3_000),
      });
      for (const m of batch) {
        got.push(m);
        await sc.ack(m);
      }
    }
  } finally {
    await sc.shutdown();
  }
  return got;
}
