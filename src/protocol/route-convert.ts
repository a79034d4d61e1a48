/**
 * QueryRoute request/response conversion: protobuf `MessageQueue`s → plain
 * {@link RouteQueue}s, and the QueryRoute call itself (the request carries the access point with its
 * scheme set, never `ADDRESS_SCHEME_UNSPECIFIED`).
 *
 * @packageDocumentation
 */

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type MessageQueue,
  type MessageQueueSchema,
  MessageType,
  Permission,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { Logger } from '../observability/logger.js';
import type { CallOptions, RpcClient } from '../rpc/call.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { fromProtoEndpoints, toProtoEndpoints, toResource } from './convert.js';
import {
  createTopicRoute,
  type QueuePermission,
  type RouteMessageType,
  type RouteQueue,
  type TopicRoute,
} from './route.js';

function toPermission(p: Permission): QueuePermission {
  switch (p) {
    case Permission.READ:
      return 'read';
    case Permission.WRITE:
      return 'write';
    case Permission.READ_WRITE:
      return 'read-write';
    default:
      return 'none';
  }
}

const PERMISSION_TO_PROTO: Readonly<Record<QueuePermission, Permission>> = {
  none: Permission.NONE,
  read: Permission.READ,
  write: Permission.WRITE,
  'read-write': Permission.READ_WRITE,
};

const MESSAGE_TYPES: ReadonlyMap<MessageType, RouteMessageType> = new Map([
  [MessageType.NORMAL, 'NORMAL'],
  [MessageType.FIFO, 'FIFO'],
  [MessageType.DELAY, 'DELAY'],
  [MessageType.TRANSACTION, 'TRANSACTION'],
  [MessageType.LITE, 'LITE'],
  [MessageType.PRIORITY, 'PRIORITY'],
]);

const MESSAGE_TYPE_TO_PROTO: Readonly<Record<RouteMessageType, MessageType>> = {
  NORMAL: MessageType.NORMAL,
  FIFO: MessageType.FIFO,
  DELAY: MessageType.DELAY,
  TRANSACTION: MessageType.TRANSACTION,
  LITE: MessageType.LITE,
  PRIORITY: MessageType.PRIORITY,
  UNSPECIFIED: MessageType.MESSAGE_TYPE_UNSPECIFIED,
};

/**
 * One protobuf queue → {@link RouteQueue}; `undefined` (and a warning) when it has no usable broker
 * endpoints.
 */
export function fromProtoMessageQueue(queue: MessageQueue, logger?: Logger): RouteQueue | undefined {
  const broker = queue.broker;
  if (broker?.endpoints === undefined || broker.endpoints.addresses.length === 0) {
    logger?.warn('route queue without broker endpoints ignored', {
      topic: queue.topic?.name,
      queueId: queue.id,
    });
    return undefined;
  }
  let endpoints: Endpoints;
  try {
    endpoints = fromProtoEndpoints(broker.endpoints);
  } catch (err) {
    logger?.warn('route queue with invalid broker endpoints ignored', {
      topic: queue.topic?.name,
      queueId: queue.id,
      err,
    });
    return undefined;
  }
  return {
    topic: queue.topic?.name ?? '',
    brokerName: broker.name,
    brokerId: broker.id,
    queueId: queue.id,
    permission: toPermission(queue.permission),
    endpoints,
    acceptMessageTypes: queue.acceptMessageTypes.map((t) => MESSAGE_TYPES.get(t) ?? 'UNSPECIFIED'),
  };
}

/** Protobuf queues of `topic` → a frozen {@link TopicRoute} (unusable queues dropped). */
export function fromProtoRoute(topic: string, queues: readonly MessageQueue[], logger?: Logger): TopicRoute {
  const converted: RouteQueue[] = [];
  for (const q of queues) {
    const r = fromProtoMessageQueue(q, logger);
    if (r !== undefined) converted.push(r);
  }
  return createTopicRoute(topic, converted);
}

/**
 * A {@link RouteQueue} back to the protobuf init shape (for requests that carry a queue, e.g.
 * ReceiveMessage), with the client's namespace on the topic.
 */
export function toProtoMessageQueue(
  queue: RouteQueue,
  namespace = '',
): MessageInitShape<typeof MessageQueueSchema> {
  return {
    topic: toResource(queue.topic, namespace),
    id: queue.queueId,
    permission: PERMISSION_TO_PROTO[queue.permission],
    broker: { name: queue.brokerName, id: queue.brokerId, endpoints: toProtoEndpoints(queue.endpoints) },
    acceptMessageTypes: queue.acceptMessageTypes.map((t) => MESSAGE_TYPE_TO_PROTO[t]),
  };
}

/** What a route query needs besides the topic. */
export interface RouteQueryContext {
  readonly rpc: RpcClient;
  /** Where QueryRoute is sent and what the request carries as `endpoints`. */
  readonly accessPoint: Endpoints;
  readonly namespace: string;
  readonly logger?: Logger | undefined;
}

/**
 * Sends QueryRoute for `topic` to the access point and converts the answer.
 *
 * @throws RocketMQError for transport failures and non-OK statuses (e.g. `TOPIC_NOT_FOUND`), with the
 * request id.
 */
export async function queryRoute(
  context: RouteQueryContext,
  topic: string,
  options: CallOptions = {},
): Promise<TopicRoute> {
  const response = await context.rpc.invoke(
    context.accessPoint,
    MessagingService.method.queryRoute,
    create(MessagingService.method.queryRoute.input, {
      topic: toResource(topic, context.namespace),
      endpoints: toProtoEndpoints(context.accessPoint),
    }),
    options,
  );
  return fromProtoRoute(topic, response.messageQueues, context.logger);
}
