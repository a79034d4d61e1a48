/**
 * Request validation with the Apache proxy's status codes (proxy `GrpcValidator`,
 * `SendMessageActivity`, `Validators`, `TopicValidator`). Pure: every check throws a
 * {@link BrokerStatusError} carrying the code the real proxy answers with.
 *
 * @packageDocumentation
 */

import { durationMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { Code, type Message, MessageType } from '../gen/apache/rocketmq/v2/definition_pb.js';
// The reserved topic/property lists and the text rules are the client's own (src/model), so the
// in-process broker and the client's pre-send validation cannot drift apart.
import { RESERVED_PROPERTY_KEYS, SYSTEM_TOPICS } from '../model/message.js';
import { hasControlChars as hasControlCharacter, isBlank, utf8Length } from '../model/text.js';
import { BrokerStatusError } from './status.js';

/** Message types a topic can be created with (`MIXED` accepts NORMAL, FIFO, DELAY and TRANSACTION). */
export type TopicMessageType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION' | 'PRIORITY' | 'MIXED' | 'LITE';

/** Message type of one message as the proxy derives it from its properties. */
export type DerivedMessageType = Exclude<TopicMessageType, 'MIXED'>;

const TOPIC_MAX_LENGTH = 127;
const GROUP_MAX_LENGTH = 120;
const NAME_PATTERN = /^[%|a-zA-Z0-9_-]+$/;

/** `Validators.checkTopic` + system-topic check → `ILLEGAL_TOPIC`. */
export function validateTopicName(name: string): void {
  if (isBlank(name)) throw new BrokerStatusError(Code.ILLEGAL_TOPIC, 'The specified topic is blank');
  if (name.length > TOPIC_MAX_LENGTH) {
    throw new BrokerStatusError(
      Code.ILLEGAL_TOPIC,
      `The specified topic is longer than topic max length ${TOPIC_MAX_LENGTH}.`,
    );
  }
  if (!NAME_PATTERN.test(name)) {
    throw new BrokerStatusError(
      Code.ILLEGAL_TOPIC,
      `The specified topic[${name}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`,
    );
  }
  if (SYSTEM_TOPICS.has(name) || name.startsWith('rmq_sys_')) {
    throw new BrokerStatusError(Code.ILLEGAL_TOPIC, 'cannot access system topic');
  }
}

/** `Validators.checkGroup` + system-group check → `ILLEGAL_CONSUMER_GROUP`. */
export function validateGroupName(name: string): void {
  if (isBlank(name)) {
    throw new BrokerStatusError(Code.ILLEGAL_CONSUMER_GROUP, 'the specified group is blank');
  }
  if (name.length > GROUP_MAX_LENGTH) {
    throw new BrokerStatusError(
      Code.ILLEGAL_CONSUMER_GROUP,
      `the specified group[${name}] is longer than group max length: ${GROUP_MAX_LENGTH}.`,
    );
  }
  if (!NAME_PATTERN.test(name)) {
    throw new BrokerStatusError(
      Code.ILLEGAL_CONSUMER_GROUP,
      `the specified group[${name}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`,
    );
  }
  if (name.startsWith('CID_RMQ_SYS_')) {
    throw new BrokerStatusError(Code.ILLEGAL_CONSUMER_GROUP, 'cannot use system consumer group');
  }
}

/** `GrpcValidator.validateInvisibleTime` → `ILLEGAL_INVISIBLE_TIME`. */
export function validateInvisibleTime(ms: number, minMs: number, maxMs: number): void {
  if (ms < minMs) {
    throw new BrokerStatusError(
      Code.ILLEGAL_INVISIBLE_TIME,
      `the invisibleTime is too small. min is ${minMs}`,
    );
  }
  if (maxMs > 0 && ms > maxMs) {
    throw new BrokerStatusError(
      Code.ILLEGAL_INVISIBLE_TIME,
      `the invisibleTime is too large. max is ${maxMs}`,
    );
  }
}

/** Limits applied by {@link validateMessage}; defaults are the proxy's. */
export interface MessageLimits {
  /** `maxMessageSize`: 4 MiB. */
  readonly maxBodySize: number;
  /** `maxDelayTimeMills`: 1 day. */
  readonly maxDelayMs: number;
  /** `userPropertyMaxNum`: 128. */
  readonly maxUserProperties: number;
  /** `maxUserPropertySize`: 16 KiB (keys + values + tag + keys). */
  readonly maxUserPropertyBytes: number;
  /** `maxMessageGroupSize`: 64 (a group of ≥ 64 UTF-8 bytes is rejected). */
  readonly maxMessageGroupSize: number;
  /** `maxTransactionRecoverySecond`: 1 h. */
  readonly maxTransactionRecoverySeconds: number;
}

/** The Apache proxy defaults. */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = Object.freeze({
  maxBodySize: 4 * 1024 * 1024,
  maxDelayMs: 24 * 60 * 60 * 1000,
  maxUserProperties: 128,
  maxUserPropertyBytes: 16 * 1024,
  maxMessageGroupSize: 64,
  maxTransactionRecoverySeconds: 3600,
});

/**
 * Validates one message of a SendMessage request, in the proxy's order (body, properties, tag, keys,
 * total size, message id, transaction recovery time, delivery time, message group).
 *
 * @param nowMs - current wall-clock time (for the delivery-time limit).
 */
export function validateMessage(message: Message, limits: MessageLimits, nowMs: number): void {
  const body = message.body;
  if (body.length === 0) throw new BrokerStatusError(Code.MESSAGE_BODY_EMPTY, 'message body cannot be empty');
  if (limits.maxBodySize > 0 && body.length > limits.maxBodySize) {
    throw new BrokerStatusError(
      Code.MESSAGE_BODY_TOO_LARGE,
      `message body cannot exceed the max ${limits.maxBodySize}`,
    );
  }

  const props = Object.entries(message.userProperties);
  if (props.length > limits.maxUserProperties) {
    throw new BrokerStatusError(
      Code.MESSAGE_PROPERTIES_TOO_LARGE,
      `too many user properties, max is ${limits.maxUserProperties}`,
    );
  }
  let size = 0;
  for (const [key, value] of props) {
    if (RESERVED_PROPERTY_KEYS.has(key)) {
      throw new BrokerStatusError(Code.ILLEGAL_MESSAGE_PROPERTY_KEY, `property is used by system: ${key}`);
    }
    if (hasControlCharacter(key)) {
      throw new BrokerStatusError(
        Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
        'the key of property cannot contain control character',
      );
    }
    if (hasControlCharacter(value)) {
      throw new BrokerStatusError(
        Code.ILLEGAL_MESSAGE_PROPERTY_KEY,
        'the value of property cannot contain control character',
      );
    }
    size += utf8Length(key) + utf8Length(value);
  }

  const sys = message.systemProperties;
  const tag = sys?.tag ?? '';
  if (tag !== '') {
    if (isBlank(tag)) {
      throw new BrokerStatusError(Code.ILLEGAL_MESSAGE_TAG, 'tag cannot be the char sequence of whitespace');
    }
    if (tag.includes('|')) throw new BrokerStatusError(Code.ILLEGAL_MESSAGE_TAG, "tag cannot contain '|'");
    if (hasControlCharacter(tag)) {
      throw new BrokerStatusError(Code.ILLEGAL_MESSAGE_TAG, 'tag cannot contain control character');
    }
  }
  size += utf8Length(tag);

  for (const key of sys?.keys ?? []) {
    if (key !== '') {
      if (isBlank(key)) {
        throw new BrokerStatusError(
          Code.ILLEGAL_MESSAGE_KEY,
          'key cannot be the char sequence of whitespace',
        );
      }
      if (hasControlCharacter(key)) {
        throw new BrokerStatusError(Code.ILLEGAL_MESSAGE_KEY, 'key cannot contain control character');
      }
    }
    size += utf8Length(key);
  }
  if (size > limits.maxUserPropertyBytes) {
    throw new BrokerStatusError(
      Code.MESSAGE_PROPERTIES_TOO_LARGE,
      `the total size of user property is too large, max is ${limits.maxUserPropertyBytes}`,
    );
  }

  if (isBlank(sys?.messageId ?? '')) {
    throw new BrokerStatusError(Code.ILLEGAL_MESSAGE_ID, 'message id cannot be empty');
  }

  if (sys?.messageType === MessageType.TRANSACTION && sys.orphanedTransactionRecoveryDuration !== undefined) {
    const seconds = Math.trunc(durationMs(sys.orphanedTransactionRecoveryDuration) / 1000);
    if (limits.maxTransactionRecoverySeconds > 0 && seconds > limits.maxTransactionRecoverySeconds) {
      throw new BrokerStatusError(
        Code.BAD_REQUEST,
        `the max transaction recovery time of message is too large, max is ${limits.maxTransactionRecoverySeconds}`,
      );
    }
  }

  if (sys?.deliveryTimestamp !== undefined && limits.maxDelayMs > 0) {
    if (timestampMs(sys.deliveryTimestamp) - nowMs > limits.maxDelayMs) {
      throw new BrokerStatusError(
        Code.ILLEGAL_DELIVERY_TIME,
        `the max delay time of message is too large, max is ${limits.maxDelayMs}`,
      );
    }
  }

  const group = sys?.messageGroup ?? '';
  if (group !== '') {
    if (isBlank(group)) {
      throw new BrokerStatusError(
        Code.ILLEGAL_MESSAGE_GROUP,
        'message group cannot be the char sequence of whitespace',
      );
    }
    if (limits.maxMessageGroupSize > 0 && utf8Length(group) >= limits.maxMessageGroupSize) {
      throw new BrokerStatusError(
        Code.ILLEGAL_MESSAGE_GROUP,
        `message group exceed the max size ${limits.maxMessageGroupSize}`,
      );
    }
    if (hasControlCharacter(group)) {
      throw new BrokerStatusError(
        Code.ILLEGAL_MESSAGE_GROUP,
        'message group cannot contain control character',
      );
    }
  }
}

/**
 * The message type the proxy derives from a message's properties (`TopicMessageType.parseFromMessageProperty`):
 * transaction flag, then delivery time, then message group; priority (5.4) after that.
 */
export function deriveMessageType(message: Message): DerivedMessageType {
  const sys = message.systemProperties;
  if (sys === undefined) return 'NORMAL';
  if (sys.messageType === MessageType.TRANSACTION) return 'TRANSACTION';
  if (sys.deliveryTimestamp !== undefined) return 'DELAY';
  if ((sys.messageGroup ?? '') !== '') return 'FIFO';
  if ((sys.liteTopic ?? '') !== '') return 'LITE';
  if (sys.priority !== undefined) return 'PRIORITY';
  return 'NORMAL';
}

/** `DefaultTopicMessageTypeValidator.validate` → `MESSAGE_PROPERTY_CONFLICT_WITH_TYPE`. */
export function validateTopicMessageType(topicType: TopicMessageType, actual: DerivedMessageType): void {
  const mixedOk = topicType === 'MIXED' && actual !== 'PRIORITY' && actual !== 'LITE';
  if (actual !== topicType && !mixedOk) {
    throw new BrokerStatusError(
      Code.MESSAGE_PROPERTY_CONFLICT_WITH_TYPE,
      `TopicMessageType validate failed, the expected type is ${topicType}, but actual type is ${actual}`,
    );
  }
}

/** Proto `MessageType` values a topic accepts (QueryRoute `accept_message_types`). */
export function acceptedMessageTypes(topicType: TopicMessageType): MessageType[] {
  switch (topicType) {
    case 'NORMAL':
      return [MessageType.NORMAL];
    case 'FIFO':
      return [MessageType.FIFO];
    case 'DELAY':
      return [MessageType.DELAY];
    case 'TRANSACTION':
      return [MessageType.TRANSACTION];
    case 'PRIORITY':
      return [MessageType.PRIORITY];
    case 'MIXED':
      return [MessageType.NORMAL, MessageType.FIFO, MessageType.DELAY, MessageType.TRANSACTION];
    case 'LITE':
      return [MessageType.LITE];
  }
}
