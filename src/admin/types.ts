/**
 * Public types of the admin client.
 *
 * @packageDocumentation
 */

/** `{ signal, timeoutMs }` of every admin call. */
export interface AdminCallOptions {
  /** Aborting fails the call with `ABORTED`. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Bound of the whole operation (all its requests), in ms.
   * @defaultValue the client's `requestTimeoutMs` × 3
   */
  readonly timeoutMs?: number | undefined;
}

/** A topic's `message.type` attribute. */
export type TopicMessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

/** A topic's permission on a broker: read, write, both, or neither. */
export type TopicPermission = 'RW' | 'R' | 'W' | 'NONE';

/** A broker of the cluster. */
export interface BrokerInfo {
  readonly cluster: string;
  readonly brokerName: string;
  /** 0 for the master. */
  readonly brokerId: number;
  readonly address: string;
  readonly role: 'MASTER' | 'SLAVE';
  /** The broker's version (e.g. `V5_4_0`), or `undefined` when it did not answer. */
  readonly version: string | undefined;
}

/** The outcome of one operation on one broker. */
export type BrokerResult =
  | { readonly brokerName: string; readonly address: string; readonly ok: true }
  | {
      readonly brokerName: string;
      readonly address: string;
      readonly ok: false;
      /** Stable code of the failure (`RocketMQError.code`). */
      readonly code: string;
      readonly message: string;
    };

/** Which masters an operation runs on. */
export interface BrokerSelection {
  /** Broker names; by default every master of every cluster (or of `cluster`). */
  readonly brokers?: readonly string[] | undefined;
  /** Only the masters of this cluster. */
  readonly cluster?: string | undefined;
}

/** Options of `Admin.createTopic` / `Admin.updateTopic`. */
export interface TopicOptions extends BrokerSelection {
  /** @defaultValue 'NORMAL' */
  readonly type?: TopicMessageType | undefined;
  /** Read and write queue count per broker. @defaultValue 8 */
  readonly queues?: number | undefined;
  /** Read queue count per broker (overrides `queues`). */
  readonly readQueues?: number | undefined;
  /** Write queue count per broker (overrides `queues`). */
  readonly writeQueues?: number | undefined;
  /** @defaultValue 'RW' */
  readonly perm?: TopicPermission | undefined;
}

/** A queue of a topic on one broker. */
export interface QueueStatus {
  readonly brokerName: string;
  readonly queueId: number;
  readonly minOffset: number;
  readonly maxOffset: number;
  /** Store time of the last message, ms since the epoch (0 when the queue is empty). */
  readonly lastUpdateTimestamp: number;
}

/** A topic as one broker holds it. */
export interface TopicOnBroker {
  readonly brokerName: string;
  readonly address: string | undefined;
  readonly readQueues: number;
  readonly writeQueues: number;
  readonly perm: TopicPermission;
  readonly type: TopicMessageType | undefined;
}

/** `Admin.describeTopic`. */
export interface TopicDescription {
  readonly topic: string;
  /** The message type (from the first broker that answered). */
  readonly type: TopicMessageType | undefined;
  readonly brokers: readonly TopicOnBroker[];
  readonly queues: readonly QueueStatus[];
}

/** Server-side retry policy of a consumer group. */
export type GroupRetryPolicy =
  | { readonly kind: 'customized'; readonly delaysMs: readonly number[] }
  | {
      readonly kind: 'exponential';
      readonly initialMs: number;
      readonly maxMs: number;
      readonly multiplier: number;
    };

/** Options of `Admin.createGroup` / `Admin.updateGroup`. */
export interface GroupOptions extends BrokerSelection {
  /** Orderly (FIFO) consumption. @defaultValue false */
  readonly fifo?: boolean | undefined;
  /** Deliveries before a message goes to the group's dead-letter topic. @defaultValue 17 */
  readonly maxDeliveryAttempts?: number | undefined;
  /** Server-side retry delays; by default the broker's. */
  readonly retryPolicy?: GroupRetryPolicy | undefined;
}

/** A client connected to a consumer group. */
export interface ConnectedClient {
  readonly clientId: string;
  readonly address: string;
  readonly language: string;
  /** The client's protocol version number as it reported it. */
  readonly version: number;
  readonly brokerName: string;
}

/** `Admin.describeGroup`. */
export interface GroupDescription {
  readonly group: string;
  readonly fifo: boolean;
  readonly maxDeliveryAttempts: number;
  readonly retryPolicy: GroupRetryPolicy | undefined;
  /** Brokers that hold the group's configuration. */
  readonly brokers: readonly string[];
  readonly clients: readonly ConnectedClient[];
}

/** Lag of one queue for a group. */
export interface QueueLag {
  readonly topic: string;
  readonly brokerName: string;
  readonly queueId: number;
  readonly brokerOffset: number;
  readonly consumerOffset: number;
  readonly lag: number;
  /** Store time of the first unconsumed message, when there is one. */
  readonly oldestUnconsumedTimestamp: number | undefined;
}

/** `Admin.lag`. */
export interface GroupLag {
  readonly group: string;
  readonly totalLag: number;
  /** Age of the oldest unconsumed message, ms (`undefined` with no lag). */
  readonly oldestUnconsumedAgeMs: number | undefined;
  readonly queues: readonly QueueLag[];
}

/** One queue of an offset reset. */
export interface OffsetChange {
  readonly brokerName: string;
  readonly queueId: number;
  readonly from: number;
  readonly to: number;
}

/** `Admin.resetOffset`. */
export interface OffsetResetResult {
  readonly group: string;
  readonly topic: string;
  readonly timestamp: number;
  /** False for a dry run. */
  readonly applied: boolean;
  readonly changes: readonly OffsetChange[];
  readonly brokers: readonly BrokerResult[];
}

/** A stored message, as the lookups return it. */
export interface AdminMessage {
  /** The message id the producer assigned (`UNIQ_KEY`). */
  readonly messageId: string;
  readonly topic: string;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly messageGroup: string | undefined;
  /** User properties only. */
  readonly properties: Readonly<Record<string, string>>;
  /** Every property the broker stored, system ones included. */
  readonly allProperties: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly brokerName: string;
  readonly queueId: number;
  readonly queueOffset: number;
  readonly bornTimestamp: number;
  readonly storeTimestamp: number;
  readonly bornHost: string;
  readonly storeHost: string;
  readonly reconsumeTimes: number;
}

/** Options of `Admin.findMessages`. */
export interface FindMessagesOptions extends AdminCallOptions {
  /** Start of the store-time range, ms since the epoch. @defaultValue 0 */
  readonly begin?: number | undefined;
  /** End of the store-time range. @defaultValue now */
  readonly end?: number | undefined;
  /** @defaultValue 32 */
  readonly max?: number | undefined;
}

/** A dead-lettered message with the topic it came from. */
export interface DeadLetter extends AdminMessage {
  readonly originalTopic: string | undefined;
}

/** Result of redriving one dead letter. */
export type RedriveResult =
  | { readonly messageId: string; readonly ok: true; readonly topic: string }
  | { readonly messageId: string; readonly ok: false; readonly code: string; readonly message: string };
