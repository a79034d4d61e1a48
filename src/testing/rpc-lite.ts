/**
 * Lite topics on the in-process broker: SyncLiteSubscription, the receive of lite consumers (only the
 * lite topics the client subscribes to, each from its own queue), and the mapping of ack,
 * change-invisible and dead-letter requests that carry `lite_topic` to that queue.
 *
 * @packageDocumentation
 */

import { create } from '@bufbuild/protobuf';
import {
  ClientType,
  Code,
  LiteSubscriptionAction,
  type Settings,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import {
  type SyncLiteSubscriptionRequest,
  type SyncLiteSubscriptionResponse,
  SyncLiteSubscriptionResponseSchema,
} from '../gen/apache/rocketmq/v2/service_pb.js';
import type { BrokerCore } from './broker-core.js';
import type { CallContext } from './call-context.js';
import type { Delivered, PopRequest } from './delivery.js';
import {
  type LiteSyncKind,
  liteStart,
  requireLiteGroup,
  validateLiteTopicName,
} from './lite-subscriptions.js';
import { BrokerStatusError, okStatus } from './status.js';
import { liteQueueName, type TopicState } from './store.js';
import { validateGroupName, validateTopicName } from './validation.js';

const KINDS: Record<LiteSubscriptionAction, LiteSyncKind> = {
  [LiteSubscriptionAction.PARTIAL_ADD]: 'partial-add',
  [LiteSubscriptionAction.PARTIAL_REMOVE]: 'partial-remove',
  [LiteSubscriptionAction.COMPLETE_ADD]: 'complete-add',
  [LiteSubscriptionAction.COMPLETE_REMOVE]: 'complete-remove',
};

/** Whether the client announced itself as a lite consumer. */
export function isLiteClient(settings: Settings): boolean {
  return (
    settings.clientType === ClientType.LITE_PUSH_CONSUMER ||
    settings.clientType === ClientType.LITE_SIMPLE_CONSUMER
  );
}

/**
 * Why a consumer may not use its group: a lite consumer on an ordinary group, or an ordinary consumer
 * on a lite group (`undefined` when it may).
 */
export function groupModeMismatch(core: BrokerCore, settings: Settings): string | undefined {
  if (settings.pubSub.case !== 'subscription') return undefined;
  const name = settings.pubSub.value.group?.name ?? '';
  const group = core.groups.peek(name);
  const liteGroup = group?.liteBindTopic !== undefined;
  if (isLiteClient(settings) && !liteGroup) return `${name} is a regular group: it cannot use LITE mode`;
  if (!isLiteClient(settings) && liteGroup) return `lite group ${name} takes lite consumers only`;
  return undefined;
}

/** SyncLiteSubscription: changes the calling client's set; new lite topics start at the asked offset. */
export function syncLiteSubscription(
  core: BrokerCore,
  req: SyncLiteSubscriptionRequest,
  ctx: CallContext,
): SyncLiteSubscriptionResponse {
  const topic = req.topic?.name ?? '';
  const group = req.group?.name ?? '';
  validateTopicName(topic);
  validateGroupName(group);
  const config = requireLiteGroup(core.groups, group, topic);
  const parent = core.store.topic(topic);
  if (parent === undefined || parent.type !== 'LITE') {
    throw new BrokerStatusError(Code.ILLEGAL_TOPIC, `topic ${topic} is not a LITE topic`);
  }
  const kind = KINDS[req.action];
  if (kind === undefined) throw new BrokerStatusError(Code.BAD_REQUEST, 'unknown lite subscription action');
  const added = core.lite.sync(
    ctx.clientId,
    { group, topic },
    kind,
    req.liteTopicSet,
    config.liteClientQuota,
  );
  const start = liteStart(req.offsetOption);
  for (const liteTopic of added) core.delivery.seek(group, core.store.liteQueue(topic, liteTopic), start);
  if (added.length > 0) core.longPoll.notify(topic);
  return create(SyncLiteSubscriptionResponseSchema, { status: okStatus() });
}

/**
 * Pops for a lite consumer: up to the batch size from the lite topics `clientId` subscribes to,
 * starting at a rotating one so that no lite topic starves the others.
 */
export function popLite(
  core: BrokerCore,
  clientId: string,
  req: PopRequest,
  rotation: { next: number },
): Delivered[] {
  const liteTopics = core.lite.liteTopics(clientId, req.group, req.topic.name);
  const out: Delivered[] = [];
  const n = liteTopics.length;
  const first = n === 0 ? 0 : rotation.next++ % n;
  for (let i = 0; i < n && out.length < req.batchSize; i++) {
    const queue: TopicState = core.store.liteQueue(req.topic.name, liteTopics[(first + i) % n]!);
    out.push(...core.delivery.pop({ ...req, topic: queue, batchSize: req.batchSize - out.length }));
  }
  return out;
}

/**
 * The topic name the delivery engine knows a delivery by: the lite topic's own queue when the request
 * names a lite topic, else the topic itself.
 *
 * @throws BrokerStatusError `ILLEGAL_LITE_TOPIC` for a bad lite topic name.
 */
export function deliveryTopic(topic: string, liteTopic: string | undefined): string {
  if (liteTopic === undefined || liteTopic === '') return topic;
  validateLiteTopicName(liteTopic);
  return liteQueueName(topic, liteTopic);
}
