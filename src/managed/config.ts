/**
 * Configuration of managed consumers and producers, their defaults and validation.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { MessageView } from '../model/message-view.js';
import type { Logger } from '../observability/logger.js';
import type { TlsConfig } from '../rpc/channel-pool.js';
import { validateLiteTopic } from '../consumer/lite-validation.js';
import { defaultErrorClassifier, type ErrorClassifier } from './classifier.js';
import type { HandlerContext } from './context.js';
import { checkTopicType, type ManagedTopicType } from './ensure.js';

/** A managed consumer's configuration. */
export interface ConsumerConfig {
  /** Unique name of the job: the key of switches and health. */
  jobName: string;
  /** The topic to consume. */
  topic: string;
  /** Access point of the proxy, e.g. `'127.0.0.1:8081'`. */
  endpoint: string;
  /** The consumer group. */
  consumerGroup: string;
  /** Access key (with `accessSecret`). @defaultValue anonymous */
  accessKey?: string | undefined;
  /** Secret of the access key. */
  accessSecret?: string | undefined;
  /** Tag expression. @defaultValue `'*'` */
  tagExpression?: string | undefined;
  /** Most messages per receive (1–32). @defaultValue 32 */
  maxMessageNum?: number | undefined;
  /** Invisible duration of received messages, renewed while they are prefetched or handled. @defaultValue 30000 */
  invisibleDurationMs?: number | undefined;
  /** Handlers running at once. @defaultValue 1 */
  workerNum?: number | undefined;
  /** What to do when the handler throws. @defaultValue {@link defaultErrorClassifier} */
  errorClassifier?: ErrorClassifier | undefined;
  /** Resource namespace. @defaultValue `''` */
  namespace?: string | undefined;
  /** TLS settings. @defaultValue plaintext */
  tls?: TlsConfig | undefined;
  /** Longest time a message is kept invisible while handled. @defaultValue 1 h */
  maxLeaseExtensionMs?: number | undefined;
  /**
   * Declared message type of `topic`, for the registry's `ensure` option: a missing topic is created
   * with it, and a FIFO topic's group is created FIFO. @defaultValue 'NORMAL'
   */
  topicType?: ManagedTopicType | undefined;
  /**
   * Lite topics to consume (RocketMQ 5.5): makes the job a lite job — `topic` is the LITE parent topic
   * and `consumerGroup` a lite group bound to it; the job's `addLiteTopic` / `removeLiteTopic` change
   * the set while it runs. Not with `tagExpression`. @defaultValue not a lite job
   */
  liteTopics?: readonly string[] | undefined;
}

/** A handler: resolves when the message is done; a throw goes to the error classifier. */
export type Handler = (ctx: HandlerContext, message: MessageView) => unknown;

/** A managed consumer: its configuration and its handler. */
export interface ConsumerDefinition {
  /** The job's configuration. */
  readonly config: ConsumerConfig;
  /** Handles one message; a throw goes to the error classifier. */
  handle(ctx: HandlerContext, message: MessageView): unknown;
}

/** A managed producer's configuration. */
export interface ProducerConfig {
  /** Access point of the proxy, e.g. `127.0.0.1:8081`. */
  endpoint: string;
  /** Topics to publish to (routes fetched at start; transactional topics must be listed). */
  topics?: readonly string[] | undefined;
  /** Access key (with `accessSecret`). @defaultValue anonymous */
  accessKey?: string | undefined;
  /** Secret of the access key. */
  accessSecret?: string | undefined;
  /** Resource namespace. @defaultValue `''` */
  namespace?: string | undefined;
  /** TLS settings. @defaultValue plaintext */
  tls?: TlsConfig | undefined;
  /** @defaultValue the registry's logger */
  logger?: Logger | undefined;
  /**
   * Declared message type per topic, for the registry's `ensure` option (missing topics of `topics`
   * are created with it). @defaultValue 'NORMAL' for each topic
   */
  topicTypes?: Readonly<Record<string, ManagedTopicType>> | undefined;
}

