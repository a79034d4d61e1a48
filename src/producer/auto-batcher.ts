/**
 * Collects NORMAL messages of `send()` calls per topic and hands them to a flush function in batches
 * (see `batching-options.ts` for when a batch is sent).
 *
 * - A message waits in its topic's open batch; the first message of a batch arms a linger timer on the
 *   client's scheduler. The batch is handed over when it is full (count), before a message that would
 *   take it past the byte bound, or when the timer fires.
 * - A caller whose signal aborts while its message waits is removed from the batch and rejects with
 *   `ABORTED`: nothing is sent for it. Once handed over, an abort rejects the caller at once, but the
 *   message is on its way and may be stored.
 * - {@link AutoBatcher.flushAll} hands every open batch over now (graceful shutdown);
 *   {@link AutoBatcher.rejectAll} drops them, rejecting their callers (destroy).
 *
 * The flush function settles each item; this file knows nothing of RPCs.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { abortReason } from '../internal/abort.js';
import { createDeferred, type Deferred } from '../internal/deferred.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import type { SendReceipt } from '../model/send-receipt.js';
import type { ResolvedBatching } from './batching-options.js';

/** One message waiting in a batch, with its caller's promise. */
export interface BatchItem<M> {
  readonly message: M;
  /** Bytes the message counts for against `maxBytes` (its body). */
  readonly bytes: number;
  /** Settles the caller. Later calls are ignored. */
  resolve(receipt: SendReceipt): void;
  reject(error: unknown): void;
}

/** Sends one batch and settles each of its items. Must not throw (a rejection rejects every item). */
export type FlushBatch<M> = (topic: string, items: readonly BatchItem<M>[]) => Promise<void>;

interface Waiting<M> extends BatchItem<M> {
  readonly deferred: Deferred<SendReceipt>;
  detach(): void;
}

interface OpenBatch<M> {
  readonly items: Waiting<M>[];
  bytes: number;
  timer: TaskHandle | undefined;
}

/** Inputs of an {@link AutoBatcher}. */
export interface AutoBatcherOptions<M> {
  readonly limits: ResolvedBatching;
  readonly scheduler: Scheduler;
  readonly flush: FlushBatch<M>;
  /** Byte bound from the server (its `max_body_size`), read when a message is added. */
  readonly serverMaxBytes: () => number;
}

/** See the module documentation. */
export class AutoBatcher<M> {
  readonly #o: AutoBatcherOptions<M>;
  readonly #open = new Map<string, OpenBatch<M>>();
  readonly #inFlight = new Set<Promise<void>>();

  constructor(options: AutoBatcherOptions<M>) {
    this.#o = options;
  }

  /** Messages waiting in open batches. */
  get waiting(): number {
    let n = 0;
    for (const b of this.#open.values()) n += b.items.length;
    return n;
  }

  /** Batches handed over whose flush has not ended. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Adds a message to its topic's batch; resolves with its receipt. */
  add(topic: string, message: M, bytes: number, signal?: AbortSignal): Promise<SendReceipt> {
    const deferred = createDeferred<SendReceipt>();
    if (signal?.aborted) {
      deferred.reject(RocketMQError.from(abortReason(signal), 'ABORTED'));
      return deferred.promise;
    }
    const onAbort = (): void => {
      this.#remove(topic, item);
      deferred.reject(RocketMQError.from(abortReason(signal!), 'ABORTED'));
    };
    const item: Waiting<M> = {
      message,
      bytes,
      deferred,
      resolve: (r) => {
        item.detach();
        deferred.resolve(r);
      },
      reject: (e) => {
        item.detach();
        deferred.reject(e);
      },
      detach: () => signal?.removeEventListener('abort', onAbort),
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const maxBytes = Math.min(this.#o.limits.maxBytes, this.#o.serverMaxBytes());
    let batch = this.#open.get(topic);
    if (batch !== undefined && batch.bytes + bytes > maxBytes) {
      this.#handOver(topic);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { items: [], bytes: 0, timer: undefined };
      this.#open.set(topic, batch);
      const b = batch;
      b.timer = this.#o.scheduler.after(this.#o.limits.lingerMs, () => this.#handOver(topic, b), {
        name: 'batch-linger',
      });
    }
    batch.items.push(item);
    batch.bytes += bytes;
    if (batch.items.length >= this.#o.limits.maxMessages || batch.bytes >= maxBytes) this.#handOver(topic);
    return deferred.promise;
  }

  /** Hands every open batch over now and waits until every flush has ended. */
  async flushAll(): Promise<void> {
    for (const topic of [...this.#open.keys()]) this.#handOver(topic);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Drops every open batch: its callers reject with `error`, nothing is sent for them. */
  rejectAll(error: RocketMQError): void {
    const batches = [...this.#open.values()];
    this.#open.clear();
    for (const b of batches) {
      b.timer?.cancel();
      for (const item of b.items) item.reject(error);
    }
  }

  #remove(topic: string, item: Waiting<M>): void {
    const batch = this.#open.get(topic);
    if (batch === undefined) return;
    const i = batch.items.indexOf(item);
    if (i < 0) return;
    batch.items.splice(i, 1);
    batch.bytes -= item.bytes;
    if (batch.items.length === 0) {
      batch.timer?.cancel();
      this.#open.delete(topic);
    }
  }

  /** Closes the topic's open batch (only `expected`, when given) and flushes it. */
  #handOver(topic: string, expected?: OpenBatch<M>): void {
    const batch = this.#open.get(topic);
    if (batch === undefined || (expected !== undefined && batch !== expected)) return;
    this.#open.delete(topic);
    batch.timer?.cancel();
    const items = batch.items.filter((i) => !i.deferred.settled);
    if (items.length === 0) return;
    const run = this.#o.flush(topic, items).then(
      () => {},
      (err: unknown) => {
        const error = RocketMQError.from(err);
        for (const item of items) item.reject(error);
      },
    );
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }
}
