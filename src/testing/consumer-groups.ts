/**
 * Consumer group configuration (the broker's `SubscriptionGroupConfig`): FIFO flag, maximum delivery
 * attempts and retry policy. Groups are created on first use with the broker defaults, like a broker with
 * `autoCreateSubscriptionGroup=true`.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { type RetryPolicy, RetryPolicySchema } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { validateGroupName } from './validation.js';

/** Server-side retry policy of a consumer group. */
export type RetryPolicyConfig =
  | {
      /** A list of delays: retry `n` waits `delaysMs[n-1]` (last one repeats). */
      readonly kind: 'customized';
      /** Delay before each retry, in milliseconds. */
      readonly delaysMs: readonly number[];
    }
  | {
      /** `min(initialMs × multiplier^(n-1), maxMs)`. */
      readonly kind: 'exponential';
      /** Delay before the first retry, in milliseconds. */
      readonly initialMs: number;
      /** Largest delay, in milliseconds. */
      readonly maxMs: number;
      /** Growth factor between retries. */
      readonly multiplier: number;
    };

/** Options of `InProcessBroker.createConsumerGroup()`. */
export interface ConsumerGroupOptions {
  /**
   * Orderly consumption (`consumeMessageOrderly`): messages of a queue are not delivered to the group while
   * an earlier batch of that queue is in flight.
   * @defaultValue false
   */
  readonly fifo?: boolean;
  /**
   * Deliveries before a message goes to the group's dead-letter topic (`retryMaxTimes + 1`).
   * @defaultValue 17
   */
  readonly maxDeliveryAttempts?: number;
  /**
   * Retry policy reported to push consumers in Settings.
   * @defaultValue customized 1s, 5s, 10s, 30s, 1m, 2m, 3m, 4m, 5m, 6m, 7m, 8m, 9m, 10m, 20m, 30m, 1h, 2h
   */
  readonly retryPolicy?: RetryPolicyConfig;
  /**
   * Makes the group a lite group bound to this LITE parent topic (the broker's `lite.bind.topic`):
   * only lite consumers may use it, and only with that topic.
   */
  readonly liteBindTopic?: string;
  /**
   * Lite topics one client of this lite group may subscribe to (sent to clients in Settings).
   * @defaultValue 2000
   */
  readonly liteClientQuota?: number;
}

/** A group's effective configuration. */
export interface ConsumerGroupConfig {
  readonly name: string;
  readonly fifo: boolean;
  readonly maxDeliveryAttempts: number;
  readonly retryPolicy: RetryPolicyConfig;
  /** The LITE parent topic of a lite group; `undefined` for an ordinary group. */
  readonly liteBindTopic: string | undefined;
  /** Lite topics per client (lite groups). */
  readonly liteClientQuota: number;
}

/** Lite topics per client when the group does not say. */
export const DEFAULT_LITE_CLIENT_QUOTA = 2000;

const S = 1000;
const M = 60 * S;

/** The broker's default customized retry delays. */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = Object.freeze([
  S,
  5 * S,
  10 * S,
  30 * S,
  M,
  2 * M,
  3 * M,
  4 * M,
  5 * M,
  6 * M,
  7 * M,
  8 * M,
  9 * M,
  10 * M,
  20 * M,
  30 * M,
  60 * M,
  120 * M,
]);

/** Group configurations by name. */
export class ConsumerGroups {
  readonly #groups = new Map<string, ConsumerGroupConfig>();

  constructor(private readonly defaultMaxDeliveryAttempts = 17) {}

  /**
   * Creates or replaces a group's configuration.
   *
   * @throws BrokerStatusError `ILLEGAL_CONSUMER_GROUP` for an invalid name.
   * @throws RangeError for a negative attempt count or an invalid retry policy.
   */
  create(name: string, options: ConsumerGroupOptions = {}): ConsumerGroupConfig {
    validateGroupName(name);
    const maxDeliveryAttempts = options.maxDeliveryAttempts ?? this.defaultMaxDeliveryAttempts;
    if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 1) {
      throw new RangeError(`maxDeliveryAttempts must be an integer ≥ 1, got ${maxDeliveryAttempts}`);
    }
    const retryPolicy = options.retryPolicy ?? { kind: 'customized', delaysMs: DEFAULT_RETRY_DELAYS_MS };
    if (retryPolicy.kind === 'customized' && retryPolicy.delaysMs.some((d) => !(d >= 0))) {
      throw new RangeError('retry delays must be non-negative numbers');
    }
    const liteClientQuota = options.liteClientQuota ?? DEFAULT_LITE_CLIENT_QUOTA;
    if (!Number.isInteger(liteClientQuota) || liteClientQuota < 0) {
      throw new RangeError(`liteClientQuota must be an integer ≥ 0, got ${liteClientQuota}`);
    }
    if (options.liteBindTopic !== undefined && options.liteBindTopic === '') {
      throw new RangeError('liteBindTopic must not be empty');
    }
    const config: ConsumerGroupConfig = Object.freeze({
      name,
      fifo: options.fifo ?? false,
      maxDeliveryAttempts,
      retryPolicy,
      liteBindTopic: options.liteBindTopic,
      liteClientQuota,
    });
    this.#groups.set(name, config);
    return config;
  }

  /** The group's configuration; an unknown group gets (and keeps) the defaults. */
  get(name: string): ConsumerGroupConfig {
    const existing = this.#groups.get(name);
    if (existing !== undefined) return existing;
    return this.create(name);
  }

  /** Removes a group's configuration; false when it had none. */
  delete(name: string): boolean {
    return this.#groups.delete(name);
  }

  /** Names of the configured groups. */
  names(): string[] {
    return [...this.#groups.keys()];
  }

  /** The configuration without creating the group. */
  peek(name: string): ConsumerGroupConfig | undefined {
    return this.#groups.get(name);
  }
}

/** The group's retry policy as sent in Settings.backoff_policy. */
export function retryPolicyProto(group: ConsumerGroupConfig): RetryPolicy {
  const p = group.retryPolicy;
  if (p.kind === 'customized') {
    return create(RetryPolicySchema, {
      maxAttempts: group.maxDeliveryAttempts,
      strategy: { case: 'customizedBackoff', value: { next: p.delaysMs.map((d) => durationFromMs(d)) } },
    });
  }
  return create(RetryPolicySchema, {
    maxAttempts: group.maxDeliveryAttempts,
    strategy: {
      case: 'exponentialBackoff',
      value: { initial: durationFromMs(p.initialMs), max: durationFromMs(p.maxMs), multiplier: p.multiplier },
    },
  });
}
