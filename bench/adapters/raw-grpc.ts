/**
 * The transport's ceiling: a bare `@grpc/grpc-js` client that sends pre-encoded requests (built once with
 * the generated descriptors of src/gen) with the same `x-mq-*` headers as rocketmq-ts (built per call by
 * src/rpc/metadata.ts) and the same response codec work (protobuf-es `fromBinary`). It has no
 * validation, retries, route cache, heartbeats or message views: the work left is what any client must do.
 *
 * It opens a telemetry stream and waits for the server's Settings at start (the real proxy refuses
 * receives from a client it has no settings for). Everything goes to the access point.
 */
import { hostname } from 'node:os';
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import type { Message, MessageQueue } from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import type { ReceiveMessageResponseSchema } from '../../src/gen/apache/rocketmq/v2/service_pb.js';
import { importLib } from '../lib/library.js';
import { type AdapterConfig, type AdapterGap, type ClientAdapter, unsupported } from './types.js';

/** What the raw client takes from the library build being measured (see lib/library.ts). */
interface RawLib {
  readonly def: typeof import('../../src/gen/apache/rocketmq/v2/definition_pb.js');
  readonly svc: typeof import('../../src/gen/apache/rocketmq/v2/service_pb.js');
  readonly channelOptions: grpc.ChannelOptions;
  readonly createClientId: () => string;
  readonly buildRequestMetadata: typeof import('../../src/rpc/metadata.js').buildRequestMetadata;
  readonly version: string;
}

let loaded: Promise<RawLib> | undefined;

/** Loads what the raw client takes from the library; the worker does it before timing anything. */
export function preload(): Promise<RawLib> {
  loaded ??= (async () => {
    const [def, svc, pool, id, md, ver] = await Promise.all([
      importLib<RawLib['def']>('gen/apache/rocketmq/v2/definition_pb.js'),
      importLib<RawLib['svc']>('gen/apache/rocketmq/v2/service_pb.js'),
      importLib<typeof import('../../src/rpc/channel-pool.js')>('rpc/channel-pool.js'),
      importLib<typeof import('../../src/rpc/client-id.js')>('rpc/client-id.js'),
      importLib<typeof import('../../src/rpc/metadata.js')>('rpc/metadata.js'),
      importLib<typeof import('../../src/version.js')>('version.js'),
    ]);
    return {
      def,
      svc,
      channelOptions: { ...pool.DEFAULT_CHANNEL_OPTIONS },
      createClientId: () => id.createClientId(),
      buildRequestMetadata: md.buildRequestMetadata,
      version: ver.VERSION,
    };
  })();
  return loaded;
}

const CLIENT = 'raw-grpc';
const TIMEOUT_MS = 3_000;
const SERVICE = 'apache.rocketmq.v2.MessagingService';
const path = (name: string): string => `/${SERVICE}/${name}`;
const identity = (b: Buffer): Buffer => b;
const decoder =
  <T extends DescMessage>(schema: T) =>
  (b: Buffer): MessageShape<T> =>
    fromBinary(schema, b);
const encode = <T extends DescMessage>(schema: T, init: Parameters<typeof create<T>>[1]): Buffer => {
  const bytes = toBinary(schema, create(schema, init));
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
};
const duration = (ms: number) => ({ seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });

const OK = 20000;
const MESSAGE_NOT_FOUND = 40401;

function checkOk(status: { code: number; message: string } | undefined, what: string): void {
  if (status !== undefined && status.code !== OK)
    throw new Error(`${what}: ${status.code} ${status.message}`);
}

export async function createRawGrpcAdapter(config: AdapterConfig): Promise<ClientAdapter | AdapterGap> {
  if (config.role === 'push-consumer') return { gap: 'the raw client has no push consumer' };
  return new RawAdapter(await preload(), config);
}

class RawAdapter implements ClientAdapter<Message> {
  readonly client = CLIENT;
  readonly role: AdapterConfig['role'];
  readonly #l: RawLib;
  readonly #config: AdapterConfig;
  readonly #clientId: string;
  readonly #grpc: grpc.Client;
  #telemetry: grpc.ClientDuplexStream<Buffer, unknown> | undefined;
  #queues: MessageQueue[] = [];
  #next = 0;
  #sendBody: Buffer | undefined;
  #sendBytes: Buffer | undefined;
  #receiveBytes = new Map<string, Buffer>();
  #serial = 0;

