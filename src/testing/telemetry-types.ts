/**
 * Plain TypeScript shapes of what the in-process broker exchanges with clients over Telemetry: the commands
 * a test can push ({@link BrokerCommand}), the answers clients send back ({@link TelemetryReply}) and the
 * Settings the broker holds for a client ({@link ClientSettingsSummary}). The generated protobuf types stay
 * inside `src/testing` (generated types never reach a public API); `telemetry-convert.ts` maps between the
 * two.
 *
 * @packageDocumentation
 */

import type { RetryPolicyConfig } from './consumer-groups.js';

/**
 * Message type of a {@link PlainMessage}, as reported in its system properties (`message_type`).
 * `UNSPECIFIED` is the protobuf default.
 */
export type PlainMessageType = 'UNSPECIFIED' | 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'PRIORITY';

/**
 * A message carried by a broker command (the transaction check's half message, the message to verify).
 * Only `topic` and `body` are required; every other field is optional and left unset when omitted, except
 * that the broker fills in what a real proxy always sends (body digest, store host, born and store
 * timestamps).
 */
export interface PlainMessage {
  /** Topic name. */
  readonly topic: string;
  /** The payload; a string is encoded as UTF-8. */
  readonly body: Uint8Array | string;
  /** Message id (32 hex digits for V1 ids). @defaultValue `''` */
  readonly messageId?: string;
  /** Message tag. */
  readonly tag?: string;
  /** Message keys. */
  readonly keys?: readonly string[];
  /** Message group of a FIFO message. */
  readonly messageGroup?: string;
  /** User properties. */
  readonly properties?: Readonly<Record<string, string>>;
  /** @defaultValue derived like the broker: DELAY, FIFO, PRIORITY or NORMAL */
  readonly messageType?: PlainMessageType;
  /** Born time (ms since the epoch). @defaultValue the broker clock's now */
  readonly bornTimestampMs?: number;
  /** @defaultValue `'127.0.0.1'` */
  readonly bornHost?: string;
  /** Delivery time of a delay message (ms since the epoch). */
  readonly deliveryTimestampMs?: number;
  /** W3C `traceparent` of the producer's span. */
  readonly traceContext?: string;
  /** @defaultValue 0 */
  readonly queueId?: number;
  /** @defaultValue 0 */
  readonly queueOffset?: number;
}

/**
 * A command the broker can push on a client's Telemetry stream with `InProcessBroker.sendCommand`.
 *
 * - `'recover-orphaned-transaction'`: the transaction check a producer answers with EndTransaction.
 * - `'verify-message'`: asks a push consumer to consume `message` and report the result.
 * - `'print-thread-stack-trace'`: asks for a diagnostic dump of the client.
 * - `'reconnect-endpoints'`: asks the client to reopen its streams to this endpoint.
 * - `'notify-unsubscribe-lite'`: tells a lite consumer that `liteTopic` was unsubscribed.
 *
 * Answers (`verify-message`, `print-thread-stack-trace`) arrive as {@link TelemetryReply}s carrying the
 * same `nonce`.
 */
export type BrokerCommand =
  | {
      /** Asks a producer to resolve a transaction (its checker answers with EndTransaction). */
      readonly type: 'recover-orphaned-transaction';
      /** The transaction to check. */
      readonly transactionId: string;
      /** The half message. */
      readonly message: PlainMessage;
    }
  | {
      /** Asks a consumer to consume `message` once and report the result. */
      readonly type: 'verify-message';
      /** Echoed in the reply. */
      readonly nonce: string;
      /** The message to verify. */
      readonly message: PlainMessage;
    }
  | {
      /** Asks for a thread stack trace. */
      readonly type: 'print-thread-stack-trace';
      /** Echoed in the reply. */
      readonly nonce: string;
    }
  | {
      /** Asks the client to reconnect its endpoints. */
      readonly type: 'reconnect-endpoints';
      /** Echoed in the reply. */
      readonly nonce: string;
    }
  | {
      /** Tells a lite consumer that `liteTopic` was unsubscribed. */
      readonly type: 'notify-unsubscribe-lite';
      /** The lite topic. */
      readonly liteTopic: string;
    };

/**
 * Kind of a {@link TelemetryReply}: `'thread-stack-trace'` answers `print-thread-stack-trace`,
 * `'verify-message-result'` answers `verify-message`, `'other'` is a frame with no command (status only) or
 * with a command only a server sends.
 */
