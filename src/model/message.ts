/**
 * The message a user sends ({@link MessageInit}), its type derivation, and the checks run on it before
 * anything goes on the wire.
 *
 * The rules and values are the Apache proxy's SendMessage checks with its default limits, so a
 * message this module accepts is not refused by a default-configured proxy for its shape; each violated
 * rule throws a {@link RocketMQError} whose code is the one the proxy would have answered with.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { systemClock } from '../internal/clock.js';
import { describeType, hasControlChars, isBlank, quote, utf8Length } from './text.js';

/**
 * A message to send.
 *
 * Group, delivery time (`deliveryTimestamp` or `delayMs`), lite topic and priority are mutually
 * exclusive: each one selects a message type (see `deriveMessageType`). `null` is treated like an
 * absent field.
 *
 * @example
 * ```ts
 * const msg: MessageInit = { topic: 'orders', body: JSON.stringify(order), tag: 'created', keys: [order.id] };
 * const fifo: MessageInit = { topic: 'orders-fifo', body, messageGroup: `customer-${order.customerId}` };
 * const later: MessageInit = { topic: 'reminders', body, delayMs: 60_000 };
 * ```
 */
export interface MessageInit {
  /** Topic name: `[%a-zA-Z0-9_|-]`, 1–127 characters, not a system topic. */
  topic: string;
  /** Payload; a string is sent as UTF-8. Must not be empty. Must not be mutated until `send` settles. */
  body: Uint8Array | Buffer | string;
  /** Single tag used for server-side filtering; non-blank, without `|` or control characters. */
  tag?: string;
  /** Business keys, indexed by the broker for lookup; each non-blank, without control characters. */
  keys?: readonly string[];
  /** User properties (at most 128; keys must not be reserved system property names). */
  properties?: Readonly<Record<string, string>> | ReadonlyMap<string, string>;
  /** Makes the message FIFO: ordered with the other messages of the same group. Under 64 UTF-8 bytes. */
  messageGroup?: string;
  /** Makes the message DELAY: delivered at this time (`Date` or epoch milliseconds). */
  deliveryTimestamp?: Date | number;
  /** Makes the message DELAY: delivered this many milliseconds after validation. */
  delayMs?: number;
  /** Makes the message PRIORITY (integer ≥ 0; 0 is a valid priority). */
  priority?: number;
  /** Makes the message LITE: published to this lite topic under `topic` (servers with Lite mode). */
  liteTopic?: string;
}

/** Message types; a message has exactly one, derived from its fields by {@link deriveMessageType}. */
export type MessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'LITE' | 'PRIORITY';

/** A validated, normalised message, ready to be encoded for each send attempt. */
export interface PreparedMessage {
  readonly topic: string;
  readonly body: Uint8Array;
  readonly tag?: string;
  readonly keys: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly messageGroup?: string;
  readonly liteTopic?: string;
  /** Absolute delivery time in epoch milliseconds (`delayMs` already resolved). */
  readonly deliveryTimestamp?: number;
  readonly priority?: number;
  readonly type: MessageType;
}

/** Options of {@link validateMessage}. */
export interface ValidateMessageOptions {
  /**
   * Largest accepted body in bytes (the producer passes the server's `Publishing.max_body_size`).
   * @defaultValue {@link DEFAULT_MAX_BODY_SIZE} (4 MiB)
   */
  maxBodySize?: number;
  /** The message is the half message of a transaction: it must select no other type. @defaultValue false */
  transactional?: boolean;
  /** Current time in epoch ms, used to resolve `delayMs` and check `maxDelayMs`. @defaultValue now */
  now?: number;
  /**
   * Largest accepted distance between now and the delivery time. The Apache proxy refuses more than 24 h
   * (`maxDelayTimeMills`), but operators can raise it, so there is no client-side limit unless given.
   */
  maxDelayMs?: number;
}

