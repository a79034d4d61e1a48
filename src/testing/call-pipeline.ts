/**
 * Wraps the RPC handlers into a grpc-js service implementation. Every call goes through the same steps:
 * count it, apply injected latency/hangs, injected failures, header checks (auth, client id), the handler,
 * then any injected malformation. Methods without a handler answer gRPC `UNIMPLEMENTED`, as the Apache
 * proxy does for PullMessage, UpdateOffset, GetOffset and QueryOffset.
 *
 * @packageDocumentation
 */

import { clone, create, type DescMessage, type DescMethod } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import type { Status } from '../gen/apache/rocketmq/v2/definition_pb.js';
import {
  MessagingService,
  type ReceiveMessageRequest,
  type ReceiveMessageResponse,
  ReceiveMessageResponseSchema,
  type TelemetryCommand,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import type { AclCredential } from './auth.js';
import { type CallContext, checkHeaders, createCallContext } from './call-context.js';
import type { FaultInjector, FailureSpec, MalformedKind } from './faults.js';
import type { RpcName } from './service-definition.js';
import { status, statusOf } from './status.js';
import type { TelemetryHub, TelemetryStream } from './telemetry-hub.js';

/** A unary handler; throwing a `BrokerStatusError` yields a status-only response. */
// biome-ignore lint/suspicious/noExplicitAny: handlers are keyed by RPC name over heterogeneous message types
export type UnaryHandler = (request: any, ctx: CallContext) => unknown;

/** Writes the frames of a ReceiveMessage response. */
export interface ReceiveWriter {
  /** Writes one frame (dropped when the stream is closed or by a malformation fault). False when closed. */
  write(frame: ReceiveMessageResponse): boolean;
  /** Completes the call with gRPC OK. */
  end(): void;
  /** True once the stream ended or the client went away. */
  readonly closed: boolean;
}

/** The ReceiveMessage handler. It must end the writer. */
export type ReceiveHandler = (
  request: ReceiveMessageRequest,
  ctx: CallContext,
  out: ReceiveWriter,
) => Promise<void>;

/** Thrown by a Telemetry frame handler to end the stream with a gRPC status. */
export class StreamStatusError extends Error {
  override name = 'StreamStatusError';
  constructor(
    readonly grpcCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** The Telemetry frame handler, called for every frame that passed the header checks, in order. */
export type TelemetryFrameHandler = (
  frame: TelemetryCommand,
  ctx: CallContext,
  stream: TelemetryStream,
) => void | Promise<void>;

/** The handlers of the service. */
export interface ServiceHandlers {
  readonly unary: Partial<Record<RpcName, UnaryHandler>>;
  readonly receiveMessage: ReceiveHandler;
  readonly telemetry: TelemetryFrameHandler;
}

/** What the pipeline needs from the broker. */
export interface PipelineDeps {
  readonly faults: FaultInjector;
  readonly acl: readonly AclCredential[];
  readonly hub: TelemetryHub;
  readonly now: () => number;
  readonly count: (rpc: RpcName) => void;
  readonly isClosed: () => boolean;
}

/** Open ReceiveMessage streams, so that they can be dropped. */
export interface OpenStreams {
  readonly receive: Set<{ fail(grpcCode: number, details: string): void }>;
}

const SHUTDOWN_DETAILS = 'broker is shutting down';

function grpcError(code: number, details: string): Partial<grpc.StatusObject> {
  return { code, details, metadata: new grpc.Metadata() };
}

function statusResponse(schema: DescMessage, s: Status): unknown {
  return create(schema, { status: s } as never);
}

function malform(schema: DescMessage, response: unknown, kind: MalformedKind | undefined): unknown {
  if (kind === undefined || kind === 'bad-digest') return response;
  const r = response as { status?: Status };
  if (kind === 'empty-payload') return create(schema, { status: r.status } as never);
  const copy = clone(schema, response as never) as { status?: Status };
  copy.status = undefined;
  return copy;
}

/**
 * Builds the grpc-js implementation object (keys = proto method names) for `Server.addService`.
 */
export function buildImplementation(
  deps: PipelineDeps,
  handlers: ServiceHandlers,
  open: OpenStreams,
): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const method of MessagingService.methods) {
    const rpc = method.name as RpcName;
    if (method.methodKind === 'unary') {
      const handler = handlers.unary[rpc];
      impl[rpc] =
        handler === undefined ? unimplementedUnary(deps, rpc, method) : unary(deps, rpc, method, handler);
    } else if (rpc === 'ReceiveMessage') {
      impl[rpc] = receive(deps, handlers.receiveMessage, open);
    } else if (rpc === 'Telemetry') {
      impl[rpc] = telemetry(deps, handlers.telemetry);
    } else {
      impl[rpc] = unimplementedStream(deps, rpc, method);
    }
  }
  return impl;
}

function unimplementedDetails(method: DescMethod): string {
  return `Method ${method.parent.typeName}/${method.name} is unimplemented`;
}

function unimplementedUnary(
  deps: PipelineDeps,
  rpc: RpcName,
  method: DescMethod,
): grpc.handleUnaryCall<unknown, unknown> {
  return (_call, callback) => {
    deps.count(rpc);
    callback(grpcError(grpc.status.UNIMPLEMENTED, unimplementedDetails(method)));
  };
}

function unimplementedStream(deps: PipelineDeps, rpc: RpcName, method: DescMethod) {
  return (call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>) => {
    deps.count(rpc);
    call.emit('error', grpcError(grpc.status.UNIMPLEMENTED, unimplementedDetails(method)));
  };
}

function cancelSignal(call: { on(event: 'cancelled', fn: () => void): unknown }): AbortController {
  const controller = new AbortController();
  call.on('cancelled', () => controller.abort(new Error('call cancelled by the client')));
  return controller;
}

function unary(
  deps: PipelineDeps,
  rpc: RpcName,
  method: DescMethod,
  handler: UnaryHandler,
): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    deps.count(rpc);
    const controller = cancelSignal(call);
    void (async () => {
      try {
        await deps.faults.before(rpc);
      } catch {
        callback(grpcError(grpc.status.UNAVAILABLE, SHUTDOWN_DETAILS));
        return;
      }
      if (deps.isClosed()) {
        callback(grpcError(grpc.status.UNAVAILABLE, SHUTDOWN_DETAILS));
        return;
      }
      const failure = deps.faults.takeFailure(rpc);
      if (failure !== undefined) {
        if (failure.kind === 'grpc') callback(grpcError(failure.grpcStatus, failure.message));
        else callback(null, statusResponse(method.output, status(failure.code, failure.message)));
        return;
      }
      const denied = checkHeaders(call.metadata, deps.acl);
      if (denied !== undefined) {
        callback(null, statusResponse(method.output, denied));
        return;
      }
      const ctx = createCallContext(rpc, call, controller.signal, deps.faults.malformedKind(rpc));
      deps.hub.touch(ctx.clientId);
      let response: unknown;
      try {
        response = await handler(call.request, ctx);
      } catch (err) {
        response = statusResponse(method.output, statusOf(err));
      }
      callback(null, malform(method.output, response, ctx.malformed));
    })();
  };
}

