/**
 * The managed layer: a registry of consumer jobs and producers with switches, an error classifier,
 * trace/request-id propagation and a graceful `waitStop()`, for applications that register handlers
 * and let the library run the consumers.
 *
 * The functions below use one default {@link Registry}; create your own `new Registry()` for
 * isolation (tests, several apps in one process).
 *
 * @example
 * ```ts
 * registerConsumer(
 *   { jobName: 'orders', topic: 'orders', endpoint: '127.0.0.1:8081', consumerGroup: 'billing', workerNum: 5 },
 *   async (ctx, message) => ctx.logger.info('got', { tag: message.tag }),
 * );
 * startAllConsumers();
 * const producer = await registerProducer({ endpoint: '127.0.0.1:8081', topics: ['orders'] });
 * await producer.send({ topic: 'orders', body: 'hello' });
 * handleShutdownSignals();
 * await waitStop(); // returns after SIGINT/SIGTERM, once everything drained
 * ```
 *
 * @packageDocumentation
 */

import type { ConsumerConfig, ConsumerDefinition, Handler, ProducerConfig } from './config.js';
import type { ManagedConsumer } from './managed-consumer.js';
import type { ManagedProducer } from './managed-producer.js';
import {
  type RegisterConsumerOptions,
  Registry,
  type RegistryHealth,
  type WaitStopOptions,
} from './registry.js';

/** The registry behind the module-level functions. */
export const defaultRegistry: Registry = new Registry();

/** {@link Registry.registerConsumer} on the default registry. */
export function registerConsumer(
  consumer: ConsumerDefinition,
  options?: RegisterConsumerOptions,
): ManagedConsumer;
export function registerConsumer(
  config: ConsumerConfig,
  handler: Handler,
  options?: RegisterConsumerOptions,
): ManagedConsumer;
export function registerConsumer(
  first: ConsumerDefinition | ConsumerConfig,
  second?: Handler | RegisterConsumerOptions,
  third?: RegisterConsumerOptions,
): ManagedConsumer {
  return typeof second === 'function'
    ? defaultRegistry.registerConsumer(first as ConsumerConfig, second, third)
    : defaultRegistry.registerConsumer(first as ConsumerDefinition, second);
}

/** {@link Registry.startAllConsumers} on the default registry. */
export function startAllConsumers(): void {
  // The default registry has no `ensure` option: the jobs are activated at once.
  void defaultRegistry.startAllConsumers();
}

/** {@link Registry.setConsumerSwitch} on the default registry. */
export function setConsumerSwitch(jobName: string, on: boolean): void {
  defaultRegistry.setConsumerSwitch(jobName, on);
}

/** {@link Registry.getConsumerSwitch} on the default registry. */
export function getConsumerSwitch(jobName: string): boolean {
  return defaultRegistry.getConsumerSwitch(jobName);
}

/** {@link Registry.registerProducer} on the default registry. */
export function registerProducer(config: ProducerConfig): Promise<ManagedProducer> {
  return defaultRegistry.registerProducer(config);
}

/** {@link Registry.waitStop} on the default registry. */
export function waitStop(options?: WaitStopOptions): Promise<void> {
  return defaultRegistry.waitStop(options);
}

/** {@link Registry.shutdownAll} on the default registry. */
export function shutdownAll(options?: Omit<WaitStopOptions, 'signal'>): Promise<void> {
  return defaultRegistry.shutdownAll(options);
}

/** {@link Registry.handleShutdownSignals} on the default registry. */
export function handleShutdownSignals(signals?: readonly NodeJS.Signals[]): () => void {
  return defaultRegistry.handleShutdownSignals(signals);
}

/** {@link Registry.health} of the default registry. */
export function health(): RegistryHealth {
  return defaultRegistry.health();
}

export {
  type ConsumeErrorAction,
  ConsumeErrorActions,
  defaultErrorClassifier,
  type ErrorClassifier,
  isNonRetryableError,
  NonRetryableError,
  requeueAllClassifier,
  type RetryLaterAction,
} from './classifier.js';
export type { ConsumerConfig, ConsumerDefinition, Handler, ProducerConfig } from './config.js';
export type {
  EnsureAdmin,
  EnsureBrokerResult,
  EnsureOptions,
  EnsureReport,
  ManagedTopicType,
} from './ensure.js';
export { currentHandlerContext, type HandlerContext } from './context.js';
export type {
  AddLiteTopicOptions,
  ConsumerHealth,
  ManagedConsumer,
  ManagedConsumerState,
} from './managed-consumer.js';
export type { ManagedProducer, SendCallback } from './managed-producer.js';
export {
  type RegisterConsumerOptions,
  Registry,
  type RegistryHealth,
  type RegistryOptions,
  type WaitStopOptions,
} from './registry.js';
