/**
 * One managed consumer job: its switch, its session and its health.
 *
 * The job runs a session (a {@link PushConsumer}: fetch loops → bounded prefetch of
 * `max(2 × workerNum, maxMessageNum)` → `workerNum` workers, lease renewal, batched acks, per-group
 * order for ordered groups) while it is *wanted*: activated by `startAllConsumers()`, switched on, and
 * not closed. Changing any of these reconciles at once (no polling): switching off stops receiving
 * immediately and drains the messages in progress; switching on starts a new session. A failed start
 * is retried with backoff while the job is still wanted.
 *
 * ```
 * off ──wanted──► starting ──ok──► running ──unwanted──► stopping ──► off
 *  ▲                 │ fail                                              │
 *  └──── backoff ◄───┘ (retry while wanted)             closed ◄─────────┘ (close())
 * ```
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { type BackoffPolicy, backoffDelay, type RandomSource } from '../internal/backoff.js';
import type { Clock } from '../internal/clock.js';
import type { Scheduler, TaskHandle } from '../internal/scheduler.js';
import type { MessageView } from '../model/message-view.js';
import type { Logger } from '../observability/logger.js';
import { PushConsumer } from '../consumer/push-consumer.js';
import type { ConsumeResult, PushConsumerOptions } from '../consumer/push-consumer-options.js';
import { checkAction, type ConsumeErrorAction } from './classifier.js';
import type { ResolvedConsumerConfig } from './config.js';
import { createHandlerContext, type HandlerContext, runWithHandlerContext } from './context.js';

/** Public names of a job's states. */
export type ManagedConsumerState = 'off' | 'starting' | 'running' | 'backoff' | 'stopping' | 'closed';

type JobState =
  | { readonly t: 'off' }
  | { readonly t: 'starting'; readonly consumer: PushConsumer; readonly abort: AbortController }
  | { readonly t: 'running'; readonly consumer: PushConsumer }
  | { readonly t: 'backoff'; readonly timer: TaskHandle }
  | { readonly t: 'stopping'; readonly consumer: PushConsumer }
  | { readonly t: 'closed' };

/** A health snapshot of one job. */
export interface ConsumerHealth {
  /** The job's unique name. */
  readonly jobName: string;
  /** The consumed topic. */
  readonly topic: string;
  /** The consumer group. */
  readonly consumerGroup: string;
  /** Where the job is in its lifecycle. */
  readonly state: ManagedConsumerState;
  /** The job's switch. */
  readonly switch: boolean;
  /** Handlers running now. */
  readonly inFlight: number;
  /** Messages prefetched and not yet settled. */
  readonly cachedMessages: number;
  /** Messages whose handler returned without throwing (a throw counts in `failed` instead). */
  readonly handled: number;
  /** Messages whose handler threw. */
  readonly failed: number;
  /** Failed messages by the classifier's verdict. */
  readonly requeued: number;
  /** Failed messages dropped by the classifier's `'ack'`. */
  readonly acked: number;
  /** Failed messages retried by the classifier's `retryLater`. */
  readonly retriedLater: number;
  /** Sessions started (one per switch-on or successful retry). */
  readonly sessionsStarted: number;
  /** Session starts that failed. */
  readonly startFailures: number;
  /** When the last message reached the handler. */
  readonly lastMessageAt: Date | undefined;
  /** The last start failure. */
  readonly lastError:
    | {
        /** The error code. */
        readonly code: string;
        /** The error message. */
        readonly message: string;
      }
    | undefined;
}

/** What a job needs from its registry. */
export interface ManagedConsumerDeps {
  readonly logger: Logger;
  readonly scheduler: Scheduler;
  readonly clock: Clock;
  readonly random?: RandomSource | undefined;
  readonly startBackoff: BackoffPolicy;
  /** Bound of one session start. */
  readonly startTimeoutMs: number;
  /** Bound of the drain when a session stops (switch off). */
  readonly drainTimeoutMs: number;
  /** Extra options for every session's PushConsumer (test seams: clock, timers, …). */
  readonly consumerOptions?: Partial<PushConsumerOptions> | undefined;
}

