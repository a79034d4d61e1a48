/**
 * A hostile MessagingService server for tests: a real grpc-js server on 127.0.0.1:0 whose answers the
 * test writes itself, so they can carry what no well-behaved proxy sends (unknown enum values, huge
 * receive replies, unknown status codes, bytes that are not protobuf). A handler may answer with a
 * `Buffer`: it goes on the wire as the gRPC message payload, unchanged.
 *
 * Defaults make a client start: Telemetry answers every client Settings frame with the same settings
 * and an OK status, QueryRoute gives one READ_WRITE NORMAL queue on this server, QueryAssignment one
 * assignment, Heartbeat and NotifyClientTermination answer OK. Everything else answers UNIMPLEMENTED
 * until the test sets a handler.
 */
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  AddressScheme,
  Code,
  type MessageQueue,
  MessageType,
  Permission,
} from '../../src/gen/apache/rocketmq/v2/definition_pb.js';
import {
  HeartbeatResponseSchema,
  MessagingService,
  NotifyClientTerminationResponseSchema,
  QueryAssignmentResponseSchema,
  QueryRouteResponseSchema,
  type TelemetryCommand,
  TelemetryCommandSchema,
} from '../../src/gen/apache/rocketmq/v2/service_pb.js';

type Methods = typeof MessagingService.method;
export type HostileMethod = keyof Methods;

/** A handler as grpc-js calls it (unary: call + callback; streams: the call). */
// biome-ignore lint/suspicious/noExplicitAny: one handler type for every method; each test reads its own request shape
export type HostileHandler = (call: any, callback?: grpc.sendUnaryData<unknown>) => void;

export interface HostileServer {
  readonly endpoint: string;
  readonly port: number;
  /** Calls received per method. */
  readonly calls: Map<HostileMethod, number>;
  /** Current handlers (replace entries to change the answers). */
  readonly handlers: Partial<Record<HostileMethod, HostileHandler>>;
  /** A route queue on this server (for handlers that build their own route). */
  queue(topic: string, overrides?: Partial<MessageQueue>): MessageQueue;
  close(): Promise<void>;
}

export const OK = { code: Code.OK, message: 'OK' } as const;

export async function startHostileServer(): Promise<HostileServer> {
  const server = new grpc.Server();
  const calls = new Map<HostileMethod, number>();
  let port = 0;
  const queue = (topic: string, overrides: Partial<MessageQueue> = {}): MessageQueue =>
    ({
      topic: { name: topic, resourceNamespace: '' },
      id: 0,
      permission: Permission.READ_WRITE,
      broker: {
        name: 'hostile',
        id: 0,
        endpoints: { scheme: AddressScheme.IPv4, addresses: [{ host: '127.0.0.1', port }] },
      },
      acceptMessageTypes: [MessageType.NORMAL],
      ...overrides,
    }) as MessageQueue;
  const handlers: Partial<Record<HostileMethod, HostileHandler>> = {
    telemetry: (call: grpc.ServerDuplexStream<TelemetryCommand, unknown>) => {
      call.on('data', (frame: TelemetryCommand) => {
        if (frame.command.case === 'settings') {
          call.write(
            create(TelemetryCommandSchema, {
              status: OK,
              command: { case: 'settings', value: frame.command.value },
            }),
          );
        }
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
    queryRoute: (call, cb) =>
      cb?.(
        null,
        create(QueryRouteResponseSchema, {
          status: OK,
          messageQueues: [queue(call.request.topic?.name ?? '')],
        }),
      ),
    queryAssignment: (call, cb) =>
      cb?.(
        null,
        create(QueryAssignmentResponseSchema, {
          status: OK,
          assignments: [{ messageQueue: queue(call.request.topic?.name ?? '', { id: -1 }) }],
        }),
      ),
    heartbeat: (_call, cb) => cb?.(null, create(HeartbeatResponseSchema, { status: OK })),
    notifyClientTermination: (_call, cb) =>
      cb?.(null, create(NotifyClientTerminationResponseSchema, { status: OK })),
  };
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(MessagingService.method) as Array<
    [HostileMethod, Methods[HostileMethod]]
  >) {
    const input = method.input as DescMessage;
    const output = method.output as DescMessage;
    definition[name] = {
      path: `/${method.parent.typeName}/${method.name}`,
      requestStream: method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: (v: unknown) => Buffer.from(toBinary(input, v as MessageShape<DescMessage>)),
      requestDeserialize: (b: Buffer) => fromBinary(input, b),
      responseSerialize: (v: unknown) =>
        Buffer.isBuffer(v) ? v : Buffer.from(toBinary(output, v as MessageShape<DescMessage>)),
      responseDeserialize: (b: Buffer) => fromBinary(output, b),
    };
    implementation[name] = ((call: unknown, callback?: grpc.sendUnaryData<unknown>) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const handler = handlers[name];
      if (handler === undefined) {
        const err = { code: grpc.status.UNIMPLEMENTED, details: `${name} not implemented here` };
        if (callback) callback(err, null);
        else (call as grpc.ServerWritableStream<unknown, unknown>).emit('error', err);
        return;
      }
      handler(call, callback);
    }) as grpc.UntypedHandleCall;
  }
  server.addService(definition, implementation);
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    calls,
    handlers,
    queue,
    close: async () => {
      server.forceShutdown();
    },
  };
}
