/**
 * Queue selection of the simple consumer (protocol notes §11.5): round robin over the subscribed
 * topics, then round robin over each topic's readable (`READ`/`READ_WRITE`) master (`brokerId == 0`)
 * queues.
 *
 * The queue list of a topic interleaves brokers (`a0, b0, a1, b1, …`), so consecutive receives of one
 * topic visit every broker before returning to the first: a receive never sticks to one queue or one
 * broker (the Apache proxy pops from the whole broker named by the queue anyway).
 *
 * @packageDocumentation
 */

import type { RandomSource } from '../internal/backoff.js';
import { isMasterQueue, isReadable, type RouteQueue, type TopicRoute } from '../protocol/route.js';

/**
 * The readable master queues of `route`, interleaved across brokers (first queue of every broker in
 * first-seen broker order, then the second of each, …).
 */
export function readableQueues(route: TopicRoute): RouteQueue[] {
  const byBroker = new Map<string, RouteQueue[]>();
  for (const q of route.queues) {
    if (!isMasterQueue(q) || !isReadable(q)) continue;
    let list = byBroker.get(q.brokerName);
    if (list === undefined) {
      list = [];
      byBroker.set(q.brokerName, list);
    }
    list.push(q);
  }
  const lists = [...byBroker.values()];
  const out: RouteQueue[] = [];
  for (let i = 0; lists.some((l) => i < l.length); i++) {
    for (const l of lists) if (i < l.length) out.push(l[i]!);
  }
  return out;
}

/** Round-robin selector over topics, then queues. Indexes survive route refreshes. */
export class QueueSelector {
  #topicIndex: number;
  readonly #queueIndex = new Map<string, number>();
  readonly #cache = new WeakMap<TopicRoute, RouteQueue[]>();
  readonly #random: RandomSource;

  /** @param random - source of the initial indexes (so many consumers do not start in lockstep). */
  constructor(random: RandomSource = Math.random) {
    this.#random = random;
    this.#topicIndex = this.#start();
  }

  /**
   * The next queue: topics are taken in turn starting after the previous pick; a topic without a route
   * or without readable master queues is skipped. `undefined` when no topic has one.
   */
  next(
    topics: readonly string[],
    routeOf: (topic: string) => TopicRoute | undefined,
  ): RouteQueue | undefined {
    const n = topics.length;
    for (let i = 0; i < n; i++) {
      const topic = topics[mod(this.#topicIndex++, n)]!;
      const route = routeOf(topic);
      if (route === undefined) continue;
      const queues = this.#queues(route);
      if (queues.length === 0) continue;
      const index = this.#queueIndex.get(topic) ?? this.#start();
      this.#queueIndex.set(topic, index + 1);
      return queues[mod(index, queues.length)];
    }
    return undefined;
  }

  /** Forgets a topic's queue index (after unsubscribe). */
  forget(topic: string): void {
    this.#queueIndex.delete(topic);
  }

  #queues(route: TopicRoute): RouteQueue[] {
    let queues = this.#cache.get(route);
    if (queues === undefined) {
      queues = readableQueues(route);
      this.#cache.set(route, queues);
    }
    return queues;
  }

  #start(): number {
    return Math.floor(this.#random() * 1024);
  }
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}