function receive(
  deps: PipelineDeps,
  handler: ReceiveHandler,
  open: OpenStreams,
): grpc.handleServerStreamingCall<ReceiveMessageRequest, ReceiveMessageResponse> {
  return (call) => {
    deps.count('ReceiveMessage');
    const controller = cancelSignal(call);
    let closed = false;
    const entry = {
      fail: (grpcCode: number, details: string): void => {
        if (closed) return;
        closed = true;
        open.receive.delete(entry);
        controller.abort(new Error(details));
        call.emit('error', grpcError(grpcCode, details));
      },
    };
    open.receive.add(entry);
    call.on('cancelled', () => {
      closed = true;
      open.receive.delete(entry);
    });
    let malformed: MalformedKind | undefined;
    const out: ReceiveWriter = {
      get closed() {
        return closed || call.cancelled;
      },
      write(frame) {
        if (closed || call.cancelled) return false;
        const c = frame.content.case;
        if (malformed === 'no-status' && c === 'status') return true;
        if (malformed === 'empty-payload' && c === 'message') return true;
        if (malformed === 'bad-digest' && frame.content.case === 'message') {
          const digest = frame.content.value.systemProperties?.bodyDigest;
          if (digest !== undefined) {
            const rest = digest.checksum.slice(1);
            digest.checksum = digest.checksum.startsWith('0') ? `1${rest}` : `0${rest}`;
          }
        }
        call.write(frame);
        return true;
      },
      end() {
        if (closed) return;
        closed = true;
        open.receive.delete(entry);
        call.end();
      },
    };
    const writeStatusAndEnd = (s: Status, withTimestamp: boolean): void => {
      out.write(create(ReceiveMessageResponseSchema, { content: { case: 'status', value: s } }));
      if (withTimestamp) {
        out.write(
          create(ReceiveMessageResponseSchema, {
            content: { case: 'deliveryTimestamp', value: timestampFromMs(deps.now()) },
          }),
        );
      }
      out.end();
    };
    void (async () => {
      try {
        await deps.faults.before('ReceiveMessage');
      } catch {
        entry.fail(grpc.status.UNAVAILABLE, SHUTDOWN_DETAILS);
        return;
      }
      if (closed) return;
      const failure: FailureSpec | undefined = deps.faults.takeFailure('ReceiveMessage');
      if (failure !== undefined) {
        if (failure.kind === 'grpc') entry.fail(failure.grpcStatus, failure.message);
        else writeStatusAndEnd(status(failure.code, failure.message), true);
        return;
      }
      const denied = checkHeaders(call.metadata, deps.acl);
      if (denied !== undefined) {
        writeStatusAndEnd(denied, false);
        return;
      }
      const ctx = createCallContext(
        'ReceiveMessage',
        call,
        controller.signal,
        deps.faults.malformedKind('ReceiveMessage'),
      );
      malformed = ctx.malformed;
      deps.hub.touch(ctx.clientId);
      try {
        await handler(call.request, ctx, out);
      } catch (err) {
        if (!out.closed) writeStatusAndEnd(statusOf(err), true);
      }
    })();
  };
}