export type TelemetryReplyType = 'thread-stack-trace' | 'verify-message-result' | 'other';

/** A status in a Telemetry frame: a broker code (`20000` OK, `50100` NOT_IMPLEMENTED…) and its message. */
export interface ReplyStatus {
  /** Broker status code. */
  readonly code: number;
  /** Status message. */
  readonly message: string;
}

/**
 * A frame a client sent on its Telemetry stream other than Settings (Settings are reflected by
 * `InProcessBroker.clientSettings`), e.g. a thread stack trace or a verify result.
 */
export interface TelemetryReply {
  /** Id of the client that sent the frame. */
  readonly clientId: string;
  /** What the frame answers. */
  readonly type: TelemetryReplyType;
  /** Nonce of the command answered (`thread-stack-trace`, `verify-message-result`). */
  readonly nonce?: string;
  /** The frame's status; absent when the client sent none. */
  readonly status?: ReplyStatus;
  /** The dump of a `thread-stack-trace` reply, when the client sent one. */
  readonly threadStackTrace?: string;
  /** Broker clock time of arrival (ms since the epoch). */
  readonly receivedAtMs: number;
}

/** Kind of client announced in Settings (`UNSPECIFIED` when the client sent none). */
export type ClientTypeName =
  | 'UNSPECIFIED'
  | 'PRODUCER'
  | 'PUSH_CONSUMER'
  | 'SIMPLE_CONSUMER'
  | 'PULL_CONSUMER'
  | 'LITE_PUSH_CONSUMER'
  | 'LITE_SIMPLE_CONSUMER';

/** One subscription of a consumer: topic and filter. */
export interface SubscriptionSummary {
  /** Subscribed topic. */
  readonly topic: string;
  /** `'UNSPECIFIED'` when the client sent no filter type. */
  readonly filterType: 'TAG' | 'SQL' | 'UNSPECIFIED';
  /** Filter expression (`'*'` for every tag). */
  readonly expression: string;
}

/** Retry (producer: send retry; consumer: redelivery) policy in Settings. */
export interface BackoffPolicySummary {
  /** Attempts per message (producer) or delivery attempts (consumer), from Settings. */
  readonly maxAttempts: number;
  /** `undefined` when the policy has no strategy. */
  readonly strategy: RetryPolicyConfig | undefined;
}

/** The client's user agent from Settings. */
export interface UserAgentSummary {
  /** Language name as in the proto enum (`'NODE_JS'`, `'JAVA'`…), or the number when unknown. */
  readonly language: string;
  /** Client library version. */
  readonly version: string;
  /** Operating system / runtime description. */
  readonly platform: string;
  /** Host name of the client machine. */
  readonly hostname: string;
}

/**
 * The Settings the broker holds for a client, merged with server policy — what it answered on Telemetry
 * (returned by `InProcessBroker.clientSettings`). Producer fields are set for publishing settings,
 * consumer fields for subscription settings.
 */
export interface ClientSettingsSummary {
  /** Kind of client. */
  readonly clientType: ClientTypeName;
  /** Access point the client announced, as `host:port` strings. */
  readonly accessPoint?: readonly string[];
  /** Request timeout the client announced, in milliseconds. */
  readonly requestTimeoutMs?: number;
  /** Retry policy: the client's, merged with the server's. */
  readonly backoffPolicy?: BackoffPolicySummary;
  /** The client's user agent. */
  readonly userAgent?: UserAgentSummary;
  /** `client_properties` sent by the client. */
  readonly properties: Readonly<Record<string, string>>;
  /** Producer: topics it publishes to. */
  readonly topics?: readonly string[];
  /** Producer: largest body the broker accepts. */
  readonly maxBodySize?: number;
  /** Producer: whether the broker checks message types against topic types. */
  readonly validateMessageType?: boolean;
  /** Consumer: its group. */
  readonly group?: string;
  /** Consumer: its subscriptions. */
  readonly subscriptions?: readonly SubscriptionSummary[];
  /** Consumer: whether its group consumes orderly. */
  readonly fifo?: boolean;
  /** Consumer: `receive_batch_size`. */
  readonly receiveBatchSize?: number;
  /** Consumer: `long_polling_timeout`. */
  readonly longPollingTimeoutMs?: number;
}
