/**
 * End-to-end latency on the real broker: one producer and one consumer of the same client in the same
 * process; the producer offers `rate` msgs/s (paced every 10 ms) with the send time in the first 8 bytes
 * of each 1 KiB body; the consumer (simple: 2 loops of receive + ack; or push) records now − send time
 * in its handler. Only messages sent inside the window count; the warm-up starts once the first message
 * arrived (`firstMessageMs`: from the first send to it).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdapter, shutdownBounded } from '../adapters/index.js';
import type { ClientAdapter } from '../adapters/types.js';
import type { WindowResult } from '../lib/measure.js';
import { LatencyRecorder } from '../lib/stats.js';
import { configFor, fromWindow, type Scenario } from './context.js';

const TICK_MS = 10;
const MAX_IN_FLIGHT = 512;
const FIRST_MESSAGE_LIMIT_MS = 30_000;

export const e2e: Scenario = async ({ spec, factory }) => {
  const latencies = new LatencyRecorder();
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let received = 0;
  let firstAt: number | undefined;
  let stopped = false;
  const onBody = (body: Uint8Array): void => {
    firstAt ??= performance.now();
    const sentAt = Buffer.from(body.buffer, body.byteOffset, body.byteLength).readDoubleBE(0);
    if (sentAt >= windowStart && sentAt <= windowEnd) {
      latencies.record(performance.now() - sentAt);
      received++;
    }
  };
  let consumer: ClientAdapter;
  const loops: Promise<void>[] = [];
  if (spec.consumer === 'push') {
    consumer = await createAdapter(
      factory,
      configFor(spec, 'push-consumer', { onMessage: (m) => onBody(consumer.bodyOf(m)) }),
    );
    await consumer.start();
  } else {
    consumer = await createAdapter(factory, configFor(spec, 'simple-consumer'));
    await consumer.start();
    for (let i = 0; i < 2; i++) {
      loops.push(
        (async () => {
          while (!stopped) {
            try {
              const batch = await consumer.receiveBatch(spec.batch);
              for (const m of batch) onBody(consumer.bodyOf(m));
              await consumer.ack(batch);
            } catch {
              if (!stopped) await sleep(50);
            }
          }
        })(),
      );
    }
  }
  const producer = await createAdapter(factory, configFor(spec, 'producer'));
  await producer.start();
  const rate = spec.rate ?? 500;
  let inFlight = 0;
  let sendErrors = 0;
  const pacer = (async () => {
    let next = performance.now();
    let owed = 0;
    while (!stopped) {
      owed += (rate * TICK_MS) / 1000;
      while (owed >= 1 && inFlight < MAX_IN_FLIGHT) {
        owed -= 1;
        const body = Buffer.alloc(spec.bodySize, 'x');
        body.writeDoubleBE(performance.now(), 0);
        inFlight++;
        producer.send(body).then(
          () => inFlight--,
          () => {
            inFlight--;
            sendErrors++;
          },
        );
      }
      next += TICK_MS;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();
  // The consumer may need a while to get its first message (a push consumer's first assignment scan
  // can come back empty for a brand-new group); the warm-up starts once messages flow.
  const sendStart = performance.now();
  while (firstAt === undefined && performance.now() - sendStart < FIRST_MESSAGE_LIMIT_MS) await sleep(10);
  const firstMessageMs = firstAt === undefined ? Number.NaN : firstAt - sendStart;
  await sleep(spec.warmupMs);
  const cpu0 = process.cpuUsage();
  windowStart = performance.now();
  await sleep(spec.durationMs);
  windowEnd = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  await sleep(2_000); // messages sent at the end of the window may still be on their way
  stopped = true;
  await pacer;
  await shutdownBounded(producer, spec.shutdownTimeoutMs);
  await shutdownBounded(consumer, spec.shutdownTimeoutMs);
  await Promise.race([Promise.all(loops), sleep(1_000)]);
  const w: WindowResult = {
    msgs: received,
    wallMs: windowEnd - windowStart,
    cpuUs: cpu.user + cpu.system,
    latencies,
    errors: sendErrors,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
  };
  return fromWindow(spec, w, { offeredRate: rate, firstMessageMs });
};
