/**
 * The server side of the Settings handshake: the proxy stores the client's raw Settings and answers with
 * them merged with server policy (proxy `GrpcClientSettingsManager`).
 *
 * @packageDocumentation
 */

import { clone, create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import {
  MetricSchema,
  RetryPolicySchema,
  type Settings,
  SettingsSchema,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import { type ConsumerGroups, retryPolicyProto } from './consumer-groups.js';

/** Server policy merged into client settings. */
export interface SettingsPolicy {
  /** Producer `backoff_policy.max_attempts` (proxy `grpcClientProducerMaxAttempts`, 3). */
  readonly producerMaxAttempts: number;
  /** Producer exponential backoff (10 ms, 1 s, ×2). */
  readonly producerBackoff: {
    readonly initialMs: number;
    readonly maxMs: number;
    readonly multiplier: number;
  };
  /** `publishing.max_body_size` (4 MiB). */
  readonly maxBodySize: number;
  /** `publishing.validate_message_type` (true). */
  readonly validateMessageType: boolean;
  /** `subscription.receive_batch_size` (32). */
  readonly receiveBatchSize: number;
  /** `subscription.long_polling_timeout` (20 s). */
  readonly longPollingMaxMs: number;
  /** `subscription.max_lite_topic_size` for lite groups (64). */
  readonly maxLiteTopicSize: number;
}

/**
 * Merges stored client settings with server policy, as returned on the telemetry stream and used by
 * ReceiveMessage (`fifo`, `backoff_policy.max_attempts`).
 */
export function mergeSettings(raw: Settings, policy: SettingsPolicy, groups: ConsumerGroups): Settings {
  const merged = clone(SettingsSchema, raw);
  if (merged.pubSub.case === 'publishing') {
    const b = policy.producerBackoff;
    merged.backoffPolicy = create(RetryPolicySchema, {
      maxAttempts: policy.producerMaxAttempts,
      strategy: {
        case: 'exponentialBackoff',
        value: {
          initial: durationFromMs(b.initialMs),
          max: durationFromMs(b.maxMs),
          multiplier: b.multiplier,
        },
      },
    });
    merged.pubSub.value.validateMessageType = policy.validateMessageType;
    merged.pubSub.value.maxBodySize = policy.maxBodySize;
  } else if (merged.pubSub.case === 'subscription') {
    const sub = merged.pubSub.value;
    const group = groups.get(sub.group?.name ?? '');
    sub.receiveBatchSize = policy.receiveBatchSize;
    sub.longPollingTimeout = durationFromMs(policy.longPollingMaxMs);
    sub.fifo = group.fifo;
    if (group.liteBindTopic !== undefined) {
      sub.liteSubscriptionQuota = group.liteClientQuota;
      sub.maxLiteTopicSize = policy.maxLiteTopicSize;
    }
    merged.backoffPolicy = retryPolicyProto(group);
  }
  merged.metric = create(MetricSchema, { on: false });
  return merged;
}
