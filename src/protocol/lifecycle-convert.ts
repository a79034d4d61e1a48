/**
 * Heartbeat and NotifyClientTermination requests: producers omit the group,
 * consumers carry their group Resource.
 *
 * @packageDocumentation
 */

import { MessagingService } from '../gen/apache/rocketmq/v2/service_pb.js';
import type { CallOptions, RpcClient } from '../rpc/call.js';
import type { Endpoints } from '../rpc/endpoints.js';
import { toProtoClientType, toResource } from './convert.js';
import { type EffectiveSettings, isConsumer } from './settings.js';

function groupOf(settings: EffectiveSettings) {
  return isConsumer(settings.clientType) && settings.group !== undefined
    ? toResource(settings.group, settings.namespace)
    : undefined;
}

/**
 * Sends one Heartbeat to `endpoints`.
 *
 * @throws RocketMQError for transport failures and non-OK statuses (with the request id).
 */
export async function sendHeartbeat(
  rpc: RpcClient,
  endpoints: Endpoints,
  settings: EffectiveSettings,
  options: CallOptions = {},
): Promise<void> {
  const group = groupOf(settings);
  await rpc.invoke(
    endpoints,
    MessagingService.method.heartbeat,
    { clientType: toProtoClientType(settings.clientType), ...(group === undefined ? {} : { group }) },
    options,
  );
}

/**
 * Sends NotifyClientTermination to `endpoints`.
 *
 * @throws RocketMQError for transport failures and non-OK statuses (with the request id).
 */
export async function sendClientTermination(
  rpc: RpcClient,
  endpoints: Endpoints,
  settings: EffectiveSettings,
  options: CallOptions = {},
): Promise<void> {
  const group = groupOf(settings);
  await rpc.invoke(
    endpoints,
    MessagingService.method.notifyClientTermination,
    group === undefined ? {} : { group },
    options,
  );
}
