/**
 * Conversions between the generated Telemetry / Settings messages and the plain public shapes of
 * `telemetry-types.ts`, so that no generated type crosses the `rocketmq-ts/testing` API.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import { durationMs } from '@bufbuild/protobuf/wkt';
import {
  ClientType,
  Encoding,
  FilterType,
  Language,
  type Message,
  MessageType,
  type RetryPolicy,
  type Settings,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import { type TelemetryCommand, TelemetryCommandSchema } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { RetryPolicyConfig } from './consumer-groups.js';
import { toWireMessage } from './message-convert.js';
import type { StoredMessage } from './store.js';
import type {
  BackoffPolicySummary,
  BrokerCommand,
  ClientSettingsSummary,
  ClientTypeName,
  PlainMessage,
  PlainMessageType,
  SubscriptionSummary,
  TelemetryReply,
} from './telemetry-types.js';

/** Broker-side values filled into a {@link PlainMessage} that leaves them out. */
export interface WireContext {
  /** Broker clock reading (born / store timestamps). */
  readonly nowMs: number;
  /** The broker's `host:port` (`store_host`). */
  readonly storeHost: string;
}

const MESSAGE_TYPES: Readonly<Record<PlainMessageType, MessageType>> = {
  UNSPECIFIED: MessageType.MESSAGE_TYPE_UNSPECIFIED,
  NORMAL: MessageType.NORMAL,
  FIFO: MessageType.FIFO,
  DELAY: MessageType.DELAY,
  TRANSACTION: MessageType.TRANSACTION,
  PRIORITY: MessageType.PRIORITY,
};

/**
 * The wire form of a plain message, with the system properties the proxy always sets.
 *
 * @throws TypeError when `topic` is not a string or `body` neither a string nor bytes.
 */
export function plainToWireMessage(m: PlainMessage, ctx: WireContext): Message {
  if (typeof m?.topic !== 'string') throw new TypeError('message.topic must be a string');
  const body = typeof m.body === 'string' ? new TextEncoder().encode(m.body) : m.body;
  if (!(body instanceof Uint8Array)) throw new TypeError('message.body must be a string or a Uint8Array');
  let messageType: MessageType | undefined;
  if (m.messageType !== undefined) {
    messageType = MESSAGE_TYPES[m.messageType];
    if (messageType === undefined) throw new TypeError(`unknown message type ${String(m.messageType)}`);
  }
  const stored: StoredMessage = {
    topic: m.topic,
    messageId: m.messageId ?? '',
    body,
    bodyEncoding: Encoding.IDENTITY,
    userProperties: { ...m.properties },
    tag: m.tag,
    keys: [...(m.keys ?? [])],
    messageGroup: m.messageGroup,
    deliveryTimestampMs: m.deliveryTimestampMs,
    priority: undefined,
    traceContext: m.traceContext,
    bornTimestampMs: m.bornTimestampMs ?? ctx.nowMs,
    bornHost: m.bornHost ?? '127.0.0.1',
    queueId: m.queueId ?? 0,
    queueOffset: m.queueOffset ?? 0,
    storeTimestampMs: ctx.nowMs,
  };
  return toWireMessage(stored, { storeHost: ctx.storeHost, messageType });
}

/**
 * The Telemetry frame of a plain command.
 *
 * @throws TypeError for an unknown command type or a malformed message.
 */
export function toTelemetryCommand(command: BrokerCommand, ctx: WireContext): TelemetryCommand {
  const c = command as BrokerCommand | undefined;
  switch (c?.type) {
    case 'recover-orphaned-transaction':
      return create(TelemetryCommandSchema, {
        command: {
          case: 'recoverOrphanedTransactionCommand',
          value: { transactionId: c.transactionId, message: plainToWireMessage(c.message, ctx) },
        },
      });
    case 'verify-message':
      return create(TelemetryCommandSchema, {
        command: {
          case: 'verifyMessageCommand',
          value: { nonce: c.nonce, message: plainToWireMessage(c.message, ctx) },
        },
      });
    case 'print-thread-stack-trace':
      return create(TelemetryCommandSchema, {
        command: { case: 'printThreadStackTraceCommand', value: { nonce: c.nonce } },
      });
    case 'reconnect-endpoints':
      return create(TelemetryCommandSchema, {
        command: { case: 'reconnectEndpointsCommand', value: { nonce: c.nonce } },
      });
    case 'notify-unsubscribe-lite':
      return create(TelemetryCommandSchema, {
        command: { case: 'notifyUnsubscribeLiteCommand', value: { liteTopic: c.liteTopic } },
      });
    default:
      throw new TypeError(
        `unknown broker command type ${String((c as { type?: unknown } | undefined)?.type)}`,
      );
  }
}

