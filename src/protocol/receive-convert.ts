/**
 * ReceiveMessage: the request builder, the frame handling of the response
 * stream, and the call itself. Returns plain {@link MessageView}s; generated types stay in this file.
 *
 * Frame handling (as the Apache proxy answers: a status frame, the messages, a delivery timestamp): every
 * frame is collected until the server completes the call; the LAST `status` frame decides:
 * - `OK` → the decoded messages (possibly none: the proto allows an OK empty poll);
 * - `MESSAGE_NOT_FOUND` → an empty result;
 * - the proxy's polling-time rejection (`ILLEGAL_POLLING_TIME`, or `BAD_REQUEST` "…not enough for
 *   polling") → a retriable `ILLEGAL_POLLING_TIME` (the request lost its time in transit);
 * - the proxy's refusal of an unparsable filter (`ILLEGAL_FILTER_EXPRESSION`, or, as RocketMQ 5.4.0
 *   answers an invalid SQL92 expression, `INTERNAL_SERVER_ERROR` "…parse the consumer's subscription
 *   failed") → a non-retriable `ILLEGAL_FILTER_EXPRESSION` (repeating the receive cannot succeed);
 * - any other code → its typed {@link RocketMQError} (e.g. `TOO_MANY_REQUESTS`, retriable);
 * - no status frame at all → `INTERNAL`.
 * A gRPC error mid-stream fails the whole call (already-popped messages become visible again after
 * their invisible duration). Messages are decoded with `fromProtoMessage`, which never throws.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { RocketMQError } from '../errors.js';
import { Code, FilterType, type Message as ProtoMessage } from '../gen/apache/rocketmq/v2/definition_pb.js';
import {
  MessagingService,
  type ReceiveMessageRequest,
  ReceiveMessageRequestSchema,
  type ReceiveMessageResponse,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import type { MessageView } from '../model/message-view.js';
import type { CallOptions, RpcClient } from '../rpc/call.js';
import { endpointKey } from '../rpc/endpoints.js';
import { statusError } from '../rpc/status.js';
import { fromProtoMessage } from './codec/message-codec.js';
import { durationFromMs, toResource } from './convert.js';
import type { RouteQueue } from './route.js';
import { toProtoMessageQueue } from './route-convert.js';
import type { FilterSpec } from './settings.js';

/** What one ReceiveMessage asks for (plain types). */
export interface ReceiveSpec {
  /** Consumer group (without namespace). */
  readonly group: string;
  /** Resource namespace. @defaultValue `''` */
  readonly namespace?: string | undefined;
  /** The queue to receive from (its endpoints get the call). */
  readonly queue: RouteQueue;
  readonly filter: FilterSpec;
  /** Max messages (the broker caps at 32). */
  readonly batchSize: number;
  /** Invisible duration of the received messages; omitted for push consumers (auto-renew). */
  readonly invisibleDurationMs?: number | undefined;
  /** @defaultValue false */
  readonly autoRenew?: boolean | undefined;
  /** Server-side long-polling time. */
  readonly longPollingTimeoutMs: number;
  /** Idempotency id of a logical receive (push consumers reuse it on retries). */
  readonly attemptId?: string | undefined;
}

/** The outcome of a ReceiveMessage call. */
export interface ReceiveResult {
  readonly messages: MessageView[];
  /** The server's `delivery_timestamp` frame (epoch ms), when it sent one. */
  readonly transportDeliveryTimestamp?: number | undefined;
  readonly requestId?: string | undefined;
}

/** Builds the ReceiveMessageRequest of `spec`. */
export function buildReceiveRequest(spec: ReceiveSpec): ReceiveMessageRequest {
  const namespace = spec.namespace ?? '';
  return create(ReceiveMessageRequestSchema, {
    group: toResource(spec.group, namespace),
    messageQueue: toProtoMessageQueue(spec.queue, namespace),
    filterExpression: {
      type: spec.filter.type === 'sql' ? FilterType.SQL : FilterType.TAG,
      expression: spec.filter.expression,
    },
    batchSize: spec.batchSize,
    ...(spec.invisibleDurationMs === undefined
      ? {}
      : { invisibleDuration: durationFromMs(spec.invisibleDurationMs) }),
    autoRenew: spec.autoRenew ?? false,
    longPollingTimeout: durationFromMs(spec.longPollingTimeoutMs),
    ...(spec.attemptId === undefined ? {} : { attemptId: spec.attemptId }),
  });
}