function telemetry(
  deps: PipelineDeps,
  handler: TelemetryFrameHandler,
): grpc.handleBidiStreamingCall<TelemetryCommand, TelemetryCommand> {
  return (call) => {
    deps.count('Telemetry');
    const controller = cancelSignal(call);
    let ended = false;
    let attached = false;
    const finish = (): void => {
      ended = true;
      if (attached) deps.hub.detach(stream);
    };
    const stream: TelemetryStream = {
      clientId: '',
      write: (command) => {
        if (ended || call.cancelled) return false;
        call.write(command);
        return true;
      },
      fail: (grpcCode, details) => {
        if (ended) return;
        finish();
        controller.abort(new Error(details));
        call.emit('error', grpcError(grpcCode, details));
      },
    };
    const endOk = (): void => {
      if (ended) return;
      finish();
      call.end();
    };
    call.on('cancelled', finish);
    call.on('error', () => finish());
    call.on('end', () => {
      // The client half-closed: complete our side too, like the proxy's onCompleted.
      void chain.then(endOk);
    });
    let chain: Promise<void> = Promise.resolve();
    call.on('data', (frame: TelemetryCommand) => {
      chain = chain.then(async () => {
        if (ended) return;
        try {
          await deps.faults.before('Telemetry');
        } catch {
          stream.fail(grpc.status.UNAVAILABLE, SHUTDOWN_DETAILS);
          return;
        }
        if (ended) return;
        const failure = deps.faults.takeFailure('Telemetry');
        if (failure !== undefined) {
          if (failure.kind === 'grpc') stream.fail(failure.grpcStatus, failure.message);
          else {
            stream.write(
              create(MessagingService.method.telemetry.output, {
                status: status(failure.code, failure.message),
              }),
            );
            endOk();
          }
          return;
        }
        const denied = checkHeaders(call.metadata, deps.acl);
        if (denied !== undefined) {
          stream.write(create(MessagingService.method.telemetry.output, { status: denied }));
          endOk();
          return;
        }
        const ctx = createCallContext(
          'Telemetry',
          call,
          controller.signal,
          deps.faults.malformedKind('Telemetry'),
        );
        deps.hub.touch(ctx.clientId);
        if (!attached) {
          attached = true;
          (stream as { clientId: string }).clientId = ctx.clientId;
          deps.hub.attach(stream);
        }
        try {
          await handler(frame, ctx, stream);
        } catch (err) {
          if (err instanceof StreamStatusError) stream.fail(err.grpcCode, err.message);
          else
            stream.fail(
              grpc.status.INTERNAL,
              `process client telemetryCommand failed. ${statusOf(err).message}`,
            );
        }
      });
      // A failure while writing to a broken stream must not become an unhandled rejection.
      chain = chain.catch((err: unknown) => stream.fail(grpc.status.INTERNAL, statusOf(err).message));
    });
  };
}
