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
 * A lite job (`liteTopics` in its configuration) runs a {@link LitePushConsumer} instead, subscribed to
 * the job's lite topics when its session starts; `addLiteTopic` / `removeLiteTopic` change the set at
 * any time (at once on a running session, else at the next start).
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
import { LitePushConsumer } from '../consumer/lite-push-consumer.js';
import type { LiteCallOptions } from '../consumer/lite-subscriptions.js';
import { type LiteOffset, validateLiteOffset, validateLiteTopic } from '../consumer/lite-validation.js';
import { PushConsumer } from '../consumer/push-consumer.js';
import type { ConsumeResult, PushConsumerOptions } from '../consumer/push-consumer-options.js';
import { checkAction, type ConsumeErrorAction } from './classifier.js';
import type { ResolvedConsumerConfig } from './config.js';
import { createHandlerContext, type HandlerContext, runWithHandlerContext } from './context.js';

/** Public names of a job's states. */
export type ManagedConsumerState = 'off' | 'starting' | 'running' | 'backoff' | 'stopping' | 'closed';

/** A session: a push consumer, or a lite push consumer for a lite job. */
type Session = PushConsumer | LitePushConsumer;

type JobState =
  | { readonly t: 'off' }
  | { readonly t: 'starting'; readonly consumer: Session; readonly abort: AbortController }
  | { readonly t: 'running'; readonly consumer: Session }
  | { readonly t: 'backoff'; readonly timer: TaskHandle }
  | { readonly t: 'stopping'; readonly consumer: Session }
  | { readonly t: 'closed' };

/** Options of {@link ManagedConsumer.addLiteTopic}. */
export interface AddLiteTopicOptions extends LiteCallOptions {
  /** Where the lite subscription starts the first time it is made. @defaultValue the server's (LAST) */
  readonly offset?: LiteOffset | undefined;
}

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
  /** A lite job's lite topics → the offset of its first subscription (then `undefined`: resume). */
  readonly #lite: Map<string, LiteOffset | undefined> | undefined;

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
    this.#lite =
      config.liteTopics === undefined ? undefined : new Map(config.liteTopics.map((t) => [t, undefined]));
  }

  /** A lite job's lite topics (a snapshot); empty for an ordinary job. */
  get liteTopics(): ReadonlySet<string> {
    return new Set(this.#lite?.keys() ?? []);
  }

  /**
   * Adds a lite topic to a lite job: subscribed at once when a session runs (its refusal is thrown and
   * the set stays as it was), else when the next session starts. A lite topic already there is left
   * as it is.
   *
   * @throws RocketMQError `INVALID_STATE` for an ordinary job or a closed one; `ILLEGAL_LITE_TOPIC`,
   * `ILLEGAL_OFFSET`; the running session's refusal (e.g. `LITE_SUBSCRIPTION_QUOTA_EXCEEDED`).
   */
  async addLiteTopic(liteTopic: string, options: AddLiteTopicOptions = {}): Promise<void> {
    const lite = this.#liteSet();
    const name = validateLiteTopic(liteTopic);
    if (options.offset !== undefined) validateLiteOffset(options.offset);
    if (lite.has(name)) return;
    const s = this.#state;
    if (s.t === 'running' && s.consumer instanceof LitePushConsumer) {
      await s.consumer.subscribeLite(name, options);
      lite.set(name, undefined);
    } else {
      lite.set(name, options.offset);
    }
    this.#logger.info('lite topic added', { jobName: this.jobName, liteTopic: name });
  }

  /**
   * Removes a lite topic from a lite job (unsubscribed at once when a session runs). A lite topic not
   * there is a no-op.
   *
   * @throws RocketMQError `INVALID_STATE` for an ordinary job or a closed one; `ILLEGAL_LITE_TOPIC`; the
   * running session's refusal (the lite topic then stays).
   */
  async removeLiteTopic(liteTopic: string, options: LiteCallOptions = {}): Promise<void> {
    const lite = this.#liteSet();
    const name = validateLiteTopic(liteTopic, Number.MAX_SAFE_INTEGER);
    if (!lite.has(name)) return;
    const s = this.#state;
    const session = s.t === 'running' || s.t === 'starting' ? s.consumer : undefined;
    if (session instanceof LitePushConsumer && session.liteTopics.has(name)) {
      await session.unsubscribeLite(name, options);
    }
    lite.delete(name);
    this.#logger.info('lite topic removed', { jobName: this.jobName, liteTopic: name });
  }

  #liteSet(): Map<string, LiteOffset | undefined> {
    if (this.#lite === undefined) {
      throw new RocketMQError(`job ${this.jobName} is not a lite job (no liteTopics)`, 'INVALID_STATE');
    }
    if (this.#closed) throw new RocketMQError(`job ${this.jobName} is closed`, 'INVALID_STATE');
    return this.#lite;
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
      if (consumer instanceof LitePushConsumer) await this.#subscribeAll(consumer, abort.signal);
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

  /** Subscribes a new lite session to the job's lite topics (first subscriptions with their offset). */
  async #subscribeAll(consumer: LitePushConsumer, signal: AbortSignal): Promise<void> {
    const lite = this.#lite;
    if (lite === undefined) return;
    // Lite topics added or removed meanwhile are taken into account until the set is done.
    const done = new Set<string>();
    for (;;) {
      const name = [...lite.keys()].find((n) => !done.has(n));
      if (name === undefined) return;
      done.add(name);
      const offset = lite.get(name);
      await consumer.subscribeLite(name, { signal, ...(offset === undefined ? {} : { offset }) });
      if (lite.has(name)) lite.set(name, undefined);
      else await consumer.unsubscribeLite(name, { signal });
    }
  }

  async #stopSession(consumer: Session): Promise<void> {
    this.#state = { t: 'stopping', consumer };
    await consumer.shutdown({ timeoutMs: this.#stopTimeoutMs });
    this.#state = { t: 'off' };
    this.#logger.info('consumer session stopped', { jobName: this.jobName });
  }

  #createConsumer(): Session {
    const c = this.config;
    const { subscriptions: _ignored, ...consumerOptions } = this.#deps.consumerOptions ?? {};
    const common = {
      logger: this.#logger,
      ...consumerOptions,
      endpoints: c.endpoint,
      consumerGroup: c.consumerGroup,
      credentials: c.credentials,
      namespace: c.namespace,
      tls: c.tls,
      concurrency: c.workerNum,
      maxMessagesPerReceive: c.maxMessageNum,
      maxCachedMessages: c.prefetchSize,
      invisibleDurationMs: c.invisibleDurationMs,
      maxLeaseExtensionMs: c.maxLeaseExtensionMs,
      fifoConsumeAccelerator: true,
      listener: (message: MessageView, delivery: { signal: AbortSignal; attempt: number }) =>
        this.#consume(message, delivery),
    };
    if (this.#lite === undefined)
      return new PushConsumer({ ...common, subscriptions: { [c.topic]: c.tagExpression } });
    return new LitePushConsumer({
      ...common,
      topic: c.topic,
      onLiteUnsubscribed: (liteTopic) => {
        this.#lite?.delete(liteTopic);
        this.#logger.warn('the server unsubscribed a lite topic; removed from the job', {
          jobName: this.jobName,
          liteTopic,
        });
      },
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
