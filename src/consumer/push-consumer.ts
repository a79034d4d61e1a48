/**
 * The push consumer (standard or FIFO, as the server's settings for the group say): messages are received in
 * the background and handed to a listener; the consumer settles them.
 *
 * ```
 * assignment scan (QueryAssignment, every 5 s)
 *   └─► one ProcessQueue per assigned queue: receive loop ─► prefetch cache (count + bytes bounded)
 *         └─► consume service: concurrent worker pool, or FIFO (in order per queue / per group)
 *               └─► listener ─► settle: batched ack │ nack with the retry delay │ dead-letter queue
 * LeaseKeeper: renews every message waiting in the cache or in the listener before it expires
 * ```
 *
 * - Whether the group is ordered (FIFO) is the server's setting, read at start.
 * - Leases: messages are received with `invisibleDurationMs` and renewed with ChangeInvisibleDuration
 *   before they expire (up to `maxLeaseExtensionMs`), so slow listeners and a deep cache never cause
 *   duplicate deliveries; the listener's `signal` aborts when a lease is lost.
 * - Acks go out in batches (one AckMessage with many entries); each entry's result is checked and
 *   failed entries are retried while their receipt is valid.
 * - Observability (`client-telemetry.ts`): a receive span per ReceiveMessage that returned messages, a
 *   process span around every listener call (child of the producer's context restored from the
 *   message, linked to the receive span; the listener runs in it), a settle span per ack / nack /
 *   dead-letter / release; duration, latency and outcome metrics; cache gauges while running.
 * - Runtime subscriptions: `subscribe` / `unsubscribe` change the topics while running; a dropped topic
 *   (or a replaced filter) hands its cached messages not yet given to the listener back to the group.
 * - `shutdown({ timeoutMs })`: stops receiving, hands messages not yet started back (visible at once),
 *   lets listeners in progress finish within the bound (then aborts their signals), flushes acks,
 *   notifies the server and closes, all within the bound. `destroy()` does the same without waiting,
 *   and ends a graceful shutdown in progress at once: listener signals abort, receives and acks in
 *   flight are cancelled, channels close (see `internal/lifecycle.ts`).
 *
 * @example
 * ```ts
 * await using consumer = new PushConsumer({
 *   endpoints: '127.0.0.1:8081',
 *   consumerGroup: 'billing',
 *   subscriptions: { orders: '*' },
 *   listener: async (message) => {
 *     await handle(message); // throw (or return 'failure') to have it retried
 *   },
 * });
 * await consumer.start();
 * ```
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { exponentialBackoff, type RandomSource } from '../internal/backoff.js';
import { type Closing, Lifecycle } from '../internal/lifecycle.js';
import type { ResourceSnapshot } from '../internal/resource-count.js';
import type { TaskHandle } from '../internal/scheduler.js';
import { Semaphore } from '../internal/semaphore.js';
import type { FilterExpression } from '../model/filter-expression.js';
import { ClientTelemetry } from '../observability/client-telemetry.js';
import { ClientCore } from '../protocol/client-core.js';
import type { ClientCoreStateName } from '../protocol/client-state.js';
import {
  ackReceipts,
  changeReceiptInvisibleDuration,
  decodeCommandMessage,
  forwardReceiptToDeadLetterQueue,
  queryAssignment,
  receiptOf,
  receive as receiveCall,
} from '../protocol/consumer-rpc.js';
import { isReadable, type RouteQueue } from '../protocol/route.js';
import { DEFAULT_PUSH_RETRY_POLICY, type RetryPolicy } from '../protocol/settings.js';
import { InterceptorChain } from '../protocol/interceptors.js';
import type { VerifyOutcome } from '../protocol/telemetry-session.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { AckBatcher } from './ack-batcher.js';
import { consumerCoreOptions } from './client-options.js';
import { ConcurrentConsumeService } from './consume-concurrent.js';
import { FifoConsumeService } from './consume-fifo.js';
import type { ConsumeHost, ConsumeService } from './consume-service.js';
import {
  toFilterExpression,
  toFilterSpec,
  toSubscriptionSpecs,
  validateCallOptions,
  validateConsumerTopic,
} from './consumer-validation.js';
import { withReceiveHooks } from './consumer-hooks.js';
import { LeaseKeeper } from './lease-keeper.js';
import { PauseGate, pauseTopics } from './pause-gate.js';
import { ProcessQueue, type ProcessQueueHost, processQueueKey } from './process-queue.js';
import {
  type PushConsumerOptions,
  type PushConsumerShutdownOptions,
  type ResolvedPushOptions,
  resolvePushOptions,
} from './push-consumer-options.js';
import { Settler } from './settler.js';
import type { ConsumerCallOptions } from './simple-consumer.js';

/** A snapshot of a push consumer's counters and gauges. */
export interface PushConsumerStats {
  /** The lifecycle state. */
  readonly state: ClientCoreStateName;
  /** Whether the group consumes in order (the server's setting, known after start). */
  readonly fifo: boolean;
  /** Queues being received from. */
  readonly assignments: number;
  /** Messages received and not yet settled (waiting, in the listener, or settling). */
  readonly cachedMessages: number;
  /** Body bytes of the cached messages. */
  readonly cachedBytes: number;
  /** Listener calls in progress. */
  readonly inFlight: number;
  /** Messages received since start. */
  readonly received: number;
  /** Listener calls that succeeded (returned nothing or `'success'`). */
  readonly succeeded: number;
  /** Listener calls that failed (threw, or answered a failure). */
  readonly failed: number;
  /**
   * Messages acknowledged: counted once the broker confirmed the AckMessage carrying them (acks are
   * batched, so this trails `succeeded`; a message whose lease was lost or whose ack failed is not counted).
   */
  readonly acked: number;
  /** Messages nacked (delivered again after a delay). */
  readonly nacked: number;
  /** Messages forwarded to the dead-letter queue. */
  readonly deadLettered: number;
  /** Messages handed back at shutdown (visible again at once). */
  readonly released: number;
  /** Settles given up (those messages will be delivered again). */
  readonly settleFailures: number;
  /** AckMessage requests sent (each may carry many entries). */
  readonly ackRequests: number;
  /** Lease renewals sent (ChangeInvisibleDuration). */
  readonly leaseRenewals: number;
  /** Leases lost before their message was settled. */
  readonly leasesLost: number;
}

