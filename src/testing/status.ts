/**
 * Broker status values: the in-band `Status{code, message}` every response carries, and the error type the
 * broker's own code throws to produce one.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import { Code, type Status, StatusSchema } from '../gen/apache/rocketmq/v2/definition_pb.js';

/** Builds a `Status`; the message defaults to the code's name, as the proxy does. */
export function status(code: Code, message?: string): Status {
  return create(StatusSchema, { code, message: message ?? Code[code] ?? String(code) });
}

/** The `OK` status. */
export function okStatus(): Status {
  return status(Code.OK, 'OK');
}

/**
 * A failure to report in-band with the given broker code (the proxy's `GrpcProxyException`).
 * Handlers throw it; the call pipeline turns it into the RPC's status-only response.
 */
export class BrokerStatusError extends Error {
  override name = 'BrokerStatusError';

  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }

  /** The status to put on the wire. */
  toStatus(): Status {
    return status(this.code, this.message);
  }
}

/** Turns anything thrown by a handler into a status (unknown errors → `INTERNAL_SERVER_ERROR`). */
export function statusOf(err: unknown): Status {
  if (err instanceof BrokerStatusError) return err.toStatus();
  const message = err instanceof Error ? err.message : String(err);
  return status(Code.INTERNAL_SERVER_ERROR, message);
}

/**
 * Top-level status of a multi-entry response (Send/Ack): the single distinct entry code, `MULTIPLE_RESULTS`
 * when they differ, `INTERNAL_SERVER_ERROR` when there are no entries.
 */
export function aggregateStatus(codes: readonly Code[], emptyMessage: string): Status {
  const distinct = new Set(codes);
  if (distinct.size > 1) return status(Code.MULTIPLE_RESULTS);
  const [only] = distinct;
  if (only === undefined) return status(Code.INTERNAL_SERVER_ERROR, emptyMessage);
  return status(only);
}
