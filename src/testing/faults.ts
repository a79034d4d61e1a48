/**
 * Fault injection for the in-process broker: latency, failures (in-band broker codes or gRPC statuses),
 * hanging calls, dropped streams and malformed responses, per RPC.
 *
 * @packageDocumentation
 */

import type { Scheduler } from '../internal/scheduler.js';
import type { Code } from '../gen/apache/rocketmq/v2/definition_pb.js';
import type { RpcName } from './service-definition.js';

/**
 * A failure to inject. Give `code` for an in-band broker status (a RocketMQ `Code` number, e.g. `42900`
 * TOO_MANY_REQUESTS), or `grpcStatus` for a gRPC-level error (e.g. `14`, `grpc.status.UNAVAILABLE`). A
 * `code` below 100 is taken as a gRPC status for convenience (broker codes are ≥ 20000).
 */
export interface InjectedFailure {
  /** Broker status code answered in-band, e.g. 42900 (TOO_MANY_REQUESTS). */
  readonly code?: number;
  /** gRPC status to fail the call with instead, e.g. 14 (UNAVAILABLE). */
  readonly grpcStatus?: number;
  /** Status message / gRPC details. @defaultValue `"injected fault"` */
  readonly message?: string;
}

/** A resolved failure. */
export type FailureSpec =
  | { readonly kind: 'broker'; readonly code: Code; readonly message: string }
  | { readonly kind: 'grpc'; readonly grpcStatus: number; readonly message: string };

/**
 * How a response is malformed.
 *
 * - `'no-status'`: the `status` field is left out (ReceiveMessage: no status frame at all).
 * - `'empty-payload'`: the status is kept but every other field is cleared (SendMessage without entries,
 *   QueryRoute without queues, ReceiveMessage without message frames, Telemetry settings reply without
 *   settings).
 * - `'bad-digest'` (ReceiveMessage only): messages are delivered with a body digest that does not match
 *   their body, so clients must treat them as corrupted.
 *
 * Default: `'no-status'` for ReceiveMessage, `'empty-payload'` for everything else.
 */
export type MalformedKind = 'no-status' | 'empty-payload' | 'bad-digest';

/** The fault hooks, reachable as `broker.faults`. */
export interface BrokerFaults {
  /** Delays the handling of every call (and every incoming Telemetry frame) of `rpc` by `ms` (broker clock). */
  delay(rpc: RpcName, ms: number): void;
  /** Fails the next `n` calls of `rpc` (Telemetry: the next `n` incoming frames) with `failure`. */
  failNext(rpc: RpcName, n: number, failure: InjectedFailure): void;
  /** Leaves calls of `rpc` unanswered until {@link BrokerFaults.clear} (they then proceed) or shutdown (UNAVAILABLE). */
  hang(rpc: RpcName): void;
  /** Ends every open Telemetry and ReceiveMessage stream with gRPC `UNAVAILABLE`. Settings are kept. */
  dropStreams(): void;
  /** Makes responses of `rpc` malformed until cleared. */
  malformed(rpc: RpcName, kind?: MalformedKind): void;
  /** Removes every fault and releases hung calls. */
  clear(): void;
}

/** Thrown to a hung or delayed call when the broker shuts down. */
export class BrokerShutdownError extends Error {
  override name = 'BrokerShutdownError';
  constructor() {
    super('broker is shutting down');
  }
}

/** The broker-internal side of the fault hooks. */
export class FaultInjector implements BrokerFaults {
  readonly #scheduler: Scheduler;
  readonly #dropStreams: () => void;
  readonly #delays = new Map<RpcName, number>();
  readonly #failures = new Map<RpcName, { remaining: number; spec: FailureSpec }>();
  readonly #hung = new Set<RpcName>();
  readonly #malformed = new Map<RpcName, MalformedKind>();
  #release: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  #closed = false;

  constructor(scheduler: Scheduler, dropStreams: () => void) {
    this.#scheduler = scheduler;
    this.#dropStreams = dropStreams;
  }

  delay(rpc: RpcName, ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms))
      throw new RangeError(`delay must be a finite ms value ≥ 0, got ${ms}`);
    if (ms === 0) this.#delays.delete(rpc);
    else this.#delays.set(rpc, ms);
  }

  failNext(rpc: RpcName, n: number, failure: InjectedFailure): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be an integer ≥ 0, got ${n}`);
    const message = failure.message ?? 'injected fault';
    let spec: FailureSpec;
    if (failure.grpcStatus !== undefined) spec = { kind: 'grpc', grpcStatus: failure.grpcStatus, message };
    else if (failure.code !== undefined && failure.code < 100)
      spec = { kind: 'grpc', grpcStatus: failure.code, message };
    else if (failure.code !== undefined) spec = { kind: 'broker', code: failure.code as Code, message };
    else throw new RangeError('failNext needs a code or a grpcStatus');
    if (n === 0) this.#failures.delete(rpc);
    else this.#failures.set(rpc, { remaining: n, spec });
  }

  hang(rpc: RpcName): void {
    this.#hung.add(rpc);
  }

  dropStreams(): void {
    this.#dropStreams();
  }

  malformed(rpc: RpcName, kind?: MalformedKind): void {
    this.#malformed.set(rpc, kind ?? (rpc === 'ReceiveMessage' ? 'no-status' : 'empty-payload'));
  }

  clear(): void {
    this.#delays.clear();
    this.#failures.clear();
    this.#hung.clear();
    this.#malformed.clear();
    const waiting = this.#release;
    this.#release = [];
    for (const w of waiting) w.resolve();
  }

  /** Number of calls currently held by `hang`. */
  get hungCount(): number {
    return this.#release.length;
  }

  /**
   * Applies delay and hang for one call (or Telemetry frame).
   *
   * @throws BrokerShutdownError when the broker shuts down meanwhile.
   */
  async before(rpc: RpcName): Promise<void> {
    if (this.#closed) throw new BrokerShutdownError();
    const delay = this.#delays.get(rpc);
    if (delay !== undefined) {
      try {
        await this.#scheduler.sleep(delay);
      } catch {
        throw new BrokerShutdownError();
      }
    }
    if (this.#hung.has(rpc)) {
      await new Promise<void>((resolve, reject) => this.#release.push({ resolve, reject }));
    }
  }

  /** Consumes one injected failure of `rpc`, if any. */
  takeFailure(rpc: RpcName): FailureSpec | undefined {
    const f = this.#failures.get(rpc);
    if (f === undefined) return undefined;
    f.remaining--;
    if (f.remaining <= 0) this.#failures.delete(rpc);
    return f.spec;
  }

  /** The malformation configured for `rpc`. */
  malformedKind(rpc: RpcName): MalformedKind | undefined {
    return this.#malformed.get(rpc);
  }

  /** Fails every held call with {@link BrokerShutdownError} and refuses new ones. */
  close(): void {
    this.#closed = true;
    const waiting = this.#release;
    this.#release = [];
    for (const w of waiting) w.reject(new BrokerShutdownError());
  }
}
