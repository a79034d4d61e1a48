/**
 * Plain route types (no generated code): a topic's queues as returned by QueryRoute, with helpers for
 * the queues a producer may write to and a consumer may read from.
 *
 * @packageDocumentation
 */

import { type Endpoints, endpointKey } from '../rpc/endpoints.js';

/** Access rights of a queue. */
export type QueuePermission = 'none' | 'read' | 'write' | 'read-write';

/** Message types a queue accepts (`UNSPECIFIED` for an unknown or unset server value). */
export type RouteMessageType =
  | 'NORMAL'
  | 'FIFO'
  | 'DELAY'
  | 'TRANSACTION'
  | 'LITE'
  | 'PRIORITY'
  | 'UNSPECIFIED';

/** One queue of a topic route. */
export interface RouteQueue {
  readonly topic: string;
  readonly brokerName: string;
  /** 0 = master/leader; > 0 = slave/follower. */
  readonly brokerId: number;
  readonly queueId: number;
  readonly permission: QueuePermission;
  /** Where RPCs for this queue go. */
  readonly endpoints: Endpoints;
  readonly acceptMessageTypes: readonly RouteMessageType[];
}

/** A topic's route. Frozen. */
export interface TopicRoute {
  readonly topic: string;
  readonly queues: readonly RouteQueue[];
  /** Distinct endpoints of the queues, in first-seen order. */
  readonly endpoints: readonly Endpoints[];
}

/** True for the master (leader) broker's queues. */
export function isMasterQueue(queue: RouteQueue): boolean {
  return queue.brokerId === 0;
}

/** True when the queue may be written (WRITE or READ_WRITE). */
export function isWritable(queue: RouteQueue): boolean {
  return queue.permission === 'write' || queue.permission === 'read-write';
}

/** True when the queue may be read (READ or READ_WRITE). */
export function isReadable(queue: RouteQueue): boolean {
  return queue.permission === 'read' || queue.permission === 'read-write';
}

/** Builds a frozen route, deriving its distinct endpoints. */
export function createTopicRoute(topic: string, queues: readonly RouteQueue[]): TopicRoute {
  const seen = new Map<string, Endpoints>();
  for (const q of queues) {
    const key = endpointKey(q.endpoints);
    if (!seen.has(key)) seen.set(key, q.endpoints);
  }
  return Object.freeze({
    topic,
    queues: Object.freeze(
      queues.map((q) =>
        Object.freeze({ ...q, acceptMessageTypes: Object.freeze([...q.acceptMessageTypes]) }),
      ),
    ),
    endpoints: Object.freeze([...seen.values()]),
  });
}

/** True when two routes have the same queues (same order, same fields). */
export function sameRoute(a: TopicRoute, b: TopicRoute): boolean {
  if (a.topic !== b.topic || a.queues.length !== b.queues.length) return false;
  return a.queues.every((q, i) => {
    const o = b.queues[i]!;
    return (
      q.brokerName === o.brokerName &&
      q.brokerId === o.brokerId &&
      q.queueId === o.queueId &&
      q.permission === o.permission &&
      endpointKey(q.endpoints) === endpointKey(o.endpoints) &&
      q.acceptMessageTypes.join() === o.acceptMessageTypes.join()
    );
  });
}
