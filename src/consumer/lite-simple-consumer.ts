/**
 * The lite simple consumer (RocketMQ lite topics): bound to one LITE parent topic and a lite consumer
 * group, the application subscribes to lite topics at run time and pulls their messages with
 * `receive` / `messages()`, settling each with `ack` or `changeInvisibleDuration` — a
 * {@link SimpleConsumer} (whose machinery it uses: client type LITE_SIMPLE_CONSUMER) for lite topics.
 *
 * - `subscribeLite` / `unsubscribeLite`: the same subscription manager as the lite push consumer
 *   (`lite-subscriptions.ts`: every endpoint of the parent topic's route, COMPLETE_ADD resync, quota
 *   checked before sending).
 * - The server's unsubscribe notice removes the lite topic and calls `onLiteUnsubscribed`.
 * - Acks and invisibility changes carry the message's lite topic; `changeInvisibleDuration(view, ms,
 *   { suspend: true })` hands the message back for `ms` without counting a delivery attempt.
 *
 * @example
 * ```ts
 * const consumer = new LiteSimpleConsumer({ endpoints, consumerGroup: 'chat-workers', topic: 'chat' });
 * await consumer.start();
 * await consumer.subscribeLite('session-42', { offset: 'min' });
 * for (const m of await consumer.receive(16, 30_000)) {
 *   await handle(m.liteTopic, m);
 *   await consumer.ack(m);
 * }
 * ```
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { ResourceSnapshot } from '../internal/resource-count.js';
import type { MessageView } from '../model/message-view.js';
import type { ClientCore } from '../protocol/client-core.js';
import type { ClientCoreStateName } from '../protocol/client-state.js';
import type { AckResult } from './ack-all.js';
import { validateConsumerTopic } from './consumer-validation.js';
import type { SubscribeLiteOptions } from './lite-push-consumer.js';
import {
  DEFAULT_LITE_RESYNC_INTERVAL_MS,
  type LiteCallOptions,
  LiteSubscriptions,
} from './lite-subscriptions.js';
import {
  type ConsumerCallOptions,
  createExtendedSimpleConsumer,
  type MessagesOptions,
  type SimpleConsumer,
  type SimpleConsumerHooks,
  type SimpleConsumerOptions,
  type SimpleConsumerShutdownOptions,
} from './simple-consumer.js';

/** Options of {@link LiteSimpleConsumer}. */
export interface LiteSimpleConsumerOptions extends Omit<SimpleConsumerOptions, 'subscriptions'> {
  /** The LITE parent topic the consumer group is bound to. */
  topic: string;
  /** Called when the server dropped a lite topic (it is no longer subscribed). */
  onLiteUnsubscribed?: ((liteTopic: string) => void) | undefined;
  /** Interval of the COMPLETE_ADD resync. @defaultValue 30000 */
  liteResyncIntervalMs?: number | undefined;
}

/** Options of {@link LiteSimpleConsumer.changeInvisibleDuration}. */
export interface LiteChangeInvisibleOptions extends ConsumerCallOptions {
  /**
   * A suspend: the message comes back after the duration (which must then be ≥ 1 ms) and the server
   * does not count the delivery attempt.
   */
  suspend?: boolean | undefined;
}

/** A lite simple consumer. See the module documentation. */
export class LiteSimpleConsumer {
  /** The LITE parent topic. */
  readonly topic: string;
  readonly #simple: SimpleConsumer;
  readonly #lite: LiteSubscriptions;
  readonly #hooks: SimpleConsumerHooks;
  readonly #resyncMs: number;
  #started = false;

