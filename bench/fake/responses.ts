/**
 * Pre-encoded answers of the fake broker. Everything a hot path returns is encoded once (per topic, per
 * entry count) and then written as bytes; only rare calls (telemetry settings, routes, assignments)
 * decode their request.
 *
 * Received messages look like the Apache proxy's: MD5 body digest, IDENTITY encoding, born/store
 * timestamps and hosts, a receipt handle of realistic length, queue offset, invisible duration and
 * delivery attempt.
 */
import { createHash } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DurationSchema, timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AddressScheme,
  Code,
  DigestType,
  Encoding,
  MessageQueueSchema,
  MessageSchema,
  MessageType,
  MetricSchema,
  Permission,
  RetryPolicySchema,
  SettingsSchema,
} from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  AckMessageResponseSchema,
  ChangeInvisibleDurationResponseSchema,
  EndTransactionResponseSchema,
  ForwardMessageToDeadLetterQueueResponseSchema,
  HeartbeatResponseSchema,
  NotifyClientTerminationResponseSchema,
  QueryAssignmentRequestSchema,
  QueryAssignmentResponseSchema,
  QueryRouteRequestSchema,
  QueryRouteResponseSchema,
  ReceiveMessageResponseSchema,
  SendMessageResponseSchema,
  TelemetryCommandSchema,
} from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import { frame } from './grpc-frames.js';

const OK = { code: Code.OK, message: 'OK' };
const BROKER = 'broker-fake';

/** Shape of the fake's data. */
export interface FakeShape {
  /** host:port the fake listens on (put in routes). */
  host: string;
  port: number;
  /** Queues per topic. */
  queues: number;
  /** Body size of received messages. */
  bodySize: number;
  /** Distinct messages per topic before the pool repeats. */
  poolSize: number;
}

/** A pool of framed ReceiveMessage message frames, contiguous so a batch is one slice. */
interface MessagePool {
  readonly bytes: Buffer;
  /** offsets[i] = start of frame i; offsets[poolSize] = end. */
  readonly offsets: Uint32Array;
  next: number;
}

const seconds = (ms: number) =>
  create(DurationSchema, { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 });

/** Builds and caches every answer of the fake. */
export class FakeResponses {
  readonly shape: FakeShape;
  readonly heartbeat = frame(
    toBinary(HeartbeatResponseSchema, create(HeartbeatResponseSchema, { status: OK })),
  );
  readonly termination = frame(
    toBinary(
      NotifyClientTerminationResponseSchema,
      create(NotifyClientTerminationResponseSchema, { status: OK }),
    ),
  );
  readonly send: Buffer;
  readonly changeInvisible = frame(
    toBinary(
      ChangeInvisibleDurationResponseSchema,
      create(ChangeInvisibleDurationResponseSchema, {
        status: OK,
        receiptHandle: 'fake-renewed-handle-0001',
      }),
    ),
  );
  readonly endTransaction = frame(
    toBinary(EndTransactionResponseSchema, create(EndTransactionResponseSchema, { status: OK })),
  );
  readonly forwardDlq = frame(
    toBinary(
      ForwardMessageToDeadLetterQueueResponseSchema,
      create(ForwardMessageToDeadLetterQueueResponseSchema, { status: OK }),
    ),
  );
  readonly receiveOk = frame(
    toBinary(
      ReceiveMessageResponseSchema,
      create(ReceiveMessageResponseSchema, { content: { case: 'status', value: OK } }),
    ),
  );
  readonly receiveEmpty = frame(
    toBinary(
      ReceiveMessageResponseSchema,
      create(ReceiveMessageResponseSchema, {
        content: { case: 'status', value: { code: Code.MESSAGE_NOT_FOUND, message: 'no new message' } },
      }),
    ),
  );
  readonly #acks = new Map<number, Buffer>();
  readonly #routes = new Map<string, Buffer>();
  readonly #assignments = new Map<string, Buffer>();
  readonly #pools = new Map<string, MessagePool>();
  #serial = 0;

  constructor(shape: FakeShape) {
    this.shape = shape;
    this.send = frame(
      toBinary(
        SendMessageResponseSchema,
        create(SendMessageResponseSchema, {
          status: OK,
          entries: [{ status: OK, messageId: '01FAKE0000000000000000000000000001', offset: 1n }],
        }),
      ),
    );
  }

  /** AckMessage answer with `count` OK entries. */
  ack(count: number): Buffer {
    let bytes = this.#acks.get(count);
    if (bytes === undefined) {
      const entries = Array.from({ length: Math.max(0, count) }, () => ({ status: OK }));
      bytes = frame(
        toBinary(AckMessageResponseSchema, create(AckMessageResponseSchema, { status: OK, entries })),
      );
      this.#acks.set(count, bytes);
    }
    return bytes;
  }

