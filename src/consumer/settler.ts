/**
 * Settling a leased message: ack (through the {@link AckBatcher}), nack (ChangeInvisibleDuration to the
 * retry delay, or 0 to release it), or forward to the dead-letter queue. Each first stops the lease's
 * renewal and takes its newest receipt. Nack and dead-letter calls are retried with backoff while the
 * receipt is still valid; a settle that fails for good is logged and reported as `false` — the broker
 * then redelivers the message after its invisible duration (at-least-once, nothing lost). Each settle
 * that reaches the broker is a settle span (child of the message's process span) with its metrics.
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
import type { Scheduler } from '../internal/scheduler.js';
import type { ClientTelemetry } from '../observability/client-telemetry.js';
import type { Logger } from '../observability/logger.js';
import type { SettleOperation } from '../observability/messaging-attributes.js';
import type { DeadLetterAttempts, ReceiptRef } from '../protocol/consumer-rpc.js';
import type { HookPoint, InterceptorChain } from '../protocol/interceptors.js';
import type { Endpoints } from '../rpc/endpoints.js';
import type { AckBatcher } from './ack-batcher.js';
import type { Lease } from './lease-keeper.js';

/** What the settler needs from its client. */
export interface SettlerHost {
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly logger: Logger;
  readonly random?: RandomSource | undefined;
  readonly batcher: AckBatcher;
  /** Settle spans (children of the message's process span) and metrics. @defaultValue none */
  readonly telemetry?: ClientTelemetry | undefined;
  /** User hooks around each settle. @defaultValue none */
  readonly interceptors?: InterceptorChain | undefined;
  changeInvisible(endpoints: Endpoints, ref: ReceiptRef, invisibleMs: number): Promise<string>;
  forwardToDeadLetterQueue(
    endpoints: Endpoints,
    ref: ReceiptRef,
    attempts: DeadLetterAttempts,
  ): Promise<void>;
}

/** Counters of a {@link Settler}. */
export interface SettlerStats {
  readonly acked: number;
  readonly nacked: number;
  readonly released: number;
  readonly deadLettered: number;
  /** Settles given up (the message will be redelivered). */
  readonly failed: number;
  /** Messages not settled because their lease was already lost. */
  readonly lost: number;
}

const RETRY_BACKOFF = exponentialBackoff({ initialMs: 200, maxMs: 2_000, multiplier: 2, jitter: 0.2 });

/** See the module documentation. */
export class Settler {
  readonly #host: SettlerHost;
  readonly #retryBackoff: BackoffPolicy;
  #acked = 0;
  #nacked = 0;
  #released = 0;
  #deadLettered = 0;
  #failed = 0;
  #lost = 0;

  constructor(host: SettlerHost, retryBackoff: BackoffPolicy = RETRY_BACKOFF) {
    this.#host = host;
    this.#retryBackoff = retryBackoff;
  }

  /** Counters since creation. */
  get stats(): SettlerStats {
    return {
      acked: this.#acked,
      nacked: this.#nacked,
      released: this.#released,
      deadLettered: this.#deadLettered,
      failed: this.#failed,
      lost: this.#lost,
    };
  }