/** Default largest body: 4 MiB (server `Publishing.max_body_size` default). */
export const DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024;
/** Longest topic name (`Validators.TOPIC_MAX_LENGTH`). */
export const MAX_TOPIC_LENGTH = 127;
/** Most user properties per message (`userPropertyMaxNum`). */
export const MAX_USER_PROPERTIES = 128;
/** Largest UTF-8 size of property keys + values + tag + keys (`maxUserPropertySize`). */
export const MAX_PROPERTIES_SIZE = 16 * 1024;
/** A message group must be shorter than this many UTF-8 bytes (`maxMessageGroupSize`; 63 is the most). */
export const MAX_MESSAGE_GROUP_SIZE = 64;
/** Largest priority: the wire field is an int32. */
export const MAX_PRIORITY = 2_147_483_647;
/** Largest epoch ms a protobuf Timestamp can carry (9999-12-31T23:59:59.999Z). */
const MAX_TIMESTAMP_MS = 253_402_300_799_999;

const TOPIC_CHARS = /^[%a-zA-Z0-9_|-]+$/;

/** Topics nobody may send to (`TopicValidator.SYSTEM_TOPIC_SET` and `NOT_ALLOWED_SEND_TOPIC_SET`). */
export const SYSTEM_TOPICS: ReadonlySet<string> = new Set([
  'TBW102',
  'SCHEDULE_TOPIC_XXXX',
  'SCHEDULE_TOPIC_XXXX_V2',
  'BenchmarkTest',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
  'CHECKPOINT_TOPIC',
]);

/**
 * Topic-name prefixes refused for sending: the server's system prefix `rmq_sys_`, and the retry and
 * dead-letter topics of consumer groups, which only the broker writes to.
 */
export const SYSTEM_TOPIC_PREFIXES: readonly string[] = Object.freeze(['rmq_sys_', '%RETRY%', '%DLQ%']);

/**
 * Property names reserved by the broker (`MessageConst.STRING_HASH_SET`, Apache RocketMQ 5.3); the proxy
 * refuses them as user property keys with `ILLEGAL_MESSAGE_PROPERTY_KEY`.
 */
export const RESERVED_PROPERTY_KEYS: ReadonlySet<string> = new Set([
  'TRACE_ON',
  'MSG_REGION',
  'KEYS',
  'TAGS',
  'WAIT',
  'DELAY',
  'RETRY_TOPIC',
  'REAL_TOPIC',
  'REAL_QID',
  'TRAN_MSG',
  'PGROUP',
  'MIN_OFFSET',
  'MAX_OFFSET',
  'BUYER_ID',
  'ORIGIN_MESSAGE_ID',
  'TRANSFER_FLAG',
  'CORRECTION_FLAG',
  'MQ2_FLAG',
  'RECONSUME_TIME',
  'UNIQ_KEY',
  'MAX_RECONSUME_TIMES',
  'CONSUME_START_TIME',
  'POP_CK',
  'POP_CK_OFFSET',
  '1ST_POP_TIME',
  'TRAN_PREPARED_QUEUE_OFFSET',
  'DUP_INFO',
  'EXTEND_UNIQ_INFO',
  'INSTANCE_ID',
  'CORRELATION_ID',
  'REPLY_TO_CLIENT',
  'TTL',
  'ARRIVE_TIME',
  'PUSH_REPLY_TIME',
  'CLUSTER',
  'MSG_TYPE',
  'INNER_MULTI_QUEUE_OFFSET',
  'TIMER_DELAY_MS',
  'TIMER_DELAY_SEC',
  'TIMER_DELIVER_MS',
  'TIMER_ENQUEUE_MS',
  'TIMER_DEQUEUE_MS',
  'TIMER_ROLL_TIMES',
  'TIMER_OUT_MS',
  'TIMER_DEL_UNIQKEY',
  'TIMER_DEL_MS',
  'TIMER_DELAY_LEVEL',
  '__BORNHOST',
  'BORN_TIMESTAMP',
  'DLQ_ORIGIN_TOPIC',
  'DLQ_ORIGIN_MESSAGE_ID',
  '__CRC32#',
]);

