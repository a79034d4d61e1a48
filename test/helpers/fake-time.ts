/**
 * Driving fake time in component tests: advance a ManualTime in small steps, yielding to I/O (gRPC on
 * loopback) between steps, until an observable condition holds. No real-time sleeps decide anything:
 * the real ticks only let sockets make progress.
 */
import type { ManualTime } from '../../src/testing/index.js';

/** One real event-loop turn with timers (lets loopback I/O progress). */
export const realTick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

/** Advances `time` by `stepMs` at a time until `cond()` holds; fails after `maxVirtualMs` of fake time. */
export async function drive(
  time: ManualTime,
  cond: () => boolean,
  what: string,
  { stepMs = 10, maxVirtualMs = 120_000 } = {},
): Promise<void> {
  let virtual = 0;
  for (;;) {
    for (let i = 0; i < 3; i++) await realTick();
    if (cond()) return;
    if (virtual >= maxVirtualMs) throw new Error(`not reached within ${maxVirtualMs} virtual ms: ${what}`);
    time.advance(stepMs);
    virtual += stepMs;
  }
}

/** Lets I/O run for a few turns without moving fake time. */
export async function settleIo(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await realTick();
}
