/**
 * `AdminApi`: the operations every admin implementation offers — {@link Admin} over the remoting
 * protocol of a real deployment, and the in-process broker's admin (`broker.admin()` in
 * `rocketmq-ts/testing`). Program against this type to run the same code on both.
 *
 * @packageDocumentation
 */

import type {
  AdminCallOptions,
  AdminMessage,
  BrokerInfo,
  BrokerResult,
  DeadLetter,
  FindMessagesOptions,
  GroupDescription,
  GroupLag,
  GroupOptions,
  OffsetResetResult,
  RedriveResult,
  TopicDescription,
  TopicOptions,
} from './types.js';

/** Lifecycle state of an admin client. */
export type AdminState = 'created' | 'running' | 'closed';

/** The admin operations, whatever the deployment behind them. */
export interface AdminApi {
  /** `'created'`, `'running'` or `'closed'`. */
  readonly state: AdminState;
  /** Makes the client usable (checks that the deployment answers). Idempotent. */
  start(options?: AdminCallOptions): Promise<void>;
  /** Waits up to `timeoutMs` for calls in flight, then releases everything. Idempotent. */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
  /** Closes at once: calls in flight fail with `CLOSED`. */
  destroy(): void;
  /** Every broker with its address, role and version. */
  cluster(options?: AdminCallOptions): Promise<BrokerInfo[]>;
  /** Creates or overwrites a topic on every master (or the chosen ones); one result per broker. */
  createTopic(name: string, options?: TopicOptions & AdminCallOptions): Promise<BrokerResult[]>;
  /** Changes the given settings of an existing topic; one result per broker. */
  updateTopic(name: string, options?: TopicOptions & AdminCallOptions): Promise<BrokerResult[]>;
  /** Deletes a topic; system topics are refused. */
  deleteTopic(name: string, options?: AdminCallOptions): Promise<BrokerResult[]>;
  /** Topic names; system, retry and dead-letter topics only with `includeSystem`. */
  listTopics(options?: AdminCallOptions & { includeSystem?: boolean }): Promise<string[]>;
  /** Route, message type and per-queue offsets of a topic. */
  describeTopic(name: string, options?: AdminCallOptions): Promise<TopicDescription>;
  /** Creates or overwrites a consumer group on every master (or the chosen ones). */
  createGroup(name: string, options?: GroupOptions & AdminCallOptions): Promise<BrokerResult[]>;
  /** Changes the given settings of a consumer group. */
  updateGroup(name: string, options?: GroupOptions & AdminCallOptions): Promise<BrokerResult[]>;
  /** Deletes a consumer group and its offsets. */
  deleteGroup(name: string, options?: AdminCallOptions): Promise<BrokerResult[]>;
  /** Consumer group names; system groups only with `includeSystem`. */
  listGroups(options?: AdminCallOptions & { includeSystem?: boolean }): Promise<string[]>;
  /** A group's settings and connected clients. */
  describeGroup(name: string, options?: AdminCallOptions): Promise<GroupDescription>;
  /** Lag per queue and in total, and the age of the oldest unconsumed message. */
  lag(group: string, options?: AdminCallOptions & { topic?: string }): Promise<GroupLag>;
  /** Moves a group's offsets on a topic to `timestamp`; `dryRun` only reports the change. */
  resetOffset(
    group: string,
    topic: string,
    timestamp: number,
    options?: AdminCallOptions & { dryRun?: boolean },
  ): Promise<OffsetResetResult>;
  /** A message by its id. */
  getMessage(topic: string, messageId: string, options?: AdminCallOptions): Promise<AdminMessage>;
  /** Messages carrying a key, stored within a time range. */
  findMessages(topic: string, key: string, options?: FindMessagesOptions): Promise<AdminMessage[]>;
  /** A group's dead letters, oldest first. */
  listDeadLetters(group: string, options?: AdminCallOptions & { max?: number }): Promise<DeadLetter[]>;
  /** Sends chosen dead letters (all by default) back to their original topic; one result per message. */
  redriveDeadLetters(
    group: string,
    options?: AdminCallOptions & { messageIds?: readonly string[]; max?: number },
  ): Promise<RedriveResult[]>;
}
