/**
 * Measurement windows: a warm-up, then a timed window in which completed operations, their latencies,
 * the process CPU time (process.cpuUsage, user + system) and memory are recorded.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type FakeSample, fakeBusy, sampleFake } from './fake-stats.js';
import { startWindowProfile } from './profiler.js';
import { LatencyRecorder } from './stats.js';

/** What one window measured. */
export interface WindowResult {
  /** Messages completed inside the window. */
  readonly msgs: number;
  readonly wallMs: number;
  /** Client CPU time (user + system) spent in the window, µs. */
  readonly cpuUs: number;
  readonly latencies: LatencyRecorder;
  readonly errors: number;
  readonly lastError?: string | undefined;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Share of one core the fake broker used in the window (fake target only). */
  readonly fakeBusy?: number | undefined;
}

export interface WindowOptions {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** The fake's endpoint, to sample its CPU; undefined on the real broker. */
  readonly fakeEndpoint?: string | undefined;
}

interface Marks {
  tStart: number;
  tEnd: number;
  cpuUs: number;
  fake?: number | undefined;
}

const cpuNow = (): number => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

/** A window is extended (in steps, up to this long) until at least one message completed in it. */
const MAX_EXTENSION_MS = 10_000;

/**
 * Runs warm-up + window around whatever is already running; `edge` is called at both edges. The window
 * lasts `durationMs`, longer when nothing completed in it yet (`completed()` is still 0).
 */
async function timeWindow(
  options: WindowOptions,
  completed: () => number,
  edge: (which: 'start' | 'end') => void,
): Promise<Marks> {
  await sleep(options.warmupMs);
  const f0: FakeSample | undefined =
    options.fakeEndpoint === undefined ? undefined : await sampleFake(options.fakeEndpoint);
  const stopProfile = await startWindowProfile();
  const cpu0 = cpuNow();
  const tStart = performance.now();
  edge('start');
  await sleep(options.durationMs);
  const limit = performance.now() + MAX_EXTENSION_MS;
  while (completed() === 0 && performance.now() < limit) await sleep(20);
  const tEnd = performance.now();
  const cpu1 = cpuNow();
  edge('end');
  await stopProfile?.();
  const f1 = options.fakeEndpoint === undefined ? undefined : await sampleFake(options.fakeEndpoint);
  return { tStart, tEnd, cpuUs: cpu1 - cpu0, fake: fakeBusy(f0, f1) };
}

/**
 * `concurrency` loops each call `op` back to back (a closed loop). `op` resolves with the number of
 * messages it completed. Operations count (throughput and latency) when they complete inside the window.
 */
export async function closedLoop(
  options: WindowOptions & { readonly concurrency: number; readonly op: () => Promise<number> },
): Promise<WindowResult> {
  let tStart = Number.POSITIVE_INFINITY;
  let tEnd = Number.POSITIVE_INFINITY;
  let done = false;
  let msgs = 0;
  let errors = 0;
  let lastError: string | undefined;
  const latencies = new LatencyRecorder();
  const loop = async (): Promise<void> => {
    while (!done) {
      const t0 = performance.now();
      let n: number;
      try {
        n = await options.op();
      } catch (err) {
        errors++;
        lastError = err instanceof Error ? err.message : String(err);
        await sleep(20);
        continue;
      }
      const t1 = performance.now();
      if (t1 >= tStart && t1 <= tEnd) {
        latencies.record(t1 - t0);
        msgs += n;
      }
    }
  };
  const loops = Array.from({ length: options.concurrency }, loop);
  const marks = await timeWindow(
    options,
    () => msgs,
    (which) => {
      if (which === 'start') tStart = performance.now();
      else {
        tEnd = performance.now();
        done = true;
      }
    },
  );
  const mem = process.memoryUsage();
  await Promise.all(loops);
  return {
    msgs,
    wallMs: marks.tEnd - marks.tStart,
    cpuUs: marks.cpuUs,
    latencies,
    errors,
    lastError,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    fakeBusy: marks.fake,
  };
}

/** A window over work driven elsewhere (a push consumer): `count()` is read at both edges. */
export async function openWindow(
  options: WindowOptions & { readonly count: () => number; readonly latencies?: LatencyRecorder },
): Promise<WindowResult> {
  let c0 = 0;
  let c1 = 0;
  const marks = await timeWindow(
    options,
    () => options.count() - c0,
    (which) => {
      if (which === 'start') c0 = options.count();
      else c1 = options.count();
    },
  );
  const mem = process.memoryUsage();
  return {
    msgs: c1 - c0,
    wallMs: marks.tEnd - marks.tStart,
    cpuUs: marks.cpuUs,
    latencies: options.latencies ?? new LatencyRecorder(),
    errors: 0,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
    fakeBusy: marks.fake,
  };
}
