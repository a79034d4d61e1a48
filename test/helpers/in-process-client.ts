/**
 * A protocol-level test client for the in-process broker: raw grpc-js calls over the generated
 * descriptors with full control of the `x-mq-*` headers, plus small builders for the messages the tests
 * send. No retries, no state machine: it shows exactly what the broker answers.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  create,
  type DescMessage,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import {
  ClientType,
  Code,
  FilterType,
  type Message,
  MessageSchema,
  MessageType,
  type Status,
} from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  MessagingService,
  type ReceiveMessageResponse,
  type TelemetryCommand,
  TelemetryCommandSchema,
} from '../../src/gen/apache/rocketmq/v2/service_pb.js';

export interface TestClientOptions {
  clientId?: string;
  accessKey?: string;
  secretKey?: string;
  /** `x-mq-language`; default `JAVA`. */
  language?: string;
  /** `x-mq-client-version`; default `5.2.1`. */
  clientVersion?: string;
  /** Headers to leave out. */
  omit?: string[];
}

let seq = 0;

/** A unique, valid topic/group name. */
export function uniqueName(prefix: string): string {
  seq++;
  return `${prefix}-${seq}-${randomBytes(3).toString('hex')}`;
}

/** A unique message id (34 hex chars, like V1 ids). */
export function messageId(): string {
  return `01${randomBytes(16).toString('hex').toUpperCase()}`;
}

export interface MessageSpec {
  topic: string;
  body?: string | Uint8Array;
  tag?: string;
  keys?: string[];
  group?: string;
  deliveryAtMs?: number;
  props?: Record<string, string>;
  type?: MessageType;
  id?: string;
  priority?: number;
  /** Makes the message LITE, published to this lite topic under `topic`. */
  liteTopic?: string;
}

/** Builds a wire message like an SDK would (type derived from the spec unless given). */
export function message(spec: MessageSpec): Message {
  const type =
    spec.type ??
    (spec.group !== undefined
      ? MessageType.FIFO
      : spec.deliveryAtMs !== undefined
        ? MessageType.DELAY
        : spec.priority !== undefined
          ? MessageType.PRIORITY
          : spec.liteTopic !== undefined
            ? MessageType.LITE
            : MessageType.NORMAL);
  const body = spec.body ?? 'hello';
  return create(MessageSchema, {
    topic: { name: spec.topic },
    userProperties: spec.props ?? {},
    body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
    systemProperties: {
      tag: spec.tag,
      keys: spec.keys ?? [],
      messageId: spec.id ?? messageId(),
      messageType: type,
      bornTimestamp: timestampFromMs(Date.now()),
      bornHost: 'test-host',
      messageGroup: spec.group,
      deliveryTimestamp: spec.deliveryAtMs === undefined ? undefined : timestampFromMs(spec.deliveryAtMs),
      priority: spec.priority,
      liteTopic: spec.liteTopic,
    },
  });
}

export interface ReceiveSpec {
  group: string;
  topic: string;
  batch?: number;
  invisibleMs?: number;
  autoRenew?: boolean;
  tag?: string;
  sql?: string;
  longPollMs?: number;
  attemptId?: string;
  /** gRPC deadline of the call (real time). */
  deadlineMs?: number;
  brokerName?: string;
  /** Cancels the call (it then rejects with CANCELLED). */
  signal?: AbortSignal;
}

export interface ReceiveResult {
  frames: ReceiveMessageResponse[];
  status: Status | undefined;
  messages: Message[];
  deliveryTimestamp: boolean;
}

export interface TelemetryHandle {
  write(init: MessageInitShape<typeof TelemetryCommandSchema>): void;
  /** Next frame from the broker. */
  next(timeoutMs?: number): Promise<TelemetryCommand>;
  /** Resolves when the stream ends: `code` 0 for OK. */
  readonly ended: Promise<{ code: number; details: string }>;
  readonly frames: TelemetryCommand[];
  close(): void;
}

export class TestClient {
  readonly clientId: string;
  readonly #client: grpc.Client;
  readonly #opts: TestClientOptions;

