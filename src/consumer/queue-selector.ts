/**
 * Queue selection of the simple consumer (the proxy picks the queue itself; the choice only decides
 * which endpoint gets the receive): round robin over the subscribed
 * topics, then round robin over each topic's readable (`READ`/`READ_WRITE`) master (`brokerId == 0`)
 * queues.
 *
 * The queue list of a topic interleaves brokers (`a0, b0, a1, b1, …`), so consecutive receives of one
 * topic visit every broker before returning to the first: a receive never sticks to one queue or one
 * broker (the Apache proxy pops from the whole broker named by the queue anyway).
 *
 * {@link ReceiveQueueSelector.nextOn} serves a receive bound to one broker (the iterator keeps one long poll
 * per broker): round robin over the subscribed topics that broker serves, then over its queues.
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

/**
 * Names of the brokers holding a readable master queue of any of `topics` (cached routes only), in
 * first-seen order.
 */
export function readableBrokers(
  topics: readonly string[],
  routeOf: (topic: string) => TopicRoute | undefined,
): string[] {
  const names = new Set<string>();
  for (const topic of topics) {
    const route = routeOf(topic);
    if (route === undefined) continue;
    for (const q of route.queues) if (isMasterQueue(q) && isReadable(q)) names.add(q.brokerName);
  }
  return [...names];
}

/**
 * Selects the queue of the simple consumer's next receive: round robin over topics, then queues. Indexes
 * survive route refreshes.
 */
export class ReceiveQueueSelector {
  #topicIndex: number;
  readonly #queueIndex = new Map<string, number>();
  /** Per broker: its topic index; per `topic\u0000broker`: the queue index. */
  readonly #brokerTopicIndex = new Map<string, number>();
  readonly #brokerQueueIndex = new Map<string, number>();
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

  /**
   * The next queue of `broker`: the topics it serves are taken in turn, then its readable master queues
   * of that topic. `undefined` when no subscribed topic has one on `broker` (any more).
   */
  nextOn(
    broker: string,
    topics: readonly string[],
    routeOf: (topic: string) => TopicRoute | undefined,
  ): RouteQueue | undefined {
    const n = topics.length;
    let topicIndex = this.#brokerTopicIndex.get(broker) ?? this.#start();
    for (let i = 0; i < n; i++) {
      const topic = topics[mod(topicIndex++, n)]!;
      const route = routeOf(topic);
      if (route === undefined) continue;
      const queues = this.#queues(route).filter((q) => q.brokerName === broker);
      if (queues.length === 0) continue;
      this.#brokerTopicIndex.set(broker, topicIndex);
      const key = `${topic}\u0000${broker}`;
      const index = this.#brokerQueueIndex.get(key) ?? this.#start();
      this.#brokerQueueIndex.set(key, index + 1);
      return queues[mod(index, queues.length)];
    }
    this.#brokerTopicIndex.delete(broker);
    return undefined;
  }

  /** Forgets a topic's queue indexes (after unsubscribe). */
  forget(topic: string): void {
    this.#queueIndex.delete(topic);
    for (const key of [...this.#brokerQueueIndex.keys()]) {
      if (key.startsWith(`${topic}\u0000`)) this.#brokerQueueIndex.delete(key);
    }
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
