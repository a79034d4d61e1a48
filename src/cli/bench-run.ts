/**
 * The load loop behind `rocketmq-ts bench`: `concurrency` workers call `send` until `count` sends were
 * made, `durationMs` passed, the signal aborted, or a non-retriable error occurred. Latencies go into
 * a {@link LatencyHistogram}; `onProgress` gets a snapshot every `progressIntervalMs`. Time and timers
 * are injected, so the loop is tested without real time.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../index.js';
import type { CliTimers } from './io.js';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.js';

/** A moment of a run. */
export interface BenchSnapshot {
  readonly elapsedMs: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Sends per second since the previous snapshot (the whole run for the first and the last). */
  readonly currentRate: number;
  /** Successful sends per second since the start. */
  readonly averageRate: number;
}

/** Why a run ended. */
export type BenchStop = 'count' | 'duration' | 'interrupted' | 'fatal';

/** The outcome of a run. */
export interface BenchResult extends BenchSnapshot {
  readonly stoppedBy: BenchStop;
  /** The non-retriable error that ended the run (`stoppedBy === 'fatal'`). */
  readonly fatal?: RocketMQError | undefined;
  /** Failed sends by error code. */
  readonly errors: ReadonlyMap<string, number>;
  readonly latency: LatencySummary;
}

/** Inputs of {@link runBench}. */
export interface BenchOptions {
  /** Makes send number `index` (0-based); rejects on failure. */
  send(index: number, signal: AbortSignal): Promise<unknown>;
  /** Sends to make; unbounded when undefined (then `durationMs` or the signal ends the run). */
  readonly count?: number | undefined;
  readonly durationMs?: number | undefined;
  readonly concurrency: number;
  /** Monotonic milliseconds. */
  now(): number;
  readonly timers: CliTimers;
  readonly signal: AbortSignal;
  readonly progressIntervalMs?: number | undefined;
  onProgress?(snapshot: BenchSnapshot): void;
}

/** Runs the load; never rejects (failures are in the result). */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { count, concurrency, now, timers, signal } = options;
  const histogram = new LatencyHistogram();
  const errors = new Map<string, number>();
  const stop = new AbortController();
  const started = now();
  let next = 0;
  let succeeded = 0;
  let failed = 0;
  let stoppedBy: BenchStop | undefined;
  let fatal: RocketMQError | undefined;
  let last = { at: started, done: 0 };

  const end = (why: BenchStop): void => {
    stoppedBy ??= why;
    stop.abort(new RocketMQError(`bench stopped (${why})`, 'ABORTED'));
  };
  const onAbort = (): void => end('interrupted');
  if (signal.aborted) end('interrupted');
  else signal.addEventListener('abort', onAbort, { once: true });

  const snapshot = (): BenchSnapshot => {
    const at = now();
    const done = succeeded + failed;
    const elapsedMs = at - started;
    const span = at - last.at;
    const currentRate = span > 0 ? ((done - last.done) * 1000) / span : 0;
    last = { at, done };
    return {
      elapsedMs,
      succeeded,
      failed,
      currentRate,
      averageRate: elapsedMs > 0 ? (succeeded * 1000) / elapsedMs : 0,
    };
  };

  const durationTimer =
    options.durationMs === undefined
      ? undefined
      : timers.setTimeout(() => end('duration'), options.durationMs);
  const interval = options.progressIntervalMs;
  const progressTimer =
    interval === undefined || options.onProgress === undefined
      ? undefined
      : timers.setInterval(() => options.onProgress?.(snapshot()), interval);

  const worker = async (): Promise<void> => {
    while (!stop.signal.aborted && (count === undefined || next < count)) {
      const index = next++;
      const t0 = now();
      try {
        await options.send(index, stop.signal);
        histogram.record(now() - t0);
        succeeded++;
      } catch (e) {
        if (stop.signal.aborted) return;
        const err = RocketMQError.from(e);
        failed++;
        errors.set(err.code, (errors.get(err.code) ?? 0) + 1);
        if (!err.retriable) {
          fatal ??= err;
          end('fatal');
        }
      }
    }
  };

  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    timers.clearTimeout(durationTimer);
    timers.clearInterval(progressTimer);
    signal.removeEventListener('abort', onAbort);
  }
  last = { at: started, done: 0 };
  return {
    ...snapshot(),
    stoppedBy: stoppedBy ?? 'count',
    fatal,
    errors,
    latency: histogram.summary(),
  };
}
