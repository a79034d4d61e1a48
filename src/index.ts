/**
 * rocketmq-ts — a pure-TypeScript client for Apache RocketMQ 5.x over the proxy's gRPC protocol.
 *
 * The public API is curated here with named exports only (no `export *`); test/unit/exports.test.ts
 * pins the list. The in-process broker is the separate entry `rocketmq-ts/testing`.
 *
 * @packageDocumentation
 */

// Symbols below are for users.
export type { ConsumerClientOptions } from './consumer/client-options.js';
export {
  type IdempotencyStore,
  type IdempotentOptions,
  idempotentListener,
  MemoryIdempotencyStore,
  type MemoryIdempotencyStoreOptions,
} from './consumer/idempotent-listener.js';
export { PushConsumer, type PushConsumerStats } from './consumer/push-consumer.js';
export type {
  ConsumeContext,
  ConsumeResult,
  MessageListener,
  PushConsumerOptions,
  PushConsumerShutdownOptions,
  RetryLater,
  Suspend,
} from './consumer/push-consumer-options.js';
export {
  LitePushConsumer,
  type LitePushConsumerOptions,
  type SubscribeLiteOptions,
} from './consumer/lite-push-consumer.js';
export {
  type LiteChangeInvisibleOptions,
  LiteSimpleConsumer,
  type LiteSimpleConsumerOptions,
} from './consumer/lite-simple-consumer.js';
export type { LiteCallOptions } from './consumer/lite-subscriptions.js';
export type { LiteOffset } from './consumer/lite-validation.js';
export type { AckResult } from './consumer/ack-all.js';
export {
  type ConsumerCallOptions,
  type MessagesOptions,
  SimpleConsumer,
  type SimpleConsumerOptions,
  type SimpleConsumerShutdownOptions,
} from './consumer/simple-consumer.js';
export { type ErrorCode, RocketMQError } from './errors.js';
export {
  type AddLiteTopicOptions,
  type ConsumeErrorAction,
  ConsumeErrorActions,
  type ConsumerConfig,
  type ConsumerDefinition,
  type ConsumerHealth,
  currentHandlerContext,
  defaultErrorClassifier,
  defaultRegistry,
  type EnsureAdmin,
  type EnsureBrokerResult,
  type EnsureOptions,
  type EnsureReport,
  type ErrorClassifier,
  getConsumerSwitch,
  type Handler,
  type HandlerContext,
  handleShutdownSignals,
  health as managedHealth,
  isNonRetryableError,
  type ManagedConsumer,
  type ManagedConsumerState,
  type ManagedProducer,
  type ManagedTopicType,
  NonRetryableError,
  type ProducerConfig,
  type RegisterConsumerOptions,
  Registry,
  type RegistryHealth,
  type RegistryOptions,
  type RetryLaterAction,
  registerConsumer,
  registerProducer,
  requeueAllClassifier,
  type SendCallback,
  setConsumerSwitch,
  shutdownAll,
  startAllConsumers,
  type WaitStopOptions,
  waitStop,
} from './managed/index.js';
export { FilterExpression, type FilterExpressionType } from './model/filter-expression.js';
export { type MessageInit, type MessageType, validateMessage } from './model/message.js';
export { type DeadLetterOrigin, MessageView } from './model/message-view.js';
export type { QueueRef, SendReceipt } from './model/send-receipt.js';
export {
  type ConsoleLike,
  type ConsoleLoggerOptions,
  consoleLogger,
  debugLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  noopLogger,
  type PinoLike,
  pinoLikeLogger,
} from './observability/logger.js';
export type { BatchingOptions } from './producer/batching-options.js';
export type {
  CallOptions,
  ProducerOptions,
  SendOptions,
  TransactionChecker,
  TransactionCheckResult,
} from './producer/options.js';
export type { HookContext, HookOutcome, HookPoint, Interceptor } from './protocol/interceptors.js';
export {
  type BatchSendReceipt,
  Producer,
  type ProducerShutdownOptions,
  type ProducerStartOptions,
} from './producer/producer.js';
export { Transaction, type TransactionState } from './producer/transaction.js';
export { type Credentials, type CredentialsProvider, staticCredentials } from './rpc/auth/credentials.js';
export { VERSION } from './version.js';