/** See the module documentation. */
export class ManagedConsumer {
  /** The job's resolved configuration. */
  readonly config: ResolvedConsumerConfig;
  readonly #handle: (ctx: HandlerContext, message: MessageView) => unknown;
  readonly #deps: ManagedConsumerDeps;
  readonly #logger: Logger;
  #state: JobState = { t: 'off' };
  #switch: boolean;
  #active = false;
  #closed = false;
  #stopTimeoutMs: number;
  #work: Promise<void> | undefined;
  #again = false;
  #failures = 0;
  #idle: Array<() => void> = [];
  // counters
  #handled = 0;
  #failed = 0;
  #requeued = 0;
  #acked = 0;
  #retriedLater = 0;
  #sessions = 0;
  #startFailures = 0;
  #lastMessageAt: number | undefined;
  #lastError: RocketMQError | undefined;

  constructor(
    config: ResolvedConsumerConfig,
    handle: (ctx: HandlerContext, message: MessageView) => unknown,
    switchOn: boolean,
    deps: ManagedConsumerDeps,
  ) {
    this.config = config;
    this.#handle = handle;
    this.#switch = switchOn;
    this.#deps = deps;
    this.#stopTimeoutMs = deps.drainTimeoutMs;
    this.#logger = deps.logger;
  }

  /** The job's unique name. */
  get jobName(): string {
    return this.config.jobName;
  }

  /** The switch: on means the job should run (once activated). */
  get switch(): boolean {
    return this.#switch;
  }

  /** Where the job is in its lifecycle. */
  get state(): ManagedConsumerState {
    return this.#state.t;
  }

