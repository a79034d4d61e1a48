/**
 * Per-call request context: the `x-mq-*` headers the proxy reads, the peer and the deadline, plus the
 * header checks every RPC goes through first (authentication, then client id).
 *
 * @packageDocumentation
 */

import type * as grpc from '@grpc/grpc-js';
import { Code, type Status } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { type AclCredential, verifyAuthorization } from './auth.js';
import type { MalformedKind } from './faults.js';
import type { RpcName } from './service-definition.js';
import { status } from './status.js';

/** What a handler knows about the call it serves. */
export interface CallContext {
  readonly rpc: RpcName;
  /** `x-mq-client-id` (non-blank once the header check passed). */
  readonly clientId: string;
  /** `x-mq-language`. */
  readonly language: string | undefined;
  /** `x-mq-client-version`. */
  readonly clientVersion: string | undefined;
  /** Remote `host:port` of the caller. */
  readonly peer: string;
  /** The call's gRPC deadline as epoch ms (system time), `Infinity` without one. */
  readonly deadlineMs: number;
  /** Aborted when the client cancels the call (or the broker shuts down). */
  readonly signal: AbortSignal;
  /** Malformation requested by the fault hooks for this call. */
  readonly malformed: MalformedKind | undefined;
}

/** First value of a header as a string. */
export function header(metadata: grpc.Metadata, name: string): string | undefined {
  const v = metadata.get(name)[0];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : v.toString('utf8');
}

/** Builds the context of a call. */
export function createCallContext(
  rpc: RpcName,
  call: { metadata: grpc.Metadata; getPeer(): string; getDeadline(): grpc.Deadline },
  signal: AbortSignal,
  malformed: MalformedKind | undefined,
): CallContext {
  const deadline = call.getDeadline();
  return {
    rpc,
    clientId: header(call.metadata, 'x-mq-client-id') ?? '',
    language: header(call.metadata, 'x-mq-language'),
    clientVersion: header(call.metadata, 'x-mq-client-version'),
    peer: call.getPeer(),
    deadlineMs: deadline instanceof Date ? deadline.getTime() : deadline,
    signal,
    malformed,
  };
}

/**
 * The proxy's request pipeline checks: authentication (when ACL is on), then a non-blank client id.
 * Returns the in-band failure status, or `undefined` when the call may proceed.
 */
export function checkHeaders(metadata: grpc.Metadata, acl: readonly AclCredential[]): Status | undefined {
  const failure = verifyAuthorization(
    header(metadata, 'authorization'),
    header(metadata, 'x-mq-date-time'),
    acl,
  );
  if (failure !== undefined) return status(Code.UNAUTHORIZED, failure.message);
  const clientId = header(metadata, 'x-mq-client-id');
  if (clientId === undefined || clientId.trim() === '') {
    return status(Code.CLIENT_ID_REQUIRED, 'client id cannot be empty');
  }
  return undefined;
}

/** Server `LanguageCode` names accepted in `x-mq-language` (NODE_JS since 5.3.2). */
export const LANGUAGE_CODES: ReadonlySet<string> = new Set([
  'JAVA',
  'CPP',
  'DOTNET',
  'PYTHON',
  'DELPHI',
  'ERLANG',
  'RUBY',
  'OTHER',
  'HTTP',
  'GO',
  'PHP',
  'OMS',
  'RUST',
  'NODE_JS',
]);