const RECEIVE_BACKOFF = exponentialBackoff({ initialMs: 1_000, maxMs: 10_000, multiplier: 2, jitter: 0.2 });
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/**
 * Longest long poll a push consumer asks for (the server's setting when shorter; 5 s is also the Apache
 * proxy's minimum). A stop waits for the polls in flight to end on their own (see `process-queue.ts`),
 * so this bounds how long a switch-off or shutdown waits for them: one idle ReceiveMessage per queue
 * every 5 s is the price.
 */
const MAX_PUSH_LONG_POLLING_MS = 5_000;
/** The broker serves at most 32 messages per receive. */
const MAX_BATCH = 32;

/**
 * How a specialised consumer built on this one (the lite push consumer) changes it.
 * @internal
 */
export interface PushConsumerExtension {
  /** The client type announced in the settings. @defaultValue `'push-consumer'` */
  readonly clientType?: 'push-consumer' | 'lite-push-consumer';
  /** Called with the server's lite unsubscribe notice. */
  readonly notifyUnsubscribeLite?: (liteTopic: string) => void;
  /** Whether a listener's `{ suspendMs }` is sent as a suspend (lite groups) or as a plain retry. */
  readonly suspend?: boolean;
  /** Receives the client core once it is built (before start). */
  readonly attach?: (core: ClientCore) => void;
}