  /** Acknowledges the message; true once the broker confirmed it. Never rejects. */
  async ack(lease: Lease): Promise<boolean> {
    const ref = await this.#take(lease);
    if (ref === undefined) return false;
    const op = this.#startSettle('ack', lease);
    try {
      await this.#intercepted('ack', lease, () =>
        this.#host.batcher.ack(lease.endpoints, ref, lease.expiresAt),
      );
      this.#acked++;
      op?.succeed();
      return true;
    } catch (err) {
      this.#fail('ack', ref, err);
      op?.fail(err);
      return false;
    }
  }

  /**
   * Makes the message visible again after `delayMs` (the retry delay). With `suspend` the request
   * carries the suspend flag (lite groups: the attempt is not counted). Never rejects.
   */
  async nack(lease: Lease, delayMs: number, suspend = false): Promise<boolean> {
    const ok = await this.#retrying(lease, 'nack', 'nack', (ref) =>
      this.#host
        .changeInvisible(lease.endpoints, suspend ? { ...ref, suspend: true } : ref, delayMs)
        .then(() => undefined),
    );
    if (ok) this.#nacked++;
    return ok;
  }

  /** Hands the message back at once (shutdown): ChangeInvisibleDuration 0. Never rejects. */
  async release(lease: Lease): Promise<boolean> {
    const ok = await this.#retrying(lease, 'release', 'release', (ref) =>
      this.#host.changeInvisible(lease.endpoints, ref, 0).then(() => undefined),
    );
    if (ok) this.#released++;
    return ok;
  }

  /** Forwards the message to the group's dead-letter queue. Never rejects. */
  async deadLetter(lease: Lease, attempts: DeadLetterAttempts): Promise<boolean> {
    const ok = await this.#retrying(lease, 'dead-letter', 'dead_letter', (ref) =>
      this.#host.forwardToDeadLetterQueue(lease.endpoints, ref, attempts),
    );
    if (ok) this.#deadLettered++;
    return ok;
  }

  async #take(lease: Lease): Promise<ReceiptRef | undefined> {
    const ref = await lease.settle();
    if (lease.state === 'lost') {
      this.#lost++;
      this.#host.logger.debug('message not settled: its lease was lost', { messageId: ref.messageId });
      return undefined;
    }
    return ref;
  }

  async #retrying(
    lease: Lease,
    what: string,
    operation: SettleOperation,
    call: (ref: ReceiptRef) => Promise<void>,
  ): Promise<boolean> {
    const ref = await this.#take(lease);
    if (ref === undefined) return false;
    const point: HookPoint = operation === 'dead_letter' ? 'forward-to-dlq' : 'change-invisible-duration';
    return this.#intercepted(
      point,
      lease,
      () => this.#retry(lease, ref, what, operation, call),
      (ok) => (ok ? {} : { status: 'error' }),
    );
  }

  async #retry(
    lease: Lease,
    ref: ReceiptRef,
    what: string,
    operation: SettleOperation,
    call: (ref: ReceiptRef) => Promise<void>,
  ): Promise<boolean> {
    const op = this.#startSettle(operation, lease);
    for (let attempt = 1; ; attempt++) {
      try {
        await call(ref);
        op?.succeed();
        return true;
      } catch (err) {
        const e = RocketMQError.from(err);
        const delay = backoffDelay(this.#retryBackoff, attempt, this.#host.random ?? Math.random);
        if (!e.retriable || this.#host.clock.now() + delay >= lease.expiresAt) {
          this.#fail(what, ref, e);
          op?.fail(e);
          return false;
        }
        try {
          await this.#host.scheduler.sleep(delay);
        } catch {
          this.#fail(what, ref, e);
          op?.fail(e);
          return false;
        }
      }
    }
  }

  #intercepted<T>(
    point: HookPoint,
    lease: Lease,
    run: () => Promise<T>,
    describe?: (r: T) => { status?: 'ok' | 'error' },
  ): Promise<T> {
    const chain = this.#host.interceptors;
    if (chain === undefined || chain.empty) return run();
    return chain.around(
      { point: point as 'ack', topic: lease.view.topic, messages: [lease.view] },
      run,
      describe,
    );
  }

  #startSettle(operation: SettleOperation, lease: Lease) {
    return this.#host.telemetry?.startSettle(operation, lease.view, lease.endpoints.addresses[0], 'root');
  }

  #fail(what: string, ref: ReceiptRef, err: unknown): void {
    this.#failed++;
    this.#host.logger.warn(`${what} failed; the message will be delivered again`, {
      messageId: ref.messageId,
      topic: ref.topic,
      err: RocketMQError.from(err),
    });
  }
}