function invalidArgument(message: string): RocketMQError {
  return new RocketMQError(message, 'INVALID_ARGUMENT');
}

/**
 * Checks a topic name: a string of 1–127 characters from `[%a-zA-Z0-9_|-]`, not a system topic and not
 * a retry / dead-letter topic.
 *
 * @throws RocketMQError `INVALID_ARGUMENT` when not a string; `ILLEGAL_TOPIC` otherwise.
 */
export function validateTopic(topic: unknown): string {
  if (typeof topic !== 'string') throw invalidArgument(`topic must be a string, got ${describeType(topic)}`);
  if (isBlank(topic)) throw new RocketMQError('topic must not be blank', 'ILLEGAL_TOPIC');
  if (topic.length > MAX_TOPIC_LENGTH) {
    throw new RocketMQError(
      `topic is longer than ${MAX_TOPIC_LENGTH} characters (${topic.length})`,
      'ILLEGAL_TOPIC',
    );
  }
  if (!TOPIC_CHARS.test(topic)) {
    throw new RocketMQError(
      `topic ${quote(topic)} contains characters outside [%a-zA-Z0-9_|-]`,
      'ILLEGAL_TOPIC',
    );
  }
  if (SYSTEM_TOPICS.has(topic) || SYSTEM_TOPIC_PREFIXES.some((p) => topic.startsWith(p))) {
    throw new RocketMQError(`topic ${quote(topic)} is a system topic and cannot be sent to`, 'ILLEGAL_TOPIC');
  }
  return topic;
}

/** Which type-selecting options a message carries. */
export interface MessageTypeSelectors {
  messageGroup?: unknown;
  liteTopic?: unknown;
  deliveryTimestamp?: unknown;
  delayMs?: unknown;
  priority?: unknown;
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * Derives the message type as the server does: group → FIFO, lite topic → LITE, delivery time
 * (`deliveryTimestamp` or `delayMs`) → DELAY, priority → PRIORITY, transactional with none of them →
 * TRANSACTION, nothing → NORMAL. Only presence is looked at, not validity.
 *
 * @throws RocketMQError `MESSAGE_PROPERTY_CONFLICT_WITH_TYPE` when more than one selector is present, or
 * when a transactional message has any.
 */
export function deriveMessageType(message: MessageTypeSelectors, transactional = false): MessageType {
  const selected: Array<[string, MessageType]> = [];
  if (present(message.messageGroup)) selected.push(['messageGroup', 'FIFO']);
  if (present(message.liteTopic)) selected.push(['liteTopic', 'LITE']);
  if (present(message.deliveryTimestamp)) selected.push(['deliveryTimestamp', 'DELAY']);
  if (present(message.delayMs)) selected.push(['delayMs', 'DELAY']);
  if (present(message.priority)) selected.push(['priority', 'PRIORITY']);
  if (transactional && selected.length > 0) {
    throw new RocketMQError(
      `a transactional message cannot have ${selected.map(([n]) => n).join(', ')}`,
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    );
  }
  if (selected.length > 1) {
    throw new RocketMQError(
      `${selected.map(([n]) => n).join(', ')} are mutually exclusive (each selects a message type)`,
      'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
    );
  }
  if (transactional) return 'TRANSACTION';
  return selected[0]?.[1] ?? 'NORMAL';
}

function toBody(body: unknown, maxBodySize: number): Uint8Array {
  let bytes: Uint8Array;
  if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) bytes = body;
  else throw invalidArgument(`body must be a Uint8Array, Buffer or string, got ${describeType(body)}`);
  if (bytes.length === 0) throw new RocketMQError('message body must not be empty', 'MESSAGE_BODY_EMPTY');
  if (bytes.length > maxBodySize) {
    throw new RocketMQError(
      `message body is ${bytes.length} bytes, more than the limit of ${maxBodySize}`,
      'MESSAGE_BODY_TOO_LARGE',
    );
  }
  return bytes;
}

