/**
 * Broker avoidance: a broker (by name) whose send attempt failed with a retriable error is passed over
 * by non-FIFO queue selection for a while, so the retry and the next sends go to another broker's
 * queue. Endpoint isolation (`isolation.ts`) is not enough on its own: behind cluster-mode proxies every
 * queue of every broker carries the same endpoints, so a dead broker is told apart only by its name.
 *
 * Avoidance ends by time alone (the monotonic clock): a heartbeat to the proxies says nothing of one
 * broker behind them.
 *
 * @packageDocumentation
 */

import type { Clock } from '../internal/clock.js';

/** How long a broker is avoided after a retriable failure. */
export const BROKER_AVOIDANCE_MS = 10_000;

/** The avoided brokers of one producer. */
export class BrokerAvoidance {
  readonly #until = new Map<string, number>();
  readonly #clock: Clock;
  readonly #durationMs: number;

  constructor(clock: Clock, durationMs = BROKER_AVOIDANCE_MS) {
    this.#clock = clock;
    this.#durationMs = durationMs;
  }

  /** Avoids `brokerName` for the avoidance period from now (a later failure extends it). */
  avoid(brokerName: string): void {
    this.#until.set(brokerName, this.#clock.monotonic() + this.#durationMs);
  }

  /** True while `brokerName` is avoided; an expired entry is dropped. */
  isAvoided(brokerName: string): boolean {
    const until = this.#until.get(brokerName);
    if (until === undefined) return false;
    if (this.#clock.monotonic() < until) return true;
    this.#until.delete(brokerName);
    return false;
  }

  /** Names of the brokers avoided now. */
  get names(): string[] {
    return [...this.#until.keys()].filter((name) => this.isAvoided(name));
  }

  clear(): void {
    this.#until.clear();
  }
}