/** The extension of the push consumer being built by {@link createExtendedPushConsumer}. */
let nextExtension: PushConsumerExtension | undefined;

/**
 * Builds a push consumer changed by `extension` (the public constructor takes none).
 * @internal
 */
export function createExtendedPushConsumer(
  options: PushConsumerOptions,
  extension: PushConsumerExtension,
): PushConsumer {
  nextExtension = extension;
  try {
    return new PushConsumer(options);
  } finally {
    nextExtension = undefined;
  }
}

function closedError(message = 'The consumer is shut down'): RocketMQError {
  return new RocketMQError(message, 'CLOSED');
}

function sameFilter(a: FilterExpression, b: FilterExpression): boolean {
  return a.type === b.type && a.expression === b.expression;
}

/** A consumer that receives in the background and calls a listener. See the module documentation. */
export class PushConsumer {
  /** The consumer group. */
  readonly consumerGroup: string;
  readonly #o: ResolvedPushOptions;
  readonly #core: ClientCore;
  readonly #random: RandomSource;
  readonly #leases: LeaseKeeper;
  readonly #batcher: AckBatcher;
  readonly #settler: Settler;
  readonly #permits: Semaphore;
  readonly #queues = new Map<string, ProcessQueue>();
  /** Unassigned queues whose receive in flight has not ended yet. */
  readonly #draining = new Set<Promise<void>>();
  readonly #closer = new AbortController();
  readonly #consumeHost: ConsumeHost;
  readonly #queueHost: ProcessQueueHost;
  readonly #telemetry: ClientTelemetry;
  readonly #lifecycle: Lifecycle;
  readonly #gate = new PauseGate();
  /** Subscribed topics → filters; changed at run time by subscribe/unsubscribe. */
  readonly #subscriptions: Map<string, FilterExpression>;
  #unobserveCache: (() => void) | undefined;
  #service: ConsumeService | undefined;
  #fifo = false;
  #scanTask: TaskHandle | undefined;
  #scanCursor = 0;
  #starting: Promise<void> | undefined;
  #succeeded = 0;
  #failed = 0;
  #lost = 0;
  /** Messages received by process queues that were dropped since. */
  #receivedByStopped = 0;

