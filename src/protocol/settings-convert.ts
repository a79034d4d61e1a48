/**
 * Settings ⇄ protobuf, both directions of the telemetry handshake. Durations keep full seconds + nanos
 * precision (the producer's server backoff is sub-second: 10 ms → 1 s).
 *
 * @packageDocumentation
 */

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  FilterType,
  Language,
  type RetryPolicy as ProtoRetryPolicy,
  type RetryPolicySchema,
  type Settings,
  SettingsSchema,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import { type BackoffPolicy, customizedBackoff, exponentialBackoff } from '../internal/backoff.js';
import { durationFromMs, durationToMs, toProtoClientType, toProtoEndpoints, toResource } from './convert.js';
import { type EffectiveSettings, isConsumer, type ServerSettings } from './settings.js';

function toProtoRetryPolicy(
  policy: EffectiveSettings['retryPolicy'],
): MessageInitShape<typeof RetryPolicySchema> | undefined {
  if (policy === undefined) return undefined;
  const { backoff } = policy;
  if (backoff.kind === 'exponential') {
    return {
      maxAttempts: policy.maxAttempts,
      strategy: {
        case: 'exponentialBackoff',
        value: {
          initial: durationFromMs(backoff.initialMs),
          max: durationFromMs(backoff.maxMs),
          multiplier: backoff.multiplier,
        },
      },
    };
  }
  return {
    maxAttempts: policy.maxAttempts,
    strategy: { case: 'customizedBackoff', value: { next: backoff.delaysMs.map(durationFromMs) } },
  };
}

/**
 * The client's Settings frame (the first telemetry frame on every stream, and the periodic re-sync).
 *
 * - producer: `publishing{topics}` and the local retry policy;
 * - consumers: `subscription{group, subscriptions}`; simple consumers also send their long-polling time;
 * - always: client type, access point (scheme set), request timeout, user agent, client properties.
 */
export function toProtoSettings(settings: EffectiveSettings): Settings {
  const ns = settings.namespace;
  const init: MessageInitShape<typeof SettingsSchema> = {
    clientType: toProtoClientType(settings.clientType),
    accessPoint: toProtoEndpoints(settings.accessPoint),
    requestTimeout: durationFromMs(settings.requestTimeoutMs),
    userAgent: {
      language: Language.NODE_JS,
      version: settings.userAgent.version,
      platform: settings.userAgent.platform,
      hostname: settings.userAgent.hostname,
    },
    clientProperties: { ...settings.clientProperties },
  };
  if (isConsumer(settings.clientType)) {
    const simple =
      settings.clientType === 'simple-consumer' || settings.clientType === 'lite-simple-consumer';
    init.pubSub = {
      case: 'subscription',
      value: {
        group: toResource(settings.group ?? '', ns),
        subscriptions: settings.subscriptions.map((s) => ({
          topic: toResource(s.topic, ns),
          expression: {
            type: s.filter.type === 'sql' ? FilterType.SQL : FilterType.TAG,
            expression: s.filter.expression,
          },
        })),
        ...(simple ? { longPollingTimeout: durationFromMs(settings.longPollingTimeoutMs) } : {}),
      },
    };
  } else {
    init.pubSub = {
      case: 'publishing',
      value: {
        topics: settings.topics.map((t) => toResource(t, ns)),
        validateMessageType: settings.validateMessageType,
      },
    };
    const policy = toProtoRetryPolicy(settings.retryPolicy);
    if (policy !== undefined) init.backoffPolicy = policy;
  }
  return create(SettingsSchema, init);
}

/**
 * The server's backoff strategy as a {@link BackoffPolicy}, or `undefined` when it carries none (or an
 * unusable one). Exponential: `maxMs` below `initialMs` is raised to it and a multiplier below 1 becomes
 * 1; no jitter (the server's schedule is exact). Customized: the list, negative entries dropped.
 */
export function fromProtoBackoff(policy: ProtoRetryPolicy | undefined): BackoffPolicy | undefined {
  const strategy = policy?.strategy;
  if (strategy === undefined) return undefined;
  switch (strategy.case) {
    case 'exponentialBackoff': {
      const initialMs = Math.max(0, durationToMs(strategy.value.initial) ?? 0);
      const maxMs = Math.max(initialMs, durationToMs(strategy.value.max) ?? initialMs);
      const m = strategy.value.multiplier;
      const multiplier = Number.isFinite(m) && m >= 1 ? m : 1;
      return exponentialBackoff({ initialMs, maxMs, multiplier, jitter: 0 });
    }
    case 'customizedBackoff': {
      const delays = strategy.value.next
        .map((d) => durationToMs(d) ?? 0)
        .filter((d) => Number.isFinite(d) && d >= 0);
      return delays.length === 0 ? undefined : customizedBackoff(delays);
    }
    case undefined:
      return undefined;
    default: {
      const exhaustive: never = strategy;
      return exhaustive;
    }
  }
}

/** Extracts what a server Settings reply carries (absent fields stay `undefined`). */
export function fromProtoSettings(settings: Settings): ServerSettings {
  const out: ServerSettings = {};
  const timeout = durationToMs(settings.requestTimeout);
  if (timeout !== undefined) out.requestTimeoutMs = timeout;
  if (settings.backoffPolicy !== undefined) {
    out.retryPolicy = {
      maxAttempts: settings.backoffPolicy.maxAttempts > 0 ? settings.backoffPolicy.maxAttempts : undefined,
      backoff: fromProtoBackoff(settings.backoffPolicy),
    };
  }
  if (settings.metric !== undefined) out.metricsEnabled = settings.metric.on;
  const pubSub = settings.pubSub;
  switch (pubSub.case) {
    case 'publishing':
      if (pubSub.value.maxBodySize > 0) out.maxBodySizeBytes = pubSub.value.maxBodySize;
      out.validateMessageType = pubSub.value.validateMessageType;
      break;
    case 'subscription': {
      const s = pubSub.value;
      if (s.fifo !== undefined) out.fifo = s.fifo;
      if (s.receiveBatchSize !== undefined) out.receiveBatchSize = s.receiveBatchSize;
      const lp = durationToMs(s.longPollingTimeout);
      if (lp !== undefined) out.longPollingTimeoutMs = lp;
      if (s.liteSubscriptionQuota !== undefined) out.liteSubscriptionQuota = s.liteSubscriptionQuota;
      if (s.maxLiteTopicSize !== undefined) out.maxLiteTopicSize = s.maxLiteTopicSize;
      break;
    }
    case undefined:
      break;
    default: {
      const exhaustive: never = pubSub;
      return exhaustive;
    }
  }
  return out;
}
