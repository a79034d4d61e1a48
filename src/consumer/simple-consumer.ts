/**
 * The simple consumer: the application pulls messages with {@link
 * SimpleConsumer.receive} (or the {@link SimpleConsumer.messages} async iterator) and settles each one
 * with {@link SimpleConsumer.ack} or {@link SimpleConsumer.changeInvisibleDuration}. No prefetch, no
 * automatic renewal, no dead-letter handling by the client.
 *
 * - Every receive is one ReceiveMessage server stream with long polling; its gRPC deadline is the
 *   await duration plus the request timeout. Receives take the subscribed topics in turn, and the
 *   readable master queues of a topic in turn, interleaving brokers (see `queue-selector.ts`).
 * - {@link SimpleConsumer.messages} keeps one such receive open per broker and yields their messages in
 *   arrival order (see `broker-polls.ts`): on a cluster, an idle broker's long poll delays nobody.
 * - `signal` interrupts a receive at once (the stream is cancelled); `shutdown({ timeoutMs })` interrupts
 *   every receive in flight (they fail with `CLOSED`), waits for acks in flight and closes, all within
 *   the bound: calls still in flight when it is reached reject with `CLOSED` (their requests are
 *   cancelled). `destroy()` does the same without waiting, and ends a graceful shutdown in progress at
 *   once (see `internal/lifecycle.ts`).
 * - Ack and change-invisible-duration go to the endpoints the message came from.
 * - Observability (`client-telemetry.ts`): a receive span per receive that returned messages and a
 *   settle span per ack / changeInvisibleDuration (under the caller's active context, linked to the
 *   receive span), with their duration metrics.
 *
 * @example
 * ```ts
 * await using consumer = new SimpleConsumer({
 *   endpoints: '127.0.0.1:8081',
 *   consumerGroup: 'billing',
 *   subscriptions: { orders: FilterExpression.tag('created||paid') },
 * });
 * await consumer.start();
 * for await (const message of consumer.messages({ signal })) {
 *   await handle(message);
 *   await consumer.ack(message);
 * }
 * ```
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { linkSignals } from '../internal/abort.js';
import { type BackoffPolicy, exponentialBackoff, type RandomSource } from '../internal/backoff.js';
import { type Closing, Lifecycle } from '../internal/lifecycle.js';
import type { ResourceSnapshot } from '../internal/resource-count.js';
import type { FilterExpression } from '../model/filter-expression.js';
import { MessageView } from '../model/message-view.js';
import { ClientTelemetry } from '../observability/client-telemetry.js';
import { ClientCore } from '../protocol/client-core.js';
import type { ClientCoreStateName } from '../protocol/client-state.js';
import {
  ack as ackCall,
  ackReceipts,
  changeInvisibleDuration as changeInvisibleCall,
  receiptOf,
  receive as receiveCall,
} from '../protocol/consumer-rpc.js';
import { type Endpoints, endpointKey } from '../rpc/endpoints.js';
import { type AckResult, ackAllGrouped } from './ack-all.js';
import { type ConsumerClientOptions, consumerCoreOptions } from './client-options.js';
import {
  MAX_INVISIBLE_DURATION_MS,
  MIN_INVISIBLE_DURATION_MS,
  positiveMs,
  toFilterExpression,
  toFilterSpec,
  toSubscriptionSpecs,
  validateCallOptions,
  validateConsumerTopic,
  validateGroup,
  validateInvisibleDuration,
  validateMaxMessages,
  validateView,
} from './consumer-validation.js';
import { BrokerPolls } from './broker-polls.js';
import { ReceiveQueueSelector, readableBrokers } from './queue-selector.js';

/** Per-call options: an abort signal and a timeout, as every async method of the library takes. */
export interface ConsumerCallOptions {
  /** Aborting interrupts the call; it then fails with `ABORTED`. */
  signal?: AbortSignal | undefined;
  /** Bound of the call. @defaultValue receive: await duration + request timeout; others: request timeout */
  timeoutMs?: number | undefined;
}

