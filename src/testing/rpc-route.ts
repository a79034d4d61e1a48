/**
 * QueryRoute and QueryAssignment (proxy `RouteActivity`, local mode: one broker, id 0, this server's
 * address; plus the queues of the route peers, each at its own address, when a test builds a cluster).
 *
 * @packageDocumentation
 */

import { isIPv4, isIPv6 } from 'node:net';
import { create } from '@bufbuild/protobuf';
import {
  AddressScheme,
  type Broker,
  BrokerSchema,
  Code,
  type Endpoints,
  Permission,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import {
  type QueryAssignmentRequest,
  type QueryAssignmentResponse,
  QueryAssignmentResponseSchema,
  type QueryRouteRequest,
  type QueryRouteResponse,
  QueryRouteResponseSchema,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import type { BrokerCore } from './broker-core.js';
import { BrokerStatusError, okStatus, status } from './status.js';
import type { TopicState } from './store.js';
import { acceptedMessageTypes, validateGroupName, validateTopicName } from './validation.js';

/**
 * The broker entry advertised in routes: this server's address, or the first address of the request's
 * `endpoints` when `useEndpointPortFromRequest` is on.
 */
export function brokerEntry(core: BrokerCore, requested?: Endpoints): Broker {
  const fromRequest = core.options.useEndpointPortFromRequest ? requested?.addresses[0] : undefined;
  const { host, port } = fromRequest ?? core.address();
  const scheme = isIPv4(host)
    ? AddressScheme.IPv4
    : isIPv6(host)
      ? AddressScheme.IPv6
      : AddressScheme.DOMAIN_NAME;
  return create(BrokerSchema, {
    name: core.options.brokerName,
    id: 0,
    endpoints: { scheme, addresses: [{ host, port }] },
  });
}

/**
 * The topic, auto-created as NORMAL when the option is on.
 *
 * @throws BrokerStatusError `TOPIC_NOT_FOUND`.
 */
export function requireTopic(core: BrokerCore, name: string): TopicState {
  const topic = core.store.topic(name);
  if (topic !== undefined) return topic;
  if (core.options.autoCreateTopics)
    return core.store.createTopic(name, 'NORMAL', core.options.defaultQueueCount);
  throw new BrokerStatusError(Code.TOPIC_NOT_FOUND, `topic ${name} not exist`);
}

/** The proxy converts the request's address scheme by enum name: UNSPECIFIED fails (→ 50001). */
function checkEndpoints(endpoints: Endpoints | undefined): void {
  if (endpoints === undefined || endpoints.addresses.length === 0) return;
  if (
    endpoints.scheme !== AddressScheme.IPv4 &&
    endpoints.scheme !== AddressScheme.IPv6 &&
    endpoints.scheme !== AddressScheme.DOMAIN_NAME
  ) {
    throw new BrokerStatusError(
      Code.INTERNAL_SERVER_ERROR,
      `No enum constant AddressScheme.${AddressScheme[endpoints.scheme] ?? endpoints.scheme}`,
    );
  }
}

/** This broker with the topic, then every route peer that has it (see `InProcessBroker.addRoutePeer`). */
function brokersOf(core: BrokerCore, name: string): Array<{ core: BrokerCore; topic: TopicState }> {
  const out = [{ core, topic: requireTopic(core, name) }];
  for (const peer of core.peers()) {
    const topic = peer.store.topic(name);
    if (topic !== undefined && !peer.isClosed()) out.push({ core: peer, topic });
  }
  return out;
}

/** A peer is advertised at its own address (the request's port belongs to this broker). */
function entryOf(core: BrokerCore, self: BrokerCore, requested: Endpoints | undefined): Broker {
  return core === self ? brokerEntry(core, requested) : brokerEntry(core);
}

/** QueryRoute: one READ_WRITE queue entry per queue of the topic (on every broker that has it). */
export function queryRoute(core: BrokerCore, req: QueryRouteRequest): QueryRouteResponse {
  const name = req.topic?.name ?? '';
  validateTopicName(name);
  checkEndpoints(req.endpoints);
  const resource = { name, resourceNamespace: req.topic?.resourceNamespace ?? '' };
  return create(QueryRouteResponseSchema, {
    status: okStatus(),
    messageQueues: brokersOf(core, name).flatMap(({ core: owner, topic }) => {
      const broker = entryOf(owner, core, req.endpoints);
      const accept = acceptedMessageTypes(topic.type);
      return Array.from({ length: topic.queueCount }, (_, id) => ({
        topic: resource,
        id,
        permission: Permission.READ_WRITE,
        broker,
        acceptMessageTypes: accept,
      }));
    }),
  });
}

/** QueryAssignment: non-FIFO groups get one assignment with queue id -1, FIFO groups one per queue. */
export function queryAssignment(core: BrokerCore, req: QueryAssignmentRequest): QueryAssignmentResponse {
  const name = req.topic?.name ?? '';
  validateTopicName(name);
  validateGroupName(req.group?.name ?? '');
  checkEndpoints(req.endpoints);
  const fifo = core.groups.peek(req.group?.name ?? '')?.fifo ?? false;
  const resource = { name, resourceNamespace: req.topic?.resourceNamespace ?? '' };
  const assignments = brokersOf(core, name).flatMap(({ core: owner, topic }) => {
    if (topic.queueCount === 0) return [];
    const broker = entryOf(owner, core, req.endpoints);
    const ids = fifo ? Array.from({ length: topic.queueCount }, (_, i) => i) : [-1];
    return ids.map((id) => ({
      messageQueue: { topic: resource, id, permission: Permission.READ_WRITE, broker },
    }));
  });
  if (assignments.length === 0) {
    return create(QueryAssignmentResponseSchema, { status: status(Code.FORBIDDEN, 'no readable queue') });
  }
  return create(QueryAssignmentResponseSchema, { status: okStatus(), assignments });
}
