/**
 * Attribute names and values of the OpenTelemetry messaging semantic conventions (RocketMQ flavour)
 * that our spans and metrics use. The conventions are still marked Development, so every name lives
 * here and nowhere else.
 *
 * @packageDocumentation
 */

import type { Attributes } from '@opentelemetry/api';

/** Attribute names. */
export const ATTR = Object.freeze({
  system: 'messaging.system',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  destination: 'messaging.destination.name',
  messageId: 'messaging.message.id',
  bodySize: 'messaging.message.body.size',
  consumerGroup: 'messaging.consumer.group.name',
  batchCount: 'messaging.batch.message_count',
  clientId: 'messaging.client.id',
  tag: 'messaging.rocketmq.message.tag',
  keys: 'messaging.rocketmq.message.keys',
  messageType: 'messaging.rocketmq.message.type',
  messageGroup: 'messaging.rocketmq.message.group',
  deliveryTimestamp: 'messaging.rocketmq.message.delivery_timestamp',
  namespace: 'messaging.rocketmq.namespace',
  rocketmqClientId: 'messaging.rocketmq.client_id',
  /** Delivery attempt of a consumed message (1 for the first delivery). */
  deliveryAttempt: 'messaging.rocketmq.message.delivery_attempt',
  /** Send attempts a publish took (retries are attempts inside one span). */
  sendAttempts: 'messaging.rocketmq.send.attempts',
  /** What became of a consumed message: see {@link SettleOutcome}. */
  settleOutcome: 'messaging.rocketmq.settle.outcome',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
});

/** `messaging.system`. */
export const MESSAGING_SYSTEM = 'rocketmq';

/** `messaging.operation.type` values. */
export type OperationType = 'send' | 'receive' | 'process' | 'settle';

/** `messaging.operation.name` values of settle operations. */
export type SettleOperation = 'ack' | 'nack' | 'dead_letter' | 'release' | 'change_invisible_duration';

/** Values of {@link ATTR.settleOutcome}. */
export type SettleOutcome = 'acked' | 'nacked' | 'dead_lettered' | 'released' | 'failed';

/**
 * The outcome a successful settle operation counts as. A simple consumer's ChangeInvisibleDuration may
 * be a retry or a lease extension, so it counts as none.
 */
export const SETTLE_OUTCOME: Readonly<Partial<Record<SettleOperation, SettleOutcome>>> = Object.freeze({
  ack: 'acked',
  nack: 'nacked',
  dead_letter: 'dead_lettered',
  release: 'released',
});

/** A server address, as in the route (host without port, port apart). */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** Who reports: the identity of one client. */
export interface ClientIdentity {
  readonly clientId: string;
  readonly namespace: string;
  /** Consumers only. */
  readonly consumerGroup?: string | undefined;
}

/**
 * What spans read from a message. A prepared outgoing message and a received message view both fit
 * (the former names its type `type`, the latter `messageType`).
 */
export interface MessageFacts {
  readonly topic: string;
  readonly messageId?: string | undefined;
  readonly tag?: string | undefined;
  readonly keys?: readonly string[] | undefined;
  readonly messageGroup?: string | undefined;
  readonly type?: string | undefined;
  readonly messageType?: string | undefined;
  readonly body?: { readonly length: number } | undefined;
}

/** Attributes every span and metric of a client carries. */
export function baseAttributes(
  identity: ClientIdentity,
  operationType: OperationType,
  operationName: string,
  topic: string,
): Attributes {
  const a: Attributes = {
    [ATTR.system]: MESSAGING_SYSTEM,
    [ATTR.operationType]: operationType,
    [ATTR.operationName]: operationName,
    [ATTR.destination]: topic,
    [ATTR.clientId]: identity.clientId,
    [ATTR.rocketmqClientId]: identity.clientId,
    [ATTR.namespace]: identity.namespace,
  };
  if (identity.consumerGroup !== undefined) a[ATTR.consumerGroup] = identity.consumerGroup;
  return a;
}

/** Adds the per-message attributes of `m` to `a` (id, tag, keys, type, group, body size). */
export function addMessageAttributes(a: Attributes, m: MessageFacts): Attributes {
  if (m.messageId !== undefined) a[ATTR.messageId] = m.messageId;
  if (m.tag !== undefined) a[ATTR.tag] = m.tag;
  if (m.keys !== undefined && m.keys.length > 0) a[ATTR.keys] = [...m.keys];
  const type = m.type ?? m.messageType;
  if (type !== undefined) a[ATTR.messageType] = type.toLowerCase();
  if (m.messageGroup !== undefined) a[ATTR.messageGroup] = m.messageGroup;
  if (m.body !== undefined) a[ATTR.bodySize] = m.body.length;
  return a;
}

/** Adds `server.address` / `server.port`. */
export function addServerAttributes(a: Attributes, server: ServerAddress | undefined): Attributes {
  if (server !== undefined) {
    a[ATTR.serverAddress] = server.host;
    a[ATTR.serverPort] = server.port;
  }
  return a;
}

/**
 * The `error.type` of a failure: a RocketMQError's stable `code`, else the error's class name, else
 * `_OTHER` (the conventions' fallback).
 */
export function errorType(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (err as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return '_OTHER';
}
