/**
 * SendMessage and RecallMessage on the wire (single and batch sends, and the per-entry status that
 * decides a send's outcome). The
 * producer calls these with plain types; the generated types stay in this file.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import { RocketMQError } from '../errors.js';
import { MessagingService } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { PreparedMessage } from '../model/message.js';
import { type CallOptions, EncodedRequest, type RpcClient } from '../rpc/call.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { isOk, statusError } from '../rpc/status.js';
import { encodeSendMessageRequest } from './codec/send-request-encoder.js';
import { toResource } from './convert.js';

/** One message of a SendMessage request. */
export interface OutgoingMessage {
  readonly prepared: PreparedMessage;
  /** Generated once per message and reused by every attempt. */
  readonly messageId: string;
}

/** Per-attempt fields of a SendMessage request. */
export interface SendAttempt {
  readonly namespace: string;
  readonly bornHost: string;
  /** Born timestamp of this attempt (epoch ms). */
  readonly now: number;
  /** Id of the queue chosen for this attempt. */
  readonly queueId: number;
}

/** One OK entry of a SendMessage response. */
export interface SendEntry {
  /** The message id as the proxy reports it (a batch: the ids joined with `,` or a batch id). */
  readonly messageId: string;
  /** Empty unless the message was a transactional half message. */
  readonly transactionId: string;
  /** Empty unless the message was a delay message on a server ≥ 5.3.2. */
  readonly recallHandle: string;
  readonly offset: bigint;
}

/**
 * Sends one SendMessage request and evaluates the answer: the first entry whose status is not OK
 * decides; else a non-OK top-level status; a response without entries is an `INTERNAL` error.
 *
 * @throws RocketMQError transport errors (retriable or not, see `errors.ts`) and the broker's code.
 */
export async function sendMessages(
  rpc: RpcClient,
  endpoints: Endpoints,
  messages: readonly OutgoingMessage[],
  attempt: SendAttempt,
  options: CallOptions = {},
): Promise<SendEntry[]> {
  const request = new EncodedRequest<typeof MessagingService.method.sendMessage.input>(
    encodeSendMessageRequest(
      messages.map((m) => ({
        message: m.prepared,
        options: {
          messageId: m.messageId,
          namespace: attempt.namespace,
          bornHost: attempt.bornHost,
          now: attempt.now,
          queueId: attempt.queueId,
        },
      })),
    ),
  );
  const { response, requestId } = await rpc.unary(
    endpoints,
    MessagingService.method.sendMessage,
    request,
    options,
  );
  for (const entry of response.entries) {
    if (!isOk(entry.status)) throw statusError(entry.status, { requestId })!;
  }
  if (response.status !== undefined && !isOk(response.status)) {
    throw statusError(response.status, { requestId })!;
  }
  if (response.entries.length === 0) {
    throw new RocketMQError('The SendMessage response carries no result entry', 'INTERNAL', {
      requestId,
      retriable: false,
    });
  }
  return response.entries.map((e) => ({
    messageId: e.messageId,
    transactionId: e.transactionId,
    recallHandle: e.recallHandle,
    offset: e.offset,
  }));
}

/**
 * Sends RecallMessage (to the access point) and returns the recalled message's id.
 *
 * @throws RocketMQError transport errors and the broker's code (e.g. `NOT_FOUND`, `NOT_IMPLEMENTED`).
 */
export async function recallMessage(
  rpc: RpcClient,
  accessPoint: Endpoints,
  request: { readonly topic: string; readonly recallHandle: string; readonly namespace: string },
  options: CallOptions = {},
): Promise<string> {
  const response = await rpc.invoke(
    accessPoint,
    MessagingService.method.recallMessage,
    create(MessagingService.method.recallMessage.input, {
      topic: toResource(request.topic, request.namespace),
      recallHandle: request.recallHandle,
    }),
    options,
  );
  return response.messageId;
}
