/**
 * `InProcessBroker`: a RocketMQ 5.x gRPC endpoint inside the test process. It serves
 * `apache.rocketmq.v2.MessagingService` on loopback with the semantics of the Apache proxy in local mode
 * (one broker), so clients can be exercised without a JVM.
 *
 * @packageDocumentation
 */

import { isIPv6 } from 'node:net';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../internal/clock.js';
import { Scheduler } from '../internal/scheduler.js';
import { systemTimers, unrefTimer } from '../internal/timers.js';
import { MessageType } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { TelemetryCommandSchema } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { BrokerCore } from './broker-core.js';
import { buildImplementation, type OpenStreams } from './call-pipeline.js';
import { type ConsumerGroupOptions, ConsumerGroups } from './consumer-groups.js';
import { DelayQueue } from './delay.js';
import { DeliveryEngine } from './delivery.js';
import { InProcessAdmin } from './in-process-admin.js';
import { type BrokerFaults, FaultInjector } from './faults.js';
import { LiteRegistry } from './lite-subscriptions.js';
import { LongPollHub } from './long-poll.js';
import { toWireMessage } from './message-convert.js';
import { type InProcessBrokerOptions, type ResolvedBrokerOptions, resolveOptions } from './options.js';
import { clientSettings, heartbeat, notifyClientTermination, onTelemetryFrame } from './rpc-client.js';
import {
  ackMessage,
  changeInvisibleDuration,
  forwardMessageToDeadLetterQueue,
  receiveMessage,
} from './rpc-consumer.js';
import { endTransaction, recallMessage, sendMessage } from './rpc-producer.js';
import { syncLiteSubscription } from './rpc-lite.js';
import { queryAssignment, queryRoute } from './rpc-route.js';
import { createServiceDefinition } from './service-definition.js';
import { type BrokerStats, RpcCounters } from './stats.js';
import { MessageStore, parentOfLiteQueue } from './store.js';
import { toSettingsSummary, toTelemetryCommand } from './telemetry-convert.js';
import { TelemetryHub } from './telemetry-hub.js';
import type { BrokerCommand, ClientSettingsSummary, TelemetryReply } from './telemetry-types.js';
import { TransactionLog } from './transactions.js';
import type { TopicMessageType } from './validation.js';

/** Options of {@link InProcessBroker.createTopic}. */
export interface TopicOptions {
  /**
   * Message type the topic accepts (`MIXED`: NORMAL, FIFO, DELAY and TRANSACTION).
   * @defaultValue `'NORMAL'`
   */
  readonly type?: TopicMessageType;
  /**
   * Number of queues.
   * @defaultValue the broker's `defaultQueueCount` (4)
   */
  readonly queues?: number;
}

/** `host:port`, with brackets around an IPv6 host. */
function hostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

const SERVER_OPTIONS: grpc.ServerOptions = {
  'grpc.max_receive_message_length': 130 * 1024 * 1024,
  'grpc.max_send_message_length': -1,
};

/** The gRPC server options: {@link SERVER_OPTIONS} plus the connection limits of `options`. */
function serverOptions(options: ResolvedBrokerOptions): grpc.ServerOptions {
  const o: grpc.ServerOptions = { ...SERVER_OPTIONS };
  if (options.connectionIdleTimeoutMs !== undefined)
    o['grpc.max_connection_idle_ms'] = options.connectionIdleTimeoutMs;
  if (options.connectionMaxAgeMs !== undefined) o['grpc.max_connection_age_ms'] = options.connectionMaxAgeMs;
  if (options.connectionAgeGraceMs !== undefined)
    o['grpc.max_connection_age_grace_ms'] = options.connectionAgeGraceMs;
  return o;
}

/**
 * An in-process RocketMQ broker (proxy semantics, local mode) for tests and demos.
 *
 * @example
 * ```ts
 * const broker = await InProcessBroker.start();
 * broker.createTopic('orders', { type: 'FIFO', queues: 4 });
 * broker.createConsumerGroup('billing', { fifo: true });
 * // point a client at broker.endpoint ("127.0.0.1:<port>") …
 * await broker.shutdown();
 * ```
 */