/** Options of {@link SimpleConsumer}. */
export interface SimpleConsumerOptions extends ConsumerClientOptions {
  /** Topic → filter (a {@link FilterExpression} or a tag expression such as `'*'` or `'a||b'`). */
  subscriptions?: Readonly<Record<string, FilterExpression | string>> | undefined;
  /**
   * Long-polling time of a receive (the Apache proxy clamps it to 5–20 s).
   * @defaultValue 30000
   */
  awaitDurationMs?: number | undefined;
  /** Backoff of {@link SimpleConsumer.messages} after a retriable failure. @defaultValue 100 ms → 5 s ×2 ±20 % */
  retryBackoff?: BackoffPolicy | undefined;
}

/** Options of {@link SimpleConsumer.messages}. */
export interface MessagesOptions {
  /** Aborting ends the iteration (normally, without an error). */
  signal?: AbortSignal | undefined;
  /** Messages per receive (1–32). @defaultValue 16 */
  maxMessages?: number | undefined;
  /** Invisible duration of each received message. @defaultValue 60000 */
  invisibleDurationMs?: number | undefined;
}

/** Options of {@link SimpleConsumer.shutdown}. */
export interface SimpleConsumerShutdownOptions {
  /** Bound of the graceful part. @defaultValue 5000 */
  timeoutMs?: number | undefined;
}

/**
 * How a specialised consumer built on this one (the lite simple consumer) changes it.
 * @internal
 */
export interface SimpleConsumerExtension {
  readonly clientType?: 'simple-consumer' | 'lite-simple-consumer';
  /** Called with the server's lite unsubscribe notice. */
  readonly notifyUnsubscribeLite?: (liteTopic: string) => void;
  /** Receives the client core and the change-invisible call that can carry the suspend flag. */
  readonly attach?: (core: ClientCore, hooks: SimpleConsumerHooks) => void;
}

/** What {@link SimpleConsumerExtension.attach} hands over. @internal */
export interface SimpleConsumerHooks {
  /** {@link SimpleConsumer.changeInvisibleDuration}, with the suspend flag when `suspend`. */
  changeInvisible(
    view: MessageView,
    durationMs: number,
    options: ConsumerCallOptions,
    suspend: boolean,
  ): Promise<MessageView>;
}

/** The extension of the simple consumer being built by {@link createExtendedSimpleConsumer}. */
let nextExtension: SimpleConsumerExtension | undefined;

/**
 * Builds a simple consumer changed by `extension` (the public constructor takes none).
 * @internal
 */
export function createExtendedSimpleConsumer(
  options: SimpleConsumerOptions,
  extension: SimpleConsumerExtension,
): SimpleConsumer {
  nextExtension = extension;
  try {
    return new SimpleConsumer(options);
  } finally {
    nextExtension = undefined;
  }
}

const DEFAULT_AWAIT_DURATION_MS = 30_000;
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000;
/** The Apache proxy's lower clamp of long polling (`grpcClientConsumerMinLongPollingTimeoutMillis`). */
const PROXY_MIN_LONG_POLLING_MS = 5_000;
const DEFAULT_ITERATOR_BATCH = 16;
const DEFAULT_ITERATOR_INVISIBLE_MS = 60_000;
const DEFAULT_RETRY_BACKOFF = exponentialBackoff({
  initialMs: 100,
  maxMs: 5_000,
  multiplier: 2,
  jitter: 0.2,
});

function closedError(cause?: unknown, message = 'The consumer is shut down'): RocketMQError {
  return new RocketMQError(message, 'CLOSED', cause === undefined ? {} : { cause });
}

/**
 * A consumer that receives on demand. See the module documentation.
 *
 * Lifecycle: `start()` and `shutdown()` are idempotent (concurrent calls share one promise);
 * `await using` shuts it down at scope exit.
 */
export class SimpleConsumer {
  /** The consumer group. */
  readonly consumerGroup: string;
  /** Long-polling time of each receive. */
  readonly awaitDurationMs: number;
  readonly #core: ClientCore;
  readonly #subscriptions = new Map<string, FilterExpression>();
  readonly #selector: ReceiveQueueSelector;
  readonly #endpoints = new Map<string, Endpoints>();
  readonly #minInvisibleMs: number;
  readonly #retryBackoff: BackoffPolicy;
  readonly #random: RandomSource;
  /** Aborted when shutdown begins: no new receive; interrupts iterator sleeps. */
  readonly #closer = new AbortController();
  readonly #lifecycle: Lifecycle;
  /** Receives in flight: their cancel, and when the broker ends their long poll. */
  readonly #receives = new Map<AbortController, number>();
  readonly #telemetry: ClientTelemetry;