/** The plain record of a (non-Settings) frame a client sent. */
export function toTelemetryReply(
  clientId: string,
  frame: TelemetryCommand,
  receivedAtMs: number,
): TelemetryReply {
  const status =
    frame.status === undefined ? {} : { status: { code: frame.status.code, message: frame.status.message } };
  const cmd = frame.command;
  switch (cmd.case) {
    case 'threadStackTrace':
      return {
        clientId,
        type: 'thread-stack-trace',
        nonce: cmd.value.nonce,
        ...status,
        ...(cmd.value.threadStackTrace === undefined ? {} : { threadStackTrace: cmd.value.threadStackTrace }),
        receivedAtMs,
      };
    case 'verifyMessageResult':
      return { clientId, type: 'verify-message-result', nonce: cmd.value.nonce, ...status, receivedAtMs };
    default:
      return { clientId, type: 'other', ...status, receivedAtMs };
  }
}

const CLIENT_TYPES: Readonly<Record<number, ClientTypeName>> = {
  [ClientType.CLIENT_TYPE_UNSPECIFIED]: 'UNSPECIFIED',
  [ClientType.PRODUCER]: 'PRODUCER',
  [ClientType.PUSH_CONSUMER]: 'PUSH_CONSUMER',
  [ClientType.SIMPLE_CONSUMER]: 'SIMPLE_CONSUMER',
  [ClientType.PULL_CONSUMER]: 'PULL_CONSUMER',
  [ClientType.LITE_PUSH_CONSUMER]: 'LITE_PUSH_CONSUMER',
  [ClientType.LITE_SIMPLE_CONSUMER]: 'LITE_SIMPLE_CONSUMER',
};

function filterTypeName(type: FilterType | undefined): SubscriptionSummary['filterType'] {
  if (type === FilterType.TAG) return 'TAG';
  if (type === FilterType.SQL) return 'SQL';
  return 'UNSPECIFIED';
}

function backoffSummary(policy: RetryPolicy): BackoffPolicySummary {
  const s = policy.strategy;
  let strategy: RetryPolicyConfig | undefined;
  if (s.case === 'exponentialBackoff') {
    strategy = {
      kind: 'exponential',
      initialMs: s.value.initial === undefined ? 0 : durationMs(s.value.initial),
      maxMs: s.value.max === undefined ? 0 : durationMs(s.value.max),
      multiplier: s.value.multiplier,
    };
  } else if (s.case === 'customizedBackoff') {
    strategy = { kind: 'customized', delaysMs: s.value.next.map((d) => durationMs(d)) };
  }
  return { maxAttempts: policy.maxAttempts, strategy };
}

/** The plain summary of (merged) client Settings. */
export function toSettingsSummary(settings: Settings): ClientSettingsSummary {
  const out: {
    -readonly [K in keyof ClientSettingsSummary]: ClientSettingsSummary[K];
  } = {
    clientType: CLIENT_TYPES[settings.clientType ?? ClientType.CLIENT_TYPE_UNSPECIFIED] ?? 'UNSPECIFIED',
    properties: { ...settings.clientProperties },
  };
  if (settings.accessPoint !== undefined) {
    out.accessPoint = settings.accessPoint.addresses.map((a) =>
      a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`,
    );
  }
  if (settings.requestTimeout !== undefined) out.requestTimeoutMs = durationMs(settings.requestTimeout);
  if (settings.backoffPolicy !== undefined) out.backoffPolicy = backoffSummary(settings.backoffPolicy);
  if (settings.userAgent !== undefined) {
    const ua = settings.userAgent;
    out.userAgent = {
      language: Language[ua.language] ?? String(ua.language),
      version: ua.version,
      platform: ua.platform,
      hostname: ua.hostname,
    };
  }
  const pubSub = settings.pubSub;
  if (pubSub.case === 'publishing') {
    out.topics = pubSub.value.topics.map((t) => t.name);
    out.maxBodySize = pubSub.value.maxBodySize;
    out.validateMessageType = pubSub.value.validateMessageType;
  } else if (pubSub.case === 'subscription') {
    const sub = pubSub.value;
    out.group = sub.group?.name ?? '';
    out.subscriptions = sub.subscriptions.map((e) => ({
      topic: e.topic?.name ?? '',
      filterType: filterTypeName(e.expression?.type),
      expression: e.expression?.expression ?? '',
    }));
    if (sub.fifo !== undefined) out.fifo = sub.fifo;
    if (sub.receiveBatchSize !== undefined) out.receiveBatchSize = sub.receiveBatchSize;
    if (sub.longPollingTimeout !== undefined) out.longPollingTimeoutMs = durationMs(sub.longPollingTimeout);
  }
  return out;
}
