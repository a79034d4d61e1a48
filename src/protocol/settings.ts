/**
 * The client settings model: what the client tells the server over telemetry, and
 * the effective settings once the server's reply has been applied.
 *
 * Application rules (the server answers the client's settings merged with its own policy):
 * - every client: `requestTimeoutMs` (when the server sends a positive one) and the metric flag;
 * - producer: keeps its local `maxAttempts`, adopts the server's backoff strategy, `maxBodySizeBytes`
 *   and `validateMessageType`;
 * - push consumers (incl. lite): adopt the whole retry policy, `fifo`, `receiveBatchSize`,
 *   `longPollingTimeoutMs` and the lite quotas;
 * - simple consumers: adopt `fifo` and the lite quotas only; their long-polling time is the user's
 *   await duration.
 *
 * This file holds no generated types; `settings-convert.ts` maps to and from protobuf.
 *
 * @packageDocumentation
 */

import { hostname } from 'node:os';
import { RocketMQError } from '../errors.js';
import { type BackoffPolicy, customizedBackoff, exponentialBackoff } from '../internal/backoff.js';
import { type LogFields, type Logger, noopLogger } from '../observability/logger.js';
import { sanitizeHostname } from '../rpc/client-id.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { VERSION } from '../version.js';
import { TypedEmitter } from './events.js';

/** Kinds of clients (the protobuf `ClientType` values we use). */
export type ClientType =
  | 'producer'
  | 'push-consumer'
  | 'simple-consumer'
  | 'lite-push-consumer'
  | 'lite-simple-consumer';

/** A subscription filter. */
export interface FilterSpec {
  readonly type: 'tag' | 'sql';
  /** TAG: `*` or `a||b`; SQL: an SQL92 expression. */
  readonly expression: string;
}

/** One subscribed topic. */
export interface SubscriptionSpec {
  readonly topic: string;
  readonly filter: FilterSpec;
}

/** A retry policy: attempts and the delay between them. */
export interface RetryPolicy {
  /** Total attempts including the first (≥ 1). */
  readonly maxAttempts: number;
  readonly backoff: BackoffPolicy;
}

/** User-agent fields sent in Settings. */
export interface UserAgent {
  readonly version: string;
  readonly platform: string;
  readonly hostname: string;
}

/** Input of {@link ClientSettings}. */
export interface ClientSettingsInit {
  clientType: ClientType;
  /** The access point (sent in Settings and in QueryRoute). */
  accessPoint: Endpoints;
  /** Resource namespace for topics and groups. @defaultValue `''` */
  namespace?: string | undefined;
  /** Deadline of unary RPCs. @defaultValue 3000 */
  requestTimeoutMs?: number | undefined;
  /** Producer: topics declared up front (published in Settings; transactional topics must be here). */
  topics?: readonly string[] | undefined;
  /** Consumers: the consumer group. */
  group?: string | undefined;
  /** Consumers: subscribed topics. */
  subscriptions?: readonly SubscriptionSpec[] | undefined;
  /**
   * Long-polling time: a simple consumer's await duration (sent to the server); push consumers use it
   * until the server's settings arrive.
   * @defaultValue 30000
   */
  longPollingTimeoutMs?: number | undefined;
  /** Local retry policy. @defaultValue producer: 3 attempts, exponential 10 ms → 1 s ×2; push: customized server default */
  retryPolicy?: RetryPolicy | undefined;
  /** Overrides of the user agent. */
  userAgent?: Partial<UserAgent> | undefined;
  /** Free-form client metadata (`Settings.client_properties`). */
  clientProperties?: Readonly<Record<string, string>> | undefined;
}

