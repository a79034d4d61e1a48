/**
 * Keeping the process alive while a shutdown the application awaits is still running.
 *
 * Every timer of a client is unref'd, so that a forgotten client never holds a process open. But an
 * awaited promise alone does not keep Node running: when a shutdown waits on nothing but unref'd
 * timers (a bound, an ack retry's backoff after the broker went away), the process would exit with the
 * shutdown never settled and the code after `await client.shutdown()` never run. One ref'd handle per
 * pending shutdown, cleared the moment it settles, closes that gap; it never outlives the shutdown.
 *
 * @packageDocumentation
 */

import type { ResourceCount } from './resource-count.js';

// Far beyond any shutdown bound; the handle only exists to be ref'd.
const KEEP_ALIVE_MS = 2 ** 30;
const noop = (): void => {};

/** Returns `work`, with the event loop held open until it settles (counted as `keepAlive` in `resources`). */
export function keepAliveUntilSettled<T>(work: Promise<T>, resources?: ResourceCount): Promise<T> {
  const handle = setInterval(noop, KEEP_ALIVE_MS);
  resources?.add('keepAlive');
  const release = (): void => {
    clearInterval(handle);
    resources?.remove('keepAlive');
  };
  work.then(release, release);
  return work;
}