export class InProcessBroker {
  readonly #options: ResolvedBrokerOptions;
  readonly #core: BrokerCore;
  readonly #faults: FaultInjector;
  readonly #counters = new RpcCounters();
  readonly #peers: BrokerCore[] = [];
  readonly #open: OpenStreams = { receive: new Set() };
  readonly #server: grpc.Server;
  #port = 0;
  #closed = false;
  #shutdown: Promise<void> | undefined;

  private constructor(options: ResolvedBrokerOptions) {
    this.#options = options;
    const clock: Clock = options.clock;
    const scheduler = new Scheduler({ timers: options.timers });
    const longPoll = new LongPollHub(scheduler);
    const hub = new TelemetryHub({ now: () => clock.now(), clientExpiryMs: options.clientExpiryMs });
    // Long polls wait on the topic a client receives from: a lite topic's queue wakes its parent's.
    const wake = (topic: string): void => longPoll.notify(parentOfLiteQueue(topic) ?? topic);
    const store = new MessageStore({ clock, onVisible: wake });
    const groups = new ConsumerGroups(options.defaultMaxDeliveryAttempts);
    const delivery = new DeliveryEngine({
      clock,
      scheduler,
      store,
      brokerName: options.brokerName,
      onAvailable: wake,
      isClientAlive: (id) => hub.isAlive(id),
      autoRenew: {
        invisibleMs: options.autoRenewInvisibleDurationMs,
        aheadMs: 10_000,
        maxTotalMs: options.autoRenewMaxMs,
      },
    });
    const delays = new DelayQueue({
      clock,
      scheduler,
      store,
      brokerName: options.brokerName,
      timerMaxDelayMs: 3 * 24 * 60 * 60 * 1000,
    });
    const transactions = new TransactionLog({
      clock,
      scheduler,
      store,
      policy: {
        firstCheckDelayMs: options.transactionCheckDelayMs,
        intervalMs: options.transactionCheckIntervalMs,
        maxChecks: options.transactionCheckMax,
      },
      check: (topic, message, transactionId) => {
        const clientId = hub.findProducer(topic);
        if (clientId === undefined) return false;
        const wire = toWireMessage(message, {
          messageType: MessageType.TRANSACTION,
          storeHost: this.endpoint,
        });
        return hub.sendCommand(
          clientId,
          create(TelemetryCommandSchema, {
            command: { case: 'recoverOrphanedTransactionCommand', value: { message: wire, transactionId } },
          }),
        );
      },
    });
    this.#core = {
      options,
      clock,
      scheduler,
      store,
      groups,
      delivery,
      delays,
      transactions,
      hub,
      longPoll,
      lite: new LiteRegistry(),
      address: () => ({ host: options.host, port: this.#port }),
      isClosed: () => this.#closed,
      peers: () => this.#peers,
    };
    if (options.forgetExpiredClients) {
      scheduler.every(options.clientExpiryScanMs, () => hub.forgetExpired(), { name: 'client-expiry-scan' });
    }
    this.#faults = new FaultInjector(scheduler, () =>
      this.#dropStreams(grpc.status.UNAVAILABLE, 'stream dropped by fault injection'),
    );
    const core = this.#core;
    this.#server = new grpc.Server(serverOptions(options));
    this.#server.addService(
      createServiceDefinition(),
      buildImplementation(
        {
          faults: this.#faults,
          acl: options.acl,
          hub,
          now: () => clock.now(),
          count: (rpc) => this.#counters.count(rpc),
          isClosed: () => this.#closed,
        },
        {
          unary: {
            QueryRoute: (req) => queryRoute(core, req),
            QueryAssignment: (req) => queryAssignment(core, req),
            Heartbeat: (req, ctx) => heartbeat(core, req, ctx),
            NotifyClientTermination: (req, ctx) => notifyClientTermination(core, req, ctx),
            SendMessage: (req, ctx) => sendMessage(core, req, ctx),
            RecallMessage: (req) => recallMessage(core, req),
            EndTransaction: (req) => endTransaction(core, req),
            AckMessage: (req) => ackMessage(core, req),
            ChangeInvisibleDuration: (req) => changeInvisibleDuration(core, req),
            ForwardMessageToDeadLetterQueue: (req) => forwardMessageToDeadLetterQueue(core, req),
            SyncLiteSubscription: (req, ctx) => syncLiteSubscription(core, req, ctx),
          },
          receiveMessage: (req, ctx, out) => receiveMessage(core, req, ctx, out),
          telemetry: (frame, ctx, stream) => onTelemetryFrame(core, frame, ctx, stream),
        },
        this.#open,
      ),
    );
  }

  /**
   * Starts a broker listening on `host:port` (default `127.0.0.1:0`).
   *
   * @throws RangeError for invalid options; the bind error when the port cannot be bound.
   */
  static async start(options: InProcessBrokerOptions = {}): Promise<InProcessBroker> {
    const broker = new InProcessBroker(resolveOptions(options));
    await broker.#listen();
    return broker;
  }

  /** `host:port` to use as the client's access point, e.g. `"127.0.0.1:52113"`. */
  get endpoint(): string {
    return hostPort(this.#options.host, this.#port);
  }

  /** The bound port. */
  get port(): number {
    return this.#port;
  }

  /** Fault hooks (latency, failures, hangs, dropped streams, malformed responses). */
  get faults(): BrokerFaults {
    return this.#faults;
  }

  /** Every non-Settings frame clients sent on their Telemetry streams (stack traces, verify results…). */
  get telemetryReplies(): readonly TelemetryReply[] {
    return this.#core.hub.replies;
  }

  /** Client ids that currently have stored Settings. */
  get clientIds(): readonly string[] {
    return this.#core.hub.clientIds();
  }

  /**
   * Lists `peer`'s queues in this broker's routes and assignments too, under the peer's broker name and
   * address, as a cluster's route names every broker (only topics the peer has). Clients then send and
   * receive on the peer's queues through the peer itself. Give the brokers distinct `brokerName`s.
   *
   * @throws RangeError when `peer` is this broker or has this broker's name.
   */
  addRoutePeer(peer: InProcessBroker): void {
    if (peer === this || peer.#options.brokerName === this.#options.brokerName) {
      throw new RangeError('a route peer needs its own broker name');
    }
    if (!this.#peers.includes(peer.#core)) this.#peers.push(peer.#core);
  }

  /**
   * Creates a topic (or changes its type / grows its queues).
   *
   * @throws BrokerStatusError `ILLEGAL_TOPIC` for an invalid name; RangeError for a bad queue count or an
   * unknown type.
   */
  createTopic(name: string, options: TopicOptions = {}): void {
    this.#core.store.createTopic(
      name,
      options.type ?? 'NORMAL',
      options.queues ?? this.#options.defaultQueueCount,
    );
  }

  /** Deletes a topic and its messages; returns false when it did not exist. */
  deleteTopic(name: string): boolean {
    this.#core.delivery.forgetTopic(name);
    return this.#core.store.deleteTopic(name);
  }

  /**
   * Creates or reconfigures a consumer group. Unknown groups are created on first use with the defaults
   * (not FIFO, 17 attempts, customized retry 1 s … 2 h).
   *
   * @throws BrokerStatusError `ILLEGAL_CONSUMER_GROUP` for an invalid name; RangeError for bad options.
   */
  createConsumerGroup(name: string, options: ConsumerGroupOptions = {}): void {
    this.#core.groups.create(name, options);
  }

  /**
   * An admin client over this broker's memory: the `AdminApi` of `rocketmq-ts/admin`, so code written
   * against `Admin` runs unchanged in tests. Each call returns a new client; call `start()` first.
   *
   * @example
   * ```ts
   * const admin = broker.admin();
   * await admin.start();
   * await admin.createTopic('orders', { type: 'FIFO', queues: 4 });
   * ```
   */
  admin(): InProcessAdmin {
    return new InProcessAdmin(this.#core, () => this.endpoint);
  }

  /**
   * The Settings the broker holds for a client, merged with server policy (what it answered on Telemetry),
   * or `undefined` when the client never sent any (or terminated).
   *
   * @example
   * ```ts
   * const s = broker.clientSettings(clientId);
   * assert.deepEqual(s?.topics, ['orders']);
   * ```
   */
  clientSettings(clientId: string): ClientSettingsSummary | undefined {
    const merged = clientSettings(this.#core, clientId);
    return merged === undefined ? undefined : toSettingsSummary(merged);
  }

  /**
   * Pushes a command on the client's Telemetry stream (recover orphaned transaction, verify message, print
   * thread stack trace, reconnect endpoints, notify unsubscribe lite). Answers are recorded in
   * {@link InProcessBroker.telemetryReplies}.
   *
   * @example
   * ```ts
   * broker.sendCommand(clientId, { type: 'print-thread-stack-trace', nonce: 'n1' });
   * const reply = await broker.waitForTelemetryReply((r) => r.type === 'thread-stack-trace' && r.nonce === 'n1');
   * const { threadStackTrace } = reply;
   * ```
   * @returns false when the client has no open Telemetry stream.
   * @throws TypeError for an unknown command type or a message without topic or body.
   */
  sendCommand(clientId: string, command: BrokerCommand): boolean {
    const frame = toTelemetryCommand(command, { nowMs: this.#core.clock.now(), storeHost: this.endpoint });
    return this.#core.hub.sendCommand(clientId, frame);
  }

  /**
   * Resolves with the first Telemetry answer (already received or future) matching `predicate`.
   * Rejects with the signal's reason when it aborts.
   */
  waitForTelemetryReply(
    predicate: (reply: TelemetryReply) => boolean,
    signal?: AbortSignal,
  ): Promise<TelemetryReply> {
    return this.#core.hub.waitForReply(predicate, signal);
  }

  /**
   * Drops `liteTopic` from every client of the lite `group` that subscribes to it and sends each the
   * unsubscribe notice (telemetry NotifyUnsubscribeLiteCommand), as the broker does when it removes a
   * lite subscription on its own. Returns the ids of the clients notified.
   */
  unsubscribeLite(group: string, liteTopic: string): string[] {
    const clients = this.#core.lite.drop(group, liteTopic);
    for (const id of clients) this.sendCommand(id, { type: 'notify-unsubscribe-lite', liteTopic });
    return clients;
  }

  /** Counters: calls per RPC, stored / in-flight / acked / dead-lettered messages, open streams. */
  stats(): BrokerStats {
    const core = this.#core;
    return {
      calls: this.#counters.snapshot(),
      stored: core.store.appendedCount,
      inflight: core.delivery.inflightCount(),
      acked: core.delivery.ackedCount,
      deadLettered: core.delivery.deadLetteredCount,
      scheduled: core.delays.size,
      halfMessages: core.transactions.halfMessageCount,
      transactionChecks: core.transactions.checksSent,
      telemetryStreams: core.hub.openStreamCount,
      expiredClients: core.hub.expiredCount,
      receiveStreams: this.#open.receive.size,
      waitingReceives: core.longPoll.waiting,
    };
  }

  /** Resets the per-RPC call counters. */
  resetStats(): void {
    this.#counters.reset();
  }

  /**
   * Stops the broker: pending calls and streams end with `UNAVAILABLE`, every timer is cleared and the port
   * is closed. Idempotent; concurrent calls share one promise.
   */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  /** Same as {@link InProcessBroker.shutdown}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  #listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(
        hostPort(this.#options.host, this.#options.port),
        grpc.ServerCredentials.createInsecure(),
        (err, port) => {
          if (err !== null) {
            reject(err);
            return;
          }
          this.#port = port;
          resolve();
        },
      );
    });
  }

  #dropStreams(code: number, details: string): void {
    for (const s of [...this.#open.receive]) s.fail(code, details);
    this.#core.hub.failAll(code, details);
  }

  async #doShutdown(): Promise<void> {
    this.#closed = true;
    this.#faults.close();
    this.#core.longPoll.abortAll();
    this.#dropStreams(grpc.status.UNAVAILABLE, 'broker is shutting down');
    this.#core.hub.close(new Error('broker is shut down'));
    this.#core.scheduler.close();
    await new Promise<void>((resolve) => {
      let done = false;
      const timer = systemTimers.setTimeout(() => {
        if (done) return;
        done = true;
        this.#server.forceShutdown();
        resolve();
      }, 2000);
      unrefTimer(timer);
      this.#server.tryShutdown(() => {
        if (done) return;
        done = true;
        systemTimers.clearTimeout(timer);
        resolve();
      });
    });
  }
}
