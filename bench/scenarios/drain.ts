/**
 * Consume on the real broker: the runner has filled a fresh topic with `messages` 1 KiB messages (see
 * lib/prefill.ts; not measured, not in this process), and the client drains it with `concurrency`
 * loops of receive + ack. The window runs from the first receive to the last ack of the backlog.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdapter, shutdownBounded } from '../adapters/index.js';
import { LatencyRecorder } from '../lib/stats.js';
import { configFor, fromWindow, type Scenario } from './context.js';

const DRAIN_LIMIT_MS = 120_000;

export const drain: Scenario = async ({ spec, factory }) => {
  const backlog = spec.messages ?? 10_000;
  const consumer = await createAdapter(factory, configFor(spec, 'simple-consumer'));
  await consumer.start();
  const latencies = new LatencyRecorder();
  let consumed = 0;
  let errors = 0;
  let lastError: string | undefined;
  const deadline = performance.now() + DRAIN_LIMIT_MS;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let tLast = t0;
  const loop = async (): Promise<void> => {
    while (consumed < backlog && performance.now() < deadline) {
      const s = performance.now();
      try {
        const batch = await consumer.receiveBatch(spec.batch);
        if (batch.length === 0) continue;
        await consumer.ack(batch);
        consumed += batch.length;
        tLast = performance.now();
        latencies.record(tLast - s);
      } catch (err) {
        errors++;
        lastError = err instanceof Error ? err.message : String(err);
        await sleep(50);
      }
    }
  };
  // Loops still long-polling once the backlog is gone are not waited for.
  const loops = Array.from({ length: spec.concurrency }, loop);
  while (consumed < backlog && performance.now() < deadline) await sleep(20);
  const cpu = process.cpuUsage(cpu0);
  const mem = process.memoryUsage();
  void loops;
  await shutdownBounded(consumer, spec.shutdownTimeoutMs);
  return fromWindow(
    spec,
    {
      msgs: consumed,
      wallMs: tLast - t0,
      cpuUs: cpu.user + cpu.system,
      latencies,
      errors,
      lastError,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
    },
    { backlog },
  );
};
