/**
 * Producer queue selection (the proxy picks the queue itself; the choice only decides which endpoint
 * gets the send):
 *
 * - candidates are the writable (WRITE / READ_WRITE) queues of master brokers (`brokerId === 0`);
 * - non-FIFO: up to `maxAttempts` queues starting at a per-topic round-robin index (random start), at
 *   most one queue per broker name, skipping avoided brokers (a recent retriable failure, see
 *   `broker-avoidance.ts`) and isolated endpoints; if that leaves nothing, avoided brokers are skipped
 *   alone (behind cluster-mode proxies every queue shares the isolated endpoints), then isolated
 *   endpoints alone, then nothing. Attempt n uses candidate `(n − 1) mod length`;
 * - FIFO: exactly one queue, `floorMod(signed64(SipHash-2-4(group)), length)`; all attempts go there.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { RandomSource } from '../internal/backoff.js';
import type { MessageType } from '../model/message.js';
import { isMasterQueue, isWritable, type RouteQueue, type TopicRoute } from '../protocol/route.js';
import { endpointKey } from '../rpc/endpoints.js';
import { fifoQueueIndex } from './sip-hash.js';

/** Routes are immutable (frozen), so their writable queues are computed once per route, not per send. */
const acceptedByQueue = new WeakMap<RouteQueue, readonly string[]>();
const writableByRoute = new WeakMap<TopicRoute, readonly RouteQueue[]>();

/** The writable master queues of a route, in route order. */
export function writableQueues(route: TopicRoute): readonly RouteQueue[] {
  let queues = writableByRoute.get(route);
  if (queues === undefined) {
    queues = Object.freeze(route.queues.filter((q) => isWritable(q) && isMasterQueue(q)));
    writableByRoute.set(route, queues);
  }
  return queues;
}

function noWritableQueue(topic: string): RocketMQError {
  return new RocketMQError(`topic "${topic}" has no writable master queue`, 'FORBIDDEN');
}

/** Options of {@link SendQueueSelector.select}. */
export interface SelectOptions {
  /** Number of candidates wanted (the max attempts). */
  readonly count: number;
  /** FIFO message group: selects exactly one queue by hash. */
  readonly messageGroup?: string | undefined;
  /** True for an endpoint (by key) that should be avoided. */
  readonly isIsolated?: ((endpointKey: string) => boolean) | undefined;
  /** True for a broker (by name) that should be avoided. */
  readonly isAvoided?: ((brokerName: string) => boolean) | undefined;
}

/** Filters tried in turn (skip avoided brokers, skip isolated endpoints) until one leaves a queue. */
const PREFERENCES: readonly (readonly [boolean, boolean])[] = [
  [true, true],
  [true, false],
  [false, true],
];

/**
 * Selects the candidate queues of one send: per-topic round robin, or one queue by hash for FIFO. One
 * per producer.
 */
export class SendQueueSelector {
  readonly #indexes = new Map<string, number>();
  readonly #random: RandomSource;

  constructor(random: RandomSource = Math.random) {
    this.#random = random;
  }

  /**
   * Candidate queues for one send (see the module documentation).
   *
   * @throws RocketMQError `FORBIDDEN` when the route has no writable master queue.
   */
  select(route: TopicRoute, options: SelectOptions): RouteQueue[] {
    const queues = writableQueues(route);
    if (queues.length === 0) throw noWritableQueue(route.topic);
    if (options.messageGroup !== undefined) {
      return [queues[fifoQueueIndex(options.messageGroup, queues.length)]!];
    }
    const start = this.#next(route.topic, queues.length);
    const count = Math.max(1, options.count);
    const pick = (skipAvoided: boolean, skipIsolated: boolean): RouteQueue[] => {
      const out: RouteQueue[] = [];
      const brokers = new Set<string>();
      for (let i = 0; i < queues.length && out.length < count; i++) {
        const q = queues[(start + i) % queues.length]!;
        if (brokers.has(q.brokerName)) continue;
        if (skipAvoided && options.isAvoided?.(q.brokerName)) continue;
        if (skipIsolated && options.isIsolated?.(endpointKey(q.endpoints))) continue;
        brokers.add(q.brokerName);
        out.push(q);
      }
      return out;
    };
    for (const [skipAvoided, skipIsolated] of PREFERENCES) {
      const found = pick(skipAvoided, skipIsolated);
      if (found.length > 0) return found;
    }
    return pick(false, false);
  }

  #next(topic: string, length: number): number {
    let index = this.#indexes.get(topic);
    if (index === undefined) index = Math.floor(this.#random() * 0x7fffffff);
    this.#indexes.set(topic, (index + 1) % 0x7fffffff);
    return index % length;
  }
}

/**
 * Checks that `queue` accepts `type` (when the server's `validateMessageType` is on). A queue that
 * reports no types, or only `UNSPECIFIED`, is not checked (old or unknown server topic types).
 *
 * @throws RocketMQError `MESSAGE_PROPERTY_CONFLICT_WITH_TYPE` without any RPC.
 */
export function checkMessageType(queue: RouteQueue, type: MessageType): void {
  let accepted = acceptedByQueue.get(queue);
  if (accepted === undefined) {
    accepted = queue.acceptMessageTypes.filter((t) => t !== 'UNSPECIFIED');
    // Route queues are frozen: their accepted types are computed once, not per send.
    if (Object.isFrozen(queue)) acceptedByQueue.set(queue, accepted);
  }
  if (accepted.length === 0 || (accepted as readonly string[]).includes(type)) return;
  throw new RocketMQError(
    `topic "${queue.topic}" accepts ${accepted.join('/')} messages, not ${type}`,
    'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
  );
}
