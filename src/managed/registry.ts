/**
 * The registry of managed consumers and producers (the module-level functions in `index.ts` use one
 * default instance).
 *
 * - `registerConsumer(...)` adds a job (unique `jobName`); `startAllConsumers()` lets every job run
 *   (jobs registered later run as soon as they are registered); `setConsumerSwitch(jobName, on)` starts
 *   or stops one job at once.
 * - `registerProducer(config)` starts a producer and keeps it for `waitStop()`.
 * - Shutdown is requested by `shutdownAll()`, by the `signal` given to `waitStop()`, or by a process
 *   signal once `handleShutdownSignals()` is on. `waitStop()` resolves when everything stopped: consumers
 *   drain first (bounded by `timeoutMs`; handlers still running then have their signals aborted),
 *   then producers finish their sends in flight and close, all within the bound. `force: true` skips the
 *   drain; {@link Registry.destroy} (and a second handled signal) forces it, also while a graceful
 *   shutdown runs: every consumer and producer is destroyed at once (see `internal/lifecycle.ts`).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { type BackoffPolicy, exponentialBackoff, type RandomSource } from '../internal/backoff.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { createDeferred } from '../internal/deferred.js';
import { type Closing, Lifecycle } from '../internal/lifecycle.js';
import { ResourceCount, type ResourceSnapshot } from '../internal/resource-count.js';
import { Scheduler } from '../internal/scheduler.js';
import type { TimerApi } from '../internal/timers.js';
import type { MessageView } from '../model/message-view.js';
import { type Logger, noopLogger, safeLogger } from '../observability/logger.js';
import type { PushConsumerOptions } from '../consumer/push-consumer-options.js';
import type { ProducerOptions } from '../producer/options.js';
import { Producer } from '../producer/producer.js';
import {
  type ConsumerConfig,
  type ConsumerDefinition,
  credentialsOf,
  type Handler,
  type ProducerConfig,
  resolveConsumerConfig,
} from './config.js';
import type { HandlerContext } from './context.js';
import {
  checkEnsureOptions,
  checkTopicType,
  type EnsureOptions,
  type EnsureReport,
  ensureResources,
  type ManagedTopicType,
} from './ensure.js';
import { type ConsumerHealth, ManagedConsumer } from './managed-consumer.js';
import { ManagedProducer } from './managed-producer.js';

/** Options of {@link Registry}. */
export interface RegistryOptions {
  /** @defaultValue silent */
  logger?: Logger | undefined;
  /** Bound of a consumer's drain when it is switched off. @defaultValue 30000 */
  drainTimeoutMs?: number | undefined;
  /** Bound of one session start. @defaultValue 30000 */
  startTimeoutMs?: number | undefined;
  /** Backoff between failed session starts. @defaultValue 1 s → 30 s ×2 ±20 % */
  startBackoff?: BackoffPolicy | undefined;
  /** Extra options for every consumer session (tuning and test seams). */
  consumerOptions?: Partial<PushConsumerOptions> | undefined;
  /** Extra options for every producer (tuning and test seams). */
  producerOptions?: Partial<ProducerOptions> | undefined;
  /**
   * Development aid (opt-in): before `startAllConsumers()` lets the jobs run, and before
   * `registerProducer()` starts a producer, the topics and consumer groups they declare are created
   * when missing (topics with their declared `topicType`, groups FIFO where the topic is FIFO), through
   * the given admin client (`new Admin(...)` of `rocketmq-ts/admin`, or `broker.admin()` of an
   * in-process broker). Existing ones are left alone; an existing topic of another type fails with
   * `PRECONDITION_FAILED` (or only warns, see {@link EnsureOptions.onTypeMismatch}). Jobs registered
   * after `startAllConsumers()` are not ensured.
   */
  ensure?: EnsureOptions | undefined;
  /** Test seam. @defaultValue the system clock */
  clock?: Clock | undefined;
  /** Test seam. @defaultValue the global timers */
  timers?: TimerApi | undefined;
  /** Test seam. @defaultValue `Math.random` */
  random?: RandomSource | undefined;
}

/** Options of {@link Registry.registerConsumer}. */
export interface RegisterConsumerOptions {
  /** The job's switch at registration. @defaultValue true */
  autoStart?: boolean | undefined;
}

/** Options of {@link Registry.waitStop} and {@link Registry.shutdownAll}. */
export interface WaitStopOptions {
  /** Bound of the graceful part (consumer drain + producer sends). @defaultValue 30000 */
  timeoutMs?: number | undefined;
  /** Stop at once: no drain (unsettled messages are delivered again later). @defaultValue false */
  force?: boolean | undefined;
  /** Aborting it requests the shutdown, as a call to `waitStop()` would. */
  signal?: AbortSignal | undefined;
}