function checkTag(tag: unknown): string {
  if (typeof tag !== 'string') throw invalidArgument(`tag must be a string, got ${describeType(tag)}`);
  if (isBlank(tag)) throw new RocketMQError('tag must not be blank', 'ILLEGAL_MESSAGE_TAG');
  if (tag.includes('|'))
    throw new RocketMQError(`tag ${quote(tag)} must not contain "|"`, 'ILLEGAL_MESSAGE_TAG');
  if (hasControlChars(tag)) {
    throw new RocketMQError(`tag ${quote(tag)} contains control characters`, 'ILLEGAL_MESSAGE_TAG');
  }
  return tag;
}

function checkKeys(keys: unknown): readonly string[] {
  if (!Array.isArray(keys))
    throw invalidArgument(`keys must be an array of strings, got ${describeType(keys)}`);
  const out: string[] = [];
  for (const key of keys as unknown[]) {
    if (typeof key !== 'string') throw invalidArgument(`each key must be a string, got ${describeType(key)}`);
    if (isBlank(key)) throw new RocketMQError('message keys must not be blank', 'ILLEGAL_MESSAGE_KEY');
    if (hasControlChars(key)) {
      throw new RocketMQError(`message key ${quote(key)} contains control characters`, 'ILLEGAL_MESSAGE_KEY');
    }
    out.push(key);
  }
  return Object.freeze(out);
}

function propertyEntries(properties: unknown): Array<[string, unknown]> {
  if (properties instanceof Map)
    return [...(properties as Map<unknown, unknown>)].map(([k, v]) => [k as string, v]);
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
    throw invalidArgument(`properties must be a plain object or a Map, got ${describeType(properties)}`);
  }
  return Object.entries(properties);
}

function checkProperties(properties: unknown): Readonly<Record<string, string>> {
  const entries = propertyEntries(properties);
  if (entries.length > MAX_USER_PROPERTIES) {
    throw new RocketMQError(
      `a message may carry at most ${MAX_USER_PROPERTIES} user properties (got ${entries.length})`,
      'MESSAGE_PROPERTIES_TOO_LARGE',
    );
  }
  for (const [key, value] of entries) {
    if (typeof key !== 'string')
      throw invalidArgument(`property keys must be strings, got ${describeType(key)}`);
    if (typeof value !== 'string') {
      throw invalidArgument(`property ${quote(key)} must have a string value, got ${describeType(value)}`);
    }
    if (isBlank(key))
      throw new RocketMQError('property keys must not be blank', 'ILLEGAL_MESSAGE_PROPERTY_KEY');
    if (RESERVED_PROPERTY_KEYS.has(key)) {
      throw new RocketMQError(
        `property key ${quote(key)} is reserved by the broker`,
        'ILLEGAL_MESSAGE_PROPERTY_KEY',
      );
    }
    if (hasControlChars(key)) {
      throw new RocketMQError(
        `property key ${quote(key)} contains control characters`,
        'ILLEGAL_MESSAGE_PROPERTY_KEY',
      );
    }
    if (isBlank(value)) {
      throw new RocketMQError(`property ${quote(key)} has a blank value`, 'ILLEGAL_MESSAGE_PROPERTY_KEY');
    }
    if (hasControlChars(value)) {
      throw new RocketMQError(
        `the value of property ${quote(key)} contains control characters`,
        'ILLEGAL_MESSAGE_PROPERTY_KEY',
      );
    }
  }
  // Object.fromEntries defines own data properties, so a "__proto__" key stays an ordinary key.
  return Object.freeze(Object.fromEntries(entries) as Record<string, string>);
}

