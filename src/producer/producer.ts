/**
 * The producer: normal, FIFO, delay, priority, lite and transactional sends, with retries.
 *
 * Lifecycle: `start()` must be called (and have resolved) before sending; a send during `start()` waits
 * for it. Before `start()` (or after a failed start) sends reject with `INVALID_STATE`; once
 * `shutdown()` was called, with `CLOSED`. `start()` and `shutdown()` are idempotent and coalesce
 * concurrent calls; `await using producer = new Producer(...)` shuts down at scope exit.
 *
 * `shutdown({ timeoutMs })` stops accepting sends, waits (bounded) for sends in flight, then shuts the
 * client core down (termination notices, telemetry, channels), all within the bound; calls still in
 * flight when the bound is reached reject with `CLOSED`. `destroy()` does the same without waiting, and
 * ends a graceful shutdown in progress at once (see `internal/lifecycle.ts`).
 *
 * A send: validation (nothing is sent for an invalid message) → the publish span (`client-telemetry.ts`)
 * → trace properties from that span → route (cached) →
 * candidate queues (`queue-selector.ts`) → message type check against the queue when the server asks for
 * it → attempts (`send-retry.ts`), isolating endpoints that fail (`isolation.ts`). The message id is
 * generated once; the born timestamp is re-stamped on every attempt.
 *
 * With `batching` on, `send()` of a NORMAL message hands it (validated, traced, with its id) to the
 * auto-batcher (`auto-batcher.ts`); each batch then takes the path above as one request, and its
 * response is mapped back to each caller (`batch-results.ts`).
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import { createDeadline, linkSignals } from '../internal/abort.js';
import type { BackoffPolicy, RandomSource } from '../internal/backoff.js';
import { type Closing, Lifecycle } from '../internal/lifecycle.js';
import type { ResourceSnapshot } from '../internal/resource-count.js';
import type { TaskHandle } from '../internal/scheduler.js';
import { type MessageInit, type PreparedMessage, validateMessage } from '../model/message.js';
import type { ServerAddress } from '../observability/messaging-attributes.js';
import { MessageIdGenerator } from '../model/message-id.js';
import type { MessageView } from '../model/message-view.js';
import { createSendReceipt, type SendReceipt } from '../model/send-receipt.js';
import { ClientTelemetry, type SendOperation } from '../observability/client-telemetry.js';
import type { Logger } from '../observability/logger.js';
import { ClientCore } from '../protocol/client-core.js';
import type { ClientCoreStateName } from '../protocol/client-state.js';
import { sendHeartbeat } from '../protocol/lifecycle-convert.js';
import { InterceptorChain } from '../protocol/interceptors.js';
import type { RouteQueue } from '../protocol/route.js';
import {
  type EntryResult,
  type OutgoingMessage,
  recallMessage,
  type SendEntry,
  sendMessageResults,
} from '../protocol/send-convert.js';
import { DEFAULT_PRODUCER_RETRY_POLICY } from '../protocol/settings.js';
import type { CommandContext, WireMessage } from '../protocol/telemetry-session.js';
import {
  checkedMessageView,
  endTransaction,
  type TransactionDecision,
} from '../protocol/transaction-convert.js';
import { endpointKey } from '../rpc/endpoints.js';
import { AutoBatcher, type BatchItem } from './auto-batcher.js';
import { perMessageResults } from './batch-results.js';
import { BrokerAvoidance } from './broker-avoidance.js';
import { EndpointIsolation } from './isolation.js';
import {
  type CallOptions,
  checkCallOptions,
  type ProducerOptions,
  type ResolvedProducerOptions,
  resolveProducerOptions,
  type SendOptions,
  type TransactionCheckResult,
} from './options.js';
import { checkMessageType, SendQueueSelector } from './queue-selector.js';
import { runWithRetry } from './send-retry.js';
import { Transaction } from './transaction.js';

/**
 * Result of {@link Producer.sendBatch}. The proxy answers a batch with **one** entry for the whole
 * batch (cluster mode: its `messageId` is the client ids joined with `,`; offset = the first message's
 * offset). `entries` is exactly what the proxy returned; `messageIds` are the ids this client gave the
 * messages, in order.
 */