  constructor(lib: RawLib, config: AdapterConfig) {
    this.#l = lib;
    this.#clientId = lib.createClientId();
    this.#config = config;
    this.role = config.role;
    this.#grpc = new grpc.Client(config.endpoint, grpc.credentials.createInsecure(), {
      ...lib.channelOptions,
    });
  }

  #metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    for (const [k, v] of Object.entries(this.#l.buildRequestMetadata({ clientId: this.#clientId })))
      md.set(k, v);
    return md;
  }

  #unary<T extends DescMessage>(name: string, bytes: Buffer, schema: T): Promise<MessageShape<T>> {
    return new Promise((resolve, reject) => {
      this.#grpc.makeUnaryRequest(
        path(name),
        identity,
        decoder(schema),
        bytes,
        this.#metadata(),
        { deadline: Date.now() + TIMEOUT_MS },
        (err, response) => (err || response === undefined ? reject(err) : resolve(response)),
      );
    });
  }

  get #isProducer(): boolean {
    return this.role === 'producer';
  }

  #accessPoint() {
    const [host, port] = this.#config.endpoint.split(':');
    return { scheme: this.#l.def.AddressScheme.IPv4, addresses: [{ host: host!, port: Number(port) }] };
  }

  #settingsCommand(): Buffer {
    const { topic, group, awaitDurationMs } = this.#config;
    return encode(this.#l.svc.TelemetryCommandSchema, {
      command: {
        case: 'settings',
        value: {
          clientType: this.#isProducer
            ? this.#l.def.ClientType.PRODUCER
            : this.#l.def.ClientType.SIMPLE_CONSUMER,
          accessPoint: this.#accessPoint(),
          requestTimeout: duration(TIMEOUT_MS),
          userAgent: {
            language: this.#l.def.Language.NODE_JS,
            version: this.#l.version,
            platform: process.platform,
            hostname: hostname(),
          },
          pubSub: this.#isProducer
            ? { case: 'publishing', value: { topics: [{ name: topic }], validateMessageType: true } }
            : {
                case: 'subscription',
                value: {
                  group: { name: group },
                  subscriptions: [
                    {
                      topic: { name: topic },
                      expression: { type: this.#l.def.FilterType.TAG, expression: '*' },
                    },
                  ],
                  longPollingTimeout: duration(awaitDurationMs),
                },
              },
        },
      },
    });
  }

  async start(): Promise<void> {
    const settings = new Promise<void>((resolve, reject) => {
      const call = this.#grpc.makeBidiStreamRequest(
        path('Telemetry'),
        identity,
        decoder(this.#l.svc.TelemetryCommandSchema),
        this.#metadata(),
      );
      this.#telemetry = call;
      call.once('data', () => resolve());
      call.on('error', (err) => reject(err));
      call.write(this.#settingsCommand());
    });
    await settings;
    const route = await this.#unary(
      'QueryRoute',
      encode(this.#l.svc.QueryRouteRequestSchema, {
        topic: { name: this.#config.topic },
        endpoints: this.#accessPoint(),
      }),
      this.#l.svc.QueryRouteResponseSchema,
    );
    checkOk(route.status, 'QueryRoute');
    this.#queues = route.messageQueues;
    if (this.#queues.length === 0) throw new Error('QueryRoute returned no queue');
    if (!this.#isProducer) {
      const hb = await this.#unary(
        'Heartbeat',
        encode(this.#l.svc.HeartbeatRequestSchema, {
          group: { name: this.#config.group },
          clientType: this.#l.def.ClientType.SIMPLE_CONSUMER,
        }),
        this.#l.svc.HeartbeatResponseSchema,
      );
      checkOk(hb.status, 'Heartbeat');
    }
  }

  #sendRequest(body: Buffer): Buffer {
    if (body === this.#sendBody && this.#sendBytes !== undefined) return this.#sendBytes;
    const bytes = encode(this.#l.svc.SendMessageRequestSchema, {
      messages: [
        {
          topic: { name: this.#config.topic },
          userProperties: {},
          systemProperties: {
            tag: 'bench',
            keys: [],
            messageId: `01RAW${process.pid.toString(16).padStart(8, '0')}${(this.#serial++).toString(16).padStart(20, '0')}`,
            bodyEncoding: this.#l.def.Encoding.IDENTITY,
            messageType: this.#l.def.MessageType.NORMAL,
            bornTimestamp: timestampFromMs(Date.now()),
            bornHost: hostname(),
            queueId: 0,
          },
          body,
        },
      ],
    });
    this.#sendBody = body;
    this.#sendBytes = bytes;
    return bytes;
  }

  async send(body: Buffer): Promise<void> {
    if (!this.#isProducer) throw unsupported(CLIENT, this.role, 'send');
    const response = await this.#unary(
      'SendMessage',
      this.#sendRequest(body),
      this.#l.svc.SendMessageResponseSchema,
    );
    for (const e of response.entries) checkOk(e.status, 'SendMessage');
    checkOk(response.status, 'SendMessage');
  }

  #receiveRequest(max: number): Buffer {
    const index = this.#next++ % this.#queues.length;
    const key = `${index}/${max}`;
    let bytes = this.#receiveBytes.get(key);
    if (bytes === undefined) {
      bytes = encode(this.#l.svc.ReceiveMessageRequestSchema, {
        group: { name: this.#config.group },
        messageQueue: this.#queues[index],
        filterExpression: { type: this.#l.def.FilterType.TAG, expression: '*' },
        batchSize: max,
        invisibleDuration: duration(this.#config.invisibleDurationMs),
        autoRenew: false,
        longPollingTimeout: duration(this.#config.awaitDurationMs),
      });
      this.#receiveBytes.set(key, bytes);
    }
    return bytes;
  }

  receiveBatch(max: number): Promise<readonly Message[]> {
    if (this.#isProducer) return Promise.reject(unsupported(CLIENT, this.role, 'receiveBatch'));
    return new Promise((resolve, reject) => {
      const call = this.#grpc.makeServerStreamRequest(
        path('ReceiveMessage'),
        identity,
        decoder(this.#l.svc.ReceiveMessageResponseSchema),
        this.#receiveRequest(max),
        this.#metadata(),
        { deadline: Date.now() + this.#config.awaitDurationMs + TIMEOUT_MS },
      );
      const messages: Message[] = [];
      let code: number | undefined;
      let detail = '';
      call.on('data', (r: MessageShape<typeof ReceiveMessageResponseSchema>) => {
        if (r.content.case === 'message') messages.push(r.content.value);
        else if (r.content.case === 'status') {
          code = r.content.value.code;
          detail = r.content.value.message;
        }
      });
      call.on('error', reject);
      call.on('end', () => {
        if (code === OK || code === MESSAGE_NOT_FOUND) resolve(messages);
        else reject(new Error(`ReceiveMessage: ${code === undefined ? 'no status' : code} ${detail}`));
      });
    });
  }

  async ack(messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return;
    const response = await this.#unary(
      'AckMessage',
      encode(this.#l.svc.AckMessageRequestSchema, {
        group: { name: this.#config.group },
        topic: { name: this.#config.topic },
        entries: messages.map((m) => ({
          messageId: m.systemProperties?.messageId ?? '',
          receiptHandle: m.systemProperties?.receiptHandle ?? '',
        })),
      }),
      this.#l.svc.AckMessageResponseSchema,
    );
    checkOk(response.status, 'AckMessage');
  }

  bodyOf(message: Message): Uint8Array {
    return message.body;
  }

  async shutdown(): Promise<void> {
    try {
      await this.#unary(
        'NotifyClientTermination',
        encode(
          this.#l.svc.NotifyClientTerminationRequestSchema,
          this.#isProducer ? {} : { group: { name: this.#config.group } },
        ),
        this.#l.svc.NotifyClientTerminationResponseSchema,
      );
    } finally {
      this.#telemetry?.end();
      this.#telemetry?.cancel();
      this.#grpc.close();
    }
  }
}