function checkMessageGroup(group: unknown): string {
  if (typeof group !== 'string') {
    throw invalidArgument(`messageGroup must be a string, got ${describeType(group)}`);
  }
  if (isBlank(group)) throw new RocketMQError('messageGroup must not be blank', 'ILLEGAL_MESSAGE_GROUP');
  const size = utf8Length(group);
  if (size >= MAX_MESSAGE_GROUP_SIZE) {
    throw new RocketMQError(
      `messageGroup must be shorter than ${MAX_MESSAGE_GROUP_SIZE} UTF-8 bytes (got ${size})`,
      'ILLEGAL_MESSAGE_GROUP',
    );
  }
  if (hasControlChars(group)) {
    throw new RocketMQError(
      `messageGroup ${quote(group)} contains control characters`,
      'ILLEGAL_MESSAGE_GROUP',
    );
  }
  return group;
}

function checkLiteTopic(liteTopic: unknown): string {
  if (typeof liteTopic !== 'string') {
    throw invalidArgument(`liteTopic must be a string, got ${describeType(liteTopic)}`);
  }
  if (isBlank(liteTopic)) throw new RocketMQError('liteTopic must not be blank', 'ILLEGAL_LITE_TOPIC');
  if (hasControlChars(liteTopic)) {
    throw new RocketMQError(
      `liteTopic ${quote(liteTopic)} contains control characters`,
      'ILLEGAL_LITE_TOPIC',
    );
  }
  return liteTopic;
}

function resolveDeliveryTime(
  init: MessageInit,
  now: number,
  maxDelayMs: number | undefined,
): number | undefined {
  const { deliveryTimestamp, delayMs } = init;
  let at: number | undefined;
  if (present(deliveryTimestamp)) {
    if (deliveryTimestamp instanceof Date) at = deliveryTimestamp.getTime();
    else if (typeof deliveryTimestamp === 'number') at = deliveryTimestamp;
    else {
      throw invalidArgument(
        `deliveryTimestamp must be a Date or epoch milliseconds, got ${describeType(deliveryTimestamp)}`,
      );
    }
    if (!Number.isFinite(at) || at < 0 || at > MAX_TIMESTAMP_MS) {
      throw new RocketMQError('deliveryTimestamp is not a valid point in time', 'ILLEGAL_DELIVERY_TIME');
    }
  }
  if (present(delayMs)) {
    if (typeof delayMs !== 'number')
      throw invalidArgument(`delayMs must be a number, got ${describeType(delayMs)}`);
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new RocketMQError(
        `delayMs must be a finite number ≥ 0 (got ${delayMs})`,
        'ILLEGAL_DELIVERY_TIME',
      );
    }
    at = now + delayMs;
    if (at > MAX_TIMESTAMP_MS) throw new RocketMQError('delayMs is too large', 'ILLEGAL_DELIVERY_TIME');
  }
  if (at === undefined) return undefined;
  at = Math.floor(at);
  if (maxDelayMs !== undefined && at - now > maxDelayMs) {
    throw new RocketMQError(
      `delivery time is ${at - now} ms ahead, more than the limit of ${maxDelayMs} ms`,
      'ILLEGAL_DELIVERY_TIME',
    );
  }
  return at;
}

function checkPriority(priority: unknown): number {
  if (typeof priority !== 'number')
    throw invalidArgument(`priority must be a number, got ${describeType(priority)}`);
  if (!Number.isInteger(priority) || priority < 0 || priority > MAX_PRIORITY) {
    throw invalidArgument(`priority must be an integer from 0 to ${MAX_PRIORITY} (got ${priority})`);
  }
  return priority;
}

function checkNonNegativeInteger(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalidArgument(`${name} must be a non-negative integer`);
  }
  return value;
}

