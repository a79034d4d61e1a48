/**
 * A tiny grpc-js server on 127.0.0.1:0 serving MessagingService from the generated descriptors, with
 * per-test handlers. Used by the rpc adapter tests (a real loopback socket, no broker logic).
 */
import { type DescMessage, fromBinary, type MessageShape, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { MessagingService } from '../../../src/gen/apache/rocketmq/v2/service_pb.js';

type Methods = typeof MessagingService.method;
export type MethodName = keyof Methods;

/** Handlers keyed by the method's local name; missing ones answer UNIMPLEMENTED. */
export type Handlers = Partial<Record<MethodName, grpc.UntypedHandleCall>>;

export interface LoopbackServer {
  readonly endpoint: string;
  readonly port: number;
  /** Metadata of every call received, in order. */
  readonly calls: Array<{ method: MethodName; metadata: grpc.Metadata }>;
  handlers: Handlers;
  close(): Promise<void>;
}

function serialize<T extends DescMessage>(schema: T) {
  return (value: unknown): Buffer => Buffer.from(toBinary(schema, value as MessageShape<T>));
}
function deserialize<T extends DescMessage>(schema: T) {
  return (bytes: Buffer): MessageShape<T> => fromBinary(schema, bytes);
}

export async function startLoopbackServer(
  initial: Handlers = {},
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<LoopbackServer> {
  const server = new grpc.Server();
  const calls: LoopbackServer['calls'] = [];
  const state = { handlers: initial };
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(MessagingService.method) as Array<
    [MethodName, Methods[MethodName]]
  >) {
    definition[name] = {
      path: `/${method.parent.typeName}/${method.name}`,
      requestStream: method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: serialize(method.input as DescMessage),
      requestDeserialize: deserialize(method.input as DescMessage),
      responseSerialize: serialize(method.output as DescMessage),
      responseDeserialize: deserialize(method.output as DescMessage),
    };
    implementation[name] = ((call: { metadata: grpc.Metadata }, callback?: grpc.sendUnaryData<unknown>) => {
      calls.push({ method: name, metadata: call.metadata });
      const handler = state.handlers[name] as ((...args: unknown[]) => void) | undefined;
      if (handler === undefined) {
        const err = { code: grpc.status.UNIMPLEMENTED, details: `${name} not implemented here` };
        if (callback) callback(err, null);
        else (call as unknown as grpc.ServerWritableStream<unknown, unknown>).emit('error', err);
        return;
      }
      handler(call, callback);
    }) as grpc.UntypedHandleCall;
  }
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    endpoint: `127.0.0.1:${port}`,
    port,
    calls,
    get handlers() {
      return state.handlers;
    },
    set handlers(h: Handlers) {
      state.handlers = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}
