/**
 * Consumer RPCs: ReceiveMessage (long polling), AckMessage, ChangeInvisibleDuration and
 * ForwardMessageToDeadLetterQueue (proxy `ReceiveMessageActivity`, `AckMessageActivity`,
 * `ChangeInvisibleDurationActivity`, `ForwardMessageToDLQActivity`).
 *
 * @packageDocumentation
 */

import { isIPv6 } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { durationMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { systemClock } from '../internal/clock.js';
import { Code, FilterType, type Status } from '../gen/apache/rocketmq/v2/definition_pb.js';
import {
  type AckMessageRequest,
  type AckMessageResponse,
  AckMessageResponseSchema,
  type ChangeInvisibleDurationRequest,
  type ChangeInvisibleDurationResponse,
  ChangeInvisibleDurationResponseSchema,
  type ForwardMessageToDeadLetterQueueRequest,
  type ForwardMessageToDeadLetterQueueResponse,
  ForwardMessageToDeadLetterQueueResponseSchema,
  type ReceiveMessageRequest,
  ReceiveMessageResponseSchema,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import type { BrokerCore } from './broker-core.js';
import type { CallContext } from './call-context.js';
import type { ReceiveWriter } from './call-pipeline.js';
import type { Delivered } from './delivery.js';
import { compileFilter } from './filter.js';
import { toWireMessage } from './message-convert.js';
import { clientSettings } from './rpc-client.js';
import { deliveryTopic, isLiteClient, popLite } from './rpc-lite.js';
import { requireTopic } from './rpc-route.js';
import { aggregateStatus, okStatus, status, statusOf } from './status.js';
import { validateGroupName, validateInvisibleTime, validateTopicName } from './validation.js';

/** The broker never pops more than this per request (`MAX_MSG_NUMS_FOR_POP_REQUEST`). */
export const MAX_POP_BATCH = 32;
/**
 * Invisibility the proxy gives messages it failed to write to the stream (a cancelled call). Measured on
 * RocketMQ 5.4.0: such a message was received again as attempt 2 about 3.1–3.7 s after it was sent
 * (this 1 s plus the broker's revive); here it is visible again after exactly this 1 s.
 */
const NACK_INVISIBLE_MS = 1000;
/** Clients older than this get BAD_REQUEST instead of ILLEGAL_POLLING_TIME (string comparison, as the proxy). */
const ILLEGAL_POLLING_TIME_VERSION = '5.0.3';

function storeHost(core: BrokerCore): string {
  const { host, port } = core.address();
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Polling time like the proxy: requested (or deadline-derived), clamped, and fitted into the deadline. */
function pollingTime(
  core: BrokerCore,
  req: ReceiveMessageRequest,
  ctx: CallContext,
  requestTimeoutMs: number,
): number | Status {
  const { longPollingMinMs: min, longPollingMaxMs: max } = core.options;
  const remaining =
    ctx.deadlineMs === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : ctx.deadlineMs - systemClock.now();
  let polling =
    req.longPollingTimeout !== undefined
      ? durationMs(req.longPollingTimeout)
      : remaining - requestTimeoutMs / 2;
  polling = Math.min(Math.max(polling, min), max);
  if (polling > remaining) {
    if (remaining >= min) return remaining;
    const old = ctx.clientVersion === undefined || ILLEGAL_POLLING_TIME_VERSION > ctx.clientVersion;
    return status(
      old ? Code.BAD_REQUEST : Code.ILLEGAL_POLLING_TIME,
      'The deadline time remaining is not enough for polling, please check network condition',
    );
  }
  return polling;
}

/** ReceiveMessage: status → messages → delivery timestamp, or MESSAGE_NOT_FOUND → delivery timestamp. */
export async function receiveMessage(
  core: BrokerCore,
  req: ReceiveMessageRequest,
  ctx: CallContext,
  out: ReceiveWriter,
): Promise<void> {
  const writeTimestamp = (): void => {
    out.write(
      create(ReceiveMessageResponseSchema, {
        content: { case: 'deliveryTimestamp', value: timestampFromMs(core.clock.now()) },
      }),
    );
  };
  const finish = (s: Status): void => {
    out.write(create(ReceiveMessageResponseSchema, { content: { case: 'status', value: s } }));
    writeTimestamp();
    out.end();
  };

  const settings = clientSettings(core, ctx.clientId);
  if (settings === undefined) {
    finish(status(Code.INTERNAL_SERVER_ERROR, 'cannot find client settings for this client'));
    return;
  }
  const subscription = settings.pubSub.case === 'subscription' ? settings.pubSub.value : undefined;
  const fifo = subscription?.fifo ?? false;
  const maxAttempts = settings.backoffPolicy?.maxAttempts ?? 0;
  const requestTimeoutMs = settings.requestTimeout === undefined ? 0 : durationMs(settings.requestTimeout);
  const polling = pollingTime(core, req, ctx, requestTimeoutMs);
  if (typeof polling !== 'number') {
    finish(polling);
    return;
  }
  const topicName = req.messageQueue?.topic?.name ?? '';
  const group = req.group?.name ?? '';
  validateTopicName(topicName);
  validateGroupName(group);
  if (!req.autoRenew) {
    const invisibleMs = req.invisibleDuration === undefined ? 0 : durationMs(req.invisibleDuration);
    validateInvisibleTime(
      invisibleMs,
      core.options.minInvisibleDurationMs,
      core.options.maxInvisibleDurationMs,
    );
  }
  const filter = compileFilter(
    req.filterExpression?.type ?? FilterType.TAG,
    req.filterExpression?.expression ?? '',
    core.options.sqlFilter,
  );
  const topic = requireTopic(core, topicName);
  const popRequest = {
    group,
    topic,
    filter,
    batchSize: Math.min(Math.max(req.batchSize, 1), MAX_POP_BATCH),
    invisibleMs: req.invisibleDuration === undefined ? 0 : durationMs(req.invisibleDuration),
    fifo,
    maxAttempts,
    autoRenewClientId: req.autoRenew ? ctx.clientId : undefined,
    attemptId: req.attemptId,
  };

  const rotation = { next: 0 };
  const pop = isLiteClient(settings)
    ? () => popLite(core, ctx.clientId, popRequest, rotation)
    : () => core.delivery.pop(popRequest);
  const deadline = core.clock.now() + polling;
  let delivered: Delivered[] = pop();
  let signal = ctx.signal;
  let orphaned = false;
  while (delivered.length === 0) {
    const left = deadline - core.clock.now();
    if (left <= 0) break;
    const outcome = await core.longPoll.wait(topic.name, left, signal);
    if (core.isClosed()) return;
    if (!orphaned && (outcome === 'aborted' || out.closed)) {
      // The client cancelled: like the proxy, whose pop goes on inside the broker, keep polling
      // until the polling time ends; what it pops then fails to be written (nacked below).
      orphaned = true;
      signal = new AbortController().signal;
      continue;
    }
    // A message becoming visible later (e.g. under fake time, when this continuation runs after the
    // clock moved past the deadline) is no concern of an orphaned pop that timed out.
    if (orphaned && outcome === 'timeout') return;
    delivered = pop();
    if (outcome === 'timeout') break;
  }
  if (out.closed && delivered.length > 0) {
    core.delivery.nack(
      delivered.map((d) => d.receiptHandle),
      NACK_INVISIBLE_MS,
    );
    return;
  }
  if (out.closed) return;

  if (delivered.length === 0) {
    finish(status(Code.MESSAGE_NOT_FOUND, 'no new message'));
    return;
  }
  out.write(create(ReceiveMessageResponseSchema, { content: { case: 'status', value: okStatus() } }));
  const host = storeHost(core);
  for (const [i, d] of delivered.entries()) {
    const message = toWireMessage(d.message, {
      receiptHandle: d.receiptHandle,
      deliveryAttempt: d.deliveryAttempt,
      storeHost: host,
    });
    if (!out.write(create(ReceiveMessageResponseSchema, { content: { case: 'message', value: message } }))) {
      core.delivery.nack(
        delivered.slice(i).map((x) => x.receiptHandle),
        NACK_INVISIBLE_MS,
      );
      return;
    }
  }
  writeTimestamp();
  out.end();
}

/** AckMessage: one result per entry; top-level = the single distinct code or MULTIPLE_RESULTS. */
export function ackMessage(core: BrokerCore, req: AckMessageRequest): AckMessageResponse {
  const topic = req.topic?.name ?? '';
  const group = req.group?.name ?? '';
  validateTopicName(topic);
  validateGroupName(group);
  const entries = req.entries.map((e) => {
    let s: Status;
    try {
      core.delivery.ack(group, deliveryTopic(topic, e.liteTopic), e.receiptHandle);
      s = okStatus();
    } catch (err) {
      s = statusOf(err);
    }
    return { messageId: e.messageId, receiptHandle: e.receiptHandle, status: s };
  });
  return create(AckMessageResponseSchema, {
    status: aggregateStatus(
      entries.map((e) => e.status.code),
      'ack message result is empty',
    ),
    entries,
  });
}

/** ChangeInvisibleDuration: 0 ≤ d ≤ max; answers the new receipt handle. */
export function changeInvisibleDuration(
  core: BrokerCore,
  req: ChangeInvisibleDurationRequest,
): ChangeInvisibleDurationResponse {
  const topic = req.topic?.name ?? '';
  const group = req.group?.name ?? '';
  validateTopicName(topic);
  validateGroupName(group);
  const ms = req.invisibleDuration === undefined ? 0 : durationMs(req.invisibleDuration);
  validateInvisibleTime(ms, 0, core.options.maxInvisibleDurationMs);
  const receiptHandle = core.delivery.changeInvisibleDuration(
    group,
    deliveryTopic(topic, req.liteTopic),
    req.receiptHandle,
    ms,
    req.suspend === true,
  );
  return create(ChangeInvisibleDurationResponseSchema, { status: okStatus(), receiptHandle });
}

/** ForwardMessageToDeadLetterQueue: moves the message to `%DLQ%<group>` and acks it. */
export function forwardMessageToDeadLetterQueue(
  core: BrokerCore,
  req: ForwardMessageToDeadLetterQueueRequest,
): ForwardMessageToDeadLetterQueueResponse {
  const topic = req.topic?.name ?? '';
  const group = req.group?.name ?? '';
  validateTopicName(topic);
  validateGroupName(group);
  core.delivery.forwardToDeadLetterQueue(group, deliveryTopic(topic, req.liteTopic), req.receiptHandle);
  return create(ForwardMessageToDeadLetterQueueResponseSchema, { status: okStatus() });
}
