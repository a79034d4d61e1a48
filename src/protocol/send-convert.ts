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

/** The outcome of one entry of a SendMessage response. */
export type EntryResult =
  | { readonly ok: true; readonly entry: SendEntry }
  | { readonly ok: false; readonly error: RocketMQError };

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
  const results = await sendMessageResults(rpc, endpoints, messages, attempt, options);
  return results.map((r) => {
    if (!r.ok) throw r.error;
    return r.entry;
  });
}

/**
 * Sends one SendMessage request and returns each entry's outcome, in the order of the response. A
 * non-OK top-level status with no failed entry, or a response without entries, throws.
 *
 * @throws RocketMQError transport errors, the top-level status, `INTERNAL` for no entry.
 */
export async function sendMessageResults(
  rpc: RpcClient,
  endpoints: Endpoints,
  messages: readonly OutgoingMessage[],
  attempt: SendAttempt,
  options: CallOptions = {},
): Promise<EntryResult[]> {
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
  const results: EntryResult[] = response.entries.map((e) =>
    isOk(e.status)
      ? {
          ok: true,
          entry: {
            messageId: e.messageId,
            transactionId: e.transactionId,
            recallHandle: e.recallHandle,
            offset: e.offset,
          },
        }
      : { ok: false, error: statusError(e.status, { requestId })! },
  );
  const entryFailed = results.some((r) => !r.ok);
  if (!entryFailed && response.status !== undefined && !isOk(response.status)) {
    throw statusError(response.status, { requestId })!;
  }
  if (results.length === 0) {
    throw new RocketMQError('The SendMessage response carries no result entry', 'INTERNAL', {
      requestId,
      retriable: false,
    });
  }
  return results;
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