/** The settings in force: local configuration merged with what the server sent. Frozen. */
export interface EffectiveSettings {
  readonly clientType: ClientType;
  readonly accessPoint: Endpoints;
  readonly namespace: string;
  readonly requestTimeoutMs: number;
  readonly topics: readonly string[];
  readonly group: string | undefined;
  readonly subscriptions: readonly SubscriptionSpec[];
  readonly retryPolicy: RetryPolicy | undefined;
  /** Producer: largest accepted body. @defaultValue 4 MiB until the server says otherwise */
  readonly maxBodySizeBytes: number;
  /** Producer: check message types against the queue's accepted types. */
  readonly validateMessageType: boolean;
  /** Consumer: the group consumes in order. */
  readonly fifo: boolean;
  /** Push consumer: messages per receive. */
  readonly receiveBatchSize: number;
  readonly longPollingTimeoutMs: number;
  readonly liteSubscriptionQuota: number | undefined;
  readonly maxLiteTopicSize: number | undefined;
  /** The server asks for client metrics. */
  readonly metricsEnabled: boolean;
  readonly userAgent: UserAgent;
  readonly clientProperties: Readonly<Record<string, string>>;
  /** True once a server Settings reply has been applied. */
  readonly fromServer: boolean;
}

/** What a server Settings reply carries (already converted; absent fields are left unchanged). */
export interface ServerSettings {
  requestTimeoutMs?: number | undefined;
  retryPolicy?: { maxAttempts?: number | undefined; backoff?: BackoffPolicy | undefined } | undefined;
  maxBodySizeBytes?: number | undefined;
  validateMessageType?: boolean | undefined;
  fifo?: boolean | undefined;
  receiveBatchSize?: number | undefined;
  longPollingTimeoutMs?: number | undefined;
  liteSubscriptionQuota?: number | undefined;
  maxLiteTopicSize?: number | undefined;
  metricsEnabled?: boolean | undefined;
}

/** Payload of the settings change event. */
export interface SettingsChange {
  readonly current: EffectiveSettings;
  readonly previous: EffectiveSettings;
}

/** Default request timeout: 3 s, as in the official SDKs. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 3_000;
/** Max body size until the server says otherwise. */
export const DEFAULT_MAX_BODY_SIZE_BYTES = 4 * 1024 * 1024;
/** Push receive batch until the server says otherwise. */
export const DEFAULT_RECEIVE_BATCH_SIZE = 32;
/** Long-polling time until the server says otherwise. */
export const DEFAULT_LONG_POLLING_TIMEOUT_MS = 30_000;

/** Producer default: 3 attempts, exponential 10 ms → 1 s × 2 (the proxy's defaults). */
export const DEFAULT_PRODUCER_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 3,
  backoff: exponentialBackoff({ initialMs: 10, maxMs: 1_000, multiplier: 2, jitter: 0 }),
});

/** Push-consumer default until the server answers: the proxy's default customized policy, 17 attempts. */
export const DEFAULT_PUSH_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 17,
  backoff: customizedBackoff(
    [1, 5, 10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map(
      (s) => s * 1000,
    ),
  ),
});

/** True for push-style consumers (which adopt the server's subscription settings). */
export function isPushConsumer(type: ClientType): boolean {
  return type === 'push-consumer' || type === 'lite-push-consumer';
}

/** True for any consumer type. */
export function isConsumer(type: ClientType): boolean {
  return type !== 'producer';
}

function defaultPlatform(): string {
  return `${process.platform}-${process.arch}; node ${process.version}`;
}

function defaultHostname(): string {
  try {
    return sanitizeHostname(hostname());
  } catch {
    return 'localhost';
  }
}

function positive(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value) && value > 0;
}

function validate(init: ClientSettingsInit): void {
  const bad = (msg: string): RocketMQError => new RocketMQError(msg, 'INVALID_ARGUMENT');
  if (init.requestTimeoutMs !== undefined && !positive(init.requestTimeoutMs)) {
    throw bad(`requestTimeoutMs must be a positive number, got ${init.requestTimeoutMs}`);
  }
  if (init.longPollingTimeoutMs !== undefined && !positive(init.longPollingTimeoutMs)) {
    throw bad(`longPollingTimeoutMs must be a positive number, got ${init.longPollingTimeoutMs}`);
  }
  if (isConsumer(init.clientType) && (init.group === undefined || init.group.trim() === '')) {
    throw bad(`A ${init.clientType} needs a consumer group`);
  }
  if (init.retryPolicy !== undefined) {
    const n = init.retryPolicy.maxAttempts;
    if (!Number.isInteger(n) || n < 1) throw bad(`maxAttempts must be an integer ≥ 1, got ${n}`);
  }
}

