/**
 * Concurrent consumption of a standard push consumer: messages from every queue go into one queue in
 * arrival order and are handed to the listener by a pool of `concurrency` permits. Success → ack
 * (batched); failure → nack with the retry policy's delay for that delivery attempt (the broker
 * redelivers it, and moves it to the dead-letter queue after the last attempt). A corrupted message is
 * nacked without reaching the listener.
 *
 * @packageDocumentation
 */

import { backoffDelay } from '../internal/backoff.js';
import { callListener, type ConsumeHost, type ConsumeService, type Outcome } from './consume-service.js';
import type { Lease } from './lease-keeper.js';
import type { ProcessQueue } from './process-queue.js';

interface Item {
  readonly queue: ProcessQueue;
  readonly lease: Lease;
}

/** See the module documentation. */
export class ConcurrentConsumeService implements ConsumeService {
  readonly #host: ConsumeHost;
  readonly #concurrency: number;
  #waiting: Item[] = [];
  #head = 0;
  readonly #running = new Set<Promise<void>>();
  /** Settles handed off by finished workers, until they complete. */
  readonly #settling = new Set<Promise<void>>();
  #stopped = false;
  /** Messages of paused topics, by topic, in arrival order (see `pause-gate.ts`). */
  readonly #parked = new Map<string, Item[]>();

  constructor(host: ConsumeHost, concurrency: number) {
    this.#host = host;
    this.#concurrency = concurrency;
    host.gate?.onResume((topics) => this.#unpark(topics));
  }

  get active(): number {
    return this.#running.size;
  }

  /** Messages received and waiting for a worker. */
  get waiting(): number {
    let parked = 0;
    for (const items of this.#parked.values()) parked += items.length;
    return this.#waiting.length - this.#head + parked;
  }

  deliver(queue: ProcessQueue, leases: readonly Lease[]): Promise<void> {
    for (const lease of leases) this.#waiting.push({ queue, lease });
    this.#pump();
    return Promise.resolve();
  }

  stop(): Lease[] {
    this.#stopped = true;
    const left = this.#waiting.slice(this.#head).map((i) => i.lease);
    for (const items of this.#parked.values()) for (const i of items) left.push(i.lease);
    this.#parked.clear();
    this.#waiting = [];
    this.#head = 0;
    return left;
  }

  drop(topic: string): Lease[] {
    const left: Lease[] = [];
    const keep: Item[] = [];
    for (let i = this.#head; i < this.#waiting.length; i++) {
      const item = this.#waiting[i]!;
      if (item.queue.queue.topic === topic) left.push(item.lease);
      else keep.push(item);
    }
    this.#waiting = keep;
    this.#head = 0;
    for (const item of this.#parked.get(topic) ?? []) left.push(item.lease);
    this.#parked.delete(topic);
    return left;
  }

  async idle(): Promise<void> {
    while (this.#running.size > 0 || this.#settling.size > 0) {
      await Promise.allSettled([...this.#running, ...this.#settling]);
    }
  }

  #pump(): void {
    while (!this.#stopped && this.#running.size < this.#concurrency && this.#head < this.#waiting.length) {
      const item = this.#waiting[this.#head++]!;
      if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
        this.#waiting = this.#waiting.slice(this.#head);
        this.#head = 0;
      }
      const topic = item.queue.queue.topic;
      if (this.#host.gate?.isPaused(topic) === true) {
        const parked = this.#parked.get(topic);
        if (parked === undefined) this.#parked.set(topic, [item]);
        else parked.push(item);
        continue;
      }
      const run = this.#consume(item).finally(() => {
        this.#running.delete(run);
        this.#pump();
      });
      this.#running.add(run);
    }
  }

  /** Puts the parked messages of resumed topics back in front of the queue, oldest first. */
  #unpark(topics: readonly string[]): void {
    if (this.#stopped) return;
    const back: Item[] = [];
    for (const t of topics) {
      const items = this.#parked.get(t);
      this.#parked.delete(t);
      if (items !== undefined) back.push(...items);
    }
    if (back.length === 0) return;
    this.#waiting = [...back, ...this.#waiting.slice(this.#head)];
    this.#head = 0;
    this.#pump();
  }

  /**
   * Runs the listener for one message, then hands the message to the settler WITHOUT waiting: the
   * worker is free for the next message as soon as the listener returns (an ack waits for its batch,
   * up to the batcher's flush delay, and holding the worker for it capped throughput at
   * concurrency ÷ flush delay). The message keeps its cache space until it is settled, and
   * {@link ConcurrentConsumeService.idle} waits for the settles too.
   */
  async #consume({ queue, lease }: Item): Promise<void> {
    const view = lease.view;
    const host = this.#host;
    let settle: Promise<unknown> | undefined;
    try {
      const attempt = view.deliveryAttempt;
      if (lease.state === 'lost') {
        settle = host.settler.ack(lease); // counts it as lost; nothing is sent
        return;
      }
      const outcome: Outcome = view.corrupted
        ? { t: 'failure' }
        : await callListener(host, view, lease, attempt);
      if (outcome.t === 'success') {
        settle = host.settler.ack(lease);
      } else {
        const delay =
          outcome.retryAfterMs ?? backoffDelay(host.retryPolicy().backoff, Math.max(1, attempt), host.random);
        settle = host.settler.nack(lease, delay, outcome.suspend === true && host.suspend === true);
      }
    } finally {
      if (settle === undefined) {
        queue.release(view);
      } else {
        const tracked: Promise<void> = settle.then(
          () => this.#settled(tracked, queue, view),
          () => this.#settled(tracked, queue, view),
        );
        this.#settling.add(tracked);
      }
    }
  }

  #settled(tracked: Promise<void>, queue: ProcessQueue, view: Item['lease']['view']): void {
    this.#settling.delete(tracked);
    queue.release(view);
  }
}
