/**
 * The lite topics a lite consumer subscribes to, kept in step with the server.
 *
 * - `add` / `remove`: SyncLiteSubscription PARTIAL_ADD / PARTIAL_REMOVE, sent to every endpoint of the
 *   parent topic's route; the local set changes only once every endpoint accepted.
 * - The whole set is sent again with COMPLETE_ADD every `resyncIntervalMs` and after a telemetry stream
 *   came back (a proxy restart or a new connection forgets what it knew).
 * - The server's unsubscribe notice (telemetry `NotifyUnsubscribeLiteCommand`) drops the lite topic
 *   locally and is passed on to the owner.
 * - Quota: the server's `lite_subscription_quota` (from its settings reply) is checked before sending:
 *   `LITE_SUBSCRIPTION_QUOTA_EXCEEDED`, nothing sent. The server's own refusals come back with its
 *   codes (`LITE_SUBSCRIPTION_QUOTA_EXCEEDED`, `ILLEGAL_LITE_TOPIC`, `TOO_MANY_REQUESTS`, …).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { TaskHandle } from '../internal/scheduler.js';
import type { ClientCore } from '../protocol/client-core.js';
import { type LiteOffsetSpec, type LiteSyncAction, syncLiteSubscription } from '../protocol/lite-convert.js';
import type { Endpoints } from '../rpc/endpoints.js';
import {
  DEFAULT_MAX_LITE_TOPIC_BYTES,
  type LiteOffset,
  validateLiteOffset,
  validateLiteTopic,
} from './lite-validation.js';

/** Default interval of the COMPLETE_ADD resync. */
export const DEFAULT_LITE_RESYNC_INTERVAL_MS = 30_000;

/** Options of a call that changes the subscription set. */
export interface LiteCallOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number | undefined;
}

/** See the module documentation. */
export class LiteSubscriptions {
  readonly #core: ClientCore;
  readonly #topic: string;
  readonly #group: string;
  readonly #onUnsubscribed: (liteTopic: string) => void;
  readonly #set = new Set<string>();
  /** Adds sent and not answered yet (they count against the quota). */
  readonly #pending = new Set<string>();
  readonly #opened = new Set<string>();
  #resyncTask: TaskHandle | undefined;
  #unlisten: (() => void) | undefined;
  #resyncs = 0;

  constructor(
    core: ClientCore,
    binding: { readonly topic: string; readonly group: string },
    onUnsubscribed: (liteTopic: string) => void,
  ) {
    this.#core = core;
    this.#topic = binding.topic;
    this.#group = binding.group;
    this.#onUnsubscribed = onUnsubscribed;
  }

  /** The subscribed lite topics (a snapshot). */
  get topics(): ReadonlySet<string> {
    return new Set(this.#set);
  }

  /** COMPLETE_ADD resyncs sent so far. */
  get resyncs(): number {
    return this.#resyncs;
  }

  /** The server's quota of lite topics per client, once its settings arrived. */
  get quota(): number | undefined {
    return this.#core.settings.current.liteSubscriptionQuota;
  }

  /** The longest lite topic name the server accepts, in UTF-8 bytes. */
  get maxLiteTopicBytes(): number {
    const n = this.#core.settings.current.maxLiteTopicSize;
    return n !== undefined && n > 0 ? n : DEFAULT_MAX_LITE_TOPIC_BYTES;
  }

  /** Starts the periodic resync and the resync after a reconnect. */
  start(intervalMs: number): void {
    this.#resyncTask = this.#core.scheduler.every(intervalMs, () => this.resync(), {
      name: 'lite-resync',
    });
    this.#unlisten = this.#core.on('telemetry.state', (change) => {
      if (change.to !== 'open') return;
      if (this.#opened.has(change.endpoints)) void this.resync();
      this.#opened.add(change.endpoints);
    });
  }

  stop(): void {
    this.#resyncTask?.cancel();
    this.#resyncTask = undefined;
    this.#unlisten?.();
    this.#unlisten = undefined;
  }

  /**
   * Subscribes to `liteTopic` from `offset` (the server's default, LAST, when not given). A lite
   * topic already subscribed is left as it is.
   *
   * @throws RocketMQError `ILLEGAL_LITE_TOPIC`, `ILLEGAL_OFFSET`, `LITE_SUBSCRIPTION_QUOTA_EXCEEDED`
   * (nothing sent), or the server's refusal.
   */
  async add(liteTopic: unknown, offset: LiteOffset | undefined, options: LiteCallOptions): Promise<void> {
    const name = validateLiteTopic(liteTopic, this.maxLiteTopicBytes);
    const spec = offset === undefined ? undefined : validateLiteOffset(offset);
    if (this.#set.has(name) || this.#pending.has(name)) return;
    const quota = this.quota;
    if (quota !== undefined && this.#set.size + this.#pending.size + 1 > quota) {
      throw new RocketMQError(
        `subscribing to ${name} would exceed the lite subscription quota of ${quota} lite topics per client`,
        'LITE_SUBSCRIPTION_QUOTA_EXCEEDED',
      );
    }
    this.#pending.add(name);
    try {
      await this.#sync('partial-add', [name], spec, options);
      this.#set.add(name);
    } finally {
      this.#pending.delete(name);
    }
  }

  /**
   * Unsubscribes from `liteTopic` (a no-op when not subscribed).
   *
   * @throws RocketMQError `ILLEGAL_LITE_TOPIC` for a bad name, or the server's refusal (the lite topic
   * then stays subscribed).
   */
  async remove(liteTopic: unknown, options: LiteCallOptions): Promise<void> {
    const name = validateLiteTopic(liteTopic, Number.MAX_SAFE_INTEGER);
    if (!this.#set.has(name)) return;
    await this.#sync('partial-remove', [name], undefined, options);
    this.#set.delete(name);
  }

  /** Sends the whole set with COMPLETE_ADD. Never rejects (a failure is logged; the next one retries). */
  async resync(): Promise<void> {
    try {
      this.#resyncs++;
      await this.#sync('complete-add', [...this.#set], undefined, {});
    } catch (err) {
      this.#core.logger.warn('lite subscription resync failed', {
        topic: this.#topic,
        err: RocketMQError.from(err),
      });
    }
  }

  /** The server dropped `liteTopic` (telemetry notice). */
  notifyUnsubscribed(liteTopic: string): void {
    if (liteTopic === '') return;
    this.#set.delete(liteTopic);
    this.#core.logger.info('the server unsubscribed a lite topic', { topic: this.#topic, liteTopic });
    this.#onUnsubscribed(liteTopic);
  }

  async #endpoints(options: LiteCallOptions): Promise<readonly Endpoints[]> {
    const route = await this.#core.getRoute(this.#topic, options.signal ? { signal: options.signal } : {});
    return route.endpoints.length > 0 ? route.endpoints : [this.#core.accessPoint];
  }

  async #sync(
    action: LiteSyncAction,
    liteTopics: readonly string[],
    offset: LiteOffsetSpec | undefined,
    options: LiteCallOptions,
  ): Promise<void> {
    const endpoints = await this.#endpoints(options);
    const request = {
      action,
      topic: this.#topic,
      group: this.#group,
      namespace: this.#core.settings.current.namespace,
      liteTopics,
      offset,
    };
    const callOptions = {
      timeoutMs: options.timeoutMs ?? this.#core.requestTimeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    await Promise.all(endpoints.map((e) => syncLiteSubscription(this.#core.rpc, e, request, callOptions)));
  }
}