function freezeSettings(s: EffectiveSettings): EffectiveSettings {
  return Object.freeze({
    ...s,
    topics: Object.freeze([...s.topics]),
    subscriptions: Object.freeze([...s.subscriptions]),
    clientProperties: Object.freeze({ ...s.clientProperties }),
  });
}

/** Fields compared to decide whether applying server settings changed anything. */
function sameSettings(a: EffectiveSettings, b: EffectiveSettings): boolean {
  return (
    a.requestTimeoutMs === b.requestTimeoutMs &&
    a.retryPolicy === b.retryPolicy &&
    a.maxBodySizeBytes === b.maxBodySizeBytes &&
    a.validateMessageType === b.validateMessageType &&
    a.fifo === b.fifo &&
    a.receiveBatchSize === b.receiveBatchSize &&
    a.longPollingTimeoutMs === b.longPollingTimeoutMs &&
    a.liteSubscriptionQuota === b.liteSubscriptionQuota &&
    a.maxLiteTopicSize === b.maxLiteTopicSize &&
    a.metricsEnabled === b.metricsEnabled &&
    a.fromServer === b.fromServer &&
    a.topics === b.topics
  );
}

function samePolicy(a: RetryPolicy | undefined, b: RetryPolicy | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return a.maxAttempts === b.maxAttempts && JSON.stringify(a.backoff) === JSON.stringify(b.backoff);
}

/**
 * Holds a client's settings, applies server replies and reports changes.
 *
 * @example
 * ```ts
 * const settings = new ClientSettings({ clientType: 'producer', accessPoint, topics: ['orders'] });
 * settings.onChange(({ current }) => limit = current.maxBodySizeBytes);
 * ```
 */
export class ClientSettings {
  #current: EffectiveSettings;
  readonly #events: TypedEmitter<{ change: SettingsChange }>;

