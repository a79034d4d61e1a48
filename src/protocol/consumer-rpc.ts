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
import type { Endpoints } from '../rpc/endpoints.js';
import {
  ackMessage,
  changeInvisibleDuration as changeInvisibleDurationCall,
  type ReceiptRef,
} from './ack-convert.js';
import type { ClientCore } from './client-core.js';
import { type ReceiveResult, receiveMessages } from './receive-convert.js';
import type { RouteQueue } from './route.js';
import type { FilterSpec } from './settings.js';

export type { ReceiptRef } from './ack-convert.js';
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
 * Changes the invisible duration of `view` at `endpoints`; returns the new receipt handle.
 *
 * @throws RocketMQError for transport failures and non-OK statuses.
 */
export function changeInvisibleDuration(
  core: ClientCore,
  endpoints: Endpoints,
  view: MessageView,
  invisibleDurationMs: number,
  options: CallOptions = {},
): Promise<string> {
  return changeInvisibleDurationCall(
    core.rpc,
    endpoints,
    receiptOf(core, view),
    invisibleDurationMs,
    options,
  );
}
