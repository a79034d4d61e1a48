/**
 * The grpc-js service definition of `apache.rocketmq.v2.MessagingService`, derived from the generated
 * descriptor, not written by hand per method: path `/<service>/<Method>`, streaming flags from the method
 * kind, (de)serialization with `toBinary`/`fromBinary`.
 *
 * @packageDocumentation
 */

import { type DescMethod, type DescService, fromBinary, toBinary } from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';
import { MessagingService } from '../gen/apache/rocketmq/v2/service_pb.js';

/** Names of the MessagingService RPCs, as in the proto (`SendMessage`, `ReceiveMessage`, …). */
export type RpcName =
  | 'QueryRoute'
  | 'Heartbeat'
  | 'SendMessage'
  | 'QueryAssignment'
  | 'ReceiveMessage'
  | 'AckMessage'
  | 'ForwardMessageToDeadLetterQueue'
  | 'PullMessage'
  | 'UpdateOffset'
  | 'GetOffset'
  | 'QueryOffset'
  | 'EndTransaction'
  | 'Telemetry'
  | 'NotifyClientTermination'
  | 'ChangeInvisibleDuration'
  | 'RecallMessage'
  | 'SyncLiteSubscription';

/** Every RPC name of the service, in descriptor order. */
export const RPC_NAMES: readonly RpcName[] = Object.freeze(
  MessagingService.methods.map((m) => m.name as RpcName),
);

/** The gRPC path of a method. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * Builds the grpc-js `ServiceDefinition` of a protobuf-es service. Keys are the proto method names, so the
 * implementation object passed to `Server.addService` must use the same keys.
 */
export function createServiceDefinition(service: DescService = MessagingService): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const kind = method.methodKind;
    definition[method.name] = {
      path: methodPath(method),
      requestStream: kind === 'client_streaming' || kind === 'bidi_streaming',
      responseStream: kind === 'server_streaming' || kind === 'bidi_streaming',
      originalName: method.localName,
      requestSerialize: (m: unknown) => Buffer.from(toBinary(method.input, m as never)),
      requestDeserialize: (b: Buffer) => fromBinary(method.input, b),
      responseSerialize: (m: unknown) => Buffer.from(toBinary(method.output, m as never)),
      responseDeserialize: (b: Buffer) => fromBinary(method.output, b),
    };
  }
  return definition;
}
