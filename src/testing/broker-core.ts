/**
 * The parts of one in-process broker, shared by the RPC handlers.
 *
 * @packageDocumentation
 */

import type { Clock } from '../internal/clock.js';
import type { Scheduler } from '../internal/scheduler.js';
import type { ConsumerGroups } from './consumer-groups.js';
import type { DelayQueue } from './delay.js';
import type { DeliveryEngine } from './delivery.js';
import type { LiteRegistry } from './lite-subscriptions.js';
import type { LongPollHub } from './long-poll.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { MessageStore } from './store.js';
import type { TelemetryHub } from './telemetry-hub.js';
import type { TransactionLog } from './transactions.js';

/** Everything a handler may use. */
export interface BrokerCore {
  readonly options: ResolvedBrokerOptions;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly store: MessageStore;
  readonly groups: ConsumerGroups;
  readonly delivery: DeliveryEngine;
  readonly delays: DelayQueue;
  readonly transactions: TransactionLog;
  readonly hub: TelemetryHub;
  readonly longPoll: LongPollHub;
  /** Lite subscriptions of the clients. */
  readonly lite: LiteRegistry;
  /** The bound address (valid once the server listens). */
  address(): { readonly host: string; readonly port: number };
  /** True once shutdown started. */
  isClosed(): boolean;
  /**
   * Other brokers listed in this one's routes and assignments (a cluster's route names every broker),
   * each with its own name and address.
   */
  peers(): readonly BrokerCore[];
}
