/**
 * The producer: `Producer`, transactions, options and the pieces its tests exercise.
 *
 * @packageDocumentation
 */

export { type BatchingOptions, MAX_BATCH_BYTES, MAX_BATCH_MESSAGES } from './batching-options.js';
export { EndpointIsolation } from './isolation.js';
export {
  type CallOptions,
  MAX_ATTEMPTS_LIMIT,
  type ProducerOptions,
  type SendOptions,
  type TransactionChecker,
  type TransactionCheckResult,
} from './options.js';
export {
  type BatchSendReceipt,
  Producer,
  type ProducerShutdownOptions,
  type ProducerStartOptions,
} from './producer.js';
export { checkMessageType, SendQueueSelector, writableQueues } from './queue-selector.js';
export { type RetryRun, runWithRetry } from './send-retry.js';
export { fifoQueueIndex, sipHash24, toSigned64 } from './sip-hash.js';
export { Transaction, type TransactionState } from './transaction.js';
