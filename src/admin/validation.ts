/**
 * Checks of admin input, made before anything is sent. Names follow the broker's rules (at most 127
 * characters for a topic and 255 for a group, letters, digits, `-` and `_`); the prefixes the broker
 * reserves for its own topics and groups are refused.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { SYSTEM_TOPICS } from '../model/message.js';

/** Longest topic name the broker accepts. */
export const TOPIC_MAX_LENGTH = 127;
/** Longest group name the broker accepts. */
export const GROUP_MAX_LENGTH = 255;
/** Largest read or write queue count this client asks a broker for. */
export const MAX_QUEUES = 1024;

const NAME_RE = /^[a-zA-Z0-9_-]+$/;
const RESERVED_PREFIXES = ['%RETRY%', '%DLQ%', 'rmq_sys_', 'RMQ_SYS_', 'CID_RMQ_SYS_'];
/** Groups the broker keeps for itself. */
const SYSTEM_GROUPS = new Set([
  'TOOLS_CONSUMER',
  'FILTERSRV_CONSUMER',
  'SELF_TEST_C_GROUP',
  'CLIENT_INNER_PRODUCER',
  'DEFAULT_CONSUMER',
  'DEFAULT_PRODUCER',
]);

/** True for a topic the broker keeps for itself (its fixed set and the `rmq_sys_` family). */
export function isSystemTopic(name: string): boolean {
  return SYSTEM_TOPICS.has(name) || name.startsWith('rmq_sys_') || name.startsWith('RMQ_SYS_');
}

/** True for a group the broker keeps for itself. */
export function isSystemGroup(name: string): boolean {
  return SYSTEM_GROUPS.has(name) || name.startsWith('CID_RMQ_SYS_');
}

function checkName(kind: 'topic' | 'group', name: unknown, max: number): string {
  const code = kind === 'topic' ? 'ILLEGAL_TOPIC' : 'ILLEGAL_CONSUMER_GROUP';
  if (typeof name !== 'string' || name.length === 0) {
    throw new RocketMQError(`The ${kind} name must be a non-empty string`, code);
  }
  if (name.length > max) {
    throw new RocketMQError(
      `The ${kind} name is ${name.length} characters long; at most ${max} are allowed`,
      code,
    );
  }
  const reserved = RESERVED_PREFIXES.find((p) => name.startsWith(p));
  if (reserved !== undefined) {
    throw new RocketMQError(`The ${kind} name "${name}" starts with the reserved prefix "${reserved}"`, code);
  }
  if (!NAME_RE.test(name)) {
    throw new RocketMQError(`The ${kind} name "${name}" may hold only letters, digits, "-" and "_"`, code);
  }
  return name;
}

/** A topic name a user may create or change. @throws RocketMQError `ILLEGAL_TOPIC` */
export function validateTopicName(name: unknown): string {
  const n = checkName('topic', name, TOPIC_MAX_LENGTH);
  if (isSystemTopic(n)) throw new RocketMQError(`"${n}" is a system topic`, 'ILLEGAL_TOPIC');
  return n;
}

/** A group name a user may create or change. @throws RocketMQError `ILLEGAL_CONSUMER_GROUP` */
export function validateGroupName(name: unknown): string {
  const n = checkName('group', name, GROUP_MAX_LENGTH);
  if (isSystemGroup(n)) throw new RocketMQError(`"${n}" is a system group`, 'ILLEGAL_CONSUMER_GROUP');
  return n;
}

/**
 * A topic name that may be read (retry and dead-letter topics included, since they hold user messages).
 * @throws RocketMQError `ILLEGAL_TOPIC`
 */
export function validateReadableTopic(name: unknown): string {
  if (typeof name === 'string' && /^%(RETRY|DLQ)%/.test(name)) {
    validateGroupName(name.replace(/^%(RETRY|DLQ)%/, ''));
    return name;
  }
  return checkName('topic', name, TOPIC_MAX_LENGTH);
}

/** A queue count in `1 … MAX_QUEUES`. @throws RocketMQError `INVALID_ARGUMENT` */
export function validateQueueCount(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_QUEUES) {
    throw new RocketMQError(
      `${what} must be an integer from 1 to ${MAX_QUEUES}, got ${String(n)}`,
      'INVALID_ARGUMENT',
    );
  }
  return n;
}

/** A non-negative whole number of milliseconds since the epoch. @throws RocketMQError `INVALID_ARGUMENT` */
export function validateTimestamp(what: string, t: unknown): number {
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) {
    throw new RocketMQError(
      `${what} must be a non-negative integer (ms since the epoch), got ${String(t)}`,
      'INVALID_ARGUMENT',
    );
  }
  return t;
}

/** A time range with `end >= begin`. @throws RocketMQError `INVALID_ARGUMENT` */
export function validateTimeRange(begin: unknown, end: unknown): { begin: number; end: number } {
  const b = validateTimestamp('begin', begin);
  const e = validateTimestamp('end', end);
  if (e < b)
    throw new RocketMQError(`The time range ends (${e}) before it begins (${b})`, 'INVALID_ARGUMENT');
  return { begin: b, end: e };
}

/** A positive integer below a bound. @throws RocketMQError `INVALID_ARGUMENT` */
export function validatePositive(what: string, n: unknown, max: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) {
    throw new RocketMQError(
      `${what} must be an integer from 1 to ${max}, got ${String(n)}`,
      'INVALID_ARGUMENT',
    );
  }
  return n;
}
