/**
 * Public surface of the consumers.
 *
 * @packageDocumentation
 */

export {
  type ConsumerCallOptions,
  type MessagesOptions,
  SimpleConsumer,
  type SimpleConsumerOptions,
  type SimpleConsumerShutdownOptions,
} from './simple-consumer.js';
