/**
 * `Admin`: operations on a RocketMQ 5.x deployment from Node, over the remoting protocol of the name
 * server and the brokers (the proxy's gRPC service has no admin calls).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { deadlineSignal, linkSignals } from '../internal/abort.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { startAdminSpan } from '../observability/admin-spans.js';
import { defaultLogger, type Logger, safeLogger } from '../observability/logger.js';
import type { Credentials } from '../rpc/auth/credentials.js';
import type { AdminApi, AdminState } from './admin-api.js';
import { brokerVersion, listBrokers } from './cluster.js';
import type { OpContext } from './context.js';
import * as groups from './group-ops.js';
import * as messages from './message-ops.js';
import * as offsets from './offset-ops.js';
import { splitAddress } from './remoting/connection.js';
import { ConnectionPool } from './remoting/pool.js';
import * as topics from './topic-ops.js';
import type {
  AdminCallOptions,
  AdminMessage,
  BrokerInfo,
  BrokerResult,
  DeadLetter,
  FindMessagesOptions,
  GroupDescription,
  GroupLag,
  GroupOptions,
  OffsetResetResult,
  RedriveResult,
  TopicDescription,
  TopicOptions,
} from './types.js';

/** Options of {@link Admin}. */
export interface AdminOptions {
  /** Name server address(es), `host:port`; several as an array or separated by `;`. */
  readonly namesrv: string | readonly string[];
  /** ACL 2.0 credentials (user name and password); every request is signed with them. */
  readonly credentials?: Credentials | undefined;
  /**
   * Where each call is logged (at `debug`: operation, duration, outcome), as for the clients.
   * @defaultValue silent unless `NODE_DEBUG` names `rocketmq`
   */
  readonly logger?: Logger | undefined;
  /** Bound of each request, ms. @defaultValue 10000 */
  readonly requestTimeoutMs?: number | undefined;
  /** @internal Time source (tests). */
  readonly clock?: Clock | undefined;
}

type State = { readonly t: 'created' } | { readonly t: 'running' } | { readonly t: 'closed' };

function parseNamesrv(v: unknown): string[] {
  const list = typeof v === 'string' ? v.split(';') : Array.isArray(v) ? v : undefined;
  const out = (list ?? []).map((a) => (typeof a === 'string' ? a.trim() : '')).filter((a) => a !== '');
  if (out.length === 0)
    throw new RocketMQError('namesrv must name at least one host:port', 'INVALID_ARGUMENT');
  for (const a of out) splitAddress(a);
  return out;
}

function checkTimeout(what: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v) || v <= 0)) {
    throw new RocketMQError(`${what} must be a positive number of ms`, 'INVALID_ARGUMENT');
  }
}

/**
 * An admin client.
 *
 * @example
 * ```ts
 * import { Admin } from 'rocketmq-ts/admin';
 * const admin = new Admin({ namesrv: '127.0.0.1:9876' });
 * await admin.start();
 * await admin.createTopic('orders', { type: 'FIFO', queues: 4 });
 * await admin.createGroup('billing', { fifo: true, maxDeliveryAttempts: 5 });
 * const { totalLag } = await admin.lag('billing');
 * await admin.shutdown();
 * ```
 */
export class Admin implements AdminApi {
  readonly #namesrv: readonly string[];
  readonly #pool: ConnectionPool;
  readonly #requestTimeoutMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #closing = new AbortController();
  readonly #running = new Set<Promise<unknown>>();
  #state: State = { t: 'created' };

