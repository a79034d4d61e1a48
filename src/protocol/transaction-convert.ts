/**
 * EndTransaction on the wire and decoding of the half message of a transaction check (the server's
 * telemetry command asking the producer to decide). The generated types stay in this file.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import type { Message } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { TransactionResolution, TransactionSource } from '../gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { MessageView } from '../model/message-view.js';
import type { CallOptions, RpcClient } from '../rpc/call.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { fromProtoMessage } from './codec/message-codec.js';
import { toResource } from './convert.js';

/** How a transaction ends. */
export type TransactionDecision = 'COMMIT' | 'ROLLBACK';

/** Who ends it: the application (`client`) or the checker answering a broker check (`server-check`). */
export type TransactionEndSource = 'client' | 'server-check';

/** Fields of an EndTransaction request. */
export interface EndTransactionInit {
  readonly topic: string;
  readonly namespace: string;
  readonly messageId: string;
  readonly transactionId: string;
  readonly decision: TransactionDecision;
  readonly source: TransactionEndSource;
  /** W3C trace context of the message, when known. */
  readonly traceContext?: string | undefined;
}

/**
 * Sends EndTransaction to `endpoints` (the endpoint that accepted the half message, or the one that
 * sent the check).
 *
 * @throws RocketMQError transport errors and the broker's code (e.g. `INVALID_TRANSACTION_ID`).
 */
export async function endTransaction(
  rpc: RpcClient,
  endpoints: Endpoints,
  init: EndTransactionInit,
  options: CallOptions = {},
): Promise<void> {
  await rpc.invoke(
    endpoints,
    MessagingService.method.endTransaction,
    create(MessagingService.method.endTransaction.input, {
      topic: toResource(init.topic, init.namespace),
      messageId: init.messageId,
      transactionId: init.transactionId,
      resolution: init.decision === 'COMMIT' ? TransactionResolution.COMMIT : TransactionResolution.ROLLBACK,
      source:
        init.source === 'client' ? TransactionSource.SOURCE_CLIENT : TransactionSource.SOURCE_SERVER_CHECK,
      ...(init.traceContext ? { traceContext: init.traceContext } : {}),
    }),
    options,
  );
}

/**
 * The half message of a `RecoverOrphanedTransactionCommand` as a {@link MessageView} (`undefined` when
 * the command carries none). `message` is the opaque wire message handed over by the telemetry session.
 */
export function checkedMessageView(message: unknown, endpoint: string): MessageView | undefined {
  if (message === undefined || message === null) return undefined;
  return fromProtoMessage(message as Message, { endpoint });
}