  /** Turns the job on or off; takes effect at once. */
  setSwitch(on: boolean): void {
    if (this.#switch === on) return;
    this.#switch = on;
    this.#logger.info(on ? 'consumer switched on' : 'consumer switched off', { jobName: this.jobName });
    this.#kick();
  }

  /** Lets the job run (the registry's `startAllConsumers()`). */
  activate(): void {
    if (this.#active) return;
    this.#active = true;
    this.#kick();
  }

  /** Resolves when no transition is in progress (the state is settled). */
  settled(): Promise<void> {
    if (this.#work === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  /**
   * Stops the job for good: the session drains for up to `timeoutMs` (0 forces it). Idempotent;
   * never rejects.
   */
  async close(timeoutMs: number): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stopTimeoutMs = timeoutMs;
      this.#kick();
    } else if (timeoutMs < this.#stopTimeoutMs) {
      // A second, harder close (e.g. a forced waitStop) shortens the drain in progress.
      this.#stopTimeoutMs = timeoutMs;
      const s = this.#state;
      if (s.t === 'stopping' && timeoutMs === 0) void s.consumer.destroy();
    }
    await this.settled();
    this.#state = { t: 'closed' };
  }

  /** {@link ManagedConsumer.close} without a drain; ends a drain in progress at once. Never rejects. */
  destroy(): Promise<void> {
    return this.close(0);
  }

  /** A health snapshot of the job. */
  health(): ConsumerHealth {
    const s = this.#state;
    const consumer = s.t === 'running' || s.t === 'stopping' || s.t === 'starting' ? s.consumer : undefined;
    const stats = consumer?.stats();
    return {
      jobName: this.jobName,
      topic: this.config.topic,
      consumerGroup: this.config.consumerGroup,
      state: s.t,
      switch: this.#switch,
      inFlight: stats?.inFlight ?? 0,
      cachedMessages: stats?.cachedMessages ?? 0,
      handled: this.#handled,
      failed: this.#failed,
      requeued: this.#requeued,
      acked: this.#acked,
      retriedLater: this.#retriedLater,
      sessionsStarted: this.#sessions,
      startFailures: this.#startFailures,
      lastMessageAt: this.#lastMessageAt === undefined ? undefined : new Date(this.#lastMessageAt),
      lastError:
        this.#lastError === undefined
          ? undefined
          : { code: this.#lastError.code, message: this.#lastError.message },
    };
  }

  // ── transitions ─────────────────────────────────────────────────────────────

  #wanted(): boolean {
    return this.#active && this.#switch && !this.#closed;
  }

  #kick(): void {
    const s = this.#state;
    if (!this.#wanted()) {
      if (s.t === 'starting') s.abort.abort(new RocketMQError('The consumer was switched off', 'ABORTED'));
      if (s.t === 'backoff') {
        s.timer.cancel();
        this.#state = { t: 'off' };
      }
    }
    if (this.#work !== undefined) {
      this.#again = true;
      return;
    }
    this.#work = this.#loop().finally(() => {
      this.#work = undefined;
      for (const resolve of this.#idle.splice(0)) resolve();
    });
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      const s = this.#state;
      if (this.#wanted() && s.t === 'off') await this.#startSession();
      else if (!this.#wanted() && s.t === 'running') await this.#stopSession(s.consumer);
    } while (this.#again);
  }

  async #startSession(): Promise<void> {
    const consumer = this.#createConsumer();
    const abort = new AbortController();
    this.#state = { t: 'starting', consumer, abort };
    try {
      await consumer.start({ signal: abort.signal, timeoutMs: this.#deps.startTimeoutMs });
      this.#sessions++;
      this.#failures = 0;
      this.#state = { t: 'running', consumer };
      this.#logger.info('consumer session started', { jobName: this.jobName, fifo: consumer.stats().fifo });
      if (!this.#wanted()) this.#again = true;
    } catch (err) {
      await consumer.shutdown({ timeoutMs: 0 });
      if (!this.#wanted()) {
        this.#state = { t: 'off' };
        return;
      }
      const e = RocketMQError.from(err);
      this.#startFailures++;
      this.#failures++;
      this.#lastError = e;
      const delay = backoffDelay(this.#deps.startBackoff, this.#failures, this.#deps.random ?? Math.random);
      this.#logger.warn('consumer session failed to start; retrying', {
        jobName: this.jobName,
        delay,
        err: e,
      });
      const timer = this.#deps.scheduler.after(
        delay,
        () => {
          if (this.#state.t !== 'backoff') return;
          this.#state = { t: 'off' };
          this.#kick();
        },
        { name: `managed-start-retry:${this.jobName}` },
      );
      this.#state = { t: 'backoff', timer };
    }
  }

  async #stopSession(consumer: PushConsumer): Promise<void> {
    this.#state = { t: 'stopping', consumer };
    await consumer.shutdown({ timeoutMs: this.#stopTimeoutMs });
    this.#state = { t: 'off' };
    this.#logger.info('consumer session stopped', { jobName: this.jobName });
  }

  #createConsumer(): PushConsumer {
    const c = this.config;
    return new PushConsumer({
      logger: this.#logger,
      ...this.#deps.consumerOptions,
      endpoints: c.endpoint,
      consumerGroup: c.consumerGroup,
      subscriptions: { [c.topic]: c.tagExpression },
      credentials: c.credentials,
      namespace: c.namespace,
      tls: c.tls,
      concurrency: c.workerNum,
      maxMessagesPerReceive: c.maxMessageNum,
      maxCachedMessages: c.prefetchSize,
      invisibleDurationMs: c.invisibleDurationMs,
      maxLeaseExtensionMs: c.maxLeaseExtensionMs,
      fifoConsumeAccelerator: true,
      listener: (message, delivery) => this.#consume(message, delivery),
    });
  }

  async #consume(
    message: MessageView,
    delivery: { signal: AbortSignal; attempt: number },
  ): Promise<ConsumeResult> {
    this.#lastMessageAt = this.#deps.clock.now();
    const ctx = createHandlerContext(this.config, message, delivery, this.#logger);
    try {
      await runWithHandlerContext(ctx, () => this.#handle(ctx, message));
      this.#handled++;
      return 'success';
    } catch (err) {
      this.#failed++;
      const action = this.#classify(ctx, message, err);
      ctx.logger.warn('handler failed', { attempt: delivery.attempt, action: describeAction(action), err });
      if (action === 'ack') {
        this.#acked++;
        return 'success';
      }
      if (action === 'requeue') {
        // Nothing is sent: the broker delivers it again once its invisible duration is over.
        this.#requeued++;
        return { retryAfterMs: this.config.invisibleDurationMs };
      }
      this.#retriedLater++;
      return { retryAfterMs: action.retryLaterMs };
    }
  }

  #classify(ctx: HandlerContext, message: MessageView, err: unknown): ConsumeErrorAction {
    try {
      const verdict = checkAction(this.config.errorClassifier(ctx, message, err));
      if (verdict !== undefined) return verdict;
      ctx.logger.warn('error classifier returned an unknown verdict; requeueing');
    } catch (classifierError) {
      ctx.logger.warn('error classifier threw; requeueing', { err: classifierError });
    }
    return 'requeue';
  }
}

function describeAction(action: ConsumeErrorAction): string {
  return typeof action === 'string' ? action : `retryLater(${action.retryLaterMs} ms)`;
}
