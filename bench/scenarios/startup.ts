/**
 * Startup: from constructing the producer to the first send's receipt (settings handshake, route,
 * connection, one SendMessage). Module loading is excluded here; the worker reports the client's
 * import time separately (`importMs`).
 */
import { createAdapter, shutdownBounded } from '../adapters/index.js';
import { startWindowProfile } from '../lib/profiler.js';
import { variantOf } from '../lib/spec.js';
import { configFor, type Scenario } from './context.js';

export const startup: Scenario = async ({ spec, factory }) => {
  const body = Buffer.alloc(spec.bodySize, 'x');
  const stopProfile = await startWindowProfile();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const adapter = await createAdapter(factory, configFor(spec, 'producer'));
  await adapter.start();
  const tStarted = performance.now();
  await adapter.send(body);
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await stopProfile?.();
  await shutdownBounded(adapter, spec.shutdownTimeoutMs);
  return {
    target: spec.target,
    client: spec.client,
    scenario: spec.scenario,
    variant: variantOf(spec),
    ok: true,
    msgs: 1,
    p50Ms: t1 - t0,
    rssMiB: process.memoryUsage().rss / (1024 * 1024),
    extra: { startMs: tStarted - t0, firstSendMs: t1 - tStarted, cpuMs: (cpu.user + cpu.system) / 1000 },
  };
};
