/**
 * The lite topics each client of a lite consumer group subscribes to (SyncLiteSubscription), with the
 * checks the proxy makes: the group must be a lite group bound to the request's topic, lite topic names
 * must be valid, and a client may hold at most the group's quota of lite topics.
 *
 * A lite topic newly added for a client starts where its offset option says (LAST keeps the group's
 * position, which for a group that never consumed it is the beginning).
 *
 * @packageDocumentation
 */

import { Code, type OffsetOption, OffsetOption_Policy } from '../gen/apache/rocketmq/v2/definition_pb.js';
import type { ConsumerGroupConfig, ConsumerGroups } from './consumer-groups.js';
import { BrokerStatusError } from './status.js';

/** The longest lite topic name the broker accepts, in UTF-8 bytes. */
export const MAX_LITE_TOPIC_BYTES = 64;

const LITE_NAME = /^[a-zA-Z0-9_-]+$/;

/** A new lite subscription's start, as {@link LiteRegistry.sync} hands it to the delivery engine. */
export type LiteStart =
  | { readonly kind: 'last' | 'min' | 'max' }
  | { readonly kind: 'offset' | 'tail' | 'timestamp'; readonly value: number };

/** How SyncLiteSubscription changes a client's set. */
export type LiteSyncKind = 'partial-add' | 'partial-remove' | 'complete-add' | 'complete-remove';

/**
 * Checks a lite topic name.
 *
 * @throws BrokerStatusError `ILLEGAL_LITE_TOPIC`.
 */
export function validateLiteTopicName(liteTopic: string): void {
  if (liteTopic === '') throw new BrokerStatusError(Code.ILLEGAL_LITE_TOPIC, 'lite topic is blank');
  if (Buffer.byteLength(liteTopic, 'utf8') > MAX_LITE_TOPIC_BYTES) {
    throw new BrokerStatusError(
      Code.ILLEGAL_LITE_TOPIC,
      `lite topic is longer than ${MAX_LITE_TOPIC_BYTES} bytes`,
    );
  }
  if (!LITE_NAME.test(liteTopic)) {
    throw new BrokerStatusError(Code.ILLEGAL_LITE_TOPIC, `lite topic ${liteTopic} has illegal characters`);
  }
}

/** The start of a new lite subscription from the request's offset option (LAST when absent). */
export function liteStart(option: OffsetOption | undefined): LiteStart {
  const o = option?.offsetType;
  switch (o?.case) {
    case 'policy':
      return o.value === OffsetOption_Policy.MIN
        ? { kind: 'min' }
        : o.value === OffsetOption_Policy.MAX
          ? { kind: 'max' }
          : { kind: 'last' };
    case 'offset':
      return { kind: 'offset', value: Number(o.value) };
    case 'tailN':
      return { kind: 'tail', value: Number(o.value) };
    case 'timestamp':
      return { kind: 'timestamp', value: Number(o.value) };
    default:
      return { kind: 'last' };
  }
}

/**
 * The lite group bound to `topic`.
 *
 * @throws BrokerStatusError `ILLEGAL_CONSUMER_GROUP` for an ordinary group, `ILLEGAL_TOPIC` for a lite
 * group bound to another topic.
 */
export function requireLiteGroup(groups: ConsumerGroups, group: string, topic: string): ConsumerGroupConfig {
  const config = groups.get(group);
  if (config.liteBindTopic === undefined) {
    throw new BrokerStatusError(Code.ILLEGAL_CONSUMER_GROUP, `consumer group ${group} is not a lite group`);
  }
  if (config.liteBindTopic !== topic) {
    throw new BrokerStatusError(
      Code.ILLEGAL_TOPIC,
      `lite group ${group} is bound to ${config.liteBindTopic}, not ${topic}`,
    );
  }
  return config;
}

/** Per client: the group, its parent topic and its lite topics. */
interface ClientLite {
  readonly group: string;
  readonly topic: string;
  readonly liteTopics: Set<string>;
}

/** See the module documentation. */
export class LiteRegistry {
  readonly #clients = new Map<string, ClientLite>();

  /** The lite topics `clientId` subscribes to in `group` under `topic` (empty when none). */
  liteTopics(clientId: string, group: string, topic: string): readonly string[] {
    const c = this.#clients.get(clientId);
    return c === undefined || c.group !== group || c.topic !== topic ? [] : [...c.liteTopics];
  }

  /**
   * Applies one SyncLiteSubscription of `clientId`; returns the lite topics newly added (which start
   * where the offset option says).
   *
   * @throws BrokerStatusError `ILLEGAL_LITE_TOPIC` for a bad name, `LITE_SUBSCRIPTION_QUOTA_EXCEEDED`
   * when the client would hold more than `quota` lite topics (nothing changes then).
   */
  sync(
    clientId: string,
    binding: { readonly group: string; readonly topic: string },
    kind: LiteSyncKind,
    liteTopics: readonly string[],
    quota: number,
  ): string[] {
    for (const t of liteTopics) validateLiteTopicName(t);
    let c = this.#clients.get(clientId);
    if (c === undefined || c.group !== binding.group || c.topic !== binding.topic) {
      c = { group: binding.group, topic: binding.topic, liteTopics: new Set() };
      this.#clients.set(clientId, c);
    }
    const current = c.liteTopics;
    if (kind === 'partial-remove') {
      for (const t of liteTopics) current.delete(t);
      return [];
    }
    if (kind === 'complete-remove') {
      current.clear();
      return [];
    }
    const next = kind === 'complete-add' ? new Set(liteTopics) : new Set([...current, ...liteTopics]);
    if (next.size > quota && next.size > current.size) {
      throw new BrokerStatusError(
        Code.LITE_SUBSCRIPTION_QUOTA_EXCEEDED,
        `lite subscription quota exceeded: ${next.size} lite topics, the quota is ${quota}`,
      );
    }
    const added = [...next].filter((t) => !current.has(t));
    current.clear();
    for (const t of next) current.add(t);
    return added;
  }

  /** Drops `liteTopic` from every client of `group`; returns the clients that had it. */
  drop(group: string, liteTopic: string): string[] {
    const out: string[] = [];
    for (const [clientId, c] of this.#clients) {
      if (c.group === group && c.liteTopics.delete(liteTopic)) out.push(clientId);
    }
    return out;
  }

  /** Forgets a client (it terminated). */
  forget(clientId: string): void {
    this.#clients.delete(clientId);
  }
}
