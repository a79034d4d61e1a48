/**
 * How the broker contract talks to a broker: through the library's own layers, so the contract
 * exercises them on both targets — `ClientCore` (Settings handshake over Telemetry, routes,
 * heartbeats, termination), `RpcClient` (every call), `validateMessage` + `toProtoMessage` (what
 * a producer puts on the wire) and `fromProtoMessage` (what a consumer makes of a delivery).
 *
 * Responses are returned raw (in-band status included): the contract asserts what the broker
 * answered, not what the client layers would make of it.
 */
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  ClientType,
  Code,
  FilterType,
  type Message,
  type MessageQueue,
  MessageQueueSchema,
  type SettingsSchema,
  type Status,
  TransactionResolution,
  TransactionSource,
} from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  MessagingService,
  type SendMessageResponse,
  type TelemetryCommand,
} from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import { type MessageInit, validateMessage } from '../../src/model/message.js';
import { nextMessageId } from '../../src/model/message-id.js';
import type { MessageView } from '../../src/model/message-view.js';
import { ClientCore } from '../../src/protocol/client-core.js';
import { fromProtoMessage } from '../../src/protocol/codec/message-codec.js';
import { durationFromMs, toProtoEndpoints } from '../../src/protocol/convert.js';
import { isMasterQueue, isReadable } from '../../src/protocol/route.js';
import { toProtoMessageQueue } from '../../src/protocol/route-convert.js';
import type { FilterSpec } from '../../src/protocol/settings.js';
import { toCredentialsProvider } from '../../src/rpc/auth/credentials.js';
import { RpcClient } from '../../src/rpc/call.js';
import { ChannelPool } from '../../src/rpc/channel-pool.js';
import { createClientId } from '../../src/rpc/client-id.js';
import { type Endpoints, endpointKey, parseEndpoints } from '../../src/rpc/endpoints.js';
import { toProtoMessage } from '../helpers/reference-encoders.js';

const M = MessagingService.method;

/** The proxy's lower clamp of a receive's long polling (`grpcClientConsumerMinLongPollingTimeoutMillis`). */
export const MIN_POLL_MS = 5_000;
/** Slack added to a receive's gRPC deadline beyond its polling time. */
const RECEIVE_DEADLINE_SLACK_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type HandshakeRole =
  | { kind: 'producer'; topics: string[] }
  | { kind: 'simple-consumer'; group: string; topic: string; tags: string };

/** Access key pair for a broker with authentication on. */
export interface ContractCredentials {
  readonly accessKey: string;
  readonly accessSecret: string;
}

/** A plain RpcClient with its own client id and channel pool: calls without any handshake. */
export class BareClient {
  readonly endpoints: Endpoints;
  readonly pool = new ChannelPool();
  readonly rpc: RpcClient;

  constructor(endpoint: string, credentials?: ContractCredentials) {
    this.endpoints = parseEndpoints(endpoint);
    this.rpc = new RpcClient({
      pool: this.pool,
      clientId: createClientId(),
      defaultTimeoutMs: 10_000,
      ...(credentials ? { credentials: toCredentialsProvider(credentials) } : {}),
    });
  }

  get clientId(): string {
    return this.rpc.clientId;
  }

  async queryRoute(topic: string) {
    const { response } = await this.rpc.unary(this.endpoints, M.queryRoute, {
      topic: { name: topic },
      endpoints: toProtoEndpoints(this.endpoints),
    });
    return response;
  }

  /**
   * Opens Telemetry, sends one Settings frame and returns the server's first answer (the stream is
   * kept open until {@link BareClient.close}, like a client's session).
   */
  async handshake(role: HandshakeRole): Promise<TelemetryCommand> {
    const tel = await this.rpc.bidi(this.endpoints, M.telemetry);
    this.#streams.push(tel);
    const clientType = role.kind === 'producer' ? ClientType.PRODUCER : ClientType.SIMPLE_CONSUMER;
    const pubSub: MessageInitShape<typeof SettingsSchema>['pubSub'] =
      role.kind === 'producer'
        ? { case: 'publishing', value: { topics: role.topics.map((name) => ({ name })) } }
        : {
            case: 'subscription',
            value: {
              group: { name: role.group },
              subscriptions: [
                { topic: { name: role.topic }, expression: { type: FilterType.TAG, expression: role.tags } },
              ],
              longPollingTimeout: durationFromMs(MIN_POLL_MS),
            },
          };
    tel.write({
      command: {
        case: 'settings',
        value: {
          clientType,
          accessPoint: toProtoEndpoints(this.endpoints),
          requestTimeout: durationFromMs(3000),
          pubSub,
          userAgent: { version: '0.1.0', platform: process.platform, hostname: 'rocketmq-ts-contract' },
        },
      },
    });
    const timer = setTimeout(() => tel.cancel(), 15_000);
    try {
      // Read one frame without leaving a for-await loop, which would cancel the stream.
      const first = await tel[Symbol.asyncIterator]().next();
      if (first.done) throw new Error('telemetry ended without a Settings answer');
      return first.value;
    } finally {
      clearTimeout(timer);
    }
  }

