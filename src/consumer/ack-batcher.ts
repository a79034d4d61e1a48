/**
 * Batched acknowledgements: acks are collected per (endpoints, group, topic) and sent as ONE
 * AckMessage with many entries, flushed when a batch reaches `maxBatchSize` or `flushDelayMs` after
 * its first entry. Every entry's own result is checked: an entry that failed with a retriable error is
 * sent again (with backoff) while its receipt is still valid; a non-retriable failure or an expired
 * receipt rejects that entry's promise (the message will be delivered again — at-least-once).
 *
 * `flush()` sends everything pending at once and waits for all batches in flight, including their
 * retries; `close()` stops the timers (pending entries reject with `CLOSED`).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import {
  type BackoffPolicy,
  backoffDelay,
  exponentialBackoff,
  type RandomSource,
} from '../internal/backoff.js';
import type { Clock } from '../internal/clock.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import type { Logger } from '../observability/logger.js';
import type { AckEntryOutcome, ReceiptRef } from '../protocol/consumer-rpc.js';
import { type Endpoints, endpointKey } from '../rpc/endpoints.js';

/** What the batcher needs from its client. */
export interface AckBatcherHost {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly random?: RandomSource | undefined;
  /** One AckMessage with these entries (one group and topic); per-entry outcomes. */
  ack(endpoints: Endpoints, refs: readonly ReceiptRef[]): Promise<AckEntryOutcome[]>;
}

/** Options of {@link AckBatcher}. */
export interface AckBatcherOptions {
  /** Entries per AckMessage. @defaultValue 32 */
  readonly maxBatchSize?: number | undefined;
  /** Longest wait of an entry before its batch is sent, in ms. @defaultValue 5 */
  readonly flushDelayMs?: number | undefined;
  /** Backoff of retried entries. @defaultValue 100 ms → 2 s ×2 ±20 % */
  readonly retryBackoff?: BackoffPolicy | undefined;
}

/** Counters of an {@link AckBatcher}. */
export interface AckBatcherStats {
  /** AckMessage requests sent. */
  readonly requests: number;
  /** Entries acknowledged. */
  readonly acked: number;
  /** Entries sent again after a retriable failure. */
  readonly retried: number;
  /** Entries given up. */
  readonly failed: number;
}

interface Entry {
  readonly ref: ReceiptRef;
  readonly endpoints: Endpoints;
  /** The receipt is useless after this (clock ms). */
  readonly validUntil: number;
  attempt: number;
  resolve(): void;
  reject(err: RocketMQError): void;
}

interface Batch {
  readonly entries: Entry[];
  timer: TaskHandle | undefined;
}

const DEFAULT_RETRY_BACKOFF = exponentialBackoff({
  initialMs: 100,
  maxMs: 2_000,
  multiplier: 2,
  jitter: 0.2,
});

/** See the module documentation. */
export class AckBatcher {
  readonly #host: AckBatcherHost;
  readonly #maxBatch: number;
  readonly #flushDelayMs: number;
  readonly #retryBackoff: BackoffPolicy;
  readonly #batches = new Map<string, Batch>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #retrying = new Set<{ handle: TaskHandle; entry: Entry }>();
  #closed = false;
  #requests = 0;
  #acked = 0;
  #retried = 0;
  #failed = 0;

  constructor(host: AckBatcherHost, options: AckBatcherOptions = {}) {
    this.#host = host;
    this.#maxBatch = options.maxBatchSize ?? 32;
    this.#flushDelayMs = options.flushDelayMs ?? 5;
    this.#retryBackoff = options.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
  }