/** A consumer configuration with its defaults applied. */
export interface ResolvedConsumerConfig {
  readonly jobName: string;
  /** The topic to consume. */
  readonly topic: string;
  /** Access point of the proxy, e.g. `127.0.0.1:8081`. */
  readonly endpoint: string;
  /** The consumer group. */
  readonly consumerGroup: string;
  readonly credentials: { accessKey: string; accessSecret: string } | undefined;
  readonly tagExpression: string;
  readonly maxMessageNum: number;
  readonly invisibleDurationMs: number;
  readonly workerNum: number;
  /** `max(2 × workerNum, maxMessageNum)`: a next message for every worker, or one full receive batch. */
  readonly prefetchSize: number;
  readonly errorClassifier: ErrorClassifier;
  /** Resource namespace. @defaultValue `''` */
  readonly namespace: string | undefined;
  /** TLS settings. @defaultValue plaintext */
  readonly tls: TlsConfig | undefined;
  readonly maxLeaseExtensionMs: number | undefined;
  /** Declared message type of the topic. */
  readonly topicType: ManagedTopicType;
  /** The lite topics of a lite job (checked names); `undefined` for an ordinary job. */
  readonly liteTopics: readonly string[] | undefined;
}

function invalid(message: string): RocketMQError {
  return new RocketMQError(message, 'INVALID_ARGUMENT');
}

function requireString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`${name} must be a non-empty string`);
  return value;
}

function optionalInt(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/**
 * Credentials from an access key and secret: both or neither.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when only one is given.
 */
export function credentialsOf(
  accessKey: unknown,
  accessSecret: unknown,
): { accessKey: string; accessSecret: string } | undefined {
  const hasKey = accessKey !== undefined && accessKey !== '';
  const hasSecret = accessSecret !== undefined && accessSecret !== '';
  if (!hasKey && !hasSecret) return undefined;
  if (!hasKey || !hasSecret) throw invalid('accessKey and accessSecret go together');
  return {
    accessKey: requireString('accessKey', accessKey),
    accessSecret: requireString('accessSecret', accessSecret),
  };
}

/**
 * Applies the defaults to a consumer configuration. Names, filters and durations are checked again by
 * the consumer itself (with RocketMQ's codes) when its session starts; this checks what the managed
 * layer needs up front.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` for a missing or malformed field.
 */
export function resolveConsumerConfig(config: ConsumerConfig): ResolvedConsumerConfig {
  if (config === null || typeof config !== 'object') throw invalid('the consumer config must be an object');
  const workerNum = optionalInt('workerNum', config.workerNum, 1, 1, 10_000);
  const maxMessageNum = optionalInt('maxMessageNum', config.maxMessageNum, 32, 1, 32);
  if (config.errorClassifier !== undefined && typeof config.errorClassifier !== 'function') {
    throw invalid('errorClassifier must be a function');
  }
  const liteTopics = resolveLiteTopics(config.liteTopics);
  if (liteTopics !== undefined && config.tagExpression !== undefined && config.tagExpression !== '') {
    throw invalid('a lite job (liteTopics) takes no tagExpression');
  }
  const invisible = config.invisibleDurationMs ?? 30_000;
  if (typeof invisible !== 'number' || !Number.isFinite(invisible) || invisible <= 0) {
    throw invalid(`invisibleDurationMs must be a positive number of ms, got ${String(invisible)}`);
  }
  return Object.freeze({
    jobName: requireString('jobName', config.jobName),
    topic: requireString('topic', config.topic),
    endpoint: requireString('endpoint', config.endpoint),
    consumerGroup: requireString('consumerGroup', config.consumerGroup),
    credentials: credentialsOf(config.accessKey, config.accessSecret),
    tagExpression:
      config.tagExpression === undefined || config.tagExpression === '' ? '*' : config.tagExpression,
    maxMessageNum,
    invisibleDurationMs: invisible,
    workerNum,
    prefetchSize: Math.max(2 * workerNum, maxMessageNum),
    errorClassifier: config.errorClassifier ?? defaultErrorClassifier,
    namespace: config.namespace,
    tls: config.tls,
    maxLeaseExtensionMs: config.maxLeaseExtensionMs,
    topicType: checkTopicType('topicType', config.topicType) ?? 'NORMAL',
    liteTopics,
  });
}

function resolveLiteTopics(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid('liteTopics must be an array of lite topic names');
  return Object.freeze([...new Set(value.map((t) => validateLiteTopic(t)))]);
}
