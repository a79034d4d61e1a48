/**
 * An abortable sleep on the CLI's timers (the timer is cleared when the signal fires).
 *
 * @packageDocumentation
 */

import type { CliTimers } from './io.js';

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(timers: CliTimers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
