/**
 * SyncLiteSubscription: changes the set of lite topics a lite consumer subscribes to at one endpoint.
 *
 * @packageDocumentation
 */

import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  LiteSubscriptionAction,
  OffsetOption_Policy,
  type OffsetOptionSchema,
} from '../gen/apache/rocketmq/v2/definition_pb.js';
import { MessagingService, SyncLiteSubscriptionRequestSchema } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { CallOptions, RpcClient } from '../rpc/call.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { toResource } from './convert.js';

/** How a request changes the server's set: add or remove some, or replace it with the given set. */
export type LiteSyncAction = 'partial-add' | 'partial-remove' | 'complete-add';

/** A checked start offset of a new lite subscription. */
export type LiteOffsetSpec =
  | { readonly case: 'policy'; readonly value: 'last' | 'min' | 'max' }
  | { readonly case: 'offset' | 'tailN' | 'timestamp'; readonly value: bigint };

/** One SyncLiteSubscription request. */
export interface LiteSyncRequest {
  readonly action: LiteSyncAction;
  /** The LITE parent topic (without namespace). */
  readonly topic: string;
  readonly group: string;
  readonly namespace?: string | undefined;
  readonly liteTopics: readonly string[];
  readonly offset?: LiteOffsetSpec | undefined;
}

const ACTIONS: Record<LiteSyncAction, LiteSubscriptionAction> = {
  'partial-add': LiteSubscriptionAction.PARTIAL_ADD,
  'partial-remove': LiteSubscriptionAction.PARTIAL_REMOVE,
  'complete-add': LiteSubscriptionAction.COMPLETE_ADD,
};

const POLICIES = {
  last: OffsetOption_Policy.LAST,
  min: OffsetOption_Policy.MIN,
  max: OffsetOption_Policy.MAX,
} as const;

function toOffsetOption(spec: LiteOffsetSpec): MessageInitShape<typeof OffsetOptionSchema> {
  if (spec.case === 'policy') return { offsetType: { case: 'policy', value: POLICIES[spec.value] } };
  return { offsetType: { case: spec.case, value: spec.value } };
}

/**
 * Sends one SyncLiteSubscription to `endpoints`.
 *
 * @throws RocketMQError for transport failures and the server's refusals (e.g.
 * `LITE_SUBSCRIPTION_QUOTA_EXCEEDED`, `ILLEGAL_LITE_TOPIC`, `TOO_MANY_REQUESTS`).
 */
export async function syncLiteSubscription(
  rpc: RpcClient,
  endpoints: Endpoints,
  req: LiteSyncRequest,
  options: CallOptions = {},
): Promise<void> {
  const namespace = req.namespace ?? '';
  const request = create(SyncLiteSubscriptionRequestSchema, {
    action: ACTIONS[req.action],
    topic: toResource(req.topic, namespace),
    group: toResource(req.group, namespace),
    liteTopicSet: [...req.liteTopics],
    ...(req.offset === undefined ? {} : { offsetOption: toOffsetOption(req.offset) }),
  });
  await rpc.invoke(endpoints, MessagingService.method.syncLiteSubscription, request, options);
}