  /** @throws RocketMQError `INVALID_ARGUMENT` on bad options. */
  constructor(options: AdminOptions) {
    if (options === null || typeof options !== 'object') {
      throw new RocketMQError('Admin options must be an object', 'INVALID_ARGUMENT');
    }
    this.#namesrv = parseNamesrv(options.namesrv);
    checkTimeout('requestTimeoutMs', options.requestTimeoutMs);
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#clock = options.clock ?? systemClock;
    if (options.logger !== undefined && (options.logger === null || typeof options.logger !== 'object')) {
      throw new RocketMQError('logger must be an object', 'INVALID_ARGUMENT');
    }
    this.#logger = safeLogger(options.logger ?? defaultLogger());
    const c = options.credentials;
    if (c !== undefined && (typeof c?.accessKey !== 'string' || typeof c?.accessSecret !== 'string')) {
      throw new RocketMQError('credentials need accessKey and accessSecret strings', 'INVALID_ARGUMENT');
    }
    this.#pool = new ConnectionPool(
      c ? { accessKey: c.accessKey, secretKey: c.accessSecret } : undefined,
      undefined,
    );
  }

  /** `'created'`, `'running'` or `'closed'`. */
  get state(): AdminState {
    return this.#state.t;
  }

  /** Checks that a name server answers. Idempotent. */
  async start(options: AdminCallOptions = {}): Promise<void> {
    if (this.#state.t === 'running') return;
    if (this.#state.t === 'closed') throw new RocketMQError('The admin client is closed', 'CLOSED');
    this.#state = { t: 'running' };
    try {
      await this.#run('start', options, (ctx) => listBrokers(ctx));
    } catch (e) {
      this.#state = { t: 'created' };
      throw e;
    }
  }

  /** Waits up to `timeoutMs` for calls in flight, then closes every connection. Idempotent. */
  async shutdown(options: { timeoutMs?: number } = {}): Promise<void> {
    checkTimeout('timeoutMs', options.timeoutMs);
    if (this.#state.t === 'closed') return;
    this.#state = { t: 'closed' };
    const bound = deadlineSignal(options.timeoutMs ?? 10_000);
    try {
      const all = Promise.allSettled([...this.#running]);
      await new Promise<void>((resolve) => {
        all.then(() => resolve());
        bound.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } finally {
      bound.clear();
      this.destroy();
    }
  }

  /** Closes at once: calls in flight fail with `CLOSED`. */
  destroy(): void {
    this.#state = { t: 'closed' };
    this.#closing.abort(new RocketMQError('The admin client was closed', 'CLOSED'));
    this.#pool.closeAll();
  }

  /** Every broker with its address, role and version. */
  cluster(options: AdminCallOptions = {}): Promise<BrokerInfo[]> {
    return this.#run('cluster', options, async (ctx) => {
      const brokers = await listBrokers(ctx);
      return Promise.all(brokers.map(async (b) => ({ ...b, version: await brokerVersion(ctx, b.address) })));
    });
  }

  /** Creates or overwrites a topic on every master (or the chosen ones); one result per broker. */
  createTopic(name: string, options: TopicOptions & AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('createTopic', options, (ctx) => topics.createTopic(ctx, name, options));
  }

  /** Changes the given settings of an existing topic; one result per broker. */
  updateTopic(name: string, options: TopicOptions & AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('updateTopic', options, (ctx) => topics.updateTopic(ctx, name, options));
  }

  /** Deletes a topic from the brokers and the name servers; system topics are refused. */
  deleteTopic(name: string, options: AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('deleteTopic', options, (ctx) => topics.deleteTopic(ctx, name));
  }

  /** Topic names; system, retry and dead-letter topics only with `includeSystem`. */
  listTopics(options: AdminCallOptions & { includeSystem?: boolean } = {}): Promise<string[]> {
    return this.#run('listTopics', options, (ctx) => topics.listTopics(ctx, options.includeSystem === true));
  }

  /** Route, message type and per-queue offsets of a topic. */
  describeTopic(name: string, options: AdminCallOptions = {}): Promise<TopicDescription> {
    return this.#run('describeTopic', options, (ctx) => topics.describeTopic(ctx, name));
  }

  /** Creates or overwrites a consumer group on every master (or the chosen ones). */
  createGroup(name: string, options: GroupOptions & AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('createGroup', options, (ctx) => groups.createGroup(ctx, name, options));
  }

  /** Changes the given settings of a consumer group. */
  updateGroup(name: string, options: GroupOptions & AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('updateGroup', options, (ctx) => groups.updateGroup(ctx, name, options));
  }

  /** Deletes a consumer group and its offsets. */
  deleteGroup(name: string, options: AdminCallOptions = {}): Promise<BrokerResult[]> {
    return this.#run('deleteGroup', options, (ctx) => groups.deleteGroup(ctx, name));
  }

  /** Consumer group names; system groups only with `includeSystem`. */
  listGroups(options: AdminCallOptions & { includeSystem?: boolean } = {}): Promise<string[]> {
    return this.#run('listGroups', options, (ctx) => groups.listGroups(ctx, options.includeSystem === true));
  }

  /** A group's settings and connected clients. */
  describeGroup(name: string, options: AdminCallOptions = {}): Promise<GroupDescription> {
    return this.#run('describeGroup', options, (ctx) => groups.describeGroup(ctx, name));
  }

  /** Lag per queue and in total, and the age of the oldest unconsumed message. */
  lag(group: string, options: AdminCallOptions & { topic?: string } = {}): Promise<GroupLag> {
    return this.#run('lag', options, (ctx) => offsets.groupLag(ctx, group, options.topic));
  }

  /** Moves a group's offsets on a topic to `timestamp`; `dryRun` only reports the change. */
  resetOffset(
    group: string,
    topic: string,
    timestamp: number,
    options: AdminCallOptions & { dryRun?: boolean } = {},
  ): Promise<OffsetResetResult> {
    return this.#run('resetOffset', options, (ctx) =>
      offsets.resetOffset(ctx, group, topic, timestamp, options.dryRun === true),
    );
  }

  /** A message by its id. */
  getMessage(topic: string, messageId: string, options: AdminCallOptions = {}): Promise<AdminMessage> {
    return this.#run('getMessage', options, (ctx) => messages.getMessage(ctx, topic, messageId));
  }

  /** Messages carrying a key, stored within a time range. */
  findMessages(topic: string, key: string, options: FindMessagesOptions = {}): Promise<AdminMessage[]> {
    return this.#run('findMessages', options, (ctx) => messages.findMessages(ctx, topic, key, options));
  }

  /** A group's dead letters, oldest first. */
  listDeadLetters(group: string, options: AdminCallOptions & { max?: number } = {}): Promise<DeadLetter[]> {
    return this.#run('listDeadLetters', options, (ctx) =>
      messages.listDeadLetters(ctx, group, options.max ?? 100),
    );
  }

  /** Sends chosen dead letters (all by default) back to their original topic; one result per message. */
  redriveDeadLetters(
    group: string,
    options: AdminCallOptions & { messageIds?: readonly string[]; max?: number } = {},
  ): Promise<RedriveResult[]> {
    return this.#run('redriveDeadLetters', options, (ctx) =>
      messages.redriveDeadLetters(ctx, group, options.messageIds, options.max ?? 1000),
    );
  }

  #run<T>(operation: string, options: AdminCallOptions, op: (ctx: OpContext) => Promise<T>): Promise<T> {
    if (this.#state.t === 'created') {
      return Promise.reject(new RocketMQError('Call start() before using the admin client', 'INVALID_STATE'));
    }
    if (this.#state.t === 'closed')
      return Promise.reject(new RocketMQError('The admin client is closed', 'CLOSED'));
    const o = options ?? {};
    try {
      checkTimeout('timeoutMs', o.timeoutMs);
    } catch (e) {
      return Promise.reject(e);
    }
    const deadline = deadlineSignal(o.timeoutMs ?? this.#requestTimeoutMs * 3);
    const signal = linkSignals(o.signal, deadline.signal, this.#closing.signal);
    const ctx: OpContext = {
      pool: this.#pool,
      namesrv: this.#namesrv,
      signal,
      requestTimeoutMs: this.#requestTimeoutMs,
      clock: this.#clock,
    };
    const span = startAdminSpan(operation);
    const startedAt = this.#clock.now();
    const work = (async () => {
      try {
        if (signal.aborted) throw signal.reason;
        const result = await op(ctx);
        span?.ok();
        this.#logger.debug('admin call', { operation, durationMs: this.#clock.now() - startedAt });
        return result;
      } catch (e) {
        const err = RocketMQError.from(signal.aborted ? signal.reason : e);
        span?.fail(err);
        this.#logger.debug('admin call failed', {
          operation,
          durationMs: this.#clock.now() - startedAt,
          code: err.code,
        });
        throw err;
      } finally {
        deadline.clear();
      }
    })();
    this.#running.add(work);
    work.then(
      () => this.#running.delete(work),
      () => this.#running.delete(work),
    );
    return work;
  }
}