  #queues(topic: string) {
    return Array.from({ length: this.shape.queues }, (_, id) =>
      create(MessageQueueSchema, {
        topic: { name: topic, resourceNamespace: '' },
        id,
        permission: Permission.READ_WRITE,
        broker: {
          name: BROKER,
          id: 0,
          endpoints: {
            scheme: AddressScheme.IPv4,
            addresses: [{ host: this.shape.host, port: this.shape.port }],
          },
        },
        acceptMessageTypes: [MessageType.NORMAL],
      }),
    );
  }

  /** QueryRoute answer for the topic of `request`. */
  route(request: Uint8Array): Buffer {
    const topic = fromBinary(QueryRouteRequestSchema, request).topic?.name ?? '';
    let bytes = this.#routes.get(topic);
    if (bytes === undefined) {
      bytes = frame(
        toBinary(
          QueryRouteResponseSchema,
          create(QueryRouteResponseSchema, { status: OK, messageQueues: this.#queues(topic) }),
        ),
      );
      this.#routes.set(topic, bytes);
    }
    return bytes;
  }

  /** QueryAssignment answer: every queue of the topic. */
  assignment(request: Uint8Array): Buffer {
    const topic = fromBinary(QueryAssignmentRequestSchema, request).topic?.name ?? '';
    let bytes = this.#assignments.get(topic);
    if (bytes === undefined) {
      bytes = frame(
        toBinary(
          QueryAssignmentResponseSchema,
          create(QueryAssignmentResponseSchema, {
            status: OK,
            assignments: this.#queues(topic).map((messageQueue) => ({ messageQueue })),
          }),
        ),
      );
      this.#assignments.set(topic, bytes);
    }
    return bytes;
  }

  /**
   * The server's answer to a client Settings frame: the client's settings completed with what the
   * proxy adds (timeouts, retry policy, body limit / batch size). `undefined` for other commands.
   */
  settingsReply(command: Uint8Array): Buffer | undefined {
    const cmd = fromBinary(TelemetryCommandSchema, command);
    if (cmd.command.case !== 'settings') return undefined;
    const settings = create(SettingsSchema, cmd.command.value);
    settings.requestTimeout = seconds(3000);
    settings.metric = create(MetricSchema, { on: false });
    if (settings.pubSub.case === 'publishing') {
      settings.pubSub.value.maxBodySize = 4 * 1024 * 1024;
      settings.pubSub.value.validateMessageType = true;
      settings.backoffPolicy = create(RetryPolicySchema, {
        maxAttempts: 3,
        strategy: {
          case: 'exponentialBackoff',
          value: { initial: seconds(10), max: seconds(1000), multiplier: 2 },
        },
      });
    } else if (settings.pubSub.case === 'subscription') {
      settings.pubSub.value.fifo = false;
      settings.pubSub.value.receiveBatchSize = 32;
      settings.pubSub.value.longPollingTimeout = seconds(20_000);
      settings.backoffPolicy = create(RetryPolicySchema, {
        maxAttempts: 16,
        strategy: {
          case: 'customizedBackoff',
          value: { next: [seconds(1000), seconds(5000), seconds(10_000)] },
        },
      });
    }
    return frame(
      toBinary(
        TelemetryCommandSchema,
        create(TelemetryCommandSchema, { status: OK, command: { case: 'settings', value: settings } }),
      ),
    );
  }

  #pool(topic: string): MessagePool {
    let pool = this.#pools.get(topic);
    if (pool !== undefined) return pool;
    const { poolSize, bodySize, host, port } = this.shape;
    const frames: Buffer[] = [];
    const offsets = new Uint32Array(poolSize + 1);
    const now = Date.now();
    let total = 0;
    for (let i = 0; i < poolSize; i++) {
      const n = this.#serial++;
      const body = Buffer.alloc(bodySize, 97 + (n % 26));
      body.writeUInt32BE(n, 0);
      const hex = n.toString(16).toUpperCase().padStart(8, '0');
      const queueId = i % this.shape.queues;
      const message = create(MessageSchema, {
        topic: { name: topic, resourceNamespace: '' },
        userProperties: {},
        systemProperties: {
          tag: 'bench',
          keys: [],
          messageId: `01C0A8000100002A9F${hex}00000000`,
          bodyDigest: {
            type: DigestType.MD5,
            checksum: createHash('md5').update(body).digest('hex').toUpperCase(),
          },
          bodyEncoding: Encoding.IDENTITY,
          messageType: MessageType.NORMAL,
          bornTimestamp: timestampFromMs(now),
          bornHost: '10.0.0.1',
          storeTimestamp: timestampFromMs(now),
          storeHost: `${host}:${port}`,
          receiptHandle: `${hex}${hex} 1 ${now} 60000 0 0 ${BROKER} ${queueId} ${n} ${n * 1100} 0`,
          queueId,
          queueOffset: BigInt(n),
          invisibleDuration: seconds(60_000),
          deliveryAttempt: 1,
        },
        body,
      });
      const bytes = frame(
        toBinary(
          ReceiveMessageResponseSchema,
          create(ReceiveMessageResponseSchema, { content: { case: 'message', value: message } }),
        ),
      );
      frames.push(bytes);
      offsets[i] = total;
      total += bytes.length;
    }
    offsets[poolSize] = total;
    pool = { bytes: Buffer.concat(frames, total), offsets, next: 0 };
    this.#pools.set(topic, pool);
    return pool;
  }

  /** Frames of `count` distinct messages of `topic` (one contiguous slice of the pool). */
  messages(topic: string, count: number): Buffer {
    const pool = this.#pool(topic);
    const n = Math.min(count, this.shape.poolSize);
    if (pool.next + n > this.shape.poolSize) pool.next = 0;
    const start = pool.next;
    pool.next += n;
    return pool.bytes.subarray(pool.offsets[start], pool.offsets[start + n]);
  }
}
