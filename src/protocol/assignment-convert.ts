/**
 * QueryAssignment: which queues of a topic a push consumer of a group reads.
 * The Apache proxy answers one assignment per broker with queue id `-1` ("any queue of that broker")
 * for a concurrent group, and one assignment per queue for an ordered (FIFO) group.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import { MessagingService } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { Logger } from '../observability/logger.js';
import type { CallOptions, RpcClient } from '../rpc/call.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { toProtoEndpoints, toResource } from './convert.js';
import type { RouteQueue } from './route.js';
import { fromProtoMessageQueue } from './route-convert.js';

/** What one QueryAssignment asks for. */
export interface AssignmentQuery {
  readonly topic: string;
  readonly group: string;
  /** @defaultValue `''` */
  readonly namespace?: string | undefined;
  /** The client's access point (sent in the request). */
  readonly accessPoint: Endpoints;
}

/**
 * Sends QueryAssignment to `endpoints` and returns the assigned queues (queues without usable
 * endpoints are dropped with a warning).
 *
 * @throws RocketMQError for transport failures and non-OK statuses (e.g. `TOPIC_NOT_FOUND`,
 * `FORBIDDEN`), with the request id.
 */
export async function queryAssignment(
  rpc: RpcClient,
  endpoints: Endpoints,
  query: AssignmentQuery,
  options: CallOptions = {},
  logger?: Logger,
): Promise<RouteQueue[]> {
  const namespace = query.namespace ?? '';
  const response = await rpc.invoke(
    endpoints,
    MessagingService.method.queryAssignment,
    create(MessagingService.method.queryAssignment.input, {
      topic: toResource(query.topic, namespace),
      group: toResource(query.group, namespace),
      endpoints: toProtoEndpoints(query.accessPoint),
    }),
    options,
  );
  const queues: RouteQueue[] = [];
  for (const a of response.assignments) {
    if (a.messageQueue === undefined) continue;
    const q = fromProtoMessageQueue(a.messageQueue, logger);
    if (q !== undefined) queues.push({ ...q, topic: query.topic });
  }
  return queues;
}
