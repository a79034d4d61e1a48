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
export { PushConsumer, type PushConsumerStats } from './push-consumer.js';
export type {
  ConsumeContext,
  ConsumeResult,
  MessageListener,
  PushConsumerOptions,
  PushConsumerShutdownOptions,
} from './push-consumer-options.js';