  /** Counters since creation. */
  get stats(): AckBatcherStats {
    return { requests: this.#requests, acked: this.#acked, retried: this.#retried, failed: this.#failed };
  }

  /** Entries waiting to be sent, in flight or waiting for a retry. */
  get pending(): number {
    let n = this.#retrying.size;
    for (const b of this.#batches.values()) n += b.entries.length;
    return n + this.#inFlight.size;
  }

  /**
   * Queues an ack of `ref` at `endpoints`; resolves once the broker confirmed it.
   *
   * @throws RocketMQError (as a rejection) the entry's broker code when it failed for good, `TIMEOUT`
   * when its receipt expired while retrying, `CLOSED` after `close()`.
   */
  ack(endpoints: Endpoints, ref: ReceiptRef, validUntil: number): Promise<void> {
    if (this.#closed) return Promise.reject(new RocketMQError('The consumer is shut down', 'CLOSED'));
    return new Promise<void>((resolve, reject) => {
      this.#add({ ref, endpoints, validUntil, attempt: 0, resolve, reject });
    });
  }

  /** Sends every queued entry now and waits until all of them settled (retries included). */
  async flush(): Promise<void> {
    for (;;) {
      for (const key of [...this.#batches.keys()]) this.#send(key);
      for (const r of [...this.#retrying]) {
        // Retries waiting for their backoff go out now.
        r.handle.cancel();
        this.#retrying.delete(r);
        this.#add(r.entry);
      }
      for (const key of [...this.#batches.keys()]) this.#send(key);
      if (this.#inFlight.size === 0) return;
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** Stops everything; entries not yet confirmed reject with `CLOSED`. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new RocketMQError('The consumer is shut down', 'CLOSED');
    for (const b of this.#batches.values()) {
      b.timer?.cancel();
      for (const e of b.entries) e.reject(err);
    }
    this.#batches.clear();
    for (const r of this.#retrying) {
      r.handle.cancel();
      r.entry.reject(err);
    }
    this.#retrying.clear();
  }

  #add(entry: Entry): void {
    if (this.#closed) {
      entry.reject(new RocketMQError('The consumer is shut down', 'CLOSED'));
      return;
    }
    const key = `${endpointKey(entry.endpoints)}\u0000${entry.ref.namespace ?? ''}\u0000${entry.ref.group}\u0000${entry.ref.topic}`;
    let batch = this.#batches.get(key);
    if (batch === undefined) {
      batch = { entries: [], timer: undefined };
      this.#batches.set(key, batch);
    }
    batch.entries.push(entry);
    if (batch.entries.length >= this.#maxBatch) {
      this.#send(key);
    } else if (batch.timer === undefined) {
      batch.timer = this.#host.scheduler.after(this.#flushDelayMs, () => this.#send(key), {
        name: 'ack-flush',
      });
    }
  }

  #send(key: string): void {
    const batch = this.#batches.get(key);
    if (batch === undefined) return;
    this.#batches.delete(key);
    batch.timer?.cancel();
    for (let i = 0; i < batch.entries.length; i += this.#maxBatch) {
      this.#dispatch(batch.entries.slice(i, i + this.#maxBatch));
    }
  }

  #dispatch(entries: Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    this.#requests++;
    const run = this.#host
      .ack(
        first.endpoints,
        entries.map((e) => e.ref),
      )
      .then(
        (outcomes) => {
          for (const [i, e] of entries.entries()) this.#settle(e, outcomes[i]?.error);
        },
        (err: unknown) => {
          const e = RocketMQError.from(err);
          for (const entry of entries) this.#settle(entry, e);
        },
      )
      .finally(() => {
        this.#inFlight.delete(run);
      });
    this.#inFlight.add(run);
  }

  #settle(entry: Entry, error: RocketMQError | undefined): void {
    if (error === undefined) {
      this.#acked++;
      entry.resolve();
      return;
    }
    entry.attempt++;
    const delay = backoffDelay(this.#retryBackoff, entry.attempt, this.#host.random ?? Math.random);
    const now = this.#host.clock.now();
    if (!error.retriable || this.#closed || now + delay >= entry.validUntil) {
      this.#failed++;
      const final =
        error.retriable && !this.#closed
          ? new RocketMQError(`The receipt expired while retrying the ack: ${error.message}`, 'TIMEOUT', {
              cause: error,
            })
          : error;
      this.#host.logger.debug('ack failed', { messageId: entry.ref.messageId, err: final });
      entry.reject(final);
      return;
    }
    this.#retried++;
    const r = {
      entry,
      handle: this.#host.scheduler.after(
        delay,
        () => {
          this.#retrying.delete(r);
          this.#add(entry);
        },
        { name: 'ack-retry' },
      ),
    };
    this.#retrying.add(r);
  }
}
