/**
 * Public surface of the consumers.
 *
 * @packageDocumentation
 */

export type { AckResult } from './ack-all.js';
export {
  type ConsumerCallOptions,
  type MessagesOptions,
  SimpleConsumer,
  type SimpleConsumerOptions,
  type SimpleConsumerShutdownOptions,
} from './simple-consumer.js';
export {
  type IdempotencyStore,
  type IdempotentOptions,
  idempotentListener,
  MemoryIdempotencyStore,
  type MemoryIdempotencyStoreOptions,
} from './idempotent-listener.js';
export { PushConsumer, type PushConsumerStats } from './push-consumer.js';
export {
  LitePushConsumer,
  type LitePushConsumerOptions,
  type SubscribeLiteOptions,
} from './lite-push-consumer.js';
export type { LiteCallOptions } from './lite-subscriptions.js';
export type { LiteOffset } from './lite-validation.js';
export type {
  ConsumeContext,
  ConsumeResult,
  MessageListener,
  PushConsumerOptions,
  PushConsumerShutdownOptions,
  Suspend,
} from './push-consumer-options.js';
