/**
 * FIFO consumption of a push consumer whose group is ordered. The broker serves an ordered queue's next
 * messages only after the batch it handed out is settled, so a batch is consumed to the end before the queue
 * receives again. Inside a batch, messages are consumed one after the other in batch order — or, with the
 * accelerator, one bucket per message group, buckets in parallel and each in order.
 *
 * A failed message is retried locally (same receipt, lease kept alive) after the retry policy's delay,
 * up to its max attempts, then forwarded to the dead-letter queue; the next message of its bucket starts
 * only once the previous one is settled (acked or dead-lettered). A corrupted message goes to the
 * dead-letter queue without reaching the listener. When a lease is lost, the rest of its bucket is left
 * alone: the broker delivers them again, in order.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { backoffDelay } from '../internal/backoff.js';
import { callListener, type ConsumeHost, type ConsumeService } from './consume-service.js';
import type { Lease } from './lease-keeper.js';
import type { ProcessQueue } from './process-queue.js';

/** See the module documentation. */
export class FifoConsumeService implements ConsumeService {
  readonly #host: ConsumeHost;
  readonly #accelerate: boolean;
  /** Leases handed over and not yet started → their topic. */
  readonly #unstarted = new Map<Lease, string>();
  readonly #running = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  /** Per topic: aborted when the topic is dropped or the service stops (ends waits and local retries). */
  readonly #topicStops = new Map<string, AbortController>();
  #active = 0;

  constructor(host: ConsumeHost, accelerate: boolean) {
    this.#host = host;
    this.#accelerate = accelerate;
  }

  get active(): number {
    return this.#active;
  }

  deliver(queue: ProcessQueue, leases: readonly Lease[]): Promise<void> {
    for (const l of leases) this.#unstarted.set(l, queue.queue.topic);
    const run = Promise.all(bucketsOf(leases, this.#accelerate).map((b) => this.#bucket(queue, b))).then(
      () => undefined,
    );
    this.#running.add(run);
    return run.finally(() => this.#running.delete(run));
  }

  stop(): Lease[] {
    if (!this.#stop.signal.aborted) this.#stop.abort(new RocketMQError('The consumer is stopping', 'CLOSED'));
    for (const c of this.#topicStops.values()) c.abort(this.#stop.signal.reason);
    this.#topicStops.clear();
    const left = [...this.#unstarted.keys()];
    this.#unstarted.clear();
    return left;
  }

  drop(topic: string): Lease[] {
    const left: Lease[] = [];
    for (const [lease, t] of this.#unstarted) if (t === topic) left.push(lease);
    for (const lease of left) this.#unstarted.delete(lease);
    this.#topicStops.get(topic)?.abort(new RocketMQError(`The topic ${topic} was dropped`, 'CLOSED'));
    this.#topicStops.delete(topic);
    return left;
  }

  /** Aborted when `topic` is dropped or the service stops. */
  #topicSignal(topic: string): AbortSignal {
    let c = this.#topicStops.get(topic);
    if (c === undefined) {
      c = new AbortController();
      if (this.#stop.signal.aborted) c.abort(this.#stop.signal.reason);
      else this.#topicStops.set(topic, c);
    }
    return c.signal;
  }

  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async #bucket(queue: ProcessQueue, leases: readonly Lease[]): Promise<void> {
    let broken = false;
    /** Lite topics suspended in this bucket → the suspend time; their later messages are suspended too. */
    const suspended = new Map<string, number>();
    const topic = queue.queue.topic;
    const dropped = this.#topicSignal(topic);
    for (const lease of leases) {
      // Paused: wait in front of the next message, so the group's order holds across the pause.
      if (this.#host.gate?.isPaused(topic) === true) await this.#host.gate.wait(topic, dropped);
      if (!this.#unstarted.delete(lease)) continue; // taken by stop() or drop(): released by the consumer
      try {
        const lite = lease.view.liteTopic;
        const delay = lite === undefined ? undefined : suspended.get(lite);
        if (delay !== undefined && !this.#stop.signal.aborted && lease.state !== 'lost') {
          await this.#host.settler.nack(lease, delay, true);
          continue;
        }
        if (broken || this.#stop.signal.aborted || lease.state === 'lost') {
          // An earlier message of the bucket was not settled (or we are stopping): hand the rest back;
          // the ordered queue stays blocked at the earliest unsettled message, so order holds.
          broken = true;
          await this.#host.settler.release(lease);
          continue;
        }
        this.#active++;
        const settled = await this.#consume(lease, suspended, dropped);
        if (!settled) broken = true;
      } finally {
        queue.release(lease.view);
      }
    }
  }

  /** Consumes one message to its end; true when it was acked or dead-lettered (false when suspended). */
  async #consume(lease: Lease, suspended: Map<string, number>, dropped: AbortSignal): Promise<boolean> {
    const host = this.#host;
    try {
      const view = lease.view;
      const policy = host.retryPolicy();
      const max = Math.max(1, policy.maxAttempts);
      let attempt = Math.max(1, view.deliveryAttempt);
      if (!view.corrupted) {
        for (;;) {
          const outcome = await callListener(host, view, lease, attempt);
          if (outcome.t === 'success') return await host.settler.ack(lease);
          if (isLost(lease)) return false;
          if (outcome.suspend === true && host.suspend === true) {
            // Lite groups: the server holds the message (and the rest of its lite topic) back for
            // the asked time without counting an attempt.
            const delay = outcome.retryAfterMs ?? 0;
            if (view.liteTopic !== undefined) suspended.set(view.liteTopic, delay);
            await host.settler.nack(lease, delay, true);
            return false;
          }
          if (attempt >= max) break;
          const delay = outcome.retryAfterMs ?? backoffDelay(policy.backoff, attempt, host.random);
          try {
            await host.scheduler.sleep(delay, dropped);
          } catch {
            // Stopping (or the topic dropped) while waiting to retry: hand it back; the broker
            // delivers it again, in order.
            await host.settler.release(lease);
            return false;
          }
          if (isLost(lease)) return false;
          attempt++;
        }
      }
      return await host.settler.deadLetter(lease, { deliveryAttempt: attempt, maxDeliveryAttempts: max });
    } finally {
      this.#active--;
    }
  }
}

/** A function, so TypeScript does not narrow the getter across awaits. */
function isLost(lease: Lease): boolean {
  return lease.state === 'lost';
}

/**
 * Splits a batch into ordered buckets: by message group (a lite message's order key is its lite topic)
 * with the accelerator, else one bucket.
 */
export function bucketsOf(leases: readonly Lease[], accelerate: boolean): Lease[][] {
  if (!accelerate) return leases.length === 0 ? [] : [[...leases]];
  const buckets = new Map<string, Lease[]>();
  for (const l of leases) {
    const key = l.view.messageGroup ?? (l.view.liteTopic === undefined ? '' : `lite:${l.view.liteTopic}`);
    let b = buckets.get(key);
    if (b === undefined) {
      b = [];
      buckets.set(key, b);
    }
    b.push(l);
  }
  return [...buckets.values()];
}
