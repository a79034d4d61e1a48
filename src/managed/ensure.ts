/**
 * `ensureTopics` / `ensureGroups` for development: before the managed consumers and producers start,
 * the topics and consumer groups they declare are created when missing, through an admin client the
 * user passes (`new Admin(...)` from `rocketmq-ts/admin`, or an in-process broker's `broker.admin()`).
 * Existing ones are left alone; an existing topic of another message type is reported (by default as
 * a `PRECONDITION_FAILED` error, or as a warning in the log and the report).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { Logger } from '../observability/logger.js';

/** The message type a topic is declared with. */
export type ManagedTopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

/** One broker's outcome of a create call. */
export interface EnsureBrokerResult {
  readonly brokerName: string;
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
}

/**
 * The admin calls ensuring needs; `Admin` of `rocketmq-ts/admin` and the in-process broker's admin
 * have them (started by the caller).
 */
export interface EnsureAdmin {
  /** Rejects with `TOPIC_NOT_FOUND` for a missing topic. */
  describeTopic(name: string): Promise<{ readonly type: string | undefined }>;
  createTopic(name: string, options: { type: ManagedTopicType }): Promise<readonly EnsureBrokerResult[]>;
  /**
   * The groups that exist. (Not a per-group lookup: a broker with `autoCreateSubscriptionGroup` creates
   * a group with the defaults when its configuration is asked for.)
   */
  listGroups(): Promise<readonly string[]>;
  createGroup(name: string, options: { fifo: boolean }): Promise<readonly EnsureBrokerResult[]>;
}

/** Option `ensure` of the registry. */
export interface EnsureOptions {
  /** The admin client that creates what is missing (already started). */
  readonly admin: EnsureAdmin;
  /** Create missing topics. @defaultValue true */
  readonly topics?: boolean | undefined;
  /** Create missing consumer groups. @defaultValue true */
  readonly groups?: boolean | undefined;
  /**
   * An existing topic of another message type than declared: `'error'` fails with
   * `PRECONDITION_FAILED` (nothing is started), `'warn'` logs it and goes on.
   * @defaultValue 'error'
   */
  readonly onTypeMismatch?: 'error' | 'warn' | undefined;
}

/** What ensuring did. */
export interface EnsureReport {
  readonly createdTopics: readonly string[];
  readonly createdGroups: readonly string[];
  /** Existing topics whose type differs from the declared one (only with `onTypeMismatch: 'warn'`). */
  readonly mismatches: readonly {
    readonly topic: string;
    readonly declared: string;
    readonly actual: string;
  }[];
}

/** A topic or group as the registered consumers and producers declare it. */
export interface Declarations {
  readonly topics: ReadonlyMap<string, ManagedTopicType>;
  /** Group → FIFO. */
  readonly groups: ReadonlyMap<string, boolean>;
}

const TYPES: readonly string[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];

/** Checks a declared type. @throws RocketMQError `INVALID_ARGUMENT` */
export function checkTopicType(what: string, v: unknown): ManagedTopicType | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !TYPES.includes(v)) {
    throw new RocketMQError(
      `${what} must be one of ${TYPES.join(', ')}, got ${String(v)}`,
      'INVALID_ARGUMENT',
    );
  }
  return v as ManagedTopicType;
}

/** Checks the `ensure` option. @throws RocketMQError `INVALID_ARGUMENT` */
export function checkEnsureOptions(o: EnsureOptions | undefined): void {
  if (o === undefined) return;
  if (o === null || typeof o !== 'object')
    throw new RocketMQError('ensure must be an object', 'INVALID_ARGUMENT');
  const a = o.admin as unknown as Record<string, unknown> | undefined;
  for (const m of ['describeTopic', 'createTopic', 'listGroups', 'createGroup']) {
    if (a === null || typeof a !== 'object' || typeof a[m] !== 'function') {
      throw new RocketMQError(`ensure.admin needs a ${m}() method`, 'INVALID_ARGUMENT');
    }
  }
  if (o.onTypeMismatch !== undefined && o.onTypeMismatch !== 'error' && o.onTypeMismatch !== 'warn') {
    throw new RocketMQError("ensure.onTypeMismatch must be 'error' or 'warn'", 'INVALID_ARGUMENT');
  }
}

function failedOn(what: string, results: readonly EnsureBrokerResult[]): void {
  const bad = results.filter((r) => !r.ok);
  if (bad.length > 0 || results.length === 0) {
    const detail = bad.map((r) => `${r.brokerName}: ${r.code ?? ''} ${r.message ?? ''}`.trim()).join('; ');
    throw new RocketMQError(`${what} failed${detail ? ` (${detail})` : ''}`, 'INTERNAL');
  }
}

async function exists(probe: () => Promise<unknown>, notFound: string): Promise<unknown> {
  try {
    return await probe();
  } catch (e) {
    if (e instanceof RocketMQError && e.code === notFound) return undefined;
    throw e;
  }
}

/**
 * Creates the missing topics (with their declared type) and groups (FIFO where declared); leaves
 * existing ones alone.
 *
 * @throws RocketMQError `PRECONDITION_FAILED` for an existing topic of another type (unless
 *   `onTypeMismatch: 'warn'`); the admin's error when a call fails.
 */
export async function ensureResources(
  options: EnsureOptions,
  declared: Declarations,
  logger: Logger,
): Promise<EnsureReport> {
  const { admin } = options;
  const createdTopics: string[] = [];
  const createdGroups: string[] = [];
  const mismatches: { topic: string; declared: string; actual: string }[] = [];
  if (options.topics ?? true) {
    for (const [topic, type] of declared.topics) {
      const found = (await exists(() => admin.describeTopic(topic), 'TOPIC_NOT_FOUND')) as
        | { type: string | undefined }
        | undefined;
      if (found === undefined) {
        failedOn(`Creating topic ${topic}`, await admin.createTopic(topic, { type }));
        createdTopics.push(topic);
        logger.info('topic created', { topic, type });
        continue;
      }
      const actual = found.type ?? 'NORMAL';
      if (actual === type) continue;
      if ((options.onTypeMismatch ?? 'error') === 'error') {
        throw new RocketMQError(
          `Topic ${topic} exists with message type ${actual}, but ${type} is declared`,
          'PRECONDITION_FAILED',
        );
      }
      mismatches.push({ topic, declared: type, actual });
      logger.warn('topic exists with another message type', { topic, declared: type, actual });
    }
  }
  if ((options.groups ?? true) && declared.groups.size > 0) {
    const existing = new Set(await admin.listGroups());
    for (const [group, fifo] of declared.groups) {
      if (existing.has(group)) continue;
      failedOn(`Creating group ${group}`, await admin.createGroup(group, { fifo }));
      createdGroups.push(group);
      logger.info('consumer group created', { group, fifo });
    }
  }
  return { createdTopics, createdGroups, mismatches };
}