  async heartbeat(clientType: ClientType, group?: string) {
    const { response } = await this.rpc.unary(this.endpoints, M.heartbeat, {
      clientType,
      ...(group === undefined ? {} : { group: { name: group } }),
    });
    return response;
  }

  readonly #streams: Array<{ cancel(): void }> = [];

  close(): void {
    for (const s of this.#streams) s.cancel();
    this.pool.close();
  }
}

/** A started producer (`ClientCore` with its settings handshake done). */
export class ContractProducer {
  private constructor(readonly core: ClientCore) {}

  static async start(
    endpoint: string,
    topics: string[],
    credentials?: ContractCredentials,
  ): Promise<ContractProducer> {
    const core = new ClientCore({
      clientType: 'producer',
      accessPoint: endpoint,
      topics,
      requestTimeoutMs: 10_000,
      credentials,
    });
    await core.start({ timeoutMs: 20_000 });
    return new ContractProducer(core);
  }

  get endpoints(): Endpoints {
    return this.core.accessPoint;
  }

  /** Validates and encodes a message like the producer will: a fresh id, born now. */
  message(init: MessageInit, options: { transactional?: boolean } = {}): Message {
    const prepared = validateMessage(init, { transactional: options.transactional ?? false });
    return toProtoMessage(prepared, {
      messageId: nextMessageId(),
      bornHost: 'rocketmq-ts-contract',
      now: Date.now(),
      queueId: 0,
    });
  }

  /** One SendMessage call with these messages; the response as answered. */
  async sendRaw(messages: Message[]): Promise<SendMessageResponse> {
    const { response } = await this.core.rpc.unary(this.endpoints, M.sendMessage, { messages });
    return response;
  }

  /** Sends one message and checks that it was accepted; returns its id and send entry. */
  async send(init: MessageInit, options: { transactional?: boolean } = {}) {
    const message = this.message(init, options);
    const res = await this.sendRaw([message]);
    const entry = res.entries[0];
    if (res.status?.code !== Code.OK || res.entries.length !== 1 || entry?.status?.code !== Code.OK) {
      throw new Error(
        `SendMessage failed: status ${res.status?.code} ${res.status?.message}; entries ${res.entries.map((e) => e.status?.code)}`,
      );
    }
    return { id: message.systemProperties!.messageId, entry, message };
  }

  async endTransaction(topic: string, messageId: string, transactionId: string, commit: boolean) {
    const { response } = await this.core.rpc.unary(this.endpoints, M.endTransaction, {
      topic: { name: topic },
      messageId,
      transactionId,
      resolution: commit ? TransactionResolution.COMMIT : TransactionResolution.ROLLBACK,
      source: TransactionSource.SOURCE_CLIENT,
    });
    return response;
  }

  close(): Promise<void> {
    return this.core.shutdown({ timeoutMs: 3_000 });
  }
}

export interface ReceiveOptions {
  invisibleMs: number;
  /** Long polling requested (the broker clamps it to ≥ 5 s). @defaultValue {@link MIN_POLL_MS} */
  pollMs?: number;
  /** @defaultValue 32 */
  batch?: number;
}

export interface ReceiveResult {
  /** Every status frame's code. */
  statuses: number[];
  statusMessages: string[];
  messages: Message[];
}

/** A started simple consumer of one group and topic. */
export class ContractConsumer {
  readonly filter: { type: FilterType; expression: string };

  private constructor(
    readonly core: ClientCore,
    readonly group: string,
    readonly topic: string,
    filter: FilterSpec,
    readonly queue: MessageQueue,
  ) {
    this.filter = {
      type: filter.type === 'sql' ? FilterType.SQL : FilterType.TAG,
      expression: filter.expression,
    };
  }