export interface BatchSendReceipt {
  /** The ids this client gave the messages, in the order given. */
  readonly messageIds: readonly string[];
  /** The proxy's entries, as returned (one for the whole batch with the Apache proxy). */
  readonly entries: readonly SendReceipt[];
}

/** Options of {@link Producer.start}. */
export interface ProducerStartOptions {
  /** Aborting interrupts the start: `ABORTED`. */
  signal?: AbortSignal | undefined;
  /** Bound of the whole start in milliseconds. @defaultValue none (each step has its own bound) */
  timeoutMs?: number | undefined;
}

/** Options of {@link Producer.shutdown}. */
export interface ProducerShutdownOptions {
  /** Bound of the graceful part (sends in flight, termination notices). @defaultValue 5000 */
  timeoutMs?: number | undefined;
}

/** Default jitter applied to a server backoff that has none. */
const THROTTLE_JITTER = 0.2;

interface SendPlan {
  readonly messages: readonly OutgoingMessage[];
  readonly topic: string;
  /**
   * Entries are returned as they are, failed ones included, unless every one failed (then the first
   * error is the attempt's error). Without it, any failed entry fails the attempt.
   */
  readonly perEntry?: boolean | undefined;
  readonly type: PreparedMessage['type'];
  readonly messageGroup?: string | undefined;
}

interface SentEntry {
  /** Every entry of the response: each one OK, unless the plan asked for `perEntry`. */
  readonly results: EntryResult[];
  readonly queue: RouteQueue;
  readonly attempts: number;
}

/** A message waiting for auto-batching, with its caller's publish operation and deadline. */
interface BatchedSend {
  readonly outgoing: OutgoingMessage;
  readonly op: SendOperation;
  /** Monotonic time by which the caller's `timeoutMs` ends. */
  readonly deadlineAt: number | undefined;
}

/** A message validated without its trace properties yet. */
interface Validated {
  readonly prepared: PreparedMessage;
  readonly now: number;
  readonly maxBodySize: number;
}

/**
 * Publishes messages of every type.
 *
 * @example
 * ```ts
 * await using producer = new Producer({ endpoints: '127.0.0.1:8081', topics: ['orders'] });
 * await producer.start();
 * const receipt = await producer.send({ topic: 'orders', body: 'hello', tag: 'created' });
 * ```
 */
export class Producer {
  readonly #options: ResolvedProducerOptions;
  readonly #core: ClientCore;
  readonly #isolation: EndpointIsolation;
  readonly #avoidance: BrokerAvoidance;
  readonly #selector: SendQueueSelector;
  readonly #ids = new MessageIdGenerator();
  readonly #logger: Logger;
  readonly #telemetry: ClientTelemetry;
  readonly #random: RandomSource;
  readonly #lifecycle: Lifecycle;
  readonly #interceptors: InterceptorChain;
  /** Where each receipt's message was accepted (EndTransaction goes there). */
  readonly #acceptedBy = new WeakMap<SendReceipt, RouteQueue['endpoints']>();
  readonly #batcher: AutoBatcher<BatchedSend> | undefined;
  #starting: Promise<void> | undefined;
  #probe: TaskHandle | undefined;
  #throttle: { readonly from: BackoffPolicy; readonly policy: BackoffPolicy } | undefined;

