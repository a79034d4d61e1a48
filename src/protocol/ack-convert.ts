/**
 * AckMessage and ChangeInvisibleDuration: request builders and the calls,
 * with plain inputs and outputs. Both go to the endpoints the message was received from.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import { RocketMQError } from '../errors.js';
import {
  type ChangeInvisibleDurationRequest,
  ChangeInvisibleDurationRequestSchema,
  MessagingService,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import { type CallOptions, EncodedRequest, type RpcClient } from '../rpc/call.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { checkStatus, statusError } from '../rpc/status.js';
import { encodeAckMessageRequest } from './codec/ack-request-encoder.js';
import { durationFromMs, toResource } from './convert.js';

/** Identifies one delivery of a message (what ack / change-invisible need). */
export interface ReceiptRef {
  /** Consumer group (without namespace). */
  readonly group: string;
  /** @defaultValue `''` */
  readonly namespace?: string | undefined;
  /** Topic (without namespace). */
  readonly topic: string;
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly liteTopic?: string | undefined;
  /**
   * ChangeInvisibleDuration only: a suspend (lite groups), which the server does not count as a
   * delivery attempt.
   */
  readonly suspend?: boolean | undefined;
}

/** Builds a ChangeInvisibleDurationRequest. */
export function buildChangeInvisibleRequest(
  ref: ReceiptRef,
  invisibleDurationMs: number,
): ChangeInvisibleDurationRequest {
  const namespace = ref.namespace ?? '';
  return create(ChangeInvisibleDurationRequestSchema, {
    group: toResource(ref.group, namespace),
    topic: toResource(ref.topic, namespace),
    receiptHandle: ref.receiptHandle,
    invisibleDuration: durationFromMs(invisibleDurationMs),
    messageId: ref.messageId,
    ...(ref.liteTopic === undefined ? {} : { liteTopic: ref.liteTopic }),
    ...(ref.suspend === true ? { suspend: true } : {}),
  });
}

/**
 * Acknowledges one delivery at `endpoints`.
 *
 * @throws RocketMQError for transport failures; the broker's code (e.g. `INVALID_RECEIPT_HANDLE`) for
 * a non-OK top-level or entry status, with the request id.
 */
export async function ackMessage(
  rpc: RpcClient,
  endpoints: Endpoints,
  ref: ReceiptRef,
  options: CallOptions = {},
): Promise<void> {
  const { response, requestId } = await rpc.unary(
    endpoints,
    MessagingService.method.ackMessage,
    new EncodedRequest<typeof MessagingService.method.ackMessage.input>(encodeAckMessageRequest([ref])),
    options,
  );
  checkStatus(response.status, { requestId });
  const entry = response.entries[0];
  if (entry?.status !== undefined) checkStatus(entry.status, { requestId });
}

/**
 * Changes the invisible duration of one delivery at `endpoints` and returns the NEW receipt handle
 * (the old one is no longer valid for ack).
 *
 * @throws RocketMQError for transport failures; the broker's code for a non-OK status; `INTERNAL` when
 * the response carries no receipt handle.
 */
export async function changeInvisibleDuration(
  rpc: RpcClient,
  endpoints: Endpoints,
  ref: ReceiptRef,
  invisibleDurationMs: number,
  options: CallOptions = {},
): Promise<string> {
  const { response, requestId } = await rpc.unary(
    endpoints,
    MessagingService.method.changeInvisibleDuration,
    buildChangeInvisibleRequest(ref, invisibleDurationMs),
    options,
  );
  checkStatus(response.status, { requestId });
  if (response.receiptHandle === '') {
    throw new RocketMQError('ChangeInvisibleDuration answered without a receipt handle', 'INTERNAL', {
      requestId,
    });
  }
  return response.receiptHandle;
}

/** The outcome of one entry of a multi-entry AckMessage. */
export interface AckEntryOutcome {
  readonly ref: ReceiptRef;
  /** Absent when the entry was acknowledged. */
  readonly error?: RocketMQError | undefined;
}

/**
 * Acknowledges several deliveries of one group and topic in ONE AckMessage at `endpoints`, and reports
 * each entry's outcome (the proxy answers per entry; the top-level status is the single distinct code
 * or `MULTIPLE_RESULTS`). Entries are matched to the answer by receipt handle, then by position; an
 * entry the answer does not mention fails with `INTERNAL`.
 *
 * @throws RocketMQError for transport failures (no entry was settled), and for a top-level status that
 * is neither OK nor `MULTIPLE_RESULTS` when the answer carries no entries.
 */
export async function ackMessages(
  rpc: RpcClient,
  endpoints: Endpoints,
  refs: readonly ReceiptRef[],
  options: CallOptions = {},
): Promise<AckEntryOutcome[]> {
  const { response, requestId } = await rpc.unary(
    endpoints,
    MessagingService.method.ackMessage,
    new EncodedRequest<typeof MessagingService.method.ackMessage.input>(encodeAckMessageRequest(refs)),
    options,
  );
  const context = requestId === undefined ? {} : { requestId };
  if (response.entries.length === 0) {
    // A whole-request failure (e.g. ILLEGAL_TOPIC) answers without entries.
    checkStatus(response.status, context);
    const missing = new RocketMQError('AckMessage answered without entries', 'INTERNAL', context);
    return refs.map((ref) => ({ ref, error: missing }));
  }
  const byHandle = new Map<string, (typeof response.entries)[number]>();
  for (const e of response.entries) byHandle.set(e.receiptHandle, e);
  return refs.map((ref, i) => {
    const entry = byHandle.get(ref.receiptHandle) ?? response.entries[i];
    if (entry === undefined) {
      return { ref, error: new RocketMQError('AckMessage answer lacks this entry', 'INTERNAL', context) };
    }
    const error = statusError(entry.status, context);
    return error === undefined ? { ref } : { ref, error };
  });
}

/** Attempt counts sent with a dead-letter forward (informational for the Apache proxy). */
export interface DeadLetterAttempts {
  readonly deliveryAttempt: number;
  readonly maxDeliveryAttempts: number;
}

/**
 * Moves one delivery to the group's dead-letter queue (the proxy acks the original).
 *
 * @throws RocketMQError for transport failures and non-OK statuses.
 */
export async function forwardToDeadLetterQueue(
  rpc: RpcClient,
  endpoints: Endpoints,
  ref: ReceiptRef,
  attempts: DeadLetterAttempts,
  options: CallOptions = {},
): Promise<void> {
  const namespace = ref.namespace ?? '';
  await rpc.invoke(
    endpoints,
    MessagingService.method.forwardMessageToDeadLetterQueue,
    create(MessagingService.method.forwardMessageToDeadLetterQueue.input, {
      group: toResource(ref.group, namespace),
      topic: toResource(ref.topic, namespace),
      receiptHandle: ref.receiptHandle,
      messageId: ref.messageId,
      deliveryAttempt: attempts.deliveryAttempt,
      maxDeliveryAttempts: attempts.maxDeliveryAttempts,
      ...(ref.liteTopic === undefined ? {} : { liteTopic: ref.liteTopic }),
    }),
    options,
  );
}
