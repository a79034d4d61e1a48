/**
 * The lite push consumer (RocketMQ 5.5 lite topics): bound to one LITE parent topic and a lite
 * consumer group (a group whose `lite.bind.topic` is that parent), it receives the messages of the
 * lite topics it subscribes to at run time and hands them to a listener, like {@link PushConsumer}
 * (whose machinery it uses: client type LITE_PUSH_CONSUMER).
 *
 * - `subscribeLite(liteTopic, { offset })` / `unsubscribeLite(liteTopic)`: see `lite-subscriptions.ts`
 *   (every endpoint of the parent topic's route; COMPLETE_ADD resync every 30 s and after a reconnect;
 *   quota checked before sending).
 * - The server's unsubscribe notice removes the lite topic and calls `onLiteUnsubscribed`.
 * - Acks, retries, lease renewals and dead-lettering carry the message's lite topic.
 * - A listener may return `{ suspendMs }`: ChangeInvisibleDuration with the suspend flag, so the
 *   message comes back after that time without counting a delivery attempt.
 *
 * @example
 * ```ts
 * const consumer = new LitePushConsumer({
 *   endpoints: '127.0.0.1:8081',
 *   consumerGroup: 'chat-workers',
 *   topic: 'chat',
 *   listener: async (message) => handle(message.liteTopic, message),
 * });
 * await consumer.start();
 * await consumer.subscribeLite('session-42', { offset: 'min' });
 * ```
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { ResourceSnapshot } from '../internal/resource-count.js';
import type { ClientCore } from '../protocol/client-core.js';
import type { ClientCoreStateName } from '../protocol/client-state.js';
import { validateConsumerTopic } from './consumer-validation.js';
import {
  DEFAULT_LITE_RESYNC_INTERVAL_MS,
  type LiteCallOptions,
  LiteSubscriptions,
} from './lite-subscriptions.js';
import type { LiteOffset } from './lite-validation.js';
import { createExtendedPushConsumer, type PushConsumer, type PushConsumerStats } from './push-consumer.js';
import type { PushConsumerOptions, PushConsumerShutdownOptions } from './push-consumer-options.js';
import type { ConsumerCallOptions } from './simple-consumer.js';

/** Options of {@link LitePushConsumer}. */
export interface LitePushConsumerOptions extends Omit<PushConsumerOptions, 'subscriptions'> {
  /** The LITE parent topic the consumer group is bound to. */
  topic: string;
  /** Called when the server dropped a lite topic (it is no longer subscribed). */
  onLiteUnsubscribed?: ((liteTopic: string) => void) | undefined;
  /** Interval of the COMPLETE_ADD resync. @defaultValue 30000 */
  liteResyncIntervalMs?: number | undefined;
}

/** Options of {@link LitePushConsumer.subscribeLite}. */
export interface SubscribeLiteOptions extends LiteCallOptions {
  /** Where the subscription starts when it is new. @defaultValue the server's (LAST) */
  readonly offset?: LiteOffset | undefined;
}

/** A lite push consumer. See the module documentation. */
export class LitePushConsumer {
  /** The LITE parent topic. */
  readonly topic: string;
  readonly #push: PushConsumer;
  readonly #lite: LiteSubscriptions;
  readonly #resyncMs: number;
  #started = false;

  /**
   * @throws RocketMQError as {@link PushConsumer}'s constructor; `INVALID_ARGUMENT` for a bad
   * `liteResyncIntervalMs`.
   */
  constructor(options: LitePushConsumerOptions) {
    const { topic, onLiteUnsubscribed, liteResyncIntervalMs, ...rest } = options as LitePushConsumerOptions &
      Partial<Pick<PushConsumerOptions, 'subscriptions'>>;
    if ((rest as { subscriptions?: unknown }).subscriptions !== undefined) {
      throw new RocketMQError(
        'a lite push consumer takes `topic` (the LITE parent topic) and lite topics via subscribeLite, not `subscriptions`',
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
    let lite: LiteSubscriptions | undefined;
    this.#push = createExtendedPushConsumer(
      { ...rest, subscriptions: { [this.topic]: '*' } },
      {
        clientType: 'lite-push-consumer',
        suspend: true,
        attach: (c) => {
          core = c;
        },
        notifyUnsubscribeLite: (liteTopic) => lite?.notifyUnsubscribed(liteTopic),
      },
    );
    if (core === undefined)
      throw new RocketMQError('the push consumer gave no client core', 'INTERNAL_ERROR');
    lite = new LiteSubscriptions(core, { topic: this.topic, group: this.#push.consumerGroup }, (t) =>
      onLiteUnsubscribed?.(t),
    );
    this.#lite = lite;
  }

  /** The consumer group (a lite group bound to {@link LitePushConsumer.topic}). */
  get consumerGroup(): string {
    return this.#push.consumerGroup;
  }

  /** The client id sent to the server. */
  get clientId(): string {
    return this.#push.clientId;
  }

  /** The lifecycle state. */
  get state(): ClientCoreStateName {
    return this.#push.state;
  }

  /** The subscribed lite topics (a snapshot). */
  get liteTopics(): ReadonlySet<string> {
    return this.#lite.topics;
  }

  /** The server's quota of lite topics per client (known after start). */
  get liteSubscriptionQuota(): number | undefined {
    return this.#lite.quota;
  }

  /** COMPLETE_ADD resyncs sent so far. */
  get liteResyncs(): number {
    return this.#lite.resyncs;
  }

  /** Counters and gauges (a snapshot). */
  stats(): PushConsumerStats {
    return this.#push.stats();
  }

  /**
   * Starts receiving (see {@link PushConsumer.start}), then the lite resync. Idempotent.
   *
   * @throws RocketMQError as {@link PushConsumer.start}.
   */
  async start(options: ConsumerCallOptions = {}): Promise<void> {
    await this.#push.start(options);
    if (this.#started) return;
    this.#started = true;
    this.#lite.start(this.#resyncMs);
  }

  /**
   * Subscribes to a lite topic of the parent topic.
   *
   * @throws RocketMQError `INVALID_STATE` before start or after shutdown; `ILLEGAL_LITE_TOPIC` (empty,
   * longer than the server's limit, characters outside `[a-zA-Z0-9_-]`), `ILLEGAL_OFFSET`,
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
   * @throws RocketMQError `INVALID_STATE` before start or after shutdown; the server's refusal.
   */
  unsubscribeLite(liteTopic: string, options: LiteCallOptions = {}): Promise<void> {
    try {
      this.#assertRunning();
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#lite.remove(liteTopic, options);
  }

  /** Graceful shutdown (see {@link PushConsumer.shutdown}). Idempotent; never rejects. */
  shutdown(options: PushConsumerShutdownOptions = {}): Promise<void> {
    this.#lite.stop();
    return this.#push.shutdown(options);
  }

  /** Forced shutdown (see {@link PushConsumer.destroy}). Never rejects. */
  destroy(): Promise<void> {
    this.#lite.stop();
    return this.#push.destroy();
  }

  /** @internal For leak tests. */
  resources(): ResourceSnapshot {
    return this.#push.resources();
  }

  /** Shuts down (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  #assertRunning(): void {
    if (this.#push.state !== 'running') {
      throw new RocketMQError(
        `the lite push consumer is not running (state ${this.#push.state})`,
        'INVALID_STATE',
      );
    }
  }
}