  /**
   * @throws RocketMQError `INVALID_ARGUMENT` for invalid options, `ILLEGAL_ACCESS_POINT` for malformed
   * endpoints, `ILLEGAL_TOPIC` for a bad name in `topics`.
   */
  constructor(options: ProducerOptions) {
    this.#options = resolveProducerOptions(options);
    const o = this.#options;
    this.#random = o.random ?? Math.random;
    try {
      this.#core = new ClientCore({
        ...o.core,
        clientType: 'producer',
        accessPoint: o.endpoints,
        namespace: o.namespace,
        credentials: o.credentials,
        tls: o.tls,
        requestTimeoutMs: o.requestTimeoutMs,
        topics: o.topics,
        retryPolicy: { maxAttempts: o.maxAttempts, backoff: DEFAULT_PRODUCER_RETRY_POLICY.backoff },
        logger: o.logger,
        clientId: o.clientId,
        clock: o.clock ?? o.core?.clock,
        timers: o.timers ?? o.core?.timers,
        random: this.#random,
        handlers: {
          recoverOrphanedTransaction: (command, context) => this.#onTransactionCheck(command, context),
        },
      });
    } catch (err) {
      const e = RocketMQError.from(err);
      throw e.code === 'INVALID_ARGUMENT' || e.code === 'ILLEGAL_ACCESS_POINT'
        ? e
        : new RocketMQError(e.message, 'INVALID_ARGUMENT', { cause: e });
    }
    this.#logger = this.#core.logger;
    this.#lifecycle = new Lifecycle({
      scheduler: this.#core.scheduler,
      clock: this.#core.clock,
      resources: this.#core.resources,
      closedError: closedError,
      onStepError: (err) => this.#logger.warn('producer shutdown step failed', { err }),
    });
    this.#telemetry = new ClientTelemetry(
      { clientId: this.#core.clientId, namespace: o.namespace },
      this.#core.clock,
    );
    this.#interceptors = new InterceptorChain(o.interceptors, this.#logger, this.#core.clock);
    this.#isolation = new EndpointIsolation(this.#logger);
    this.#avoidance = new BrokerAvoidance(this.#core.clock);
    this.#selector = new SendQueueSelector(this.#random);
    if (o.batching !== undefined) {
      this.#batcher = new AutoBatcher({
        limits: o.batching,
        scheduler: this.#core.scheduler,
        serverMaxBytes: () => this.#core.settings.current.maxBodySizeBytes,
        flush: (topic, items) => this.#flushBatch(topic, items),
      });
    }
  }

  /** The client id. */
  get clientId(): string {
    return this.#core.clientId;
  }

  /** The underlying core's state. */
  get state(): ClientCoreStateName {
    return this.#core.state;
  }

  /** Names of the brokers avoided after a recent retriable send failure (diagnostics). */
  get avoidedBrokers(): readonly string[] {
    return this.#avoidance.names;
  }

  /** Keys of the currently isolated endpoints (diagnostics). */
  get isolatedEndpoints(): readonly string[] {
    return this.#isolation.keys;
  }

  /**
   * The protocol core (events, settings, routes), for tests and tools inside this package.
   * @internal Not part of the published API (stripped from the declarations).
   */
  get core(): ClientCore {
    return this.#core;
  }

  /**
   * Connects: settings handshake and route prefetch of `topics`. Idempotent.
   *
   * @throws RocketMQError `CLOSED` after shutdown; the core's start errors (`SETTINGS_TIMEOUT`,
   * `TOPIC_NOT_FOUND`, `UNAUTHORIZED`…).
   */
  start(options: ProducerStartOptions = {}): Promise<void> {
    if (!this.#lifecycle.open) return Promise.reject(closedError());
    if (this.#core.state === 'running') return Promise.resolve();
    this.#starting ??= (async () => {
      await this.#core.start(options);
      this.#probe ??= this.#core.scheduler.every(
        this.#options.isolationProbeIntervalMs,
        () => this.probeIsolated(),
        { name: 'isolation-probe' },
      );
    })().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  /** Shuts down (see the module documentation). Idempotent; never rejects. */
  shutdown(options: ProducerShutdownOptions = {}): Promise<void> {
    return this.#lifecycle.shutdown(options.timeoutMs ?? 5_000, (c) => this.#shutdown(c));
  }

  /**
   * Shuts down without waiting: sends in flight reject with `CLOSED` at once. During a graceful
   * shutdown, ends it now. Never rejects.
   */
  destroy(): Promise<void> {
    return this.#lifecycle.destroy((c) => this.#shutdown(c));
  }

  /**
   * The resources the producer holds (timers, channels, calls, streams, keep-alive); all 0 once its
   * shutdown resolved.
   * @internal For leak tests.
   */
  resources(): ResourceSnapshot {
    return this.#core.resources.snapshot();
  }

  /** `await using producer = new Producer(…)`: {@link Producer.shutdown} at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /**
   * Sends one message and returns its receipt.
   *
   * @throws RocketMQError the validation codes of `validateMessage` (nothing sent);
   * `MESSAGE_PROPERTY_CONFLICT_WITH_TYPE` when the topic does not accept the message's type (nothing
   * sent); `INVALID_STATE` before start; `CLOSED` after shutdown; the last attempt's error otherwise.
   */
  send(message: MessageInit, options?: SendOptions): Promise<SendReceipt> {
    return this.#track(async () => {
      const opts = checkCallOptions(options);
      const validated = this.#validate(message, false);
      const op = this.#telemetry.startSend(validated.prepared, 1, false);
      try {
        const prepared = this.#traced(message, validated, false, op.traceProperties(opts));
        if (this.#core.state !== 'running') await this.#ready();
        const batcher = prepared.type === 'NORMAL' ? this.#batcher : undefined;
        const run =
          batcher === undefined
            ? () => this.#sendOne(prepared, opts, op)
            : () => this.#enqueue(batcher, prepared, opts, op);
        if (this.#interceptors.empty) return await run();
        return await this.#interceptors.around(
          { point: 'send', topic: prepared.topic, messages: [message] },
          run,
          (r) => ({ receipts: [r] }),
        );
      } catch (err) {
        op.fail(err);
        throw err;
      }
    });
  }

  /**
   * Sends messages of one topic in one request (NORMAL messages only). See {@link BatchSendReceipt}.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` (not a non-empty array, different topics),
   * `MESSAGE_PROPERTY_CONFLICT_WITH_TYPE` (a message is not NORMAL), `MESSAGE_BODY_TOO_LARGE` (the bodies
   * together exceed the limit), each message's validation codes; nothing is sent then.
   */
  sendBatch(messages: readonly MessageInit[], options?: SendOptions): Promise<BatchSendReceipt> {
    return this.#track(async () => {
      const opts = checkCallOptions(options);
      if (!Array.isArray(messages) || messages.length === 0) {
        throw new RocketMQError('sendBatch needs a non-empty array of messages', 'INVALID_ARGUMENT');
      }
      const validated = messages.map((m) => this.#validate(m, false));
      const topic = validated[0]!.prepared.topic;
      let total = 0;
      for (const { prepared: p } of validated) {
        if (p.topic !== topic) {
          throw new RocketMQError(
            `all messages of a batch must have the same topic ("${topic}" and "${p.topic}")`,
            'INVALID_ARGUMENT',
          );
        }
        if (p.type !== 'NORMAL') {
          throw new RocketMQError(
            `batches may only hold NORMAL messages, got ${p.type}`,
            'MESSAGE_PROPERTY_CONFLICT_WITH_TYPE',
          );
        }
        total += p.body.length;
      }
      const max = this.#core.settings.current.maxBodySizeBytes;
      if (total > max) {
        throw new RocketMQError(
          `the batch bodies take ${total} bytes, more than the limit of ${max}`,
          'MESSAGE_BODY_TOO_LARGE',
        );
      }
      const op = this.#telemetry.startSend(validated[0]!.prepared, validated.length, true);
      try {
        const trace = op.traceProperties(opts);
        const prepared = validated.map((v, i) => this.#traced(messages[i]!, v, false, trace));
        await this.#ready();
        const outgoing = prepared.map((p) => ({ prepared: p, messageId: this.#ids.next() }));
        const sendAll = async (): Promise<BatchSendReceipt> => {
          const sent = await this.#send({ messages: outgoing, topic, type: 'NORMAL' }, opts, op);
          return Object.freeze({
            messageIds: Object.freeze(outgoing.map((m) => m.messageId)),
            entries: Object.freeze(
              okEntries(sent.results).map((e) => this.#receipt(e, e.messageId, sent.queue)),
            ),
          });
        };
        if (this.#interceptors.empty) return await sendAll();
        return await this.#interceptors.around({ point: 'send', topic, messages }, sendAll, (r) => ({
          receipts: r.entries,
        }));
      } catch (err) {
        op.fail(err);
        throw err;
      }
    });
  }

  /**
   * Recalls a delay message before its delivery time (server ≥ 5.3.2), with the `recallHandle` of its
   * receipt. Returns the recalled message's id.
   *
   * @throws RocketMQError `INVALID_ARGUMENT` for a blank handle; `ILLEGAL_TOPIC`; the broker's code.
   */
  recallMessage(topic: string, recallHandle: string, options?: CallOptions): Promise<string> {
    return this.#track(async () => {
      const opts = checkCallOptions(options);
      validateMessage({ topic, body: 'x' });
      if (typeof recallHandle !== 'string' || recallHandle.trim() === '') {
        throw new RocketMQError('recallHandle must be a non-empty string', 'INVALID_ARGUMENT');
      }
      await this.#ready();
      return recallMessage(
        this.#core.rpc,
        this.#core.accessPoint,
        { topic, recallHandle, namespace: this.#options.namespace },
        { signal: linkSignals(opts.signal, this.#lifecycle.signal), timeoutMs: opts.timeoutMs },
      );
    });
  }

  /**
   * Starts a transaction. Its topic(s) must be among the producer's `topics` (so that the broker can
   * reach the transaction checker).
   */
  beginTransaction(): Transaction {
    this.#lifecycle.assertOpen('The producer was shut down');
    return new Transaction({
      sendHalf: (message, options) =>
        this.#track(async () => {
          const opts = checkCallOptions(options);
          const validated = this.#validate(message, true);
          const op = this.#telemetry.startSend(validated.prepared, 1, false);
          try {
            const prepared = this.#traced(message, validated, true, op.traceProperties(opts));
            if (!this.#options.topics.includes(prepared.topic)) {
              throw new RocketMQError(
                `transactional topic "${prepared.topic}" must be declared in the producer's topics`,
                'INVALID_ARGUMENT',
              );
            }
            await this.#ready();
            return await this.#interceptors.around(
              { point: 'send', topic: prepared.topic, messages: [message] },
              () => this.#sendOne(prepared, opts, op),
              (r) => ({ receipts: [r] }),
            );
          } catch (err) {
            op.fail(err);
            throw err;
          }
        }),
      end: (receipt, decision, options) =>
        this.#track(async () => {
          const opts = checkCallOptions(options);
          await this.#interceptors.around(
            {
              point: decision === 'COMMIT' ? 'commit-transaction' : 'rollback-transaction',
              topic: receipt.queue.topic,
              receipts: [receipt],
            },
            () => this.#endTransaction(receipt, decision, opts),
          );
        }),
    });
  }

  /** Sends a Heartbeat to every isolated endpoint and re-admits those that answer OK. */
  async probeIsolated(): Promise<string[]> {
    if (this.#isolation.size === 0) return [];
    return this.#isolation.probe((e) =>
      sendHeartbeat(this.#core.rpc, e, this.#core.settings.current, {
        timeoutMs: this.#core.requestTimeoutMs,
        signal: this.#lifecycle.signal,
      }),
    );
  }

  // ── internals ──────────────────────────────────────────────────────────────

  #track<T>(run: () => Promise<T>): Promise<T> {
    return this.#lifecycle.track(run);
  }

  async #ready(): Promise<void> {
    const state = this.#core.state;
    if (state === 'running') return;
    if (state === 'starting' && this.#starting !== undefined) {
      await this.#starting;
      return;
    }
    if (state === 'stopping' || state === 'stopped') throw closedError();
    throw new RocketMQError(
      state === 'failed' ? 'The producer failed to start' : 'The producer is not started: call start() first',
      'INVALID_STATE',
      state === 'failed' && this.#core.failure !== undefined ? { cause: this.#core.failure } : {},
    );
  }

  #validate(message: MessageInit, transactional: boolean): Validated {
    const now = this.#core.clock.now();
    const maxBodySize = this.#core.settings.current.maxBodySizeBytes;
    return { prepared: validateMessage(message, { maxBodySize, transactional, now }), now, maxBodySize };
  }

  /** Adds the trace properties the message does not set itself. */
  #traced(
    message: MessageInit,
    { prepared, now, maxBodySize }: Validated,
    transactional: boolean,
    trace: Readonly<Record<string, string>>,
  ): PreparedMessage {
    const extra = Object.entries(trace).filter(([k]) => !(k in prepared.properties));
    if (extra.length === 0) return prepared;
    return validateMessage(
      { ...message, properties: { ...prepared.properties, ...Object.fromEntries(extra) } },
      { maxBodySize, transactional, now },
    );
  }

  async #sendOne(prepared: PreparedMessage, opts: SendOptions, op: SendOperation): Promise<SendReceipt> {
    const messageId = this.#ids.next();
    const sent = await this.#send(
      {
        messages: [{ prepared, messageId }],
        topic: prepared.topic,
        type: prepared.type,
        messageGroup: prepared.messageGroup,
      },
      opts,
      op,
    );
    return this.#receipt(okEntries(sent.results)[0]!, messageId, sent.queue);
  }

  /** Auto-batching: the message waits in its topic's batch (see `auto-batcher.ts`). */
  #enqueue(
    batcher: AutoBatcher<BatchedSend>,
    prepared: PreparedMessage,
    opts: SendOptions,
    op: SendOperation,
  ): Promise<SendReceipt> {
    const deadlineAt =
      opts.timeoutMs === undefined ? undefined : this.#core.clock.monotonic() + opts.timeoutMs;
    const item: BatchedSend = { outgoing: { prepared, messageId: this.#ids.next() }, op, deadlineAt };
    return batcher.add(prepared.topic, item, prepared.body.length, opts.signal);
  }

  /**
   * Sends one auto-batch as one request (retried as a whole, with the same message ids) and settles
   * each caller from its entry (see `batch-results.ts`). The request's budget is the shortest left
   * among its callers' `timeoutMs`; a caller whose budget ran out while it waited rejects with
   * `TIMEOUT` and is left out.
   */
  async #flushBatch(topic: string, waiting: readonly BatchItem<BatchedSend>[]): Promise<void> {
    const now = this.#core.clock.monotonic();
    let timeoutMs: number | undefined;
    const items: BatchItem<BatchedSend>[] = [];
    for (const item of waiting) {
      const { deadlineAt } = item.message;
      if (deadlineAt === undefined) {
        items.push(item);
      } else if (deadlineAt <= now) {
        // Its budget ran out while it waited: it is left out of the request, nothing sent for it.
        item.reject(
          new RocketMQError('The send timed out before its batch was sent', 'TIMEOUT', { retriable: true }),
        );
      } else {
        items.push(item);
        timeoutMs = Math.min(timeoutMs ?? Number.POSITIVE_INFINITY, deadlineAt - now);
      }
    }
    if (items.length === 0) return;
    let server: ServerAddress | undefined;
    const fanOut: SendOperation = {
      traceProperties: () => ({}),
      attemptFailed: (attempt, err, s) => {
        for (const { message } of items) message.op.attemptFailed(attempt, err, s);
      },
      succeed: (_id, _attempts, s) => {
        server = s;
      },
      fail: () => {},
    };
    const sent = await this.#send(
      { messages: items.map((i) => i.message.outgoing), topic, type: 'NORMAL', perEntry: true },
      { timeoutMs },
      fanOut,
    );
    const results = perMessageResults(sent.results, items.length);
    items.forEach((item, i) => {
      const r = results[i]!;
      if (!r.ok) {
        item.reject(r.error);
        return;
      }
      const messageId = item.message.outgoing.messageId;
      item.message.op.succeed(messageId, sent.attempts, server);
      item.resolve(this.#receipt(r.entry, messageId, sent.queue));
    });
  }

  #receipt(entry: SendEntry, messageId: string, queue: RouteQueue): SendReceipt {
    const receipt = createSendReceipt({
      messageId,
      transactionId: entry.transactionId,
      recallHandle: entry.recallHandle,
      offset: entry.offset,
      queue: { topic: queue.topic, brokerName: queue.brokerName, queueId: queue.queueId },
      endpoint: endpointKey(queue.endpoints),
    });
    this.#acceptedBy.set(receipt, queue.endpoints);
    return receipt;
  }

  async #send(plan: SendPlan, opts: SendOptions, op: SendOperation): Promise<SentEntry> {
    const core = this.#core;
    const deadline = createDeadline(core.clock, opts.timeoutMs);
    const signal = linkSignals(opts.signal, this.#lifecycle.signal);
    // A cached route needs no await (sends run only once the core is running, see #ready).
    const route =
      core.routes.peek(plan.topic) ??
      (await core.getRoute(plan.topic, {
        signal,
        timeoutMs: Math.min(core.requestTimeoutMs, deadline.remaining()),
      }));
    if (!core.settings.current.topics.includes(plan.topic)) core.settings.addTopic(plan.topic);
    const settings = core.settings.current;
    const maxAttempts = this.#options.maxAttempts;
    const candidates = this.#selector.select(route, {
      count: maxAttempts,
      messageGroup: plan.messageGroup,
      isIsolated: (key) => this.#isolation.isIsolated(key),
      isAvoided: (name) => this.#avoidance.isAvoided(name),
    });
    if (settings.validateMessageType) checkMessageType(candidates[0]!, plan.type);
    const namespace = this.#options.namespace;
    const bornHost = settings.userAgent.hostname;
    let attempts = 0;
    const sent = await runWithRetry<RouteQueue, SentEntry>({
      candidates,
      maxAttempts,
      deadline,
      perAttemptTimeoutMs: core.requestTimeoutMs,
      backoff: this.#throttleBackoff(),
      random: this.#random,
      signal,
      sleep: (ms, s) => core.scheduler.sleep(ms, s),
      attempt: async (queue, attempt, timeoutMs) => {
        attempts = attempt;
        const results = await sendMessageResults(
          core.rpc,
          queue.endpoints,
          plan.messages,
          { namespace, bornHost, now: core.clock.now(), queueId: queue.queueId },
          { signal, timeoutMs },
        );
        const failed = results.find((r) => !r.ok);
        if (failed !== undefined && (plan.perEntry !== true || results.every((r) => !r.ok))) {
          throw failed.error;
        }
        if (attempt > 1) {
          this.#logger.debug('send succeeded after retry', { topic: plan.topic, attempt });
        }
        return { results, queue, attempts: attempt };
      },
      onFailure: (queue, error, attempt) => {
        op.attemptFailed(attempt, error, queue.endpoints.addresses[0]);
        this.#logger.debug('send attempt failed', {
          topic: plan.topic,
          attempt,
          endpoints: endpointKey(queue.endpoints),
          err: error.toJSON(),
        });
        if (error.retriable) {
          this.#isolation.isolate(queue.endpoints, error);
          this.#avoidance.avoid(queue.brokerName);
        }
      },
    });
    const only = plan.messages.length === 1 ? plan.messages[0]!.messageId : undefined;
    op.succeed(only, attempts, sent.queue.endpoints.addresses[0]);
    return sent;
  }

  #throttleBackoff(): BackoffPolicy {
    if (this.#options.throttleBackoff !== undefined) return this.#options.throttleBackoff;
    const policy = this.#core.settings.current.retryPolicy?.backoff ?? DEFAULT_PRODUCER_RETRY_POLICY.backoff;
    // Asked for on every send: the jittered copy is made once per server policy.
    if (this.#throttle?.from === policy) return this.#throttle.policy;
    const jittered =
      policy.kind === 'exponential' && policy.jitter === 0 ? { ...policy, jitter: THROTTLE_JITTER } : policy;
    this.#throttle = { from: policy, policy: jittered };
    return jittered;
  }

  async #endTransaction(
    receipt: SendReceipt,
    decision: TransactionDecision,
    opts: CallOptions,
  ): Promise<void> {
    const core = this.#core;
    const endpoints =
      this.#acceptedBy.get(receipt) ?? core.endpoints().find((e) => endpointKey(e) === receipt.endpoint);
    if (endpoints === undefined) {
      throw new RocketMQError(`endpoint ${receipt.endpoint} of the transaction is unknown`, 'INVALID_STATE');
    }
    if (receipt.transactionId === undefined) {
      throw new RocketMQError('the receipt has no transaction id', 'INVALID_TRANSACTION_ID');
    }
    const deadline = createDeadline(core.clock, opts.timeoutMs);
    const signal = linkSignals(opts.signal, this.#lifecycle.signal);
    const transactionId = receipt.transactionId;
    await runWithRetry({
      candidates: [endpoints],
      maxAttempts: this.#options.maxAttempts,
      deadline,
      perAttemptTimeoutMs: core.requestTimeoutMs,
      backoff: this.#throttleBackoff(),
      random: this.#random,
      signal,
      sleep: (ms, s) => core.scheduler.sleep(ms, s),
      attempt: (e, _attempt, timeoutMs) =>
        endTransaction(
          core.rpc,
          e,
          {
            topic: receipt.queue.topic,
            namespace: this.#options.namespace,
            messageId: receipt.messageId,
            transactionId,
            decision,
            source: 'client',
          },
          { signal, timeoutMs },
        ),
    });
  }

  async #onTransactionCheck(
    command: { readonly transactionId: string; readonly message: WireMessage | undefined },
    context: CommandContext,
  ): Promise<void> {
    const checker = this.#options.transactionChecker;
    const key = endpointKey(context.endpoints);
    const view: MessageView | undefined = checkedMessageView(command.message, key);
    if (checker === undefined || view === undefined) {
      this.#logger.warn('transaction check left unanswered', {
        transactionId: command.transactionId,
        reason: checker === undefined ? 'no transactionChecker' : 'no message in the check',
      });
      return;
    }
    let result: TransactionCheckResult | undefined;
    try {
      result = await checker(view);
    } catch (err) {
      this.#logger.warn('transaction checker failed', { transactionId: command.transactionId, err });
      return;
    }
    if (result !== 'COMMIT' && result !== 'ROLLBACK') return;
    try {
      await endTransaction(
        this.#core.rpc,
        context.endpoints,
        {
          topic: view.topic,
          namespace: this.#options.namespace,
          messageId: view.messageId,
          transactionId: command.transactionId,
          decision: result,
          source: 'server-check',
          traceContext: view.traceContext,
        },
        { timeoutMs: this.#core.requestTimeoutMs, signal: this.#lifecycle.signal },
      );
      this.#logger.debug('transaction check resolved', { transactionId: command.transactionId, result });
    } catch (err) {
      this.#logger.warn('EndTransaction after a check failed', {
        transactionId: command.transactionId,
        err: RocketMQError.from(err).toJSON(),
      });
    }
  }

  async #shutdown(closing: Closing): Promise<void> {
    this.#probe?.cancel();
    const batcher = this.#batcher;
    if (batcher !== undefined) {
      // Graceful: waiting batches go out now; forced (destroy, bound): their callers reject, unsent.
      const drop = (): void => batcher.rejectAll(closedError('The producer was destroyed'));
      if (closing.signal.aborted) drop();
      else {
        closing.signal.addEventListener('abort', drop, { once: true });
        void batcher.flushAll();
      }
    }
    // Sends in flight get the bound; the lifecycle rejects those still running when it is reached.
    await closing.drainCalls();
    await this.#core.shutdown({ timeoutMs: closing.remaining(), signal: closing.signal });
    this.#isolation.clear();
    this.#avoidance.clear();
  }
}

/** The OK entries of a response. */
function okEntries(results: readonly EntryResult[]): SendEntry[] {
  return results.flatMap((r) => (r.ok ? [r.entry] : []));
}

function closedError(message = 'The producer was shut down'): RocketMQError {
  return new RocketMQError(message, 'CLOSED');
}