  /**
   * @throws RocketMQError `INVALID_ARGUMENT` for bad options (or a bad access point),
   * `ILLEGAL_CONSUMER_GROUP`, `ILLEGAL_TOPIC`, `ILLEGAL_FILTER_EXPRESSION`.
   */
  constructor(options: PushConsumerOptions) {
    const extension = nextExtension ?? {};
    nextExtension = undefined;
    this.#o = resolvePushOptions(options);
    this.consumerGroup = this.#o.consumerGroup;
    this.#subscriptions = new Map(this.#o.subscriptions);
    this.#random = options.random ?? Math.random;
    this.#core = new ClientCore({
      ...consumerCoreOptions(options),
      clientType: extension.clientType ?? 'push-consumer',
      requestTimeoutMs: this.#o.requestTimeoutMs,
      group: this.consumerGroup,
      subscriptions: toSubscriptionSpecs(this.#subscriptions),
      handlers: {
        verifyMessage: (command, context) => this.#verify(command.message, context.endpoints),
        ...(extension.notifyUnsubscribeLite === undefined
          ? {}
          : { notifyUnsubscribeLite: (command) => extension.notifyUnsubscribeLite?.(command.liteTopic) }),
      },
    });
    const core = this.#core;
    extension.attach?.(core);
    const telemetry = new ClientTelemetry(
      { clientId: core.clientId, namespace: options.namespace ?? '', consumerGroup: this.consumerGroup },
      core.clock,
    );
    this.#telemetry = telemetry;
    const lifecycle = new Lifecycle({
      scheduler: core.scheduler,
      clock: core.clock,
      resources: core.resources,
      closedError: (message) => closedError(message),
      onStepError: (err) => core.logger.warn('consumer shutdown step failed', { err }),
    });
    this.#lifecycle = lifecycle;
    // Settles and lease renewals are cancelled when the shutdown is forced (destroy, or the bound).
    const callOpts = (): { timeoutMs: number; signal: AbortSignal } => ({
      timeoutMs: core.requestTimeoutMs,
      signal: lifecycle.signal,
    });
    const changeInvisible = (
      endpoints: Endpoints,
      ref: Parameters<typeof changeReceiptInvisibleDuration>[2],
      ms: number,
    ) => changeReceiptInvisibleDuration(core, endpoints, ref, ms, callOpts());
    this.#leases = new LeaseKeeper(
      {
        clock: core.clock,
        scheduler: core.scheduler,
        logger: core.logger,
        receiptOf: (view) => receiptOf(core, view),
        changeInvisible,
        onLost: () => {
          this.#lost++;
        },
      },
      {
        invisibleDurationMs: this.#o.invisibleDurationMs,
        renewAheadMs: this.#o.leaseRenewAheadMs,
        maxExtensionMs: this.#o.maxLeaseExtensionMs,
      },
    );
    this.#batcher = new AckBatcher(
      {
        clock: core.clock,
        scheduler: core.scheduler,
        logger: core.logger,
        random: this.#random,
        ack: (endpoints, refs) => ackReceipts(core, endpoints, refs, callOpts()),
      },
      { maxBatchSize: this.#o.ackBatchSize, flushDelayMs: this.#o.ackFlushDelayMs },
    );
    const interceptors = new InterceptorChain(this.#o.interceptors, core.logger, core.clock);
    this.#settler = new Settler({
      interceptors,
      clock: core.clock,
      scheduler: core.scheduler,
      logger: core.logger,
      random: this.#random,
      batcher: this.#batcher,
      telemetry,
      changeInvisible,
      forwardToDeadLetterQueue: (endpoints, ref, attempts) =>
        forwardReceiptToDeadLetterQueue(core, endpoints, ref, attempts, callOpts()),
    });
    this.#permits = new Semaphore(this.#o.concurrency);
    this.#consumeHost = {
      logger: core.logger,
      scheduler: core.scheduler,
      random: this.#random,
      listener: this.#o.listener,
      settler: this.#settler,
      permits: this.#permits,
      retryPolicy: () => this.#retryPolicy(),
      suspend: extension.suspend ?? false,
      telemetry,
      gate: this.#gate,
      interceptors,
      record: (outcome) => {
        if (outcome === 'success') this.#succeeded++;
        else this.#failed++;
      },
    };
    this.#queueHost = {
      gate: this.#gate,
      scheduler: core.scheduler,
      logger: core.logger,
      random: this.#random,
      receiveBackoff: options.receiveBackoff ?? RECEIVE_BACKOFF,
      limits: () => this.#limits(),
      receive: (queue, filter, batchSize, attemptId, signal) => {
        const longPollingTimeoutMs = this.#longPollingMs();
        const op = telemetry.startReceive(queue.topic, queue.endpoints.addresses[0], 'root');
        return receiveCall(
          core,
          {
            queue,
            filter,
            batchSize,
            invisibleDurationMs: this.#o.invisibleDurationMs,
            longPollingTimeoutMs,
            attemptId,
          },
          { signal, timeoutMs: longPollingTimeoutMs + core.requestTimeoutMs },
        ).then(
          (r) => {
            op.succeed(r.messages);
            return r.messages;
          },
          (err: unknown) => {
            if (!signal.aborted) op.fail(err);
            throw err;
          },
        );
      },
      track: (view, queue) => this.#leases.track(view, queue.endpoints),
      release: async (queue, views) => {
        await Promise.all(views.map((v) => this.#settler.release(this.#leases.track(v, queue.endpoints))));
      },
      deliver: (queue, leases) => {
        const service = this.#service;
        if (service === undefined) return Promise.resolve();
        return service.deliver(queue, leases);
      },
    };
    this.#queueHost = withReceiveHooks(this.#queueHost, interceptors);
  }

  /** The client id sent to the server. */
  get clientId(): string {
    return this.#core.clientId;
  }

  /** The lifecycle state. */
  get state(): ClientCoreStateName {
    return this.#core.state;
  }

  /** Subscribed topics and their filters. */
  get subscriptions(): ReadonlyMap<string, FilterExpression> {
    return new Map(this.#subscriptions);
  }

  /**
   * Subscribes to `topic` (or replaces its filter). Allowed before start (the topic is then part of the
   * start). When starting or running, the topic's route is fetched first, so an unknown topic fails here
   * and leaves the subscriptions unchanged; then the settings are sent to the server again and the
   * topic's assignment is queried at once, so fetching starts before this resolves (an assignment that
   * fails is retried by the periodic scan). Subscribing again with the same filter changes nothing.
   *
   * Replacing a filter restarts the topic's fetching under the new filter: every message of the topic
   * received under the old filter and not yet handed to the listener is handed back (visible to the
   * group again at once; the broker filters it again for the new expression), receives in flight end
   * and hand back what they bring, and listener calls already running finish and settle as usual.
   *
   * @throws RocketMQError `ILLEGAL_TOPIC`, `ILLEGAL_FILTER_EXPRESSION`, `INVALID_ARGUMENT` (nothing is
   * sent); `CLOSED` after shutdown; route errors such as `TOPIC_NOT_FOUND`; `ABORTED`/`TIMEOUT` from the
   * options.
   */
  async subscribe(
    topic: string,
    filter: FilterExpression | string = '*',
    options: ConsumerCallOptions = {},
  ): Promise<void> {
    const name = validateConsumerTopic(topic);
    const expression = toFilterExpression(filter);
    const opts = validateCallOptions(options);
    this.#lifecycle.assertOpen('The consumer is shut down');
    const state = this.#core.state;
    if (state === 'starting' || state === 'running') await this.#core.getRoute(name, opts);
    this.#lifecycle.assertOpen('The consumer is shut down');
    const previous = this.#subscriptions.get(name);
    if (previous !== undefined && sameFilter(previous, expression)) return;
    this.#subscriptions.set(name, expression);
    this.#syncSubscriptions();
    this.#core.logger.info('subscribed', { topic: name, filter: expression.expression });
    // The topic's queues under the old filter go (their cache handed back); new ones follow below.
    const handedBack = previous === undefined ? undefined : this.#dropTopic(name);
    if (this.#starting !== undefined) {
      // A start in progress scans every subscription itself; once running, scan this topic now.
      await this.#starting.catch(() => undefined);
      if (this.#core.state === 'running' && this.#lifecycle.open) await this.#scanTopic(name, expression);
    }
    await handedBack;
  }

  /**
   * Unsubscribes from `topic`: no receive is issued for it any more, every cached message of it not yet
   * handed to the listener is handed back (visible to the group again at once, so another consumer of
   * the group gets it), receives in flight end on their own and hand back what they bring, and listener
   * calls already running finish and settle (ack or retry) as usual. Its queues and assignments are
   * dropped, a pause of it ends, and the settings are sent to the server again. Works for FIFO groups:
   * the handed-back messages come back in order. Resolves with whether it was subscribed once the
   * hand-back is done (a receive in flight ends within its long poll). Allowed in any state.
   *
   * @throws RocketMQError `ILLEGAL_TOPIC`/`INVALID_ARGUMENT` for a bad name (nothing changes).
   */
  async unsubscribe(topic: string): Promise<boolean> {
    const name = validateConsumerTopic(topic);
    if (!this.#subscriptions.delete(name)) return false;
    this.#syncSubscriptions();
    this.#core.logger.info('unsubscribed', { topic: name });
    const handedBack = this.#dropTopic(name);
    this.#gate.resume([name]);
    await handedBack;
    return true;
  }

  /**
   * Stops fetching for `topics` (every subscribed topic when omitted): no receive is issued and no
   * listener call starts for their messages. Nothing is lost: receives in flight complete into the
   * cache, cached messages wait there with their leases renewed (up to `maxLeaseExtensionMs`; past it
   * they are delivered again), and listener calls already running finish and settle. FIFO order holds
   * across a pause. Allowed before start (the consumer then starts paused).
   *
   * @throws RocketMQError `INVALID_ARGUMENT` when `topics` is not a non-empty array of subscribed topics.
   */
  pause(topics?: readonly string[]): void {
    this.#gate.pause(pauseTopics(topics, this.#subscriptions, 'pause'));
  }

  /**
   * Resumes `topics` (every paused topic when omitted): receiving and listener calls start again at
   * once, with what was cached first.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` when `topics` is not a non-empty array of subscribed topics.
   */
  resume(topics?: readonly string[]): void {
    this.#gate.resume(
      topics === undefined ? this.#gate.paused() : pauseTopics(topics, this.#subscriptions, 'resume'),
    );
  }

  /** The paused topics. */
  paused(): string[] {
    return this.#gate.paused();
  }

  /** Counters and gauges (a snapshot). */
  stats(): PushConsumerStats {
    let cachedMessages = 0;
    let cachedBytes = 0;
    let received = 0;
    for (const q of this.#queues.values()) {
      cachedMessages += q.cachedCount;
      cachedBytes += q.cachedBytes;
      received += q.received;
    }
    const s = this.#settler.stats;
    return {
      state: this.#core.state,
      fifo: this.#fifo,
      assignments: this.#queues.size,
      cachedMessages,
      cachedBytes,
      inFlight: this.#permits.held,
      received: received + this.#receivedByStopped,
      succeeded: this.#succeeded,
      failed: this.#failed,
      acked: s.acked,
      nacked: s.nacked,
      deadLettered: s.deadLettered,
      released: s.released,
      settleFailures: s.failed,
      ackRequests: this.#batcher.stats.requests,
      leaseRenewals: this.#leases.renewals,
      leasesLost: this.#lost,
    };
  }

  /**
   * Starts: settings handshake, routes, the first assignment scan, then the receive loops. Idempotent
   * (concurrent calls share one promise).
   *
   * @throws RocketMQError `CLOSED` after shutdown; `SETTINGS_TIMEOUT`, `UNAUTHORIZED`,
   * `TOPIC_NOT_FOUND`, … from the server; `ABORTED`/`TIMEOUT` from the options.
   */
  start(options: ConsumerCallOptions = {}): Promise<void> {
    try {
      const opts = validateCallOptions(options);
      this.#lifecycle.assertOpen('The consumer is shut down');
      this.#starting ??= this.#start(opts);
      return this.#starting;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Graceful shutdown (see the module documentation). Idempotent; never rejects.
   */
  shutdown(options: PushConsumerShutdownOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    return this.#lifecycle.shutdown(timeoutMs, (c) => this.#shutdown(c));
  }

  /**
   * Forced shutdown: nothing is waited for; messages not settled are delivered again later. During a
   * graceful shutdown, ends it now (listener signals abort at once). Never rejects.
   */
  destroy(): Promise<void> {
    return this.#lifecycle.destroy((c) => this.#shutdown(c));
  }

  /**
   * The resources the consumer holds (timers, channels, calls, streams, keep-alive); all 0 once its
   * shutdown resolved.
   * @internal For leak tests.
   */
  resources(): ResourceSnapshot {
    return this.#core.resources.snapshot();
  }

  /** Shuts down (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  // ── internals ──────────────────────────────────────────────────────────────

  async #start(options: { signal?: AbortSignal; timeoutMs?: number }): Promise<void> {
    await this.#core.start(options);
    if (!this.#lifecycle.open) throw closedError();
    this.#unobserveCache = this.#telemetry.observeCache(this);
    this.#fifo = this.#core.settings.current.fifo;
    this.#service = this.#fifo
      ? new FifoConsumeService(this.#consumeHost, this.#o.fifoConsumeAccelerator)
      : new ConcurrentConsumeService(this.#consumeHost, this.#o.concurrency);
    this.#core.logger.info('push consumer started', {
      group: this.consumerGroup,
      fifo: this.#fifo,
      topics: [...this.#subscriptions.keys()],
    });
    await this.#scan();
    if (!this.#lifecycle.open) return;
    this.#scanTask = this.#core.scheduler.every(this.#o.assignmentScanIntervalMs, () => this.#scan(), {
      name: 'assignment-scan',
    });
  }

  async #scan(): Promise<void> {
    for (const [topic, filter] of [...this.#subscriptions]) {
      if (this.#closer.signal.aborted) return;
      await this.#scanTopic(topic, filter);
    }
  }

  /** Queries `topic`'s assignment and applies it; never rejects (failures keep the current one). */
  async #scanTopic(topic: string, filter: FilterExpression): Promise<void> {
    const signal = this.#closer.signal;
    try {
      const route = await this.#core.getRoute(topic, { signal });
      const endpoints = route.endpoints[this.#scanCursor++ % Math.max(1, route.endpoints.length)];
      if (endpoints === undefined) return;
      const queues = await queryAssignment(this.#core, endpoints, topic, {
        signal,
        timeoutMs: this.#core.requestTimeoutMs,
      });
      // Unsubscribed, or its filter replaced, while the query was out: this answer is stale.
      if (signal.aborted || this.#subscriptions.get(topic) !== filter) return;
      this.#applyAssignments(topic, filter, queues.filter(isReadable));
    } catch (err) {
      if (signal.aborted) return;
      this.#core.logger.warn('assignment scan failed; keeping the current assignments', {
        topic,
        err: RocketMQError.from(err),
      });
    }
  }

  #syncSubscriptions(): void {
    this.#core.settings.setSubscriptions(toSubscriptionSpecs(this.#subscriptions));
  }

  /**
   * Drops `topic`'s process queues (their receives in flight end on their own and hand back what they
   * bring) and hands back its cached messages not yet given to the listener. Resolves when all of that
   * is done; a shutdown meanwhile waits for it too.
   */
  #dropTopic(topic: string): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [key, pq] of this.#queues) {
      if (pq.queue.topic !== topic) continue;
      this.#queues.delete(key);
      this.#receivedByStopped += pq.received;
      stops.push(pq.stop(this.#receiveDrainMs()));
      this.#core.logger.info('queue dropped', { queue: key });
    }
    const unstarted = this.#service?.drop(topic) ?? [];
    const releases = unstarted.map((l) => this.#settler.release(l));
    const done: Promise<void> = Promise.all([...stops, ...releases])
      .then(() => undefined)
      .finally(() => this.#draining.delete(done));
    this.#draining.add(done);
    return done;
  }

  #applyAssignments(topic: string, filter: FilterExpression, queues: readonly RouteQueue[]): void {
    if (queues.length === 0) {
      this.#core.logger.debug('empty assignment; keeping the current one', { topic });
      return;
    }
    const wanted = new Map(queues.map((q) => [processQueueKey(q), q]));
    for (const [key, pq] of this.#queues) {
      if (pq.queue.topic !== topic || wanted.has(key)) continue;
      this.#queues.delete(key);
      this.#receivedByStopped += pq.received;
      const drained = pq.stop(this.#receiveDrainMs()).finally(() => this.#draining.delete(drained));
      this.#draining.add(drained);
      this.#core.logger.info('queue unassigned', { queue: key });
    }
    for (const [key, q] of wanted) {
      if (this.#queues.has(key)) continue;
      const pq = new ProcessQueue(this.#queueHost, q, toFilterSpec(filter));
      this.#queues.set(key, pq);
      pq.start();
      this.#core.logger.info('queue assigned', { queue: key });
    }
  }

  #limits(): { count: number; bytes: number; batchSize: number } {
    const n = Math.max(1, this.#queues.size);
    return {
      count: Math.max(1, Math.floor(this.#o.maxCachedMessages / n)),
      bytes: Math.max(1, Math.floor(this.#o.maxCachedBytes / n)),
      batchSize: Math.max(
        1,
        Math.min(MAX_BATCH, this.#o.maxMessagesPerReceive, this.#core.settings.current.receiveBatchSize),
      ),
    };
  }

  #longPollingMs(): number {
    return Math.min(this.#core.settings.current.longPollingTimeoutMs, MAX_PUSH_LONG_POLLING_MS);
  }

  /** How long a receive in flight may take to end on its own: its long poll and the request time. */
  #receiveDrainMs(): number {
    return this.#longPollingMs() + this.#core.requestTimeoutMs;
  }

  #retryPolicy(): RetryPolicy {
    return this.#core.settings.current.retryPolicy ?? DEFAULT_PUSH_RETRY_POLICY;
  }

  async #verify(
    message: Parameters<typeof decodeCommandMessage>[0] | undefined,
    endpoints: Endpoints,
  ): Promise<VerifyOutcome> {
    if (message === undefined) return { code: 'MESSAGE_CORRUPTED', message: 'no message' };
    const view = decodeCommandMessage(message, endpoints);
    if (view.corrupted) return { code: 'MESSAGE_CORRUPTED', message: view.decodeError ?? 'corrupted' };
    try {
      const r = await this.#o.listener(view, { signal: this.#closer.signal, attempt: view.deliveryAttempt });
      return r === undefined || r === 'success' ? { code: 'OK' } : { code: 'FAILED_TO_CONSUME_MESSAGE' };
    } catch (err) {
      return { code: 'FAILED_TO_CONSUME_MESSAGE', message: RocketMQError.from(err).message };
    }
  }

  async #shutdown(closing: Closing): Promise<void> {
    this.#closer.abort(closedError());
    this.#unobserveCache?.();
    this.#unobserveCache = undefined;
    this.#scanTask?.cancel();
    this.#scanTask = undefined;
    // A start in progress finishes (or fails) first, so nothing starts behind our back.
    if (this.#starting !== undefined) await closing.within(this.#starting);
    const queues = [...this.#queues.values()];
    // Receives in flight end on their own within the bound (what they bring is released), so none
    // strands a message; messages not yet started go back at once; listeners in progress get the
    // rest of the bound.
    const receives = Promise.all([
      ...queues.map((q) => q.stop(Math.min(closing.remaining(), this.#receiveDrainMs()))),
      ...this.#draining,
    ]);
    const unstarted = this.#service?.stop() ?? [];
    const releases = Promise.all(unstarted.map((l) => this.#settler.release(l)));
    const drained = Promise.all([receives, releases, this.#service?.idle()]);
    if (!(await closing.within(drained))) {
      // Forced (destroy() or the bound): receives still open are cancelled now.
      for (const q of queues) void q.stop(0);
      const reason = closedError('The consumer is shutting down');
      this.#leases.interruptAll(reason);
      this.#core.logger.warn(
        'shutdown bound reached with messages in progress; they will be delivered again',
        {
          inFlight: this.#permits.held,
        },
      );
    }
    await closing.within(this.#batcher.flush());
    this.#leases.close();
    this.#batcher.close();
    for (const q of queues) this.#receivedByStopped += q.received;
    this.#queues.clear();
    await this.#core.shutdown({ timeoutMs: closing.remaining(), signal: closing.signal });
  }
}