  /**
   * @throws RocketMQError as {@link SimpleConsumer}'s constructor; `INVALID_ARGUMENT` for
   * `subscriptions` or a bad `liteResyncIntervalMs`.
   */
  constructor(options: LiteSimpleConsumerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new RocketMQError('LiteSimpleConsumer options must be an object', 'INVALID_ARGUMENT');
    }
    const { topic, onLiteUnsubscribed, liteResyncIntervalMs, ...rest } = options;
    if ((rest as { subscriptions?: unknown }).subscriptions !== undefined) {
      throw new RocketMQError(
        'a lite simple consumer takes `topic` (the LITE parent topic) and lite topics via subscribeLite, not `subscriptions`',
        'INVALID_ARGUMENT',
      );
    }
    this.topic = validateConsumerTopic(topic);
    const resync = liteResyncIntervalMs ?? DEFAULT_LITE_RESYNC_INTERVAL_MS;
    if (typeof resync !== 'number' || !Number.isFinite(resync) || resync < 1) {
      throw new RocketMQError('liteResyncIntervalMs must be a positive number', 'INVALID_ARGUMENT');
    }
    this.#resyncMs = resync;
    let core: ClientCore | undefined;
    let hooks: SimpleConsumerHooks | undefined;
    let lite: LiteSubscriptions | undefined;
    this.#simple = createExtendedSimpleConsumer(
      { ...rest, subscriptions: { [this.topic]: '*' } },
      {
        clientType: 'lite-simple-consumer',
        attach: (c, h) => {
          core = c;
          hooks = h;
        },
        notifyUnsubscribeLite: (liteTopic) => lite?.notifyUnsubscribed(liteTopic),
      },
    );
    if (core === undefined || hooks === undefined) {
      throw new RocketMQError('the simple consumer gave no client core', 'INTERNAL_ERROR');
    }
    this.#hooks = hooks;
    lite = new LiteSubscriptions(core, { topic: this.topic, group: this.#simple.consumerGroup }, (t) =>
      onLiteUnsubscribed?.(t),
    );
    this.#lite = lite;
  }

  /** The consumer group (a lite group bound to {@link LiteSimpleConsumer.topic}). */
  get consumerGroup(): string {
    return this.#simple.consumerGroup;
  }

  /** The client id sent to the server. */
  get clientId(): string {
    return this.#simple.clientId;
  }

  /** The lifecycle state. */
  get state(): ClientCoreStateName {
    return this.#simple.state;
  }

  /** The subscribed lite topics (a snapshot). */
  get liteTopics(): ReadonlySet<string> {
    return this.#lite.topics;
  }

  /** The server's quota of lite topics per client (known after start). */
  get liteSubscriptionQuota(): number | undefined {
    return this.#lite.quota;
  }

  /**
   * Starts the consumer (see {@link SimpleConsumer.start}), then the lite resync. Idempotent.
   *
   * @throws RocketMQError as {@link SimpleConsumer.start} (`BAD_REQUEST` for a group that is not a
   * lite group).
   */
  async start(options: ConsumerCallOptions = {}): Promise<void> {
    await this.#simple.start(options);
    if (this.#started) return;
    this.#started = true;
    this.#lite.start(this.#resyncMs);
  }

  /**
   * Subscribes to a lite topic of the parent topic.
   *
   * @throws RocketMQError `INVALID_STATE` when not running; `ILLEGAL_LITE_TOPIC`, `ILLEGAL_OFFSET`,
   * `LITE_SUBSCRIPTION_QUOTA_EXCEEDED` (nothing sent); the server's refusals with their codes.
   */
  subscribeLite(liteTopic: string, options: SubscribeLiteOptions = {}): Promise<void> {
    try {
      this.#assertRunning();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#lite.add(liteTopic, options.offset, options);
  }

  /**
   * Unsubscribes from a lite topic (a no-op when not subscribed).
   *
   * @throws RocketMQError `INVALID_STATE` when not running; the server's refusal.
   */
  unsubscribeLite(liteTopic: string, options: LiteCallOptions = {}): Promise<void> {
    try {
      this.#assertRunning();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#lite.remove(liteTopic, options);
  }

  /**
   * Receives up to `maxMessages` messages of the subscribed lite topics (see
   * {@link SimpleConsumer.receive}); each carries its `liteTopic`.
   *
   * @throws RocketMQError as {@link SimpleConsumer.receive}.
   */
  receive(
    maxMessages: number,
    invisibleDurationMs: number,
    options: ConsumerCallOptions = {},
  ): Promise<MessageView[]> {
    return this.#simple.receive(maxMessages, invisibleDurationMs, options);
  }

  /** Receives continuously (see {@link SimpleConsumer.messages}). */
  messages(options: MessagesOptions = {}): AsyncGenerator<MessageView, void, undefined> {
    return this.#simple.messages(options);
  }

  /**
   * Acknowledges `view` (the request carries its lite topic).
   *
   * @throws RocketMQError as {@link SimpleConsumer.ack}.
   */
  ack(view: MessageView, options: ConsumerCallOptions = {}): Promise<void> {
    return this.#simple.ack(view, options);
  }

  /** Acknowledges many messages (see {@link SimpleConsumer.ackAll}). */
  ackAll(views: readonly MessageView[], options: ConsumerCallOptions = {}): Promise<AckResult[]> {
    return this.#simple.ackAll(views, options);
  }

  /**
   * Makes `view` invisible for `invisibleDurationMs`; with `{ suspend: true }` a suspend, which the
   * server does not count as a delivery attempt. Returns the view with its new receipt handle.
   *
   * @throws RocketMQError as {@link SimpleConsumer.changeInvisibleDuration}; `ILLEGAL_INVISIBLE_TIME`
   * for a suspend of less than 1 ms or more than 12 h; `INVALID_ARGUMENT` for a `suspend` that is not
   * a boolean.
   */
  changeInvisibleDuration(
    view: MessageView,
    invisibleDurationMs: number,
    options: LiteChangeInvisibleOptions = {},
  ): Promise<MessageView> {
    const { suspend, ...rest } = options ?? {};
    if (suspend !== undefined && typeof suspend !== 'boolean') {
      return Promise.reject(new RocketMQError('suspend must be a boolean', 'INVALID_ARGUMENT'));
    }
    return this.#hooks.changeInvisible(view, invisibleDurationMs, rest, suspend === true);
  }

  /** Graceful shutdown (see {@link SimpleConsumer.shutdown}). Idempotent; never rejects. */
  shutdown(options: SimpleConsumerShutdownOptions = {}): Promise<void> {
    this.#lite.stop();
    return this.#simple.shutdown(options);
  }

  /** Forced shutdown (see {@link SimpleConsumer.destroy}). Never rejects. */
  destroy(): Promise<void> {
    this.#lite.stop();
    return this.#simple.destroy();
  }

  /** @internal For leak tests. */
  resources(): ResourceSnapshot {
    return this.#simple.resources();
  }

  /** Shuts down (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  #assertRunning(): void {
    if (this.#simple.state !== 'running') {
      throw new RocketMQError(
        `the lite simple consumer is not running (state ${this.#simple.state})`,
        'INVALID_STATE',
      );
    }
  }
}
