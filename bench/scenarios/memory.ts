/**
 * Memory with N received 1 KiB messages held by the client:
 * - `push`: a push consumer whose handler never finishes, so its client-side cache (prefetch) fills up
 *   to `maxCachedMessages` = N (counted by the adapter's `cachedMessages()`: messages received and not
 *   settled, whether waiting or inside the handler);
 * - `simple`: a simple consumer (no prefetch) from which the application receives and holds N messages.
 *
 * Figures are deltas between the started, idle client and the full one, after two forced GCs (the worker
 * runs with --expose-gc): retained heap + external (Buffers) and RSS, per message.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createAdapter, shutdownBounded } from '../adapters/index.js';
import type { ClientAdapter } from '../adapters/types.js';
import { variantOf } from '../lib/spec.js';
import { configFor, type Scenario } from './context.js';

const gc = (): void => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('the memory scenario needs node --expose-gc');
  collect();
  collect();
};

interface Mem {
  rss: number;
  retained: number;
  heapUsed: number;
}

function sample(): Mem {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, retained: m.heapUsed + m.external, heapUsed: m.heapUsed };
}

/**
 * Waits until `count()` reaches `target`, or stops growing for `idleMs` once it started (a push
 * consumer may take a while to get its first messages), or `limitMs` passed.
 */
async function fill(count: () => number, target: number, idleMs: number, limitMs: number): Promise<void> {
  const end = performance.now() + limitMs;
  let last = -1;
  let lastChange = performance.now();
  while (count() < target && performance.now() < end) {
    await sleep(50);
    const n = count();
    if (n !== last) {
      last = n;
      lastChange = performance.now();
    } else if (n > 0 && performance.now() - lastChange > idleMs) return;
  }
}

export const memory: Scenario = async ({ spec, factory }) => {
  const target = spec.messages ?? 10_000;
  const held: unknown[] = [];
  const pending: (() => void)[] = [];
  let counting = false;
  let cached = (): number => held.length;
  let adapter: ClientAdapter;
  let base: Mem;
  if (spec.consumer === 'push') {
    adapter = await createAdapter(
      factory,
      configFor(spec, 'push-consumer', {
        maxCachedMessages: target,
        onMessage: (m) => {
          if (!counting) return;
          held.push(m);
          return new Promise<void>((resolve) => pending.push(resolve));
        },
      }),
    );
    // Baseline before start: a push consumer starts fetching as soon as it runs.
    base = sample();
    counting = true;
    await adapter.start();
    const a = adapter;
    cached = () => a.cachedMessages?.() ?? held.length;
    await fill(cached, target, spec.fillIdleMs ?? 3_000, 60_000);
  } else {
    adapter = await createAdapter(factory, configFor(spec, 'simple-consumer'));
    await adapter.start();
    await adapter.receiveBatch(spec.batch); // warm the channel and code paths; dropped
    base = sample();
    while (held.length < target) {
      const batch = await adapter.receiveBatch(Math.min(spec.batch, target - held.length));
      for (const m of batch) held.push(m);
    }
  }
  const full = sample();
  const n = cached();
  const KiB = 1024;
  const result = {
    target: spec.target,
    client: spec.client,
    scenario: spec.scenario,
    variant: variantOf(spec),
    ok: n > 0,
    ...(n > 0 ? {} : { error: 'no message was received' }),
    msgs: n,
    rssMiB: full.rss / (KiB * KiB),
    heapMiB: full.heapUsed / (KiB * KiB),
    extra: {
      held: n,
      retainedKiBPerMsg: (full.retained - base.retained) / n / KiB,
      rssKiBPerMsg: (full.rss - base.rss) / n / KiB,
      heapKiBPerMsg: (full.heapUsed - base.heapUsed) / n / KiB,
      baseRssMiB: base.rss / (KiB * KiB),
    },
  };
  for (const resolve of pending) resolve();
  held.length = 0;
  await shutdownBounded(adapter, spec.shutdownTimeoutMs);
  return result;
};
