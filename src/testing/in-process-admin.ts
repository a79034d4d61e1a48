/**
 * `InProcessAdmin`: the `AdminApi` of `rocketmq-ts/admin` over an in-process broker's memory, so
 * tests create topics and groups, read lag, look messages up, redrive dead letters and reset offsets
 * the way production code does against a real deployment.
 *
 * @packageDocumentation
 */

import type { AdminApi, AdminState } from '../admin/admin-api.js';
import { checkGroupOptions } from '../admin/group-ops.js';
import { topicSpec } from '../admin/topic-ops.js';
import type {
  AdminCallOptions,
  AdminMessage,
  BrokerInfo,
  BrokerResult,
  BrokerSelection,
  ConnectedClient,
  DeadLetter,
  FindMessagesOptions,
  GroupDescription,
  GroupLag,
  GroupOptions,
  OffsetResetResult,
  RedriveResult,
  TopicDescription,
  TopicMessageType,
  TopicOptions,
} from '../admin/types.js';
import {
  isSystemGroup,
  isSystemTopic,
  validateGroupName,
  validatePositive,
  validateReadableTopic,
  validateTimeRange,
  validateTimestamp,
  validateTopicName,
} from '../admin/validation.js';
import { RocketMQError } from '../errors.js';
import type { BrokerCore } from './broker-core.js';
import {
  adminMessageOf,
  deadLetters,
  groupLag,
  messagesOf,
  offsetChanges,
  redrive,
  requireTopicState,
} from './in-process-admin-messages.js';
import { toSettingsSummary } from './telemetry-convert.js';

/** The cluster name the in-process broker reports. */
const CLUSTER = 'DefaultCluster';
const ADMIN_TYPES: readonly string[] = ['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION'];

function unsupported(operation: string, what: string): RocketMQError {
  return new RocketMQError(`${operation}: ${what} is not supported by the in-process broker`, 'UNSUPPORTED');
}

function checkTimeout(what: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v) || v <= 0)) {
    throw new RocketMQError(`${what} must be a positive number of ms`, 'INVALID_ARGUMENT');
  }
}

/**
 * The admin operations over an in-process broker (get one with `broker.admin()`). Every call is
 * answered from the broker's memory; what the in-process broker does not model (separate read and
 * write queue counts, permissions other than `RW`, shrinking a topic) fails with `UNSUPPORTED`
 * naming the operation.
 *
 * Consumer offsets: a queue's offset is the first message the group has not finished (acknowledged,
 * dead-lettered or filtered out), so messages in flight count as lag until they are acknowledged. A
 * reset forgets the group's deliveries in flight on that topic (their receipt handles stop working).
 *
 * @example
 * ```ts
 * const broker = await InProcessBroker.start();
 * const admin = broker.admin();
 * await admin.start();
 * await admin.createTopic('orders', { type: 'FIFO', queues: 4 });
 * await admin.createGroup('billing', { fifo: true });
 * const { totalLag } = await admin.lag('billing', { topic: 'orders' });
 * ```
 */
export class InProcessAdmin implements AdminApi {
  readonly #core: BrokerCore;
  readonly #endpoint: () => string;
  #state: AdminState = 'created';

  /** @internal Use `InProcessBroker.admin()`. */
  constructor(core: BrokerCore, endpoint: () => string) {
    this.#core = core;
    this.#endpoint = endpoint;
  }

  /** `'created'`, `'running'` or `'closed'`. */
  get state(): AdminState {
    return this.#state;
  }

