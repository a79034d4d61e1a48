/**
 * Topics, their queues and the messages appended to them. A queue only holds messages that are visible to
 * consumers: delay messages and transaction half messages live elsewhere and are appended when they are due
 * or committed (as the broker re-puts timer and half messages into the real topic).
 *
 * @packageDocumentation
 */

import type { Encoding } from '../gen/apache/rocketmq/v2/definition_pb.js';
import type { TopicMessageType } from './validation.js';
import { validateTopicName } from './validation.js';

/** A message as the broker keeps it. Offsets and store time are set when it is appended to a queue. */
export interface StoredMessage {
  readonly topic: string;
  readonly messageId: string;
  readonly body: Uint8Array;
  readonly bodyEncoding: Encoding;
  readonly userProperties: Readonly<Record<string, string>>;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly messageGroup: string | undefined;
  /** Requested delivery time of a delay message (kept on delivery, like the broker's TIMER_DELIVER_MS). */
  readonly deliveryTimestampMs: number | undefined;
  readonly priority: number | undefined;
  readonly traceContext: string | undefined;
  readonly bornTimestampMs: number;
  readonly bornHost: string;
  /** Set on committed transaction messages (the broker keeps TRAN_MSG, so they are delivered as TRANSACTION). */
  readonly transactional?: boolean;
  /** Set on messages in a dead-letter topic. */
  readonly deadLetter?: { readonly topic: string; readonly messageId: string };
  /** Set on LITE messages: the parent topic and the lite topic whose own queue holds the message. */
  readonly lite?: { readonly parent: string; readonly liteTopic: string };
  queueId: number;
  queueOffset: number;
  storeTimestampMs: number;
}

/** Settings of one topic. */
export interface TopicConfig {
  readonly name: string;
  readonly type: TopicMessageType;
  readonly queueCount: number;
}

/** A topic with its queues. */
export interface TopicState extends TopicConfig {
  readonly queues: StoredMessage[][];
}

/** Options of {@link MessageStore}. */
export interface MessageStoreOptions {
  readonly clock: { now(): number };
  /** Called after a message became visible in `topic` (wakes long polls). */
  readonly onVisible: (topic: string) => void;
}

/** Prefix of dead-letter topics (`%DLQ%<group>`). */
export const DLQ_TOPIC_PREFIX = '%DLQ%';

/** Prefix of the internal names of lite topics' queues (`%LITE%/<parent>/<liteTopic>`). */
const LITE_QUEUE_PREFIX = '%LITE%/';

/** The internal name of a lite topic's queue ('/' appears in neither topic nor lite topic names). */
export function liteQueueName(parent: string, liteTopic: string): string {
  return `${LITE_QUEUE_PREFIX}${parent}/${liteTopic}`;
}