/**
 * Validates a message and returns its normalised form. Runs before anything is sent, field by field in
 * this order: topic, body, tag, keys, properties, total property size, message group, lite topic,
 * delivery time, priority, type conflicts (a field of the wrong JS type fails when its turn comes).
 *
 * @throws RocketMQError with the code of the first violated rule:
 * - `INVALID_ARGUMENT`: a field has the wrong JS type; priority is not an integer in [0, 2^31 − 1];
 * - `ILLEGAL_TOPIC`: blank, longer than 127, characters outside `[%a-zA-Z0-9_|-]`, system topic;
 * - `MESSAGE_BODY_EMPTY` / `MESSAGE_BODY_TOO_LARGE` (over `maxBodySize`, default 4 MiB);
 * - `ILLEGAL_MESSAGE_TAG`: blank, contains `|` or control characters;
 * - `ILLEGAL_MESSAGE_KEY`: a key is blank or contains control characters;
 * - `ILLEGAL_MESSAGE_PROPERTY_KEY`: a property key is blank, reserved or has control characters, or a
 *   value is blank or has control characters;
 * - `MESSAGE_PROPERTIES_TOO_LARGE`: more than 128 properties, or keys + values + tag + message keys over
 *   16 KiB in UTF-8;
 * - `ILLEGAL_MESSAGE_GROUP`: blank, 64 UTF-8 bytes or more, control characters;
 * - `ILLEGAL_LITE_TOPIC`: blank or control characters;
 * - `ILLEGAL_DELIVERY_TIME`: invalid date, negative `delayMs`, past the Timestamp range or `maxDelayMs`;
 * - `MESSAGE_PROPERTY_CONFLICT_WITH_TYPE`: two type selectors, or a transactional message with one.
 *
 * @example
 * ```ts
 * const prepared = validateMessage({ topic: 'orders', body: 'hello' }, { maxBodySize: settings.maxBodySize });
 * prepared.type; // 'NORMAL'
 * ```
 */
export function validateMessage(init: MessageInit, options: ValidateMessageOptions = {}): PreparedMessage {
  if (typeof init !== 'object' || init === null) {
    throw invalidArgument(`message must be an object, got ${describeType(init)}`);
  }
  const maxBodySize = checkNonNegativeInteger(options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE, 'maxBodySize');
  const now = options.now ?? systemClock.now();
  const maxDelayMs =
    options.maxDelayMs === undefined ? undefined : checkNonNegativeInteger(options.maxDelayMs, 'maxDelayMs');

  const topic = validateTopic(init.topic);
  const body = toBody(init.body, maxBodySize);
  const tag = present(init.tag) ? checkTag(init.tag) : undefined;
  const keys = present(init.keys) ? checkKeys(init.keys) : Object.freeze([] as string[]);
  const properties: Readonly<Record<string, string>> = present(init.properties)
    ? checkProperties(init.properties)
    : Object.freeze({});

  let headerSize = (tag === undefined ? 0 : utf8Length(tag)) + keys.reduce((n, k) => n + utf8Length(k), 0);
  for (const [k, v] of Object.entries(properties)) headerSize += utf8Length(k) + utf8Length(v);
  if (headerSize > MAX_PROPERTIES_SIZE) {
    throw new RocketMQError(
      `properties, tag and keys take ${headerSize} bytes, more than the limit of ${MAX_PROPERTIES_SIZE}`,
      'MESSAGE_PROPERTIES_TOO_LARGE',
    );
  }

  const messageGroup = present(init.messageGroup) ? checkMessageGroup(init.messageGroup) : undefined;
  const liteTopic = present(init.liteTopic) ? checkLiteTopic(init.liteTopic) : undefined;
  const deliveryTimestamp = resolveDeliveryTime(init, now, maxDelayMs);
  const priority = present(init.priority) ? checkPriority(init.priority) : undefined;
  const type = deriveMessageType(init, options.transactional === true);

  const prepared: PreparedMessage = {
    topic,
    body,
    keys,
    properties,
    type,
    ...(tag === undefined ? {} : { tag }),
    ...(messageGroup === undefined ? {} : { messageGroup }),
    ...(liteTopic === undefined ? {} : { liteTopic }),
    ...(deliveryTimestamp === undefined ? {} : { deliveryTimestamp }),
    ...(priority === undefined ? {} : { priority }),
  };
  return Object.freeze(prepared);
}
