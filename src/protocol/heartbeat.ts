/**
 * Periodic heartbeats: every 10 s (first after 1 s) to every endpoint of
 * every cached route, in parallel, never overlapping (the scheduler skips a tick while the previous
 * round runs). Failures are logged and reported, never thrown.
 *
 * The transport is injected ({@link HeartbeatOptions.beat}); this file has no protobuf code.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { linkSignals } from '../internal/abort.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import { type Logger, noopLogger } from '../observability/logger.js';
import type { CallOptions } from '../rpc/call.js';
import { type Endpoints, endpointKey } from '../rpc/endpoints.js';

/** Default heartbeat period. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 10_000;
/** Default delay of the first heartbeat. */
export const DEFAULT_HEARTBEAT_INITIAL_DELAY_MS = 1_000;

/** Outcome of one heartbeat to one endpoint. */
export interface HeartbeatResult {
  readonly endpoints: Endpoints;
  /** Absent when the heartbeat was answered OK. */
  readonly error?: RocketMQError;
}

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  scheduler: Scheduler;
  /** The endpoints to reach, read at every round. */
  endpoints: () => readonly Endpoints[];
  /** Sends one heartbeat; rejects on failure. */
  beat: (endpoints: Endpoints, options: CallOptions) => Promise<void>;
  /** Deadline of each heartbeat, read at every round. @defaultValue 3000 */
  timeoutMs?: (() => number) | undefined;
  /** @defaultValue 10 s */
  intervalMs?: number | undefined;
  /** @defaultValue 1 s */
  initialDelayMs?: number | undefined;
  logger?: Logger | undefined;
  /** Called with every round's results (errors it throws are logged). */
  onRound?: ((results: readonly HeartbeatResult[]) => void) | undefined;
}

/** The heartbeat task of one client. */
export class Heartbeat {
  readonly #options: HeartbeatOptions;
  readonly #logger: Logger;
  #task: TaskHandle | undefined;
  /** Aborted by stop(): cancels heartbeats in flight. */
  #stopper = new AbortController();

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#logger = options.logger ?? noopLogger;
  }

  /** True while the periodic task is armed. */
  get running(): boolean {
    return this.#task?.active ?? false;
  }

  /** Starts the periodic heartbeat (idempotent). */
  start(): void {
    if (this.#task?.active) return;
    if (this.#stopper.signal.aborted) this.#stopper = new AbortController();
    this.#task = this.#options.scheduler.every(
      this.#options.intervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      () => this.beatAll(),
      {
        name: 'heartbeat',
        initialDelayMs: this.#options.initialDelayMs ?? DEFAULT_HEARTBEAT_INITIAL_DELAY_MS,
      },
    );
  }

  /** Stops the periodic heartbeat and cancels heartbeats in flight. Idempotent. */
  stop(): void {
    this.#task?.cancel();
    this.#task = undefined;
    this.#stopper.abort();
  }

  /** Sends one round now, to every endpoint in parallel. Never rejects. */
  async beatAll(options: Pick<CallOptions, 'signal'> = {}): Promise<HeartbeatResult[]> {
    const endpoints = this.#options.endpoints();
    const timeoutMs = this.#options.timeoutMs?.() ?? 3_000;
    const signal = linkSignals(options.signal, this.#stopper.signal);
    const results = await Promise.all(
      endpoints.map(async (e): Promise<HeartbeatResult> => {
        try {
          await this.#options.beat(e, { timeoutMs, signal });
          return { endpoints: e };
        } catch (err) {
          const error = RocketMQError.from(err);
          this.#logger.warn('heartbeat failed', { endpoints: endpointKey(e), err: error.toJSON() });
          return { endpoints: e, error };
        }
      }),
    );
    if (this.#options.onRound !== undefined) {
      try {
        this.#options.onRound(results);
      } catch (err) {
        this.#logger.warn('heartbeat listener failed', { err });
      }
    }
    return results;
  }
}