  /** @throws RocketMQError `INVALID_ARGUMENT` for invalid input. */
  constructor(init: ClientSettingsInit, logger: Logger = noopLogger) {
    validate(init);
    this.#events = new TypedEmitter((err) => logger.warn('settings listener failed', { err } as LogFields));
    const type = init.clientType;
    this.#current = freezeSettings({
      clientType: type,
      accessPoint: init.accessPoint,
      namespace: init.namespace ?? '',
      requestTimeoutMs: init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      topics: [...new Set(init.topics ?? [])],
      group: init.group,
      subscriptions: init.subscriptions ?? [],
      retryPolicy:
        init.retryPolicy ??
        (type === 'producer'
          ? DEFAULT_PRODUCER_RETRY_POLICY
          : isPushConsumer(type)
            ? DEFAULT_PUSH_RETRY_POLICY
            : undefined),
      maxBodySizeBytes: DEFAULT_MAX_BODY_SIZE_BYTES,
      validateMessageType: true,
      fifo: false,
      receiveBatchSize: DEFAULT_RECEIVE_BATCH_SIZE,
      longPollingTimeoutMs: init.longPollingTimeoutMs ?? DEFAULT_LONG_POLLING_TIMEOUT_MS,
      liteSubscriptionQuota: undefined,
      maxLiteTopicSize: undefined,
      metricsEnabled: false,
      userAgent: Object.freeze({
        version: init.userAgent?.version ?? VERSION,
        platform: init.userAgent?.platform ?? defaultPlatform(),
        hostname: init.userAgent?.hostname ?? defaultHostname(),
      }),
      clientProperties: init.clientProperties ?? {},
      fromServer: false,
    });
  }

  /** The settings in force now (a frozen snapshot; a new object after every change). */
  get current(): EffectiveSettings {
    return this.#current;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  onChange(listener: (change: SettingsChange) => void): () => void {
    return this.#events.on('change', listener);
  }

  /**
   * Adds a publishing topic (a producer discovering a topic after start). Returns true when it is new.
   * The server learns it with the next settings sync.
   */
  addTopic(topic: string): boolean {
    if (this.#current.topics.includes(topic)) return false;
    this.#set({ ...this.#current, topics: [...this.#current.topics, topic] });
    return true;
  }

  /**
   * Replaces a consumer's subscriptions (subscribe/unsubscribe at runtime). Returns true when they
   * changed. The server learns them with the next settings sync.
   */
  setSubscriptions(subscriptions: readonly SubscriptionSpec[]): boolean {
    const prev = this.#current.subscriptions;
    const same =
      prev.length === subscriptions.length &&
      prev.every((p, i) => JSON.stringify(p) === JSON.stringify(subscriptions[i]));
    if (same) return false;
    this.#set({ ...this.#current, subscriptions: [...subscriptions] });
    return true;
  }

  /**
   * Applies a server Settings reply per the rules of the module documentation. Emits `change` when
   * anything changed. Returns the new effective settings.
   */
  apply(server: ServerSettings): EffectiveSettings {
    const prev = this.#current;
    const type = prev.clientType;
    const next: { -readonly [K in keyof EffectiveSettings]: EffectiveSettings[K] } = {
      ...prev,
      fromServer: true,
    };
    if (positive(server.requestTimeoutMs)) next.requestTimeoutMs = server.requestTimeoutMs;
    if (server.metricsEnabled !== undefined) next.metricsEnabled = server.metricsEnabled;
    const policy = server.retryPolicy;
    if (type === 'producer') {
      if (policy?.backoff !== undefined) {
        next.retryPolicy = {
          maxAttempts: prev.retryPolicy?.maxAttempts ?? DEFAULT_PRODUCER_RETRY_POLICY.maxAttempts,
          backoff: policy.backoff,
        };
      }
      if (positive(server.maxBodySizeBytes)) next.maxBodySizeBytes = server.maxBodySizeBytes;
      if (server.validateMessageType !== undefined) next.validateMessageType = server.validateMessageType;
    } else {
      if (isPushConsumer(type) && policy !== undefined) {
        const maxAttempts =
          policy.maxAttempts !== undefined && policy.maxAttempts >= 1
            ? policy.maxAttempts
            : (prev.retryPolicy?.maxAttempts ?? DEFAULT_PUSH_RETRY_POLICY.maxAttempts);
        const backoff = policy.backoff ?? prev.retryPolicy?.backoff ?? DEFAULT_PUSH_RETRY_POLICY.backoff;
        next.retryPolicy = { maxAttempts, backoff };
      }
      if (server.fifo !== undefined) next.fifo = server.fifo;
      if (server.liteSubscriptionQuota !== undefined)
        next.liteSubscriptionQuota = server.liteSubscriptionQuota;
      if (server.maxLiteTopicSize !== undefined) next.maxLiteTopicSize = server.maxLiteTopicSize;
      if (isPushConsumer(type)) {
        if (positive(server.receiveBatchSize)) next.receiveBatchSize = server.receiveBatchSize;
        if (positive(server.longPollingTimeoutMs)) next.longPollingTimeoutMs = server.longPollingTimeoutMs;
      }
    }
    if (samePolicy(next.retryPolicy, prev.retryPolicy)) next.retryPolicy = prev.retryPolicy;
    if (sameSettings(next, prev)) return prev;
    this.#set(next);
    return this.#current;
  }

  #set(next: EffectiveSettings): void {
    const previous = this.#current;
    this.#current = freezeSettings(next);
    this.#events.emit('change', { current: this.#current, previous });
  }
}