  /** Makes the admin usable; fails with `CLOSED` once the broker is shut down. Idempotent. */
  async start(options: AdminCallOptions = {}): Promise<void> {
    if (this.#state === 'running') return;
    if (this.#state === 'closed') throw new RocketMQError('The admin client is closed', 'CLOSED');
    this.#state = 'running';
    try {
      await this.#run('start', options, () => undefined);
    } catch (e) {
      this.#state = 'created';
      throw e;
    }
  }

  /** Closes (every call is answered at once, so nothing is ever in flight). Idempotent. */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    checkTimeout('timeoutMs', options?.timeoutMs);
    this.#state = 'closed';
  }

  /** Closes at once. */
  destroy(): void {
    this.#state = 'closed';
  }

  /** The broker itself, as the master of `DefaultCluster`. */
  cluster(options: AdminCallOptions = {}): Promise<BrokerInfo[]> {
    return this.#run('cluster', options, () => [
      {
        cluster: CLUSTER,
        brokerName: this.#core.options.brokerName,
        brokerId: 0,
        address: this.#endpoint(),
        role: 'MASTER',
        version: 'IN_PROCESS',
      },
    ]);
  }

  /** Creates or overwrites a topic (type and queue count). */
  createTopic(name: string, options: TopicOptions & AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('createTopic', options, () => this.#putTopic('createTopic', name, options, false));
  }

  /** Changes the given settings of an existing topic; the queue count may only grow. */
  updateTopic(name: string, options: TopicOptions & AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('updateTopic', options, () => this.#putTopic('updateTopic', name, options, true));
  }

  /** Deletes a topic and its messages; system topics are refused. */
  deleteTopic(name: string, options: AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('deleteTopic', options, () => {
      const topic = validateTopicName(name);
      this.#core.delivery.forgetTopic(topic);
      this.#core.store.deleteTopic(topic);
      return this.#ok();
    });
  }

  /** Topic names, sorted; dead-letter topics only with `includeSystem`. */
  listTopics(options: AdminCallOptions & { includeSystem?: boolean } = {}): Promise<string[]> {
    return this.#run('listTopics', options, () =>
      [...this.#core.store.topics()]
        .map((t) => t.name)
        .filter((n) => options?.includeSystem === true || !(isSystemTopic(n) || n.startsWith('%')))
        .sort(),
    );
  }

  /** Type, queue counts and per-queue offsets of a topic. @throws RocketMQError `TOPIC_NOT_FOUND` */
  describeTopic(name: string, options: AdminCallOptions = {}): Promise<TopicDescription> {
    return this.#run('describeTopic', options, () => {
      const t = requireTopicState(this.#core, validateReadableTopic(name));
      const brokerName = this.#core.options.brokerName;
      const type = ADMIN_TYPES.includes(t.type) ? (t.type as TopicMessageType) : undefined;
      return {
        topic: t.name,
        type,
        brokers: [
          {
            brokerName,
            address: this.#endpoint(),
            readQueues: t.queueCount,
            writeQueues: t.queueCount,
            perm: 'RW',
            type,
          },
        ],
        queues: t.queues.map((q, queueId) => ({
          brokerName,
          queueId,
          minOffset: 0,
          maxOffset: q.length,
          lastUpdateTimestamp: q.at(-1)?.storeTimestampMs ?? 0,
        })),
      };
    });
  }

  /** Creates or overwrites a consumer group (FIFO, delivery attempts, retry policy). */
  createGroup(name: string, options: GroupOptions & AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('createGroup', options, () => this.#putGroup('createGroup', name, options, false));
  }

  /** Changes the given settings of a consumer group; the others keep their value. */
  updateGroup(name: string, options: GroupOptions & AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('updateGroup', options, () => this.#putGroup('updateGroup', name, options, true));
  }

  /** Deletes a consumer group and its offsets. */
  deleteGroup(name: string, options: AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('deleteGroup', options, () => {
      const group = validateGroupName(name);
      this.#core.groups.delete(group);
      this.#core.delivery.forgetGroup(group);
      return this.#ok();
    });
  }

  /** Group names, sorted (groups are also created on first use, as with `autoCreateSubscriptionGroup`). */
  listGroups(options: AdminCallOptions & { includeSystem?: boolean } = {}): Promise<string[]> {
    return this.#run('listGroups', options, () =>
      this.#core.groups
        .names()
        .filter((n) => options?.includeSystem === true || !isSystemGroup(n))
        .sort(),
    );
  }

  /** A group's settings and the consumers that sent Settings for it. */
  describeGroup(name: string, options: AdminCallOptions = {}): Promise<GroupDescription> {
    return this.#run('describeGroup', options, () => {
      const group = validateGroupName(name);
      const config = this.#core.groups.peek(group);
      if (config === undefined) {
        throw new RocketMQError(`Group ${group} does not exist`, 'CONSUMER_GROUP_NOT_FOUND');
      }
      return {
        group,
        fifo: config.fifo,
        maxDeliveryAttempts: config.maxDeliveryAttempts,
        retryPolicy: config.retryPolicy,
        brokers: [this.#core.options.brokerName],
        clients: this.#clientsOf(group),
      };
    });
  }

  /** Lag per queue and in total, and the age of the oldest unconsumed message. */
  lag(group: string, options: AdminCallOptions & { topic?: string } = {}): Promise<GroupLag> {
    return this.#run('lag', options, () => {
      const g = validateGroupName(group);
      const topic = options?.topic === undefined ? undefined : validateReadableTopic(options.topic);
      return groupLag(this.#core, g, topic);
    });
  }

  /** Moves the group's offsets on `topic` to the first message stored at or after `timestamp`. */
  resetOffset(
    group: string,
    topic: string,
    timestamp: number,
    options: AdminCallOptions & { dryRun?: boolean } = {},
  ): Promise<OffsetResetResult> {
    return this.#run('resetOffset', options, () => {
      const g = validateGroupName(group);
      const t = requireTopicState(this.#core, validateReadableTopic(topic));
      validateTimestamp('timestamp', timestamp);
      const changes = offsetChanges(this.#core, g, t, timestamp);
      if (options?.dryRun === true) {
        return { group: g, topic: t.name, timestamp, applied: false, changes, brokers: [] };
      }
      this.#core.delivery.resetOffsets(
        g,
        t,
        changes.map((c) => c.to),
      );
      return { group: g, topic: t.name, timestamp, applied: true, changes, brokers: this.#ok() };
    });
  }

  /** A message by its id. @throws RocketMQError `MESSAGE_NOT_FOUND` */
  getMessage(topic: string, messageId: string, options: AdminCallOptions = {}): Promise<AdminMessage> {
    return this.#run('getMessage', options, () => {
      const name = validateReadableTopic(topic);
      if (typeof messageId !== 'string' || !/^[0-9A-Fa-f]{16,64}$/.test(messageId)) {
        throw new RocketMQError(`"${String(messageId)}" is not a message id`, 'ILLEGAL_MESSAGE_ID');
      }
      const hit = messagesOf(requireTopicState(this.#core, name)).find((m) => m.messageId === messageId);
      if (hit === undefined)
        throw new RocketMQError(`No message ${messageId} in ${name}`, 'MESSAGE_NOT_FOUND');
      return adminMessageOf(hit, this.#core.options.brokerName, this.#endpoint());
    });
  }

  /** Messages of `topic` carrying `key`, stored within the range, oldest first. */
  findMessages(topic: string, key: string, options: FindMessagesOptions = {}): Promise<AdminMessage[]> {
    return this.#run('findMessages', options, () => {
      const name = validateReadableTopic(topic);
      if (typeof key !== 'string' || key.length === 0 || /\s/.test(key)) {
        throw new RocketMQError('The key must be a non-empty string without spaces', 'ILLEGAL_MESSAGE_KEY');
      }
      const o = options ?? {};
      const range = validateTimeRange(o.begin ?? 0, o.end ?? this.#core.clock.now());
      const max = validatePositive('max', o.max ?? 32, 64);
      return messagesOf(requireTopicState(this.#core, name))
        .filter(
          (m) => m.keys.includes(key) && m.storeTimestampMs >= range.begin && m.storeTimestampMs <= range.end,
        )
        .sort((a, b) => a.storeTimestampMs - b.storeTimestampMs)
        .slice(0, max)
        .map((m) => adminMessageOf(m, this.#core.options.brokerName, this.#endpoint()));
    });
  }

  /** A group's dead letters, oldest first. @throws RocketMQError `TOPIC_NOT_FOUND` without a DLQ. */
  listDeadLetters(group: string, options: AdminCallOptions & { max?: number } = {}): Promise<DeadLetter[]> {
    return this.#run('listDeadLetters', options, () => {
      const g = validateGroupName(group);
      const max = validatePositive('max', options?.max ?? 100, 10_000);
      return deadLetters(this.#core, g, max, this.#endpoint());
    });
  }

  /** Sends chosen dead letters (all by default) back to their original topic; one result per message. */
  redriveDeadLetters(
    group: string,
    options: AdminCallOptions & { messageIds?: readonly string[]; max?: number } = {},
  ): Promise<RedriveResult[]> {
    return this.#run('redriveDeadLetters', options, () => {
      const g = validateGroupName(group);
      const ids = options?.messageIds;
      if (ids !== undefined && (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string'))) {
        throw new RocketMQError('messageIds must be an array of message ids', 'INVALID_ARGUMENT');
      }
      const max = validatePositive('max', options?.max ?? 1000, 10_000);
      return redrive(this.#core, g, ids, max);
    });
  }

  #ok(): BrokerResult[] {
    return [{ brokerName: this.#core.options.brokerName, address: this.#endpoint(), ok: true }];
  }

  #checkSelection(operation: string, s: BrokerSelection): void {
    if (s.cluster !== undefined && s.cluster !== CLUSTER) {
      throw new RocketMQError(`${operation}: no master in cluster "${s.cluster}"`, 'INVALID_ARGUMENT');
    }
    const unknown = (s.brokers ?? []).filter((b) => b !== this.#core.options.brokerName);
    if (unknown.length > 0) {
      throw new RocketMQError(`${operation}: unknown broker(s): ${unknown.join(', ')}`, 'INVALID_ARGUMENT');
    }
  }

  #putTopic(operation: string, name: string, options: TopicOptions, merge: boolean): BrokerResult[] {
    const topic = validateTopicName(name);
    const spec = topicSpec(options ?? {}, !merge);
    this.#checkSelection(operation, options ?? {});
    if (spec.perm !== undefined && spec.perm !== 6)
      throw unsupported(operation, 'a permission other than RW');
    if (spec.readQueues !== spec.writeQueues) {
      throw unsupported(operation, 'separate read and write queue counts');
    }
    const current = this.#core.store.topic(topic);
    if (merge && current === undefined) {
      throw new RocketMQError(`Topic ${topic} does not exist`, 'TOPIC_NOT_FOUND');
    }
    const queues = spec.writeQueues ?? current?.queueCount ?? this.#core.options.defaultQueueCount;
    if (current !== undefined && queues < current.queueCount) {
      throw unsupported(operation, `shrinking ${topic} from ${current.queueCount} to ${queues} queues`);
    }
    this.#core.store.createTopic(topic, spec.type ?? current?.type ?? 'NORMAL', queues);
    return this.#ok();
  }

  #putGroup(operation: string, name: string, options: GroupOptions, merge: boolean): BrokerResult[] {
    const group = validateGroupName(name);
    const o = options ?? {};
    checkGroupOptions(o);
    this.#checkSelection(operation, o);
    const current = merge ? this.#core.groups.peek(group) : undefined;
    const retryPolicy = o.retryPolicy ?? current?.retryPolicy;
    const attempts = o.maxDeliveryAttempts ?? current?.maxDeliveryAttempts;
    this.#core.groups.create(group, {
      fifo: o.fifo ?? current?.fifo ?? false,
      ...(attempts !== undefined ? { maxDeliveryAttempts: attempts } : {}),
      ...(retryPolicy !== undefined ? { retryPolicy } : {}),
    });
    return this.#ok();
  }

  #clientsOf(group: string): ConnectedClient[] {
    const out: ConnectedClient[] = [];
    for (const clientId of this.#core.hub.clientIds()) {
      const settings = this.#core.hub.settings(clientId);
      if (settings === undefined) continue;
      const s = toSettingsSummary(settings);
      if (s.group !== group) continue;
      out.push({
        clientId,
        address: '',
        language: s.userAgent?.language ?? '',
        version: 0,
        brokerName: this.#core.options.brokerName,
      });
    }
    return out.sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  async #run<T>(operation: string, options: AdminCallOptions, op: () => T): Promise<T> {
    if (this.#state === 'created') {
      throw new RocketMQError(`${operation}: call start() before using the admin client`, 'INVALID_STATE');
    }
    if (this.#state === 'closed' || this.#core.isClosed()) {
      throw new RocketMQError(`${operation}: the admin client or its broker is closed`, 'CLOSED');
    }
    const o = options ?? {};
    checkTimeout('timeoutMs', o.timeoutMs);
    if (o.signal?.aborted) throw RocketMQError.from(o.signal.reason);
    try {
      return op();
    } catch (e) {
      if (e instanceof RocketMQError) throw e;
      // The store's own checks (RangeError, broker status errors) surface as typed argument errors.
      throw new RocketMQError(`${operation}: ${(e as Error).message}`, 'INVALID_ARGUMENT', { cause: e });
    }
  }
}