/** Health of everything in a registry. */
export interface RegistryHealth {
  /** True once shutdown was requested. */
  readonly shuttingDown: boolean;
  /** Every job. */
  readonly consumers: readonly ConsumerHealth[];
  /** Every producer still open. */
  readonly producers: readonly {
    /** The producer's client id. */
    readonly id: string;
    /** Sends in flight. */
    readonly inFlight: number;
  }[];
}

const START_BACKOFF = exponentialBackoff({ initialMs: 1_000, maxMs: 30_000, multiplier: 2, jitter: 0.2 });
const DEFAULT_STOP_TIMEOUT_MS = 30_000;

function closed(): RocketMQError {
  return new RocketMQError('The registry is shutting down', 'CLOSED');
}

/** The topics a producer declares, with their types. @throws RocketMQError `INVALID_ARGUMENT` */
function producerDeclarations(config: ProducerConfig): Map<string, ManagedTopicType> {
  const types = config.topicTypes ?? {};
  if (types === null || typeof types !== 'object') {
    throw new RocketMQError('topicTypes must be an object', 'INVALID_ARGUMENT');
  }
  const out = new Map<string, ManagedTopicType>();
  for (const topic of config.topics ?? []) out.set(topic, 'NORMAL');
  for (const [topic, type] of Object.entries(types)) {
    out.set(topic, checkTopicType(`topicTypes.${topic}`, type) ?? 'NORMAL');
  }
  return out;
}

/** See the module documentation. */
export class Registry {
  readonly #logger: Logger;
  readonly #scheduler: Scheduler;
  readonly #clock: Clock;
  readonly #options: RegistryOptions;
  readonly #consumers = new Map<string, ManagedConsumer>();
  readonly #producers = new Set<ManagedProducer>();
  readonly #requested = createDeferred<void>();
  readonly #resources = new ResourceCount();
  readonly #lifecycle: Lifecycle;
  #started = false;
  #stopOptions: { timeoutMs: number; force: boolean } = { timeoutMs: DEFAULT_STOP_TIMEOUT_MS, force: false };

