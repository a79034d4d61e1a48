/**
 * Client ids: `hostname@pid@index@suffix`, the format of the official SDKs.
 *
 * The server only needs uniqueness; the id keys the client's settings, heartbeats and receipt handles,
 * so one client keeps one id for its whole life. Nothing is computed at import time.
 *
 * @packageDocumentation
 */

import { hostname as osHostname } from 'node:os';
import { type Clock, systemClock } from '../internal/clock.js';

/** Options of {@link createClientId}; all injectable for tests. */
export interface ClientIdOptions {
  /** @defaultValue `os.hostname()` */
  hostname?: string;
  /** @defaultValue `process.pid` */
  pid?: number;
  /** Source of the base-36 suffix (`clock.now()`). @defaultValue {@link systemClock} */
  clock?: Clock;
}

const MAX_HOSTNAME_LENGTH = 64;

let nextIndex = 0;

/**
 * Makes a hostname safe for the id: characters other than printable, non-space ASCII and the `@`
 * separator become `_`; the result is capped at 64 characters; an empty result becomes `localhost`.
 */
export function sanitizeHostname(name: string): string {
  const cleaned = name.replace(/[^\x21-\x3f\x41-\x7e]/g, '_').slice(0, MAX_HOSTNAME_LENGTH);
  return cleaned === '' ? 'localhost' : cleaned;
}

/**
 * Creates a new client id. Each call takes the next value of a per-process counter (starting at 0) as
 * the index, so ids made in the same millisecond still differ.
 */
export function createClientId(options: ClientIdOptions = {}): string {
  const host = sanitizeHostname(options.hostname ?? safeHostname());
  const pid = options.pid ?? process.pid;
  const index = nextIndex++;
  const suffix = Math.floor((options.clock ?? systemClock).now()).toString(36);
  return `${host}@${pid}@${index}@${suffix}`;
}

function safeHostname(): string {
  try {
    return osHostname();
  } catch {
    return 'localhost';
  }
}