/** The parent topic of an internal lite queue name, or `undefined` for any other topic name. */
export function parentOfLiteQueue(name: string): string | undefined {
  if (!name.startsWith(LITE_QUEUE_PREFIX)) return undefined;
  const rest = name.slice(LITE_QUEUE_PREFIX.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? undefined : rest.slice(0, slash);
}

/** The topic types a topic can be created with. */
const TOPIC_TYPES: ReadonlySet<TopicMessageType> = new Set<TopicMessageType>([
  'NORMAL',
  'FIFO',
  'DELAY',
  'TRANSACTION',
  'PRIORITY',
  'MIXED',
  'LITE',
]);

/** In-memory topics and queues. */
export class MessageStore {
  readonly #topics = new Map<string, TopicState>();
  readonly #rr = new Map<string, number>();
  readonly #options: MessageStoreOptions;
  #systemOffset = 0;
  #appended = 0;

  constructor(options: MessageStoreOptions) {
    this.#options = options;
  }

  /** Number of messages appended to any queue since start. */
  get appendedCount(): number {
    return this.#appended;
  }

  /**
   * Creates a topic, or updates the type and grows the queue count of an existing one (messages are kept).
   *
   * @throws BrokerStatusError `ILLEGAL_TOPIC` for an invalid or system topic name.
   * @throws RangeError for a queue count that is not a positive integer, or that shrinks an existing topic.
   */
  createTopic(name: string, type: TopicMessageType, queueCount: number): TopicState {
    if (!name.startsWith(DLQ_TOPIC_PREFIX)) validateTopicName(name);
    if (!TOPIC_TYPES.has(type)) {
      throw new RangeError(`topic type must be one of ${[...TOPIC_TYPES].join(', ')}, got ${String(type)}`);
    }
    if (!Number.isInteger(queueCount) || queueCount <= 0 || queueCount > 1024) {
      throw new RangeError(`queue count must be an integer in [1, 1024], got ${queueCount}`);
    }
    const existing = this.#topics.get(name);
    if (existing !== undefined && queueCount < existing.queueCount) {
      throw new RangeError(`cannot shrink topic ${name} from ${existing.queueCount} to ${queueCount} queues`);
    }
    const queues = existing?.queues ?? [];
    while (queues.length < queueCount) queues.push([]);
    const topic: TopicState = { name, type, queueCount, queues };
    this.#topics.set(name, topic);
    return topic;
  }

  /** Removes a topic and its messages (a LITE topic with its lite queues). Returns false when it did not exist. */
  deleteTopic(name: string): boolean {
    for (const t of [...this.#topics.keys()]) {
      if (parentOfLiteQueue(t) === name) this.#topics.delete(t);
    }
    return this.#topics.delete(name);
  }

  /**
   * The own queue of `liteTopic` under the LITE topic `parent` (created on first use: one queue, kept
   * apart from the parent's queues, as the broker keeps each lite topic in its own light queue).
   */
  liteQueue(parent: string, liteTopic: string): TopicState {
    const name = liteQueueName(parent, liteTopic);
    const existing = this.#topics.get(name);
    if (existing !== undefined) return existing;
    const topic: TopicState = { name, type: 'LITE', queueCount: 1, queues: [[]] };
    this.#topics.set(name, topic);
    return topic;
  }

  /** The topic, or `undefined`. */
  topic(name: string): TopicState | undefined {
    return this.#topics.get(name);
  }

  /** All topics. */
  topics(): IterableIterator<TopicState> {
    return this.#topics.values();
  }

  /** Round-robin queue choice (the proxy's `selectOneByPipeline` for sends without a message group). */
  nextQueue(topic: TopicState): number {
    const i = this.#rr.get(topic.name) ?? 0;
    this.#rr.set(topic.name, i + 1);
    return i % topic.queueCount;
  }

  /** A fresh offset in the broker's system queues (where half and timer messages are first written). */
  nextSystemOffset(): number {
    return this.#systemOffset++;
  }

  /**
   * Appends a message to `message.queueId` of its topic, stamping offset and store time, and signals it.
   *
   * @throws Error when the topic or queue does not exist (a bug in the caller).
   */
  append(message: StoredMessage): StoredMessage {
    const topic = this.#topics.get(message.topic);
    const queue = topic?.queues[message.queueId];
    if (queue === undefined) throw new Error(`no queue ${message.topic}#${message.queueId}`);
    message.queueOffset = queue.length;
    message.storeTimestampMs = this.#options.clock.now();
    queue.push(message);
    this.#appended++;
    this.#options.onVisible(message.topic);
    return message;
  }

  /**
   * Appends a copy of `message` to the dead-letter topic of `group` (created on demand with one queue),
   * marked with its origin. The copy starts over at delivery attempt 1 for DLQ consumers.
   */
  appendDeadLetter(group: string, message: StoredMessage): StoredMessage {
    const name = `${DLQ_TOPIC_PREFIX}${group}`;
    const topic = this.#topics.get(name) ?? this.createTopic(name, 'NORMAL', 1);
    const { lite: _lite, ...rest } = message;
    return this.append({
      ...rest,
      topic: topic.name,
      deadLetter: message.deadLetter ?? { topic: message.topic, messageId: message.messageId },
      queueId: 0,
      queueOffset: -1,
      storeTimestampMs: 0,
    });
  }
}