  /** @throws RocketMQError `INVALID_ARGUMENT` for a malformed `ensure` option. */
  constructor(options: RegistryOptions = {}) {
    checkEnsureOptions(options.ensure);
    this.#options = options;
    this.#logger = safeLogger(options.logger ?? noopLogger);
    this.#clock = options.clock ?? systemClock;
    this.#scheduler = new Scheduler({
      timers: options.timers,
      resources: this.#resources,
      onError: (err, { name }) => this.#logger.warn('managed task failed', { task: name, err }),
    });
    this.#lifecycle = new Lifecycle({
      scheduler: this.#scheduler,
      clock: this.#clock,
      resources: this.#resources,
      closedError: (message) => new RocketMQError(message, 'CLOSED'),
      onStepError: (err) => this.#logger.warn('registry shutdown step failed', { err }),
    });
  }

  /**
   * The registry's own resources (its timers, the keep-alive of its shutdown); every client it made
   * counts its own.
   * @internal For leak tests.
   */
  resources(): ResourceSnapshot {
    return this.#resources.snapshot();
  }

  /** True once shutdown was requested. */
  get shuttingDown(): boolean {
    return this.#requested.settled;
  }

  /**
   * Registers a consumer job: `{ config, handle(ctx, message) }`, or a config and a handler function.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` for a bad config or a `jobName` already registered;
   * `CLOSED` once shutdown was requested.
   */
  registerConsumer(consumer: ConsumerDefinition, options?: RegisterConsumerOptions): ManagedConsumer;
  registerConsumer(
    config: ConsumerConfig,
    handler: Handler,
    options?: RegisterConsumerOptions,
  ): ManagedConsumer;
  registerConsumer(
    first: ConsumerDefinition | ConsumerConfig,
    second?: Handler | RegisterConsumerOptions,
    third?: RegisterConsumerOptions,
  ): ManagedConsumer {
    if (this.shuttingDown) throw closed();
    let config: ConsumerConfig;
    let handle: (ctx: HandlerContext, message: MessageView) => unknown;
    let options: RegisterConsumerOptions | undefined;
    if (typeof second === 'function') {
      config = first as ConsumerConfig;
      handle = second;
      options = third;
    } else {
      const def = first as ConsumerDefinition;
      if (def === null || typeof def !== 'object' || typeof def.handle !== 'function') {
        throw new RocketMQError(
          'a consumer is { config, handle(ctx, message) } or (config, handler)',
          'INVALID_ARGUMENT',
        );
      }
      config = def.config;
      handle = (ctx, message) => def.handle(ctx, message);
      options = second;
    }
    const resolved = resolveConsumerConfig(config);
    if (this.#consumers.has(resolved.jobName)) {
      throw new RocketMQError(
        `a consumer named "${resolved.jobName}" is already registered`,
        'INVALID_ARGUMENT',
      );
    }
    const autoStart = options?.autoStart ?? true;
    if (typeof autoStart !== 'boolean')
      throw new RocketMQError('autoStart must be a boolean', 'INVALID_ARGUMENT');
    const job = new ManagedConsumer(resolved, handle, autoStart, {
      logger: this.#logger,
      scheduler: this.#scheduler,
      clock: this.#clock,
      random: this.#options.random,
      startBackoff: this.#options.startBackoff ?? START_BACKOFF,
      startTimeoutMs: this.#options.startTimeoutMs ?? 30_000,
      drainTimeoutMs: this.#options.drainTimeoutMs ?? 30_000,
      consumerOptions: this.#options.consumerOptions,
    });
    this.#consumers.set(resolved.jobName, job);
    if (this.#started) job.activate();
    return job;
  }

  /**
   * Lets every registered job run (and every job registered later). Idempotent. With the `ensure`
   * option the declared topics and groups are ensured first and the jobs run once that succeeded; the
   * promise then resolves with what was created, or rejects (nothing runs) with the ensure error.
   * Without it the jobs run at once and the promise resolves with `undefined`.
   *
   * @throws RocketMQError `CLOSED` once shutdown was requested.
   */
  startAllConsumers(): Promise<EnsureReport | undefined> {
    if (this.shuttingDown) throw closed();
    const ensure = this.#options.ensure;
    if (ensure === undefined) {
      this.#activateAll();
      return Promise.resolve(undefined);
    }
    return ensureResources(ensure, this.#consumerDeclarations(), this.#logger).then((report) => {
      if (this.shuttingDown) throw closed();
      this.#activateAll();
      return report;
    });
  }

  #activateAll(): void {
    this.#started = true;
    for (const job of this.#consumers.values()) job.activate();
  }

  #consumerDeclarations(): { topics: Map<string, ManagedTopicType>; groups: Map<string, boolean> } {
    const topics = new Map<string, ManagedTopicType>();
    const groups = new Map<string, boolean>();
    for (const job of this.#consumers.values()) {
      const { topic, topicType, consumerGroup } = job.config;
      const other = topics.get(topic);
      if (other !== undefined && other !== topicType) {
        throw new RocketMQError(
          `Topic ${topic} is declared both ${other} and ${topicType} by the registered consumers`,
          'INVALID_ARGUMENT',
        );
      }
      topics.set(topic, topicType);
      groups.set(consumerGroup, (groups.get(consumerGroup) ?? false) || topicType === 'FIFO');
    }
    return { topics, groups };
  }

  /**
   * Turns a job on or off; takes effect at once.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` for an unknown job or a non-boolean.
   */
  setConsumerSwitch(jobName: string, on: boolean): void {
    if (typeof on !== 'boolean') throw new RocketMQError('the switch must be a boolean', 'INVALID_ARGUMENT');
    const job = this.#consumers.get(jobName);
    if (job === undefined)
      throw new RocketMQError(`no consumer named "${String(jobName)}"`, 'INVALID_ARGUMENT');
    job.setSwitch(on);
  }

  /** A job's switch; false for an unknown job (an unknown job never runs). */
  getConsumerSwitch(jobName: string): boolean {
    return this.#consumers.get(jobName)?.switch ?? false;
  }

  /** A registered job. */
  consumer(jobName: string): ManagedConsumer | undefined {
    return this.#consumers.get(jobName);
  }

  /**
   * Starts a producer and registers it for `waitStop()`.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` for a bad config; `CLOSED` once shutdown was requested; the
   * start's own failures (`UNAUTHORIZED`, `TOPIC_NOT_FOUND`, `SETTINGS_TIMEOUT`, …).
   */
  async registerProducer(config: ProducerConfig): Promise<ManagedProducer> {
    if (this.shuttingDown) throw closed();
    if (config === null || typeof config !== 'object') {
      throw new RocketMQError('the producer config must be an object', 'INVALID_ARGUMENT');
    }
    if (typeof config.endpoint !== 'string' || config.endpoint.trim() === '') {
      throw new RocketMQError('endpoint must be a non-empty string', 'INVALID_ARGUMENT');
    }
    const ensure = this.#options.ensure;
    if (ensure !== undefined) {
      const declared = producerDeclarations(config);
      await ensureResources(ensure, { topics: declared, groups: new Map() }, config.logger ?? this.#logger);
    }
    const producer = new Producer({
      logger: config.logger ?? this.#logger,
      ...this.#options.producerOptions,
      endpoints: config.endpoint,
      topics: config.topics,
      credentials: credentialsOf(config.accessKey, config.accessSecret),
      namespace: config.namespace,
      tls: config.tls,
    });
    try {
      await producer.start();
    } catch (err) {
      await producer.shutdown({ timeoutMs: 0 });
      throw err;
    }
    const managed = new ManagedProducer(producer, config.logger ?? this.#logger, (p) =>
      this.#producers.delete(p),
    );
    if (this.shuttingDown) {
      await managed.close(0);
      throw closed();
    }
    this.#producers.add(managed);
    return managed;
  }

  /**
   * Requests the shutdown and resolves when everything stopped (see the module documentation).
   * Idempotent: later calls share the first one's outcome (a `force` call still forces a drain in
   * progress, as {@link Registry.destroy}). Never rejects.
   */
  shutdownAll(options: Omit<WaitStopOptions, 'signal'> = {}): Promise<void> {
    this.#noteStopOptions(options);
    this.#requested.resolve();
    if (this.#stopOptions.force) return this.destroy();
    return this.#lifecycle.shutdown(this.#stopOptions.timeoutMs, (c) => this.#stopAll(c));
  }

  /**
   * Stops everything at once: every consumer and producer is destroyed (handlers' signals abort,
   * unsettled messages are delivered again later, sends in flight reject with `CLOSED`). During a
   * graceful shutdown, ends it now; its promise, returned here, resolves as soon as everything closed.
   * Never rejects.
   */
  destroy(): Promise<void> {
    this.#requested.resolve();
    return this.#lifecycle.destroy((c) => this.#stopAll(c));
  }

  /**
   * Waits until shutdown is requested (by `shutdownAll()`, `options.signal`, or a handled process
   * signal), then until everything stopped. Never rejects.
   */
  async waitStop(options: WaitStopOptions = {}): Promise<void> {
    const { signal, ...rest } = options;
    this.#noteStopOptions(rest);
    if (signal !== undefined) {
      if (signal.aborted) this.#requested.resolve();
      else signal.addEventListener('abort', () => this.#requested.resolve(), { once: true });
    }
    await this.#requested.promise;
    await this.shutdownAll(rest);
  }

  /**
   * Wires SIGINT and SIGTERM (or `signals`) to `shutdownAll()`; a second signal forces it
   * ({@link Registry.destroy}: a graceful shutdown in progress ends at once). Returns the function that
   * removes the handlers. Opt-in: the registry never touches process signals by itself.
   */
  handleShutdownSignals(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): () => void {
    let count = 0;
    const onSignal = (sig: NodeJS.Signals): void => {
      count++;
      this.#logger.info('shutdown signal received', { signal: sig, count });
      void (count > 1 ? this.destroy() : this.shutdownAll());
    };
    for (const s of signals) process.on(s, onSignal);
    return () => {
      for (const s of signals) process.removeListener(s, onSignal);
    };
  }

  /** A health snapshot of every job and producer. */
  health(): RegistryHealth {
    return {
      shuttingDown: this.shuttingDown,
      consumers: [...this.#consumers.values()].map((c) => c.health()),
      producers: [...this.#producers].map((p) => ({ id: p.id, inFlight: p.inFlight })),
    };
  }

  #noteStopOptions(options: Omit<WaitStopOptions, 'signal'>): void {
    if (options.timeoutMs !== undefined) {
      if (typeof options.timeoutMs !== 'number' || !(options.timeoutMs >= 0)) {
        throw new RocketMQError('timeoutMs must be a non-negative number', 'INVALID_ARGUMENT');
      }
      if (this.#lifecycle.open) this.#stopOptions.timeoutMs = options.timeoutMs;
    }
    if (options.force === true) this.#stopOptions.force = true;
  }

  async #stopAll(closing: Closing): Promise<void> {
    const force = (): void => {
      for (const c of this.#consumers.values()) void c.close(0);
      for (const p of this.#producers) void p.destroy();
    };
    if (closing.forced) force();
    else closing.signal.addEventListener('abort', force, { once: true });
    this.#logger.info('stopping all consumers and producers', {
      consumers: this.#consumers.size,
      producers: this.#producers.size,
      timeoutMs: closing.remaining(),
    });
    // Consumers first: their handlers may still send through the producers while draining.
    await Promise.all([...this.#consumers.values()].map((c) => c.close(closing.remaining())));
    await Promise.all([...this.#producers].map((p) => p.close(closing.remaining())));
    closing.signal.removeEventListener('abort', force);
    this.#scheduler.close();
    this.#logger.info('all consumers and producers stopped');
  }
}