/** Context of {@link collectReceiveFrames}. */
export interface CollectOptions {
  /** Key of the endpoints the frames came from (stamped on every view). */
  readonly endpoint: string;
  readonly requestId?: string | undefined;
}

/**
 * Consumes a ReceiveMessage response stream and applies the rules of the module documentation.
 *
 * @throws RocketMQError the status's code for a non-OK, non-MESSAGE_NOT_FOUND last status; `INTERNAL`
 * when no status arrived; the stream's own error (transport, `ABORTED`, `TIMEOUT`) when it fails.
 */
export async function collectReceiveFrames(
  frames: AsyncIterable<ReceiveMessageResponse>,
  options: CollectOptions,
): Promise<ReceiveResult> {
  let status: { code: number; message: string } | undefined;
  const raw: ProtoMessage[] = [];
  let transportDeliveryTimestamp: number | undefined;
  for await (const frame of frames) {
    const content = frame.content;
    switch (content.case) {
      case 'status':
        status = content.value;
        break;
      case 'message':
        raw.push(content.value);
        break;
      case 'deliveryTimestamp': {
        const ms = timestampMs(content.value);
        if (Number.isFinite(ms)) transportDeliveryTimestamp = ms;
        break;
      }
      case undefined:
        break;
      default: {
        const _exhaustive: never = content;
        return _exhaustive;
      }
    }
  }
  const context = options.requestId === undefined ? {} : { requestId: options.requestId };
  if (status === undefined) {
    throw new RocketMQError('The ReceiveMessage stream ended without a status', 'INTERNAL', context);
  }
  const base = {
    ...(transportDeliveryTimestamp === undefined ? {} : { transportDeliveryTimestamp }),
    ...context,
  };
  if (status.code === Code.MESSAGE_NOT_FOUND) return { messages: [], ...base };
  if (isPollingTimeRejection(status)) {
    // Our deadline always leaves room for the proxy's minimum polling time, so this answer means the
    // request spent that room in transit (a slow network, a paused broker): try again.
    throw new RocketMQError(status.message, 'ILLEGAL_POLLING_TIME', {
      retriable: true,
      brokerCode: status.code,
      ...context,
    });
  }
  if (isFilterRejection(status)) {
    throw new RocketMQError(status.message, 'ILLEGAL_FILTER_EXPRESSION', {
      retriable: false,
      brokerCode: status.code,
      ...context,
    });
  }
  const err = statusError(status, context);
  if (err !== undefined) throw err;
  return {
    messages: raw.map((m) => fromProtoMessage(m, { endpoint: options.endpoint })),
    ...base,
  };
}

/**
 * The proxy's "not enough deadline left for polling" answer: `ILLEGAL_POLLING_TIME`, or `BAD_REQUEST`
 * with that text for clients whose version string sorts below "5.0.3" (ours, PROTOCOL_CLIENT_VERSION,
 * does not; the old answer is still understood).
 */
function isPollingTimeRejection(status: { code: number; message: string }): boolean {
  if (status.code === Code.ILLEGAL_POLLING_TIME) return true;
  return status.code === Code.BAD_REQUEST && /not enough for polling/i.test(status.message);
}

/**
 * The proxy's refusal of the subscription's filter expression: `ILLEGAL_FILTER_EXPRESSION`, or the
 * `INTERNAL_SERVER_ERROR` that RocketMQ 5.4.0 answers when the SQL92 expression does not parse.
 */
function isFilterRejection(status: { code: number; message: string }): boolean {
  if (status.code === Code.ILLEGAL_FILTER_EXPRESSION) return true;
  return (
    status.code === Code.INTERNAL_SERVER_ERROR && /parse the consumer's subscription failed/i.test(status.message)
  );
}

/**
 * Sends one ReceiveMessage to the queue's endpoints and collects the answer (see the module
 * documentation). `options.timeoutMs` is the gRPC deadline (long polling + request timeout).
 *
 * @throws RocketMQError as {@link collectReceiveFrames}; `ABORTED`/`TIMEOUT` for the signal.
 */
export async function receiveMessages(
  rpc: RpcClient,
  spec: ReceiveSpec,
  options: CallOptions = {},
): Promise<ReceiveResult> {
  const endpoints = spec.queue.endpoints;
  const call = await rpc.serverStream(
    endpoints,
    MessagingService.method.receiveMessage,
    buildReceiveRequest(spec),
    options,
  );
  return collectReceiveFrames(call, { endpoint: endpointKey(endpoints), requestId: call.requestId });
}