  static async start(
    endpoint: string,
    group: string,
    topic: string,
    filter: FilterSpec = { type: 'tag', expression: '*' },
    credentials?: ContractCredentials,
  ): Promise<ContractConsumer> {
    const core = new ClientCore({
      credentials,
      clientType: 'simple-consumer',
      accessPoint: endpoint,
      group,
      subscriptions: [{ topic, filter }],
      longPollingTimeoutMs: MIN_POLL_MS,
      requestTimeoutMs: 10_000,
    });
    try {
      await core.start({ timeoutMs: 20_000 });
      const route = await core.getRoute(topic);
      const q = route.queues.find((x) => isMasterQueue(x) && isReadable(x));
      if (q === undefined) throw new Error(`no readable master queue for ${topic}`);
      const queue = create(MessageQueueSchema, toProtoMessageQueue(q));
      return new ContractConsumer(core, group, topic, filter, queue);
    } catch (e) {
      await core.shutdown({ timeoutMs: 1_000 });
      throw e;
    }
  }

  get endpoints(): Endpoints {
    return this.core.accessPoint;
  }

  /** One ReceiveMessage call (the consumer's filter, no auto-renew). */
  async receive(options: ReceiveOptions): Promise<ReceiveResult> {
    const pollMs = options.pollMs ?? MIN_POLL_MS;
    const call = await this.core.rpc.serverStream(
      this.endpoints,
      M.receiveMessage,
      {
        group: { name: this.group },
        messageQueue: this.queue,
        filterExpression: this.filter,
        batchSize: options.batch ?? 32,
        invisibleDuration: durationFromMs(options.invisibleMs),
        autoRenew: false,
        longPollingTimeout: durationFromMs(pollMs),
      },
      { timeoutMs: Math.max(pollMs, MIN_POLL_MS) + RECEIVE_DEADLINE_SLACK_MS },
    );
    const out: ReceiveResult = { statuses: [], statusMessages: [], messages: [] };
    for await (const frame of call) {
      if (frame.content.case === 'status') {
        out.statuses.push(frame.content.value.code);
        out.statusMessages.push(frame.content.value.message);
      } else if (frame.content.case === 'message') {
        out.messages.push(frame.content.value);
      }
    }
    return out;
  }

  /**
   * Receives until `done(all messages so far)` holds or `budgetMs` is spent; fails on a status other
   * than OK / MESSAGE_NOT_FOUND. `onMessage` runs for each delivery as it arrives (e.g. to ack).
   */
  async receiveUntil(
    done: (seen: Message[]) => boolean,
    options: ReceiveOptions & { budgetMs: number; onMessage?: (m: Message) => Promise<void> | void },
  ): Promise<Message[]> {
    const seen: Message[] = [];
    const end = Date.now() + options.budgetMs;
    while (!done(seen) && Date.now() < end) {
      const r = await this.receive(options);
      assertReceiveStatuses(r);
      for (const m of r.messages) {
        seen.push(m);
        await options.onMessage?.(m);
      }
      if (r.messages.length === 0 && r.statuses.length === 0) await sleep(200);
    }
    return seen;
  }

  /** Acks `m` (with its own receipt handle unless another is given); the top or entry status. */
  async ack(
    m: Message,
    receiptHandle = m.systemProperties?.receiptHandle ?? '',
  ): Promise<Status | undefined> {
    const { response } = await this.core.rpc.unary(this.endpoints, M.ackMessage, {
      group: { name: this.group },
      topic: { name: this.topic },
      entries: [{ messageId: idOf(m), receiptHandle }],
    });
    if (response.status?.code !== Code.OK) return response.status;
    return response.entries[0]?.status;
  }

  /** Acks and fails unless the ack (and its entry) is OK. */
  async ackOk(m: Message): Promise<void> {
    const s = await this.ack(m);
    if (s?.code !== Code.OK) throw new Error(`ack of ${idOf(m)} failed: ${s?.code} ${s?.message}`);
  }

  async changeInvisibleDuration(m: Message, receiptHandle: string, invisibleMs: number) {
    const { response } = await this.core.rpc.unary(this.endpoints, M.changeInvisibleDuration, {
      group: { name: this.group },
      topic: { name: this.topic },
      receiptHandle,
      invisibleDuration: durationFromMs(invisibleMs),
      messageId: idOf(m),
    });
    return response;
  }

  decode(m: Message): MessageView {
    return fromProtoMessage(m, { endpoint: endpointKey(this.endpoints) });
  }

  close(): Promise<void> {
    return this.core.shutdown({ timeoutMs: 3_000 });
  }
}

export function idOf(m: Message): string {
  return m.systemProperties?.messageId ?? '';
}

/** A receive may only answer OK (with messages) or MESSAGE_NOT_FOUND. */
export function assertReceiveStatuses(r: ReceiveResult): void {
  for (const [i, code] of r.statuses.entries()) {
    if (code !== Code.OK && code !== Code.MESSAGE_NOT_FOUND) {
      throw new Error(`receive answered status ${code}: ${r.statusMessages[i]}`);
    }
  }
}
