/**
 * Call counters and the broker's statistics snapshot.
 *
 * @packageDocumentation
 */

import { RPC_NAMES, type RpcName } from './service-definition.js';

/** A snapshot of the broker's counters, from `broker.stats()`. */
export interface BrokerStats {
  /** Calls received per RPC since start (or the last `resetStats()`), including failed and faulted ones. */
  readonly calls: Readonly<Record<RpcName, number>>;
  /** Messages appended to queues (visible to consumers), including dead-lettered copies. */
  readonly stored: number;
  /** Messages handed out and neither acknowledged nor expired. */
  readonly inflight: number;
  /** Messages acknowledged. */
  readonly acked: number;
  /** Messages moved to a dead-letter topic. */
  readonly deadLettered: number;
  /** Delay messages waiting for their delivery time. */
  readonly scheduled: number;
  /** Transaction half messages waiting for a resolution. */
  readonly halfMessages: number;
  /** Transaction checks sent to producers. */
  readonly transactionChecks: number;
  /** Open Telemetry streams. */
  readonly telemetryStreams: number;
  /** Clients forgotten because they were not heard from within `clientExpiryMs` (`forgetExpiredClients`). */
  readonly expiredClients: number;
  /** Open ReceiveMessage streams (long polls included). */
  readonly receiveStreams: number;
  /** ReceiveMessage calls currently parked in long polling. */
  readonly waitingReceives: number;
}

/** Per-RPC call counters. */
export class RpcCounters {
  #counts = new Map<RpcName, number>();

  count(rpc: RpcName): void {
    this.#counts.set(rpc, (this.#counts.get(rpc) ?? 0) + 1);
  }

  snapshot(): Record<RpcName, number> {
    const out = {} as Record<RpcName, number>;
    for (const rpc of RPC_NAMES) out[rpc] = this.#counts.get(rpc) ?? 0;
    return out;
  }

  reset(): void {
    this.#counts = new Map();
  }
}
