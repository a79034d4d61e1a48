/**
 * Consumer RPCs bound to a {@link ClientCore}: plain functions with plain inputs and outputs, so the
 * consumers in `src/consumer/` never see generated types. The group and namespace come from the
 * client's settings.
 *
 * @packageDocumentation
 */

import { RocketMQError } from '../errors.js';
import type { MessageView } from '../model/message-view.js';
import type { CallOptions } from '../rpc/call.js';
import { type Endpoints, endpointKey } from '../rpc/endpoints.js';
import {
  type AckEntryOutcome,
  ackMessage,
  ackMessages,
  changeInvisibleDuration as changeInvisibleDurationCall,
  type DeadLetterAttempts,
  forwardToDeadLetterQueue,
  type ReceiptRef,
} from './ack-convert.js';
import { queryAssignment as queryAssignmentCall } from './assignment-convert.js';
import type { ClientCore } from './client-core.js';
import { fromProtoMessage } from './codec/message-codec.js';
import { type ReceiveResult, receiveMessages } from './receive-convert.js';
import type { RouteQueue } from './route.js';
import type { FilterSpec } from './settings.js';
import type { WireMessage } from './telemetry-session.js';

export type { AckEntryOutcome, DeadLetterAttempts, ReceiptRef } from './ack-convert.js';
export type { ReceiveResult } from './receive-convert.js';

/** What {@link receive} asks for. */
export interface ReceiveParams {
  readonly queue: RouteQueue;
  readonly filter: FilterSpec;
  readonly batchSize: number;
  /** Required for simple consumers; omitted with `autoRenew`. */
  readonly invisibleDurationMs?: number | undefined;
  readonly autoRenew?: boolean | undefined;
  readonly longPollingTimeoutMs: number;
  readonly attemptId?: string | undefined;
}

function groupOf(core: ClientCore): string {
  const group = core.settings.current.group;
  if (group === undefined) throw new RocketMQError('The client has no consumer group', 'INVALID_STATE');
  return group;
}

/**
 * One ReceiveMessage on `params.queue` for the client's group. `options.timeoutMs` is the gRPC deadline
 * (callers give long polling + request timeout).
 *
 * @throws RocketMQError see `collectReceiveFrames`.
 */
export function receive(
  core: ClientCore,
  params: ReceiveParams,
  options: CallOptions = {},
): Promise<ReceiveResult> {
  return receiveMessages(
    core.rpc,
    { ...params, group: groupOf(core), namespace: core.settings.current.namespace },
    options,
  );
}

/** The receipt of a received message for the client's group. */
export function receiptOf(core: ClientCore, view: MessageView): ReceiptRef {
  return {
    group: groupOf(core),
    namespace: core.settings.current.namespace,
    topic: view.topic,
    messageId: view.messageId,
    receiptHandle: view.receiptHandle,
    ...(view.liteTopic === undefined ? {} : { liteTopic: view.liteTopic }),
  };
}

/**
 * Acknowledges `view` at `endpoints` (the endpoints it was received from).
 *
 * @throws RocketMQError for transport failures and non-OK statuses.
 */
export function ack(
  core: ClientCore,
  endpoints: Endpoints,
  view: MessageView,
  options: CallOptions = {},
): Promise<void> {
  return ackMessage(core.rpc, endpoints, receiptOf(core, view), options);
}

/**
 * Changes the invisible duration of `view` at `endpoints`; returns the new receipt handle. With
 * `suspend` the request carries the suspend flag (lite groups: the attempt is not counted).
 *
 * @throws RocketMQError for transport failures and non-OK statuses.
 */
export function changeInvisibleDuration(
  core: ClientCore,
  endpoints: Endpoints,
  view: MessageView,
  invisibleDurationMs: number,
  options: CallOptions = {},
  suspend = false,
): Promise<string> {
  const ref = receiptOf(core, view);
  return changeInvisibleDurationCall(
    core.rpc,
    endpoints,
    suspend ? { ...ref, suspend: true } : ref,
    invisibleDurationMs,
    options,
  );
}

/**
 * The queues of `topic` assigned to the client's group, asked at `endpoints` (any endpoint of the
 * topic's route).
 *
 * @throws RocketMQError for transport failures and non-OK statuses.
 */
export function queryAssignment(
  core: ClientCore,
  endpoints: Endpoints,
  topic: string,
  options: CallOptions = {},
): Promise<RouteQueue[]> {
  return queryAssignmentCall(
    core.rpc,
    endpoints,
    {
      topic,
      group: groupOf(core),
      namespace: core.settings.current.namespace,
      accessPoint: core.accessPoint,
    },
    options,
    core.logger,
  );
}

/**
 * Acknowledges several receipts (one group and topic) in one AckMessage at `endpoints`; per-entry
 * outcomes.
 *
 * @throws RocketMQError for transport failures.
 */
export function ackReceipts(
  core: ClientCore,
  endpoints: Endpoints,
  refs: readonly ReceiptRef[],
  options: CallOptions = {},
): Promise<AckEntryOutcome[]> {
  return ackMessages(core.rpc, endpoints, refs, options);
}

/**
 * Changes the invisible duration of a receipt; returns the new receipt handle.
 *
 * @throws RocketMQError for transport failures and non-OK statuses.
 */
export function changeReceiptInvisibleDuration(
  core: ClientCore,
  endpoints: Endpoints,
  ref: ReceiptRef,
  invisibleDurationMs: number,
  options: CallOptions = {},
): Promise<string> {
  return changeInvisibleDurationCall(core.rpc, endpoints, ref, invisibleDurationMs, options);
}

/**
 * Forwards a receipt's message to the group's dead-letter queue.
 *
 * @throws RocketMQError for transport failures and non-OK statuses.
 */
export function forwardReceiptToDeadLetterQueue(
  core: ClientCore,
  endpoints: Endpoints,
  ref: ReceiptRef,
  attempts: DeadLetterAttempts,
  options: CallOptions = {},
): Promise<void> {
  return forwardToDeadLetterQueue(core.rpc, endpoints, ref, attempts, options);
}

/** Decodes a message carried by a server command (e.g. VerifyMessageCommand) into a view. */
export function decodeCommandMessage(message: WireMessage, endpoints: Endpoints): MessageView {
  return fromProtoMessage(message, { endpoint: endpointKey(endpoints) });
}
