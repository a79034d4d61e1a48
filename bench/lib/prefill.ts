/** Fills a topic with a backlog for the real-broker consume scenario (runner side, not measured). */
import { Producer } from '../../src/index.js';

export async function prefill(
  endpoint: string,
  topic: string,
  count: number,
  bodySize: number,
): Promise<void> {
  const producer = new Producer({ endpoints: endpoint, topics: [topic] });
  await producer.start();
  try {
    const body = Buffer.alloc(bodySize, 'x');
    let sent = 0;
    const loop = async (): Promise<void> => {
      while (sent < count) {
        sent++;
        await producer.send({ topic, body, tag: 'bench' });
      }
    };
    await Promise.all(Array.from({ length: 32 }, loop));
  } finally {
    await producer.shutdown();
  }
}
