/**
 * `rocketmq-ts/testing`: an in-process RocketMQ 5.x broker for tests and demos, plus a hand-driven time
 * source.
 *
 * The broker serves `apache.rocketmq.v2.MessagingService` over gRPC on loopback and behaves like the
 * Apache proxy in local mode (one broker) as far as a client can observe: in-band status codes, the
 * Settings handshake, topic message types, pop-style consumption with receipt handles, invisibility,
 * redelivery and dead-lettering, orderly (FIFO) groups, TAG and SQL92 filters, long polling, delay
 * messages with recall, transactions with orphan checks over Telemetry, and optional request signing.
 * Fault hooks inject latency, failures, hangs, dropped streams and malformed responses.
 *
 * @example
 * ```ts
 * import { InProcessBroker, ManualTime } from 'rocketmq-ts/testing';
 *
 * const time = new ManualTime();
 * const broker = await InProcessBroker.start({ clock: time });
 * broker.createTopic('orders', { type: 'FIFO', queues: 4 });
 * broker.createConsumerGroup('billing', { fifo: true, maxDeliveryAttempts: 5 });
 * // … run a client against broker.endpoint; move time with time.advance(ms) …
 * broker.faults.failNext('SendMessage', 2, { code: 42900 }); // TOO_MANY_REQUESTS
 * const sends = broker.stats().calls.SendMessage;
 * await broker.shutdown();
 * ```
 *
 * @packageDocumentation
 */

export type { AclCredential } from './auth.js';
export type { ConsumerGroupOptions, RetryPolicyConfig } from './consumer-groups.js';
export type { BrokerFaults, InjectedFailure, MalformedKind } from './faults.js';
export type { InProcessAdmin } from './in-process-admin.js';
export { InProcessBroker, type TopicOptions } from './in-process-broker.js';
export { ManualTime } from './manual-time.js';
export type { InProcessBrokerOptions } from './options.js';
export { RPC_NAMES, type RpcName } from './service-definition.js';
export type { BrokerStats } from './stats.js';
export type {
  BackoffPolicySummary,
  BrokerCommand,
  ClientSettingsSummary,
  ClientTypeName,
  PlainMessage,
  PlainMessageType,
  ReplyStatus,
  SubscriptionSummary,
  TelemetryReply,
  TelemetryReplyType,
  UserAgentSummary,
} from './telemetry-types.js';
export type { TopicMessageType } from './validation.js';
