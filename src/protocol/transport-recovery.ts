/**
 * Recovery from half-open connections (see apache/rocketmq-clients issue #1309): when a connection goes
 * silent without being closed (a NAT or firewall dropped it, the peer froze), grpc-js keeps sending calls
 * into it until its keepalive notices, which takes minutes with the 300 s keepalive the proxy tolerates.
 * Every call meanwhile ends in `TIMEOUT`.
 *
 * This watches the heartbeat rounds: after `threshold` consecutive heartbeat `TIMEOUT`s to one endpoint
 * it asks for a recovery of that endpoint (the client core evicts the channel, so the next call opens
 * a new connection, and renews the endpoint's telemetry stream). A recovery of the same endpoint is not
 * repeated within `cooldownMs`. Any other heartbeat outcome resets the count.
 *
 * @packageDocumentation
 */

import type { Clock } from '../internal/clock.js';
import { type Logger, noopLogger } from '../observability/logger.js';
import { type Endpoints, endpointKey } from '../rpc/endpoints.js';
import type { HeartbeatResult } from './heartbeat.js';

/** Default consecutive heartbeat timeouts before a recovery (as the Java client). */
export const DEFAULT_RECOVERY_THRESHOLD = 2;
/** Default minimum time between two recoveries of one endpoint (as the Java client). */
export const DEFAULT_RECOVERY_COOLDOWN_MS = 30_000;

/** Tuning of {@link TransportRecovery}. */
export interface TransportRecoveryTuning {
  /** Consecutive heartbeat timeouts that trigger a recovery. @defaultValue 2 */
  threshold?: number | undefined;
  /** Minimum time between two recoveries of one endpoint. @defaultValue 30 s */
  cooldownMs?: number | undefined;
}

/** Options of {@link TransportRecovery}. */
export interface TransportRecoveryOptions extends TransportRecoveryTuning {
  /** Monotonic time for the cooldown. */
  clock: Pick<Clock, 'monotonic'>;
  /** Does the recovery (must not throw; errors are logged). */
  recover: (endpoints: Endpoints, reason: string) => void;
  logger?: Logger | undefined;
}

interface EndpointState {
  timeouts: number;
  lastRecoveryAt: number | undefined;
}

/** Decides when an endpoint's transport needs a recovery. See the module documentation. */
export class TransportRecovery {
  readonly #options: TransportRecoveryOptions;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #logger: Logger;
  readonly #endpoints = new Map<string, EndpointState>();
  #recoveries = 0;

  constructor(options: TransportRecoveryOptions) {
    this.#options = options;
    this.#threshold = Math.max(1, Math.floor(options.threshold ?? DEFAULT_RECOVERY_THRESHOLD));
    this.#cooldownMs = Math.max(0, options.cooldownMs ?? DEFAULT_RECOVERY_COOLDOWN_MS);
    this.#logger = options.logger ?? noopLogger;
  }

  /** Recoveries requested so far. */
  get recoveries(): number {
    return this.#recoveries;
  }

  /** Feeds one heartbeat round. */
  onHeartbeatRound(results: readonly HeartbeatResult[]): void {
    for (const r of results) {
      const key = endpointKey(r.endpoints);
      let state = this.#endpoints.get(key);
      if (state === undefined) {
        state = { timeouts: 0, lastRecoveryAt: undefined };
        this.#endpoints.set(key, state);
      }
      const code = r.error?.code;
      if (code === 'ABORTED' || code === 'CLOSED') continue; // the client is stopping
      if (code !== 'TIMEOUT') {
        state.timeouts = 0;
        continue;
      }
      state.timeouts += 1;
      if (state.timeouts < this.#threshold) continue;
      const now = this.#options.clock.monotonic();
      if (state.lastRecoveryAt !== undefined && now - state.lastRecoveryAt < this.#cooldownMs) continue;
      state.timeouts = 0;
      state.lastRecoveryAt = now;
      this.#recoveries += 1;
      const reason = `${this.#threshold} consecutive heartbeat timeouts`;
      this.#logger.warn('recovering the transport of an endpoint', { endpoints: key, reason });
      try {
        this.#options.recover(r.endpoints, reason);
      } catch (err) {
        this.#logger.warn('transport recovery failed', { endpoints: key, err });
      }
    }
  }

  /** Forgets endpoints that are no longer used. */
  retain(live: ReadonlySet<string>): void {
    for (const key of [...this.#endpoints.keys()]) if (!live.has(key)) this.#endpoints.delete(key);
  }
}