  constructor(
    readonly endpoint: string,
    opts: TestClientOptions = {},
  ) {
    this.#opts = opts;
    this.clientId = opts.clientId ?? `test-host@${process.pid}@${seq++}@${randomBytes(4).toString('hex')}`;
    this.#client = new grpc.Client(endpoint, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
  }

  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    const dt = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}Z$/, 'Z');
    const set = (k: string, v: string): void => {
      if (!this.#opts.omit?.includes(k)) md.set(k, v);
    };
    set('x-mq-language', this.#opts.language ?? 'JAVA');
    set('x-mq-protocol', 'v2');
    set('x-mq-client-version', this.#opts.clientVersion ?? '5.2.1');
    set('x-mq-client-id', this.clientId);
    set('x-mq-request-id', randomBytes(8).toString('hex'));
    set('x-mq-date-time', dt);
    if (this.#opts.accessKey !== undefined && this.#opts.secretKey !== undefined) {
      const sig = createHmac('sha1', this.#opts.secretKey).update(dt).digest('hex').toUpperCase();
      set(
        'authorization',
        `MQv2-HMAC-SHA1 Credential=${this.#opts.accessKey}, SignedHeaders=x-mq-date-time, Signature=${sig}`,
      );
    }
    return md;
  }

  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    init: MessageInitShape<I>,
    timeoutMs = 10_000,
  ): Promise<MessageShape<O>> {
    const req = create(method.input, init);
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        `/${method.parent.typeName}/${method.name}`,
        (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
        (b: Buffer) => fromBinary(method.output, b),
        req,
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
        (err, res) => (err ? reject(err) : resolve(res as MessageShape<O>)),
      );
    });
  }

  serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    init: MessageInitShape<I>,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<MessageShape<O>[]> {
    const req = create(method.input, init);
    return new Promise((resolve, reject) => {
      const frames: MessageShape<O>[] = [];
      const call = this.#client.makeServerStreamRequest(
        `/${method.parent.typeName}/${method.name}`,
        (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
        (b: Buffer) => fromBinary(method.output, b),
        req,
        this.metadata(),
        { deadline: Date.now() + timeoutMs },
      );
      call.on('data', (f: MessageShape<O>) => frames.push(f));
      call.on('error', reject);
      call.on('end', () => resolve(frames));
      signal?.addEventListener('abort', () => call.cancel(), { once: true });
    });
  }

  // ---- RPC shortcuts ----

  queryRoute(topic: string) {
    return this.unary(MessagingService.method.queryRoute, {
      topic: { name: topic },
      endpoints: { scheme: 1, addresses: [{ host: '127.0.0.1', port: 8081 }] },
    });
  }

  send(...messages: Message[]) {
    return this.unary(MessagingService.method.sendMessage, { messages });
  }

  heartbeat(clientType: ClientType, group?: string) {
    return this.unary(MessagingService.method.heartbeat, {
      clientType,
      group: group === undefined ? undefined : { name: group },
    });
  }

  async receive(spec: ReceiveSpec): Promise<ReceiveResult> {
    const frames = await this.serverStream(
      MessagingService.method.receiveMessage,
      {
        group: { name: spec.group },
        messageQueue: {
          topic: { name: spec.topic },
          id: -1,
          broker: { name: spec.brokerName ?? 'broker-0' },
        },
        filterExpression:
          spec.sql !== undefined
            ? { type: FilterType.SQL, expression: spec.sql }
            : { type: FilterType.TAG, expression: spec.tag ?? '*' },
        batchSize: spec.batch ?? 32,
        invisibleDuration: spec.autoRenew ? undefined : durationFromMs(spec.invisibleMs ?? 30_000),
        autoRenew: spec.autoRenew ?? false,
        longPollingTimeout: durationFromMs(spec.longPollMs ?? 0),
        attemptId: spec.attemptId,
      },
      spec.deadlineMs ?? 15_000,
      spec.signal,
    );
    let status: Status | undefined;
    const messages: Message[] = [];
    let deliveryTimestamp = false;
    for (const f of frames) {
      if (f.content.case === 'status') status = f.content.value;
      else if (f.content.case === 'message') messages.push(f.content.value);
      else if (f.content.case === 'deliveryTimestamp') deliveryTimestamp = true;
    }
    return { frames, status, messages, deliveryTimestamp };
  }

  ack(group: string, topic: string, ...entries: Array<{ messageId: string; receiptHandle: string }>) {
    return this.unary(MessagingService.method.ackMessage, {
      group: { name: group },
      topic: { name: topic },
      entries,
    });
  }

  ackMessages(group: string, topic: string, messages: Message[]) {
    return this.ack(
      group,
      topic,
      ...messages.map((m) => ({
        messageId: m.systemProperties!.messageId,
        receiptHandle: m.systemProperties!.receiptHandle!,
      })),
    );
  }

  changeInvisible(group: string, topic: string, m: Message, ms: number) {
    return this.unary(MessagingService.method.changeInvisibleDuration, {
      group: { name: group },
      topic: { name: topic },
      receiptHandle: m.systemProperties!.receiptHandle!,
      messageId: m.systemProperties!.messageId,
      invisibleDuration: durationFromMs(ms),
    });
  }

  /** Opens a Telemetry stream. */
  telemetry(): TelemetryHandle {
    const method = MessagingService.method.telemetry;
    const call = this.#client.makeBidiStreamRequest(
      `/${method.parent.typeName}/${method.name}`,
      (m: TelemetryCommand) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, b),
      this.metadata(),
      {},
    );
    const frames: TelemetryCommand[] = [];
    const queue: TelemetryCommand[] = [];
    const waiters: Array<(f: TelemetryCommand | Error) => void> = [];
    let endInfo: { code: number; details: string } | undefined;
    let resolveEnded!: (v: { code: number; details: string }) => void;
    const ended = new Promise<{ code: number; details: string }>((r) => {
      resolveEnded = r;
    });
    const end = (code: number, details: string): void => {
      if (endInfo !== undefined) return;
      endInfo = { code, details };
      resolveEnded(endInfo);
      for (const w of waiters.splice(0)) w(new Error(`stream ended: ${code} ${details}`));
    };
    call.on('data', (f: TelemetryCommand) => {
      frames.push(f);
      const w = waiters.shift();
      if (w) w(f);
      else queue.push(f);
    });
    call.on('status', (s: grpc.StatusObject) => end(s.code, s.details));
    call.on('error', (e: grpc.ServiceError) => end(e.code, e.details));
    call.on('end', () => {
      // 'status' follows; nothing to do.
    });
    return {
      frames,
      ended,
      write: (init) => call.write(create(TelemetryCommandSchema, init)),
      next: (timeoutMs = 5000) => {
        const f = queue.shift();
        if (f) return Promise.resolve(f);
        if (endInfo) return Promise.reject(new Error(`stream ended: ${endInfo.code} ${endInfo.details}`));
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            const i = waiters.indexOf(handler);
            if (i >= 0) waiters.splice(i, 1);
            reject(new Error(`no telemetry frame within ${timeoutMs} ms`));
          }, timeoutMs);
          const handler = (v: TelemetryCommand | Error): void => {
            clearTimeout(timer);
            if (v instanceof Error) reject(v);
            else resolve(v);
          };
          waiters.push(handler);
        });
      },
      close: () => {
        call.end();
        call.cancel();
      },
    };
  }

  /** Opens Telemetry, sends producer settings for `topics`, and returns the stream with the broker's reply. */
  async producerSession(topics: string[]) {
    const t = this.telemetry();
    t.write({
      command: {
        case: 'settings',
        value: {
          clientType: ClientType.PRODUCER,
          requestTimeout: durationFromMs(3000),
          pubSub: { case: 'publishing', value: { topics: topics.map((name) => ({ name })) } },
        },
      },
    });
    const reply = await t.next();
    return { telemetry: t, reply };
  }

  /** Opens Telemetry, sends consumer settings, and returns the stream with the broker's reply. */
  async consumerSession(
    group: string,
    topics: string[],
    clientType: ClientType = ClientType.SIMPLE_CONSUMER,
  ) {
    const t = this.telemetry();
    t.write({
      command: {
        case: 'settings',
        value: {
          clientType,
          requestTimeout: durationFromMs(3000),
          pubSub: {
            case: 'subscription',
            value: {
              group: { name: group },
              subscriptions: topics.map((name) => ({
                topic: { name },
                expression: { type: FilterType.TAG, expression: '*' },
              })),
            },
          },
        },
      },
    });
    const reply = await t.next();
    return { telemetry: t, reply };
  }

  close(): void {
    this.#client.close();
  }
}

/** Message text of a received message. */
export function text(m: Message): string {
  return new TextDecoder().decode(m.body);
}

/** Name of a broker code, for readable assertions. */
export function codeName(s: Status | undefined): string {
  return s === undefined ? 'undefined' : (Code[s.code] ?? String(s.code));
}