  /**
   * @throws RocketMQError `INVALID_ARGUMENT` for bad options, `ILLEGAL_ACCESS_POINT` for a bad access
   * point, `ILLEGAL_CONSUMER_GROUP`, `ILLEGAL_TOPIC`, `ILLEGAL_FILTER_EXPRESSION`.
   */
  constructor(options: SimpleConsumerOptions) {
    const extension = nextExtension ?? {};
    nextExtension = undefined;
    if (options === null || typeof options !== 'object') {
      throw new RocketMQError('SimpleConsumer options must be an object', 'INVALID_ARGUMENT');
    }
    if (typeof options.endpoints !== 'string' || options.endpoints.trim() === '') {
      throw new RocketMQError('endpoints must be a non-empty string', 'INVALID_ARGUMENT');
    }
    this.consumerGroup = validateGroup(options.consumerGroup);
    this.awaitDurationMs = positiveMs('awaitDurationMs', options.awaitDurationMs, DEFAULT_AWAIT_DURATION_MS);
    const requestTimeoutMs = positiveMs('requestTimeoutMs', options.requestTimeoutMs, 3_000);
    this.#minInvisibleMs = positiveMs(
      'minInvisibleDurationMs',
      options.minInvisibleDurationMs,
      MIN_INVISIBLE_DURATION_MS,
    );
    if (this.#minInvisibleMs > MAX_INVISIBLE_DURATION_MS) {
      throw new RocketMQError('minInvisibleDurationMs exceeds 12 h', 'INVALID_ARGUMENT');
    }
    if (options.namespace !== undefined && typeof options.namespace !== 'string') {
      throw new RocketMQError('namespace must be a string', 'INVALID_ARGUMENT');
    }
    const subs = options.subscriptions ?? {};
    if (subs === null || typeof subs !== 'object' || Array.isArray(subs) || subs instanceof Map) {
      throw new RocketMQError('subscriptions must be a plain object { topic: filter }', 'INVALID_ARGUMENT');
    }
    for (const [topic, filter] of Object.entries(subs)) {
      this.#subscriptions.set(validateConsumerTopic(topic), toFilterExpression(filter));
    }
    this.#retryBackoff = options.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#selector = new ReceiveQueueSelector(this.#random);
    this.#core = new ClientCore({
      ...consumerCoreOptions(options),
      clientType: extension.clientType ?? 'simple-consumer',
      requestTimeoutMs,
      group: this.consumerGroup,
      subscriptions: toSubscriptionSpecs(this.#subscriptions),
      longPollingTimeoutMs: this.awaitDurationMs,
      ...(extension.notifyUnsubscribeLite === undefined
        ? {}
        : {
            handlers: {
              notifyUnsubscribeLite: (command) => extension.notifyUnsubscribeLite?.(command.liteTopic),
            },
          }),
    });
    extension.attach?.(this.#core, {
      changeInvisible: (view, durationMs, options, suspend) =>
        this.#changeInvisible(view, durationMs, options, suspend),
    });
    this.#telemetry = new ClientTelemetry(
      {
        clientId: this.#core.clientId,
        namespace: options.namespace ?? '',
        consumerGroup: this.consumerGroup,
      },
      this.#core.clock,
    );
    this.#lifecycle = new Lifecycle({
      scheduler: this.#core.scheduler,
      clock: this.#core.clock,
      resources: this.#core.resources,
      closedError: (message) => closedError(undefined, message),
      onStepError: (err) => this.#core.logger.warn('consumer shutdown step failed', { err }),
    });
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
   * Starts the consumer: settings handshake and the routes of the subscribed topics. Idempotent.
   *
   * @throws RocketMQError `INVALID_STATE` after shutdown; `SETTINGS_TIMEOUT`, `UNAUTHORIZED`,
   * `TOPIC_NOT_FOUND`, … from the server; `ABORTED`/`TIMEOUT` from the options.
   */
  async start(options: ConsumerCallOptions = {}): Promise<void> {
    const opts = validateCallOptions(options);
    this.#assertOpen();
    await this.#core.start(opts);
  }

  /**
   * Shuts down: refuses new calls; a receive in flight may end on its own within the bound and what it
   * brings is released (ChangeInvisibleDuration 0; its caller gets `CLOSED`) — cancelling it could
   * leave a message the broker had just handed out invisible for its whole invisible duration —, then
   * it is cancelled; waits (bounded) for acks in flight, then closes the client, all within
   * `timeoutMs`; calls still in flight then reject with `CLOSED`. Idempotent; never rejects.
   */
  shutdown(options: SimpleConsumerShutdownOptions = {}): Promise<void> {
    return this.#lifecycle.shutdown(options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS, (c) =>
      this.#shutdown(c),
    );
  }

  /**
   * Shuts down without waiting: calls in flight reject with `CLOSED` at once. During a graceful
   * shutdown, ends it now. Never rejects.
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

  /** `await using consumer = new SimpleConsumer(…)`: {@link SimpleConsumer.shutdown} at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /**
   * Subscribes to `topic` (or replaces its filter). When running, the topic's route is fetched first,
   * so an unknown topic fails here and leaves the subscriptions unchanged.
   *
   * @throws RocketMQError `ILLEGAL_TOPIC`, `ILLEGAL_FILTER_EXPRESSION`, `INVALID_ARGUMENT`; `CLOSED` after
   * shutdown; route errors such as `TOPIC_NOT_FOUND`.
   */
  async subscribe(
    topic: string,
    filter: FilterExpression | string = '*',
    options: ConsumerCallOptions = {},
  ): Promise<void> {
    const name = validateConsumerTopic(topic);
    const expression = toFilterExpression(filter);
    const opts = validateCallOptions(options);
    this.#assertOpen();
    const state = this.#core.state;
    if (state === 'starting' || state === 'running') await this.#core.getRoute(name, opts);
    this.#assertOpen();
    this.#subscriptions.set(name, expression);
    this.#syncSubscriptions();
  }

  /**
   * Stops receiving from `topic`. Returns false when it was not subscribed.
   *
   * @throws RocketMQError `ILLEGAL_TOPIC`/`INVALID_ARGUMENT` for a bad name.
   */
  unsubscribe(topic: string): boolean {
    const name = validateConsumerTopic(topic);
    if (!this.#subscriptions.delete(name)) return false;
    this.#selector.forget(name);
    this.#syncSubscriptions();
    return true;
  }

  /**
   * Receives up to `maxMessages` messages, invisible to other consumers of the group for
   * `invisibleDurationMs`. Long-polls up to the await duration; resolves with `[]` when nothing came.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` for bad arguments; `ILLEGAL_INVISIBLE_TIME` for an invisible
   * duration outside min–12 h; `INVALID_STATE` when not running or
   * without subscriptions; `FORBIDDEN` when no subscribed topic has a readable queue; the broker's code
   * (e.g. `TOO_MANY_REQUESTS`, `ILLEGAL_FILTER_EXPRESSION`); `ABORTED` (signal), `TIMEOUT`, `CLOSED`
   * (shutdown), `UNAVAILABLE`.
   */
  receive(
    maxMessages: number,
    invisibleDurationMs: number,
    options: ConsumerCallOptions = {},
  ): Promise<MessageView[]> {
    try {
      const batch = validateMaxMessages(maxMessages);
      const invisible = validateInvisibleDuration(invisibleDurationMs, this.#minInvisibleMs);
      const opts = validateCallOptions(options);
      this.#assertRunning();
      if (this.#subscriptions.size === 0) {
        throw new RocketMQError('The consumer has no subscription', 'INVALID_STATE');
      }
      // No need for the shutdown's signal: #closer aborts every receive as the shutdown begins.
      return this.#track(async () => (await this.#receive(batch, invisible, opts)) ?? []);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Acknowledges `view`: it will not be delivered again.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` for a view without receipt or not received by this
   * consumer; `INVALID_STATE` when not running; the broker's code (e.g. `INVALID_RECEIPT_HANDLE` for an
   * expired or superseded handle); `ABORTED`, `TIMEOUT`, `UNAVAILABLE`.
   */
  ack(view: MessageView, options: ConsumerCallOptions = {}): Promise<void> {
    try {
      const v = validateView(view);
      const opts = validateCallOptions(options);
      const endpoints = this.#endpointsOf(v);
      this.#assertRunning();
      const op = this.#telemetry.startSettle('ack', v, endpoints.addresses[0], 'active');
      return this.#track((stop) =>
        ackCall(this.#core, endpoints, v, withStop(opts, stop)).then(
          () => op.succeed(),
          (err: unknown) => {
            op.fail(err);
            throw err;
          },
        ),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Acknowledges many messages with as few AckMessage requests as possible: one per endpoint and topic
   * (up to 128 entries each), sent concurrently. Each message gets its own outcome, in input order; a
   * message whose ack failed (an expired receipt, a transport failure of its request…) carries the error
   * and will be delivered again. An empty array resolves to `[]` without a request.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` when `views` is not an array or any element is not a view
   * received by this consumer (nothing is sent then); `INVALID_STATE` when not running.
   */
  ackAll(views: readonly MessageView[], options: ConsumerCallOptions = {}): Promise<AckResult[]> {
    try {
      if (!Array.isArray(views)) {
        throw new RocketMQError(
          `ackAll expects an array of MessageView, got ${views === null ? 'null' : typeof views}`,
          'INVALID_ARGUMENT',
        );
      }
      const checked = views.map((view) => validateView(view));
      const opts = validateCallOptions(options);
      const endpoints = checked.map((v) => this.#endpointsOf(v));
      this.#assertRunning();
      if (checked.length === 0) return Promise.resolve([]);
      const ops = checked.map((v, i) =>
        this.#telemetry.startSettle('ack', v, endpoints[i]?.addresses[0], 'active'),
      );
      return this.#track((stop) =>
        ackAllGrouped(
          {
            endpointsOf: (v) => this.#endpointsOf(v),
            receiptOf: (v) => receiptOf(this.#core, v),
            ackMany: (endpoints, refs) => ackReceipts(this.#core, endpoints, refs, withStop(opts, stop)),
          },
          checked,
        ).then((results) => {
          results.forEach((r, i) => {
            if (r.error === undefined) ops[i]?.succeed();
            else ops[i]?.fail(r.error);
          });
          return results;
        }),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Makes `view` invisible for `invisibleDurationMs` from now (0 makes it visible at once). Returns a new
   * view carrying the new receipt handle, which later `ack`/`changeInvisibleDuration` calls must use;
   * the old handle is no longer valid.
   *
   * @throws RocketMQError as {@link SimpleConsumer.ack}, plus `INVALID_ARGUMENT` for a duration that is
   * not a finite number and `ILLEGAL_INVISIBLE_TIME` for one outside 0–12 h.
   */
  changeInvisibleDuration(
    view: MessageView,
    invisibleDurationMs: number,
    options: ConsumerCallOptions = {},
  ): Promise<MessageView> {
    return this.#changeInvisible(view, invisibleDurationMs, options, false);
  }

  #changeInvisible(
    view: MessageView,
    invisibleDurationMs: number,
    options: ConsumerCallOptions,
    suspend: boolean,
  ): Promise<MessageView> {
    try {
      const v = validateView(view);
      const duration = validateInvisibleDuration(invisibleDurationMs, suspend ? 1 : 0);
      const opts = validateCallOptions(options);
      const endpoints = this.#endpointsOf(v);
      this.#assertRunning();
      const op = this.#telemetry.startSettle(
        'change_invisible_duration',
        v,
        endpoints.addresses[0],
        'active',
      );
      return this.#track((stop) =>
        changeInvisibleCall(this.#core, endpoints, v, duration, withStop(opts, stop), suspend).then(
          (receiptHandle) => {
            op.succeed();
            const next = new MessageView({ ...v, receiptHandle });
            this.#telemetry.inherit(v, next);
            return next;
          },
          (err: unknown) => {
            op.fail(err);
            throw err;
          },
        ),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Receives continuously and yields every message. One long poll is kept open per broker holding a
   * readable master queue of a subscribed topic (the set follows route changes), and their batches are
   * yielded in the order they arrived, so an idle broker never delays another's messages. Each broker
   * holds at most one batch of `maxMessages` not yet yielded: its next receive starts when the last
   * message of its batch is yielded. Empty polls are repeated; retriable failures back off (per broker)
   * and repeat; a non-retriable failure is thrown from the iterator.
   *
   * Ends (normally) when `signal` aborts or the consumer shuts down; `break`/`return()` end it too. At
   * the end, messages received and not yet yielded are released (visible again at once), and a receive
   * still open is left to end on its own rather than cancelled (cancelling can strand a message the
   * broker was handing out): what it brings is released too. `shutdown()` bounds those receives as any.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` for bad options, `ILLEGAL_INVISIBLE_TIME` for an invisible
   * duration outside min–12 h; `INVALID_STATE` when not running or without subscriptions, `FORBIDDEN`
   * when no subscribed topic has a readable queue; non-retriable receive errors.
   */
  async *messages(options: MessagesOptions = {}): AsyncGenerator<MessageView, void, undefined> {
    const { signal } = validateCallOptions({ signal: options.signal });
    const batch = validateMaxMessages(options.maxMessages ?? DEFAULT_ITERATOR_BATCH);
    const invisible = validateInvisibleDuration(
      options.invisibleDurationMs ?? DEFAULT_ITERATOR_INVISIBLE_MS,
      this.#minInvisibleMs,
    );
    const polls = new BrokerPolls(
      {
        scheduler: this.#core.scheduler,
        logger: this.#core.logger,
        random: this.#random,
        retryBackoff: this.#retryBackoff,
        ensureRoutes: (s) => {
          this.#assertRunning();
          if (this.#subscriptions.size === 0) {
            throw new RocketMQError('The consumer has no subscription', 'INVALID_STATE');
          }
          return this.#ensureRoutes([...this.#subscriptions.keys()], s);
        },
        brokers: () => readableBrokers([...this.#subscriptions.keys()], (t) => this.#core.routes.peek(t)),
        receive: (broker, stopped) => this.#poll(broker, batch, invisible, stopped),
        release: (views) => this.#release(views, this.#lifecycle.signal),
        onRouteChange: (listener) => this.#core.on('route.updated', listener),
      },
      [signal, this.#closer.signal],
    );
    try {
      for (;;) {
        const view = await polls.next();
        if (view === undefined) return;
        yield view;
      }
    } finally {
      await polls.close();
    }
  }

  // ── internals ──────────────────────────────────────────────────────────────

  /**
   * One receive: on the next queue in turn, or on the next queue of `broker` (then `undefined` when that
   * broker serves no subscribed topic any more).
   */
  async #receive(
    batchSize: number,
    invisibleDurationMs: number,
    options: { signal?: AbortSignal; timeoutMs?: number },
    broker?: string,
  ): Promise<MessageView[] | undefined> {
    const cancel = new AbortController();
    const signal = linkSignals(options.signal, cancel.signal);
    this.#receives.set(
      cancel,
      this.#core.clock.now() + Math.max(this.awaitDurationMs, PROXY_MIN_LONG_POLLING_MS),
    );
    try {
      const topics = [...this.#subscriptions.keys()];
      await this.#ensureRoutes(topics, signal);
      const routeOf = (t: string) => this.#core.routes.peek(t);
      const queue =
        broker === undefined
          ? this.#selector.next(topics, routeOf)
          : this.#selector.nextOn(broker, topics, routeOf);
      if (queue === undefined) {
        if (broker !== undefined) return undefined;
        throw new RocketMQError(
          `No readable master queue in the subscribed topics (${topics.join(', ')})`,
          'FORBIDDEN',
        );
      }
      const filter = this.#subscriptions.get(queue.topic);
      if (filter === undefined) return []; // unsubscribed meanwhile
      this.#endpoints.set(endpointKey(queue.endpoints), queue.endpoints);
      // The Apache proxy polls at least 5 s whatever is asked, and refuses a receive whose deadline leaves
      // less than that (BAD_REQUEST / ILLEGAL_POLLING_TIME): the deadline covers the longer of the two.
      const timeoutMs =
        options.timeoutMs ??
        Math.max(this.awaitDurationMs, PROXY_MIN_LONG_POLLING_MS) + this.#core.requestTimeoutMs;
      const op = this.#telemetry.startReceive(queue.topic, queue.endpoints.addresses[0], 'active');
      const result = await receiveCall(
        this.#core,
        {
          queue,
          filter: toFilterSpec(filter),
          batchSize,
          invisibleDurationMs,
          longPollingTimeoutMs: this.awaitDurationMs,
        },
        { signal, timeoutMs },
      ).catch((err: unknown) => {
        op.fail(err);
        throw err;
      });
      op.succeed(result.messages);
      if (this.#closer.signal.aborted) {
        await this.#release(result.messages, this.#lifecycle.signal);
        throw closedError();
      }
      return result.messages;
    } catch (err) {
      if (this.#closer.signal.aborted) throw closedError(err);
      throw RocketMQError.from(err);
    } finally {
      this.#receives.delete(cancel);
    }
  }

  /**
   * One receive of the iterator on `broker` (see `broker-polls.ts`). Not cancelled when the iteration
   * ends: what it brings after `stopped` aborted is released here, within the tracked call, so a
   * shutdown waits for that release as for any call.
   */
  #poll(
    broker: string,
    batchSize: number,
    invisibleDurationMs: number,
    stopped: AbortSignal,
  ): Promise<MessageView[] | undefined> {
    try {
      this.#assertRunning();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#track(async () => {
      const views = await this.#receive(batchSize, invisibleDurationMs, {}, broker);
      if (views !== undefined && views.length > 0 && stopped.aborted) {
        await this.#release(views, this.#lifecycle.signal);
        return [];
      }
      return views;
    });
  }

  /** Makes messages visible again at once (best effort: a failure leaves them to their invisible duration). */
  async #release(views: readonly MessageView[], signal?: AbortSignal): Promise<void> {
    await Promise.all(
      views.map(async (v) => {
        try {
          const endpoints = this.#endpointsOf(v);
          await changeInvisibleCall(this.#core, endpoints, v, 0, {
            timeoutMs: this.#core.requestTimeoutMs,
            signal,
          });
        } catch (err) {
          this.#core.logger.warn(
            'release at shutdown failed; the message comes back after its invisible duration',
            { messageId: v.messageId, err: RocketMQError.from(err) },
          );
        }
      }),
    );
  }

  /** Fetches the routes of topics not in the cache yet (in parallel). */
  async #ensureRoutes(topics: readonly string[], signal: AbortSignal): Promise<void> {
    const missing = topics.filter((t) => this.#core.routes.peek(t) === undefined);
    if (missing.length === 0) return;
    await Promise.all(missing.map((t) => this.#core.getRoute(t, { signal })));
  }

  #endpointsOf(view: MessageView): Endpoints {
    const known = this.#endpoints.get(view.endpoint);
    if (known !== undefined) return known;
    for (const e of this.#core.endpoints()) {
      if (endpointKey(e) === view.endpoint) {
        this.#endpoints.set(view.endpoint, e);
        return e;
      }
    }
    throw new RocketMQError(
      `message ${view.messageId} was not received by this consumer (unknown endpoint ${view.endpoint})`,
      'INVALID_ARGUMENT',
    );
  }

  #syncSubscriptions(): void {
    this.#core.settings.setSubscriptions(toSubscriptionSpecs(this.#subscriptions));
  }

  #assertOpen(): void {
    this.#lifecycle.assertOpen('The consumer is shut down');
  }

  #assertRunning(): void {
    this.#assertOpen();
    const state = this.#core.state;
    if (state !== 'running') {
      throw new RocketMQError(`The consumer is not running (state "${state}")`, 'INVALID_STATE');
    }
  }

  #track<T>(work: (stop: AbortSignal) => Promise<T>): Promise<T> {
    return this.#lifecycle.track(work);
  }

  async #shutdown(closing: Closing): Promise<void> {
    this.#closer.abort(closedError());
    // A receive whose long poll ends within the bound ends on its own (what it brings is released);
    // the others are cancelled now, and any still open when the shutdown is forced. Acks in flight get
    // the rest of the bound.
    const endAt = this.#core.clock.now() + closing.remaining();
    const cancelAll = (late: number): void => {
      for (const [cancel, pollEnd] of this.#receives) if (pollEnd > late) cancel.abort(closedError());
    };
    cancelAll(endAt);
    const onForce = (): void => cancelAll(Number.NEGATIVE_INFINITY);
    if (closing.signal.aborted) onForce();
    else closing.signal.addEventListener('abort', onForce, { once: true });
    try {
      await closing.drainCalls();
    } finally {
      closing.signal.removeEventListener('abort', onForce);
    }
    await this.#core.shutdown({ timeoutMs: closing.remaining(), signal: closing.signal });
  }
}

/** `options` whose signal also aborts with `stop` (the shutdown's). */
function withStop<O extends { signal?: AbortSignal | undefined }>(options: O, stop: AbortSignal): O {
  return { ...options, signal: linkSignals(options.signal, stop) };
}
