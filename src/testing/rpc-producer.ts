/**
 * Producer RPCs: SendMessage, RecallMessage and EndTransaction (proxy `SendMessageActivity`,
 * `RecallMessageActivity`, `EndTransactionActivity`).
 *
 * @packageDocumentation
 */

import { create, equals } from '@bufbuild/protobuf';
import { Code, type Resource, ResourceSchema } from '../gen/apache/rocketmq/v2/definition_pb.js';
import {
  type EndTransactionRequest,
  type EndTransactionResponse,
  EndTransactionResponseSchema,
  type RecallMessageRequest,
  type RecallMessageResponse,
  RecallMessageResponseSchema,
  type SendMessageRequest,
  type SendMessageResponse,
  SendMessageResponseSchema,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import type { BrokerCore } from './broker-core.js';
import type { CallContext } from './call-context.js';
import { fifoQueueIndex } from './java-hash.js';
import { recoveryDurationMs, toStoredMessage } from './message-convert.js';
import { validateLiteTopicName } from './lite-subscriptions.js';
import { requireTopic } from './rpc-route.js';
import { BrokerStatusError, okStatus } from './status.js';
import type { StoredMessage } from './store.js';
import {
  DEFAULT_MESSAGE_LIMITS,
  deriveMessageType,
  validateMessage,
  validateTopicMessageType,
  validateTopicName,
} from './validation.js';

const EMPTY_RESOURCE: Resource = create(ResourceSchema);

/**
 * SendMessage: validates like the proxy, stores, and answers with ONE entry for the whole request (a batch
 * gets the message ids joined with `,` and the first offset).
 */
export function sendMessage(
  core: BrokerCore,
  req: SendMessageRequest,
  ctx: CallContext,
): SendMessageResponse {
  const first = req.messages[0];
  if (first === undefined) throw new BrokerStatusError(Code.MESSAGE_CORRUPTED, 'no message to send');
  const topicResource = first.topic ?? EMPTY_RESOURCE;
  const name = topicResource.name;
  validateTopicName(name);
  const now = core.clock.now();
  const limits = {
    ...DEFAULT_MESSAGE_LIMITS,
    maxBodySize: core.options.maxBodySize,
    maxDelayMs: core.options.maxDelayMs,
  };
  for (const m of req.messages) {
    if (!equals(ResourceSchema, m.topic ?? EMPTY_RESOURCE, topicResource)) {
      throw new BrokerStatusError(Code.MESSAGE_CORRUPTED, 'topic in message is not same');
    }
    validateMessage(m, limits, now);
  }
  const topic = requireTopic(core, name);
  const type = deriveMessageType(first);
  if (core.options.validateMessageType) validateTopicMessageType(topic.type, type);

  const group = req.messages.length === 1 ? first.systemProperties?.messageGroup : undefined;
  const queueId =
    group !== undefined && group !== ''
      ? fifoQueueIndex(group, topic.queueCount)
      : core.store.nextQueue(topic);
  const stored = req.messages.map((m): StoredMessage => {
    const lite = m.systemProperties?.liteTopic;
    if (topic.type === 'LITE' && lite !== undefined && lite !== '') {
      validateLiteTopicName(lite);
      // Each lite topic has its own queue under the parent topic.
      const queue = core.store.liteQueue(name, lite);
      const s = toStoredMessage(m, queue.name, ctx.peer, now);
      return { ...s, queueId: 0, lite: { parent: name, liteTopic: lite } };
    }
    const s = toStoredMessage(m, name, ctx.peer, now);
    s.queueId = queueId;
    return s;
  });
  const messageId = stored.map((s) => s.messageId).join(',');

  if (type === 'TRANSACTION') {
    const { transactionId, offset } = core.transactions.begin(stored, recoveryDurationMs(first));
    return create(SendMessageResponseSchema, {
      status: okStatus(),
      entries: [{ status: okStatus(), messageId, transactionId, offset: BigInt(offset) }],
    });
  }
  let offset = -1;
  let recallHandle = '';
  for (const s of stored) {
    if (s.deliveryTimestampMs !== undefined) {
      const r = core.delays.schedule(s);
      if (offset < 0) {
        offset = r.offset;
        recallHandle = r.recallHandle;
      }
    } else {
      core.store.append(s);
      if (offset < 0) offset = s.queueOffset;
    }
  }
  return create(SendMessageResponseSchema, {
    status: okStatus(),
    entries: [{ status: okStatus(), messageId, offset: BigInt(offset), recallHandle }],
  });
}

/** RecallMessage: removes a delay message before its delivery time. */
export function recallMessage(core: BrokerCore, req: RecallMessageRequest): RecallMessageResponse {
  const name = req.topic?.name ?? '';
  validateTopicName(name);
  const topic = requireTopic(core, name);
  if (core.options.validateMessageType) validateTopicMessageType(topic.type, 'DELAY');
  const messageId = core.delays.recall(name, req.recallHandle);
  return create(RecallMessageResponseSchema, { status: okStatus(), messageId });
}

/** EndTransaction: COMMIT makes the half messages visible, ROLLBACK drops them. */
export function endTransaction(core: BrokerCore, req: EndTransactionRequest): EndTransactionResponse {
  const name = req.topic?.name ?? '';
  validateTopicName(name);
  core.transactions.end(name, req.transactionId, req.resolution);
  return create(EndTransactionResponseSchema, { status: okStatus() });
}
