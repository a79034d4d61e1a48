/**
 * In-band broker statuses: almost every failure arrives as gRPC OK with a
 * `Status{code, message}` in the response. These helpers turn a non-OK status into a
 * {@link RocketMQError} that keeps the call's request id.
 *
 * @packageDocumentation
 */

import { BROKER_OK, brokerStatusToError, type CallErrorContext, RocketMQError } from '../errors.js';

/** The shape of the generated `Status` message (structural, so any copy works). */
export interface BrokerStatus {
  readonly code: number;
  readonly message: string;
}

/**
 * The error for a response status, or `undefined` when it is OK.
 * A missing status is an error (`INTERNAL`): every MessagingService response carries one.
 */
export function statusError(
  status: BrokerStatus | undefined,
  context: CallErrorContext = {},
): RocketMQError | undefined {
  if (status === undefined) {
    return new RocketMQError('The broker response carries no status', 'INTERNAL', {
      ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
    });
  }
  return brokerStatusToError(status, context);
}

/**
 * Throws the error of a non-OK status.
 *
 * @throws RocketMQError with the broker code (see `BROKER_CODES`) and `requestId`; `INTERNAL` when the
 * status is missing.
 */
export function checkStatus(status: BrokerStatus | undefined, context: CallErrorContext = {}): void {
  const err = statusError(status, context);
  if (err !== undefined) throw err;
}

/** True for an OK status. */
export function isOk(status: BrokerStatus | undefined): boolean {
  return status?.code === BROKER_OK;
}
